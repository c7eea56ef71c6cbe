"""Stories of the staff registry, in memory: a person is registered once, by a number never kept."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError

from services.credential.domain.staff import Staff, staff_id_for
from shared import idnumber
from tests.fast.desks import CredentialDesk

pytestmark = pytest.mark.fast

WANG_FANG = idnumber.make_valid("31011619900307123")  # born 1990-03-07, 金山区


def registrations(desk: CredentialDesk) -> list[Staff.Registered]:
    return [e for e in desk.events.stored() if isinstance(e, Staff.Registered)]


def test_hr_registers_a_new_worker_and_the_registry_keeps_only_a_masked_number_and_a_keyed_hash():
    desk = CredentialDesk()
    staff_id = desk.register_staff("王芳", WANG_FANG)

    person = desk.person(staff_id)
    assert person.name == "王芳"
    assert person.id_masked == WANG_FANG[:3] + "*" * 11 + WANG_FANG[-4:]
    assert staff_id == str(staff_id_for(idnumber.keyed_hash(WANG_FANG, desk.id_hash_key)))
    stored = repr(desk.events.recorder.select_notifications(start=1, limit=10))
    assert WANG_FANG not in stored and WANG_FANG[6:14] not in stored  # neither the number nor the birth date


def test_a_second_nursery_registering_the_same_person_is_refused_by_the_event_store():
    desk = CredentialDesk()
    zhujing, fengjing = desk.register_nursery("朱泾一托"), desk.register_nursery("枫泾二托", town="枫泾镇")
    first = desk.register_staff("王芳", WANG_FANG, registered_by=zhujing)

    with pytest.raises(IntegrityError):
        desk.register_staff("王 芳", WANG_FANG, registered_by=fengjing)

    assert [str(e.originator_id) for e in registrations(desk)] == [first]
    assert desk.person(first).registered_by == zhujing


def test_the_same_number_typed_with_a_lower_case_x_and_spaces_is_the_same_person():
    desk = CredentialDesk()
    with_x = next(n for n in (idnumber.make_valid(f"310116198504120{seq:02d}") for seq in range(100)) if n.endswith("X"))
    desk.register_staff("李娜", with_x)

    with pytest.raises(IntegrityError):
        desk.register_staff("李娜", f"  {with_x[:-1]}x ")
    assert len(registrations(desk)) == 1


@pytest.mark.parametrize("typed, why", [
    (WANG_FANG[:-1] + ("0" if WANG_FANG[-1] != "0" else "1"), "check character"),
    ("3101161990030712", "17 digits"),
    ("991011199003071234", "province"),
    (idnumber.make_valid("31011619901307123"), "date of birth"),
    (idnumber.make_valid("31011621990307123"), "date of birth"),
])
def test_a_mistyped_id_number_is_refused_and_nothing_is_recorded(typed, why):
    desk = CredentialDesk()
    with pytest.raises(idnumber.InvalidIdNumber, match=why):
        desk.register_staff("王芳", typed)
    assert registrations(desk) == []


def test_two_deployments_with_different_keys_give_the_same_person_different_ids():
    """The staff id is a keyed hash: without the deployment's key, an ID number cannot be tried against it."""
    assert CredentialDesk().register_staff("王芳", WANG_FANG) != CredentialDesk().register_staff("王芳", WANG_FANG)
