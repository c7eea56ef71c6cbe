"""An auditor checks the service's Merkle proofs with their own code, written from RFC 9162 alone.

Nothing here imports the service's Merkle code: leaves, MTH, and the verification algorithms
of §2.1.3.2 and §2.1.4.2 are re-implemented from the RFC text and docs/audit.md.
"""

import base64
import hashlib

import cbor2
import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from contracts.keys import Role
from tests.audit_support import audit_settings, seed_district  # noqa: F401
from tests.integration.inspection_world import INSPECTION_TOPICS, inspection_season
from tests.conftest import issue


# --- RFC 9162 §2.1, written for this test -----------------------------------------------------

def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def rfc_leaf(position: int, aggregate_id: str, version: int, topic: str, stored: bytes) -> bytes:
    """docs/audit.md: SHA-256(0x00 || CBOR-canonical [position, aggregate id, version, topic, SHA-256(stored)])."""
    return sha256(b"\x00" + cbor2.dumps([position, aggregate_id, version, topic, sha256(stored)], canonical=True))


def mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes (§2.1.1), by the recursive definition."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def verify_inclusion(leaf_index: int, tree_size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """§2.1.3.2."""
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn //= 2
                    sn //= 2
        else:
            r = sha256(b"\x01" + r + p)
        fn //= 2
        sn //= 2
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]) -> bool:
    """§2.1.4.2 (for 0 < first < second)."""
    if first & (first - 1) == 0:
        path = [first_hash] + path
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn //= 2
        sn //= 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = sha256(b"\x01" + c + fr)
            sr = sha256(b"\x01" + c + sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn //= 2
                    sn //= 2
        else:
            sr = sha256(b"\x01" + sr + c)
        fn //= 2
        sn //= 2
    return sn == 0 and fr == first_hash and sr == second_hash


# --- the scenario ------------------------------------------------------------------------------

@pytest.fixture
def audited(audit_settings):  # noqa: F811
    """A credential service with a seeded district, and an auditor's key."""
    from litestar.testing import TestClient

    from services.credential.app import create_app

    with TestClient(create_app(audit_settings)) as client:
        app = client.app.state.service
        seed_district(app)
        client.headers.update(issue(app, Role.AUDITOR))
        yield client


def exported_leaves(client) -> tuple[list[dict], list[bytes]]:
    import json

    lines = [json.loads(line) for line in client.get("/v1/audit/export").text.splitlines()]
    leaves = [rfc_leaf(x["position"], x["aggregate_id"], x["version"], x["topic"], base64.b64decode(x["state"]))
              for x in lines]
    return lines, leaves


def unhex(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def test_every_event_has_an_inclusion_proof_in_every_tree_that_contains_it(audited):
    lines, leaves = exported_leaves(audited)
    n = len(leaves)
    assert n >= 18  # 3 nurseries, 12 staff, 2 key events, the auditor's key
    for size in (1, 2, 5, 8, 13, n):
        for index in range(size):
            proof = audited.get("/v1/audit/proofs/inclusion",
                                params={"position": lines[index]["position"], "tree_size": size}).json()
            assert proof["leaf_index"] == index
            assert bytes.fromhex(proof["leaf_hash"]) == leaves[index]
            assert bytes.fromhex(proof["root_hash"]) == mth(leaves[:size])
            assert verify_inclusion(index, size, leaves[index], unhex(proof["path"]), mth(leaves[:size]))
            # the same proof does not prove a different event
            other = leaves[(index + 1) % size] if size > 1 else sha256(b"not an event")
            assert not verify_inclusion(index, size, other, unhex(proof["path"]), mth(leaves[:size]))


def test_every_smaller_log_is_proven_a_prefix_of_every_larger_one(audited):
    _, leaves = exported_leaves(audited)
    n = len(leaves)
    for first in range(1, n):
        for second in range(first + 1, n + 1):
            proof = audited.get("/v1/audit/proofs/consistency", params={"first": first, "second": second}).json()
            assert bytes.fromhex(proof["first_root"]) == mth(leaves[:first])
            assert bytes.fromhex(proof["second_root"]) == mth(leaves[:second])
            assert verify_consistency(first, second, mth(leaves[:first]), mth(leaves[:second]), unhex(proof["path"]))
    # a rewritten history does not pass
    proof = audited.get("/v1/audit/proofs/consistency", params={"first": 6, "second": n}).json()
    forged = mth([sha256(b"forged")] + leaves[1:6])
    assert not verify_consistency(6, n, forged, mth(leaves), unhex(proof["path"]))


def test_a_checkpoint_is_signed_over_the_root_of_the_whole_log(audited):
    _, leaves = exported_leaves(audited)
    checkpoint = audited.get("/v1/audit/checkpoint").json()
    assert checkpoint["tree_size"] == len(leaves)
    assert bytes.fromhex(checkpoint["root_hash"]) == mth(leaves)
    published = audited.get("/v1/audit/public-key", headers={"Authorization": ""}).json()
    assert published["public_key"] == checkpoint["public_key"] and published["algorithm"] == "Ed25519"
    message = (f"carecred-checkpoint/v1\ncredential\n{checkpoint['tree_size']}\n"
               f"{checkpoint['root_hash']}\n{checkpoint['timestamp']}\n").encode()
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(published["public_key"]))
    key.verify(base64.b64decode(checkpoint["signature"]), message)  # raises if it does not verify
    assert checkpoint in audited.get("/v1/audit/checkpoints").json()


