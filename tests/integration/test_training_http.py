"""The training service over HTTP: status codes, problem codes, field names, roles and scopes."""

from __future__ import annotations

import pytest

from tests.conftest import issue
from tests.integration.training_world import (
    MID_2025, NURSERY, OTHER_NURSERY, approve, id_number, learn_people,
)

PROBLEM = "application/problem+json"


@pytest.fixture
def world(training_http):
    """SOU and a second provider with catalogues, two people, and a key for each role."""
    app = training_http.app.state.service
    sou = approve(app)
    other = approve(app, code="JSVC", name="金山区职业技术学校")
    wang, li = learn_people(app, 2)
    keys = {
        "registrar": issue(app, "registrar"),
        "auditor": issue(app, "auditor"),
        "inspector": issue(app, "inspector"),
        "sou": issue(app, "provider", str(sou)),
        "other": issue(app, "provider", str(other)),
        "hr": issue(app, "hr", NURSERY),
        "hr_elsewhere": issue(app, "hr", OTHER_NURSERY),
    }
    return training_http, {"sou_id": str(sou), "other_id": str(other), "wang": wang, "li": li, **keys}


def body(event_id="SOU-1", person=None, **overrides):
    item = {"event_id": event_id, "course_code": "SK01", "completed_at": MID_2025, "class_hours": 8}
    if person:
        item["staff_id"] = person
    item.update(overrides)
    return item


def completions_url(provider):
    return f"/v1/providers/{provider}/completions"


def problem_of(response, status, code, field=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["code"] == code
    if field is not None:
        assert [e["field"] for e in problem["errors"]] == [field]
    return problem


def test_the_registrar_approves_a_provider_once(training_http):
    client = training_http
    registrar = issue(client.app.state.service, "registrar")
    created = client.post("/v1/providers", json={"code": "SOU", "name": "上海开放大学"}, headers=registrar)
    assert created.status_code == 201 and created.json()["code"] == "SOU"
    again = client.post("/v1/providers", json={"code": "SOU", "name": "上海开放大学"}, headers=registrar)
    assert problem_of(again, 409, "provider_exists")["provider_id"] == created.json()["provider_id"]
    provider_key = issue(client.app.state.service, "provider", created.json()["provider_id"])
    problem_of(client.post("/v1/providers", json={"code": "X1", "name": "x"}, headers=provider_key), 403, "forbidden")


@pytest.mark.parametrize(
    ("change", "field"),
    [({"class_hours": 1.25}, "class_hours"), ({"class_hours": 0}, "class_hours"), ({"topic": "cooking"}, "topic"),
     ({"category": "sports"}, "category"), ({"available_from": "2025-13-01"}, "available_from")],
)
def test_a_course_with_a_bad_field_is_refused_and_named(world, change, field):
    client, w = world
    course = {"code": "NEW1", "title": "新课程", "category": "skills", "topic": "safety", "class_hours": 2,
              "available_from": "2025-01-01", **change}
    response = client.post(f"/v1/providers/{w['sou_id']}/courses", json=course, headers=w["registrar"])
    problem_of(response, 422, response.json()["code"], field)
    assert client.get(f"/v1/providers/{w['sou_id']}/courses/NEW1", headers=w["registrar"]).status_code == 404


def test_a_completion_is_created_once_and_a_retry_gets_the_same_answer(world):
    client, w = world
    first = client.post(completions_url(w["sou_id"]), json=body(person=w["wang"]), headers=w["sou"])
    assert first.status_code == 201
    assert first.json()["counted"] is True and first.json()["year"] == 2025 and first.json()["class_hours"] == 8
    again = client.post(completions_url(w["sou_id"]), json=body(person=w["wang"]), headers=w["sou"])
    assert again.status_code == 200 and again.json() == first.json()
    different = client.post(completions_url(w["sou_id"]), json=body(person=w["wang"], class_hours=4, course_code="ET01"),
                            headers=w["sou"])
    problem = problem_of(different, 409, "completion_conflict")
    assert problem["differs"] == ["course_code", "class_hours"]


def test_the_second_completion_of_a_course_in_a_year_says_it_earned_nothing(world):
    client, w = world
    client.post(completions_url(w["sou_id"]), json=body("A", w["wang"]), headers=w["sou"])
    second = client.post(completions_url(w["sou_id"]), json=body("B", w["wang"]), headers=w["sou"])
    assert second.status_code == 201
    assert (second.json()["counted"], second.json()["reason"]) == (False, "course already counted in 2025")


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"staff_id": "00000000-0000-4000-8000-000000000000"}, "staff_id", "unknown_person"),
        ({"staff_id": "not-a-uuid"}, "staff_id", "invalid_staff_id"),
        ({"staff_id": None, "id_number": id_number(999)}, "id_number", "unknown_person"),
        ({"staff_id": None, "id_number": "310116198805129990"}, "id_number", "invalid_id_number"),
        ({"staff_id": None}, "staff_id", "person_missing"),
        ({"id_number": id_number(0)}, "id_number", "person_ambiguous"),
        ({"course_code": "NOPE"}, "course_code", "unknown_course"),
        ({"course_code": "MH26", "class_hours": 2}, "completed_at", "before_course_available"),
        ({"completed_at": "2099-01-01T00:00:00+08:00"}, "completed_at", "completed_in_future"),
        ({"completed_at": "2025-06-30"}, "completed_at", "invalid_completed_at"),
        ({"class_hours": 7.5}, "class_hours", "hours_mismatch"),
        ({"class_hours": 7.3}, "class_hours", "invalid_class_hours"),
    ],
)
def test_a_bad_completion_is_refused_naming_the_field_and_nothing_is_recorded(world, change, field, code):
    client, w = world
    item = {k: v for k, v in {**body(person=w["wang"]), **change}.items() if v is not None}
    problem_of(client.post(completions_url(w["sou_id"]), json=item, headers=w["sou"]), 422, code, field)
    assert client.get(completions_url(w["sou_id"]), headers=w["sou"]).json()["items"] == []


