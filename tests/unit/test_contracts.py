"""Public contracts: committed JSON Schemas match the Structs; old payloads still decode."""

import json

import jsonschema
import msgspec
import pytest

from contracts.events.credential import CredentialEvent, StaffRegistered
from contracts.events.training import TrainingEvent
from contracts.schemas import contract_modules, render, schema_path


@pytest.mark.parametrize("module", contract_modules())
def test_committed_schema_matches_the_structs(module):
    path = schema_path(module)
    assert path.exists(), f"{path} missing: run `python -m contracts.schemas`"
    assert path.read_text(encoding="utf-8") == render(module), (
        f"{path} drifted from {module}: run `python -m contracts.schemas` and commit the result"
    )


def test_every_schema_is_itself_valid_json_schema():
    for module in contract_modules():
        jsonschema.Draft202012Validator.check_schema(json.loads(schema_path(module).read_text(encoding="utf-8")))


def test_a_first_version_staff_event_without_later_fields_still_decodes():
    old = b'{"type": "staff.registered.v1", "staff_id": "s1", "id_hash": "h1"}'
    assert msgspec.json.decode(old, type=CredentialEvent) == StaffRegistered(staff_id="s1", id_hash="h1")


def test_an_unknown_event_type_is_refused_not_misread():
    with pytest.raises(msgspec.ValidationError, match="Invalid value 'staff.deleted.v9'"):
        msgspec.json.decode(b'{"type": "staff.deleted.v9", "staff_id": "s"}', type=CredentialEvent)


def test_training_events_round_trip_through_their_tagged_union():
    payload = (b'{"type":"completion.reversed.v1","completion_id":"c","staff_id":"s","reason":"typo",'
               b'"totals":{"year":2025,"skills_hours":68.0,"ethics_hours":40.0,"skills_required":72.0,"ethics_required":40.0}}')
    event = msgspec.json.decode(payload, type=TrainingEvent)
    assert event.totals.skills_hours == 68.0
    assert msgspec.json.decode(msgspec.json.encode(event), type=TrainingEvent) == event


def test_a_draw_round_keeps_its_wire_order_and_its_required_reason_from_the_shared_base():
    import datetime as dt

    from contracts.events.credential import InspectionDrawAnnounced
    from contracts.inspections import DrawRound

    inputs = dict(count=1, weighting="uniform", pool=["n"], inspectors=["i"], conflicts=[], previous=[],
                  commitment="c", beacon_source="b", beacon_on=dt.date(2027, 1, 5))
    announced = InspectionDrawAnnounced(month="2027-01", round=1, **inputs)
    assert msgspec.json.encode(announced) == (
        b'{"type":"inspection.draw-announced.v1","month":"2027-01","round":1,"reason":null,"count":1,'
        b'"weighting":"uniform","pool":["n"],"inspectors":["i"],"conflicts":[],"previous":[],"commitment":"c",'
        b'"beacon_source":"b","beacon_on":"2027-01-05"}')
    assert DrawRound.__struct_fields__[:3] == ("round", "reason", "count")
    assert DrawRound.__struct_fields__[11:13] == ("announced_at", "announced_position")
    with pytest.raises(TypeError, match="reason"):
        DrawRound(round=1, announced_at="t", announced_position=1, **inputs)  # reason is required in the view
