"""The registry's aggregates, with no I/O: events carry who acted, never the raw ID number."""

import pytest

from services.credential.domain.staff import Staff, staff_id_for
from shared import idnumber
from shared.auth.keys import ApiKey, hash_token
from shared.errors import Conflict

ACTOR = {"key_id": "k1", "role": "hr", "scope": "n1"}


def test_a_person_is_identified_by_the_keyed_hash_of_their_id_number():
    id_hash = idnumber.keyed_hash("11010519491231002X", b"k" * 32)
    staff = Staff(name="王芳", id_hash=id_hash, id_masked="110***********002X", registered_by="n1", actor=ACTOR)
    assert staff.id == staff_id_for(id_hash)
    (registered,) = staff.collect_events()
    assert registered.actor == ACTOR
    assert "11010519491231002X" not in repr(registered)


def test_the_same_person_registered_twice_gets_the_same_id():
    a = Staff(name="王芳", id_hash="h", id_masked="m", registered_by=None, actor=ACTOR)
    b = Staff(name="王 芳", id_hash="h", id_masked="m", registered_by="n2", actor=ACTOR)
    assert a.id == b.id


def test_a_key_records_its_role_and_scope_and_can_be_revoked_once():
    key = ApiKey(role="hr", scope="n1", name="HR desk", token_hash=hash_token("t"), expires_at=None, actor=ACTOR)
    key.revoke("left the job", ACTOR)
    assert key.revoked
    with pytest.raises(Conflict, match="already revoked"):
        key.revoke("again", ACTOR)
    issued, revoked = key.collect_events()
    assert issued.role == "hr" and issued.scope == "n1" and revoked.reason == "left the job"
    assert "t" != issued.token_hash
