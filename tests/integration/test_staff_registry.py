"""The staff registry on each storage: nurseries, people, duplicates, scope — and it persists."""

import pytest

from contracts.registry import NewNursery
from services.credential.application import Credentials
from shared.errors import Conflict, Invalid, NotFound
from shared.idnumber import make_valid

ACTOR = {"key_id": "k", "role": "registrar", "scope": None}
WANG_FANG = "11010519491231002X"


@pytest.fixture
def credentials(settings):
    app = Credentials(settings)
    yield app
    app.close()


def zhujing(app):
    return app.registry.register_nursery(NewNursery(name="朱泾一托", town="朱泾镇", ownership="public", inclusive=True), ACTOR)


def test_a_registered_person_is_found_by_id_number_and_shown_masked(credentials):
    nursery = zhujing(credentials)
    staff = credentials.registry.register_staff(name="王芳", id_number=WANG_FANG, registered_by=nursery.nursery_id, actor=ACTOR)
    assert staff.id_masked == "110***********002X"
    assert credentials.registry.find_staff(WANG_FANG.lower()).staff_id == staff.staff_id


def test_registering_the_same_person_twice_answers_with_the_existing_staff_id(credentials):
    first = credentials.registry.register_staff(name="王芳", id_number=WANG_FANG, registered_by=None, actor=ACTOR)
    with pytest.raises(Conflict) as refused:
        credentials.registry.register_staff(name="王芳芳", id_number=WANG_FANG, registered_by=None, actor=ACTOR)
    assert refused.value.extra["staff_id"] == first.staff_id
    assert len(credentials.registry.staff_list()) == 1


def test_a_bad_id_number_changes_nothing(credentials):
    with pytest.raises(Invalid) as refused:
        credentials.registry.register_staff(name="李丽", id_number="110105194912310021", registered_by=None, actor=ACTOR)
    assert refused.value.field == "id_number"
    assert credentials.registry.staff_list() == []
    assert credentials.recorder.max_notification_id() in (None, 0)


def test_the_raw_id_number_is_never_stored(credentials, settings):
    credentials.registry.register_staff(name="王芳", id_number=WANG_FANG, registered_by=None, actor=ACTOR)
    stored = b"".join(n.state for n in credentials.recorder.select_notifications(start=1, limit=100))
    assert WANG_FANG.encode() not in stored and b"19491231" not in stored
    rows = credentials.store.query("SELECT * FROM staff")
    assert all(WANG_FANG not in str(value) for row in rows for value in dict(row).values())


def test_hr_of_one_nursery_sees_only_its_own_staff(credentials):
    mine = zhujing(credentials)
    other = credentials.registry.register_nursery(
        NewNursery(name="枫泾宝贝", town="枫泾镇", ownership="private", inclusive=False), ACTOR
    )
    ours = credentials.registry.register_staff(name="王芳", id_number=WANG_FANG, registered_by=mine.nursery_id, actor=ACTOR)
    theirs = credentials.registry.register_staff(
        name="李丽", id_number=make_valid("31011619880512002"), registered_by=other.nursery_id, actor=ACTOR
    )
    assert [s.staff_id for s in credentials.registry.staff_list(visible_to=mine.nursery_id)] == [ours.staff_id]
    with pytest.raises(NotFound):
        credentials.registry.staff(theirs.staff_id, visible_to=mine.nursery_id)
    assert len(credentials.registry.staff_list()) == 2


def test_an_unknown_town_is_refused(credentials):
    with pytest.raises(Invalid) as refused:
        credentials.registry.register_nursery(NewNursery(name="X", town="浦东新区", ownership="public", inclusive=True), ACTOR)
    assert refused.value.field == "town"


def test_stopping_and_starting_again_keeps_everything(settings):
    first = Credentials(settings)
    staff = first.registry.register_staff(name="王芳", id_number=WANG_FANG, registered_by=None, actor=ACTOR)
    first.close()
    again = Credentials(settings)
    try:
        assert again.registry.staff(staff.staff_id).name == "王芳"
    finally:
        again.close()


def test_events_record_who_acted(credentials):
    staff = credentials.registry.register_staff(name="王芳", id_number=WANG_FANG, registered_by=None, actor=ACTOR)
    from uuid import UUID

    (event,) = credentials.repository.event_store.get(UUID(staff.staff_id))
    assert event.actor == ACTOR