def test_checkpoints_are_published_as_the_log_grows(audit_settings):  # noqa: F811
    import msgspec

    from services.credential.application import Credentials

    app = Credentials(msgspec.structs.replace(audit_settings, checkpoint_every=5))
    try:
        seed_district(app)  # 17 events
        sizes = [c.tree_size for c in app.audit.checkpoints()]
        assert sizes == [5, 10, 15]
    finally:
        app.close()


def test_proofs_for_trees_that_do_not_exist_are_refused(audited):
    n = len(exported_leaves(audited)[1])
    too_big = audited.get("/v1/audit/proofs/consistency", params={"first": 1, "second": n + 1})
    assert too_big.status_code == 422 and too_big.json()["errors"][0]["field"] == "second"
    missing = audited.get("/v1/audit/proofs/inclusion", params={"position": 10_000, "tree_size": n})
    assert missing.status_code == 404


def test_a_longer_log_written_in_many_batches_has_the_rfc_root_at_every_size(audited, monkeypatch):
    from shared.auth.keys import ApiKey
    from shared.projection import Projector

    app = audited.app.state.service
    monkeypatch.setattr(Projector, "BATCH", 7)  # the tree is extended across many transactions
    app.save(*[ApiKey(role="inspector", scope=None, name=f"巡查员{i}", token_hash=f"{i:064x}", expires_at=None,
                      actor={"role": "test"}) for i in range(150)])
    lines, leaves = exported_leaves(audited)
    assert len(leaves) == 168
    for size in range(len(leaves) + 1):
        assert app.audit.root(size) == mth(leaves[:size]), size
    proof = audited.get("/v1/audit/proofs/inclusion", params={"position": lines[100]["position"], "tree_size": 168}).json()
    assert verify_inclusion(100, 168, leaves[100], unhex(proof["path"]), mth(leaves))


def test_without_a_configured_key_postgresql_does_not_start(settings, backend):
    """Replicas on one database must share the audit secret, so PostgreSQL never invents one; SQLite keeps its own."""
    from litestar.testing import TestClient

    from services.credential.app import create_app

    unset = msgspec.structs.replace(settings, checkpoint_key="")
    if backend == "postgres":
        with pytest.raises(SystemExit, match="CARECRED_CHECKPOINT_KEY must be set"):
            create_app(unset)
        return
    with TestClient(create_app(unset)) as client:
        response = client.get("/v1/audit/checkpoint", headers=issue(client.app.state.service, Role.AUDITOR))
        assert response.status_code == 200 and response.json()["tree_size"] == 1

def test_every_inspection_event_is_proven_in_the_log(audited):
    inspection_season(audited.app.state.service)
    lines, leaves = exported_leaves(audited)
    n = len(leaves)
    proven = set()
    for index, line in enumerate(lines):
        if line["topic"] not in INSPECTION_TOPICS:
            continue
        proof = audited.get("/v1/audit/proofs/inclusion", params={"position": line["position"], "tree_size": n}).json()
        assert verify_inclusion(index, n, leaves[index], unhex(proof["path"]), mth(leaves))
        proven.add(line["topic"])
    assert proven == INSPECTION_TOPICS
