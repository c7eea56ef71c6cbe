"""The holder binding (人证合一) against the vectors the scanner's tests read too, and an independent PBKDF2."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from uuid import UUID

import pytest

from services.credential.badges import holder
from services.credential.badges.claims import badge_id_for

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "holder_binding.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: f"index{c['status_index']}-{c['iterations']}")
def test_the_binding_matches_the_shared_vectors(case):
    salt = holder.salt_for(bytes.fromhex(case["kid"]), badge_id_for(case["status_index"]))
    assert str(badge_id_for(case["status_index"])) == case["badge_id"] and UUID(case["badge_id"]).bytes == salt[8:]
    assert salt.hex() == case["salt"]
    check = holder.check_of(case["canonical"], salt, case["iterations"])
    independent = hashlib.pbkdf2_hmac("sha256", case["canonical"].encode(), salt, case["iterations"], dklen=2)
    assert check.hex() == independent.hex() == case["check"]
    binding = holder.HolderBinding.from_cbor([case["iterations"], bytes.fromhex(case["check"])])
    assert binding.matches(case["id_number"], salt)  # as typed: lower-case x, spaces around
    for other in case["other_numbers"]:
        assert not binding.matches(other, salt)


def test_the_default_iterations_are_in_the_vectors_and_within_what_verifiers_accept():
    from shared.settings import Settings

    default = Settings.from_env({}).badge_holder_iterations
    assert default in {c["iterations"] for c in VECTORS["cases"]}
    holder.check_iterations(default)
    with pytest.raises(ValueError):
        holder.check_iterations(holder.MIN_ITERATIONS - 1)
    assert VECTORS["check_bytes"] == holder.CHECK_BYTES