def test_a_wrongly_typed_completion_field_is_not_coerced(world):
    client, w = world
    response = client.post(completions_url(w["sou_id"]), json=body(person=w["wang"], class_hours="8"), headers=w["sou"])
    problem_of(response, 422, "validation_failed", "class_hours")


def test_a_withdrawn_course_is_refused_on_course_code(world):
    client, w = world
    withdrawn = client.post(f"/v1/providers/{w['sou_id']}/courses/SK01/withdrawal", json={"reason": "retired"},
                            headers=w["registrar"])
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_reason"] == "retired"
    response = client.post(completions_url(w["sou_id"]), json=body(person=w["wang"]), headers=w["sou"])
    problem_of(response, 422, "course_withdrawn", "course_code")


def test_a_provider_may_not_post_for_another_providers_courses(world):
    client, w = world
    response = client.post(completions_url(w["other_id"]), json=body(person=w["wang"]), headers=w["sou"])
    problem_of(response, 403, "outside_scope")
    response = client.post(completions_url(w["other_id"]) + "/bulk", json={"items": [body(person=w["wang"])]},
                           headers=w["sou"])
    problem_of(response, 403, "outside_scope")
    problem_of(client.get(completions_url(w["other_id"]), headers=w["sou"]), 403, "outside_scope")


@pytest.mark.parametrize("who", ["inspector", "registrar", "hr", "auditor"])
def test_only_provider_keys_post_completions(world, who):
    client, w = world
    response = client.post(completions_url(w["sou_id"]), json=body(person=w["wang"]), headers=w[who])
    problem_of(response, 403, "forbidden")


def test_who_may_read_a_persons_training_year(world):
    client, w = world
    client.post(completions_url(w["sou_id"]), json=body(person=w["wang"]), headers=w["sou"])
    url = f"/v1/people/{w['wang']}/training/2025"
    for who in ("registrar", "auditor", "hr"):
        response = client.get(url, headers=w[who])
        assert response.status_code == 200, who
        assert response.json()["skills"] == {"earned": 8.0, "required": 72.0, "shortfall": 64.0}
    problem_of(client.get(url, headers=w["hr_elsewhere"]), 404, "not_found")
    problem_of(client.get(url, headers=w["inspector"]), 403, "forbidden")
    problem_of(client.get(url, headers=w["sou"]), 403, "forbidden")
    problem_of(client.get(f"/v1/people/{w['wang']}/training/1999", headers=w["registrar"]), 422, "invalid_field", "year")


def test_a_persons_year_lists_every_entry_with_its_source(world):
    client, w = world
    client.post(completions_url(w["sou_id"]), json=body("SOU-9", w["wang"]), headers=w["sou"])
    (entry,) = client.get(f"/v1/people/{w['wang']}/training/2025", headers=w["registrar"]).json()["entries"]
    assert (entry["provider_code"], entry["course_code"], entry["event_id"], entry["status"]) == ("SOU", "SK01", "SOU-9", "counted")
    assert entry["course_title"] == "综合技能 SK01"


def test_reversal_needs_a_reason_and_answers_a_retry_the_same(world):
    client, w = world
    created = client.post(completions_url(w["sou_id"]), json=body(person=w["wang"]), headers=w["sou"]).json()
    url = f"{completions_url(w['sou_id'])}/{created['completion_id']}/reversal"
    problem_of(client.post(url, json={}, headers=w["sou"]), 422, "validation_failed", "reason")
    problem_of(client.post(url, json={"reason": ""}, headers=w["sou"]), 422, "validation_failed", "reason")
    first = client.post(url, json={"reason": "wrong learner"}, headers=w["sou"])
    assert first.status_code == 201
    again = client.post(url, json={"reason": "wrong learner"}, headers=w["sou"])
    assert again.status_code == 200 and again.json() == first.json()
    problem_of(client.post(url, json={"reason": "other"}, headers=w["sou"]), 409, "already_reversed")
    other_url = f"{completions_url(w['other_id'])}/{created['completion_id']}/reversal"
    problem_of(client.post(other_url, json={"reason": "x"}, headers=w["other"]), 404, "not_found")
    year = client.get(f"/v1/people/{w['wang']}/training/2025", headers=w["registrar"]).json()
    assert year["skills"]["shortfall"] == 72.0 and year["entries"][0]["status"] == "reversed"


def test_a_correction_names_bad_replacement_fields_with_their_path(world):
    client, w = world
    created = client.post(completions_url(w["sou_id"]), json=body(person=w["wang"]), headers=w["sou"]).json()
    url = f"{completions_url(w['sou_id'])}/{created['completion_id']}/correction"
    bad = {"reason": "wrong course", "replacement": body("SOU-2", w["wang"], course_code="NOPE")}
    problem_of(client.post(url, json=bad, headers=w["sou"]), 422, "unknown_course", "replacement.course_code")
    good = {"reason": "wrong course", "replacement": body("SOU-2", w["wang"], course_code="ET01", class_hours=4)}
    corrected = client.post(url, json=good, headers=w["sou"])
    assert corrected.status_code == 201
    assert corrected.json()["replacement"]["replaces"] == created["completion_id"]
    assert client.post(url, json=good, headers=w["sou"]).json() == corrected.json()
    year = client.get(f"/v1/people/{w['wang']}/training/2025", headers=w["registrar"]).json()
    assert (year["skills"]["earned"], year["ethics"]["earned"]) == (0.0, 4.0)


def test_a_providers_submissions_are_paged_in_recorded_order(world):
    client, w = world
    items = [body(f"P{i}", w["wang"] if i % 2 else w["li"], course_code=f"SK0{1 + i % 9}") for i in range(5)]
    assert client.post(completions_url(w["sou_id"]) + "/bulk", json={"items": items}, headers=w["sou"]).json()["created"] == 5
    first = client.get(completions_url(w["sou_id"]), params={"limit": 3}, headers=w["sou"]).json()
    rest = client.get(completions_url(w["sou_id"]), params={"limit": 3, "after": first["next_after"]}, headers=w["sou"]).json()
    assert [s["event_id"] for s in first["items"] + rest["items"]] == [f"P{i}" for i in range(5)]
    assert rest["next_after"] is None
    assert client.get(completions_url(w["sou_id"]), headers=w["auditor"]).status_code == 200
    problem_of(client.get(completions_url(w["sou_id"]), headers=w["hr"]), 403, "forbidden")
    on = client.get(completions_url(w["sou_id"]), params={"on": "2024-01-01"}, headers=w["sou"]).json()
    assert on["items"] == []
    problem_of(client.get(completions_url(w["sou_id"]), params={"on": "someday"}, headers=w["sou"]), 422, "validation_failed")


def test_a_bulk_upload_above_50000_items_is_refused_on_items(world):
    client, w = world
    items = [body(f"E{i}", w["wang"]) for i in range(50_001)]
    response = client.post(completions_url(w["sou_id"]) + "/bulk", json={"items": items}, headers=w["sou"])
    problem_of(response, 422, "validation_failed", "items")

