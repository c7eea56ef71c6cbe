"""The attacker's list (issue 14): what an ordinary key holder sent that the services once stored
or answered with a 500. Each case is refused with a 4xx naming the field — and the log did not
move — or answered correctly. Runs on SQLite and on PostgreSQL (where NUL used to poison the log).
"""

from __future__ import annotations

import datetime as dt
import typing
import uuid

import msgspec

import pytest

from contracts import command
from contracts.keys import Role
from services.credential.domain.certificate import Certificate
from services.credential.application.common import today
from shared.auth.keys import ApiKey, hash_token
from shared.idnumber import make_valid
from tests.conftest import bearer, issue
from tests.integration.training_world import approve, id_number, learn_people

SYSTEM = {"role": "test"}
NURSERY = {"name": "朱泾一托", "town": "朱泾镇", "ownership": "public", "inclusive": True}
FAR = "9999-12-31T23:59:59-12:00"


def head(client) -> int:
    """The position of the last event in the service's log."""
    return client.app.state.service.recorder.max_notification_id() or 0


def refused(client, response, field: str | None, *, before: int, status: int = 422, code: str | None = None):
    """A problem+json 4xx naming ``field``, and nothing stored."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    if code is not None:
        assert problem["code"] == code, problem
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem
    assert head(client) == before, "a refused request stored an event"
    return problem


def each_refused(client, variants: dict, send, field: str, **expect):
    """Every variant sent is refused naming ``field``, and none is stored."""
    for name, value in variants.items():
        before = head(client)
        try:
            refused(client, send(value), field, before=before, **expect)
        except AssertionError as exc:
            raise AssertionError(f"{name} ({value!r}): {exc}") from exc


# The worlds: a nursery and a person; a provider with its catalogue and a person it knows ---------


@pytest.fixture
def cred(credential_http):
    client, app = credential_http, credential_http.app.state.service
    app.policies.current_policy()  # the shipped policy is adopted on first use: before the log is watched
    keys = {role: issue(app, role) for role in (Role.REGISTRAR, Role.ADMIN, Role.AUDITOR)}
    nursery = client.post("/v1/nurseries", json=NURSERY, headers=keys[Role.REGISTRAR]).json()["nursery_id"]
    keys[Role.HR] = issue(app, Role.HR, nursery)
    person = client.post("/v1/staff", json={"name": "王丽华", "id_number": make_valid("31011619880512002"),
                                            "nursery_id": nursery}, headers=keys[Role.REGISTRAR]).json()
    client.keys, client.nursery, client.person = keys, nursery, person["staff_id"]
    return client


@pytest.fixture
def train(training_http):
    client, app = training_http, training_http.app.state.service
    provider = approve(app)
    (person,) = learn_people(app, 1)
    client.provider, client.person = provider, person
    client.keys = {Role.REGISTRAR: issue(app, Role.REGISTRAR), Role.PROVIDER: issue(app, Role.PROVIDER, str(provider)),
                   Role.AUDITOR: issue(app, Role.AUDITOR), Role.ADMIN: issue(app, Role.ADMIN)}
    return client


def certificate_body(holder: str, **change) -> dict:
    return {"cert_type": "health", "number": "JK-2025-001", "issuing_body": "金山区卫健委",
            "issued_on": (today() - dt.timedelta(days=30)).isoformat(),
            "expires_on": (today() + dt.timedelta(days=300)).isoformat(), "holder_id": holder, **change}


def completion_body(person: str, **change) -> dict:
    return {"event_id": "SOU-1", "staff_id": person, "course_code": "SK01",
            "completed_at": "2025-06-30T14:00:00+08:00", "class_hours": 8, **change}


# Every request body is a Command whose text and date fields carry their rules ------------------


def structs_in(annotation) -> set[type]:
    """The Structs an annotation is or holds (a body, its nested objects, the items of its lists)."""
    base = command.unwrap(command.without_none(annotation))[0]
    if isinstance(base, type) and issubclass(base, msgspec.Struct):
        hints = typing.get_type_hints(base, include_extras=True)
        return {base}.union(*(structs_in(hints[name]) for name in base.__struct_fields__))
    return set().union(*(structs_in(arg) for arg in typing.get_args(base)))


def test_every_request_body_is_a_command_and_every_text_or_date_field_has_its_rule(credential_http, training_http):
    bodies: set[type] = set()
    for client in (credential_http, training_http):
        for route in client.app.routes:
            for handler in getattr(route, "route_handlers", []):
                if (data := handler.parsed_fn_signature.parameters.get("data")) is not None:
                    bodies |= structs_in(data.annotation)
    assert {t.__name__ for t in bodies} >= {"NewStaff", "NewCompletion", "NewKey", "PolicyDocument", "VerifyRequest"}
    for struct in bodies:
        assert issubclass(struct, command.Command), f"{struct.__name__} is a request body but not a Command"
        hints = typing.get_type_hints(struct, include_extras=True)
        for name in struct.__struct_fields__:
            base, metas = command.unwrap(command.without_none(hints[name]))
            if typing.get_origin(base) is list:
                base, metas = command.unwrap(typing.get_args(base)[0])
            extras = {key for meta in metas for key in (meta.extra or {})}
            if base is str:
                assert "text" in extras, f"{struct.__name__}.{name} is text without a kind or a length limit"
            if base in (dt.date, dt.datetime):
                assert "range" in extras, f"{struct.__name__}.{name} is a date without a range"


def test_every_text_parameter_has_a_pattern_and_a_limit_and_every_date_one_a_checked_type(credential_http,
                                                                                        training_http):
    """Query and path parameters use the shared types of ``shared/http/params.py``."""
    from shared.http import params

    dated = {typing.get_args(t)[0] for t in (params.OnDate, params.AsOf, params.RequiredAsOf)}
    seen = 0
    for client in (credential_http, training_http):
        for route in client.app.routes:
            if route.path.startswith("/schema"):  # Litestar's own OpenAPI pages (a hostile path is a 404 there)
                continue
            for handler in getattr(route, "route_handlers", []):
                for name, field in handler.parsed_fn_signature.parameters.items():
                    base = command.without_none(field.annotation)
                    where = f"{route.path} {name}"
                    if base is str and name != "data":
                        seen += 1
                        assert field.kwarg_definition is not None, where
                        assert field.kwarg_definition.pattern and field.kwarg_definition.max_length, where
                    if base in (dt.date, dt.datetime):
                        seen += 1
                        assert field.annotation in dated, f"{where} is a date without the shared, checked type"
    assert seen >= 10


# Garbage accepted ----------------------------------------------------------------------------

HIDDEN = {
    "only-spaces": "   ",
    "only-ideographic-space": "\u3000\u3000",
    "only-combining-marks": "\u0301\u0308",
    "bidi-override": "王\u202e芳",
    "bidi-isolate": "王\u2066芳\u2069",
    "zero-width-joiner": "王\u200d芳",
    "nul": "王\x00芳",
    "bell": "王\x07芳",
    "escape": "王\x1b[31m芳",
    "c1-next-line": "王\x85芳",
    "line-separator": "王\u2028芳",
    "tag-characters": "王芳\U000e0041\U000e0042",
    "soft-hyphen": "王\u00ad芳",
    "bom": "\ufeff王芳",
    "newline": "王\n芳",
}


def test_a_person_name_that_hides_or_is_nothing_is_refused(cred):
    each_refused(cred, HIDDEN, lambda text: cred.post(
        "/v1/staff", json={"name": text, "id_number": make_valid("31011619900101003")}, headers=cred.keys[Role.REGISTRAR],
    ), "name")


def test_a_nursery_name_that_hides_or_is_nothing_is_refused(cred):
    each_refused(cred, HIDDEN, lambda text: cred.post(
        "/v1/nurseries", json={**NURSERY, "name": text}, headers=cred.keys[Role.REGISTRAR]), "name")


NUMBERS = {"bidi": "JK\u202e001", "nul": "JK\x00001", "nul-first": "\x00a", "space": "JK 001",
           "ideographic-space": "JK\u3000001", "zero-width": "JK\u200b001", "empty": " "}


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.HR])
def test_a_certificate_number_with_hidden_or_blank_characters_is_refused(cred, role):
    each_refused(cred, NUMBERS, lambda number: cred.post(
        "/v1/certificates", json=certificate_body(cred.person, number=number), headers=cred.keys[role]), "number")


def test_a_provider_name_that_hides_or_is_nothing_is_refused(train):
    each_refused(train, HIDDEN, lambda text: train.post(
        "/v1/providers", json={"code": "EVIL", "name": text}, headers=train.keys[Role.REGISTRAR]), "name")


EVENT_IDS = {"nul": "E\x00", "bidi": "E\u202e1", "space": "E 1", "ideographic-space": "\u3000E1", "non-ascii": "É1",
             "delete": "E\x7f", "empty": ""}


def test_an_event_id_must_be_visible_ascii(train):
    each_refused(train, EVENT_IDS, lambda event_id: train.post(
        f"/v1/providers/{train.provider}/completions", headers=train.keys[Role.PROVIDER],
        json=completion_body(train.person, event_id=event_id)), "event_id")


def test_a_bad_event_id_in_a_bulk_upload_names_its_item(train):
    before = head(train)
    items = [completion_body(train.person, event_id="OK-1"), completion_body(train.person, event_id="BAD\x00")]
    response = train.post(f"/v1/providers/{train.provider}/completions/bulk", headers=train.keys[Role.PROVIDER],
                          json={"items": items})
    refused(train, response, "items[1].event_id", before=before)


def test_every_other_text_field_keeps_the_policy(cred):
    cases = {
        "issuing_body": ("/v1/certificates", certificate_body(cred.person, issuing_body="区\u202e委")),
        "note": ("/v1/certificates", certificate_body(cred.person, note="\x00")),
        "what": ("/v1/violations", {"staff_id": cred.person, "what": "\u0301", "occurred_on": "2025-01-01",
                                    "action": "warning"}),
        "name": ("/v1/keys", {"role": "auditor", "name": "审计\u2067"}),
        "content.roles[0].name_zh": ("/v1/policy", {"note": "x", "content": {"certificate_types": [], "roles": [
            {"code": "carer", "name_zh": "\u200b", "name_en": "carer", "requires": []}]}}),
    }
    for field, (path, body) in cases.items():
        role = Role.ADMIN if path == "/v1/keys" else Role.REGISTRAR
        each_refused(cred, {field: body}, lambda b, path=path, role=role: cred.post(path, json=b, headers=cred.keys[role]),
                     field)


def test_training_text_fields_keep_the_policy(train):
    course = {"code": "X1", "title": "课程\u202e", "category": "skills", "topic": "safety", "class_hours": 1,
              "available_from": "2025-01-01"}
    each_refused(train, {"title": course}, lambda body: train.post(
        f"/v1/providers/{train.provider}/courses", json=body, headers=train.keys[Role.REGISTRAR]), "title")
    each_refused(train, {"reason": {"reason": "\u3000"}}, lambda body: train.post(
        f"/v1/providers/{train.provider}/withdrawal", json=body, headers=train.keys[Role.REGISTRAR]), "reason")


def test_what_is_stored_is_the_normalised_text(cred):
    response = cred.post("/v1/staff", json={"name": " Jose\u0301 王\u3000", "id_number": make_valid("31011619900101004")},
                         headers=cred.keys[Role.REGISTRAR])
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "José 王"  # NFC (one é), trimmed of the ideographic space
    history = cred.get(f"/v1/audit/aggregates/{response.json()['staff_id']}/history", headers=cred.keys[Role.AUDITOR])
    assert history.json()["events"][0]["body"]["name"] == "José 王"


def test_a_reason_may_span_lines(cred):
    response = cred.post("/v1/violations", headers=cred.keys[Role.REGISTRAR], json={
        "staff_id": cred.person, "what": "第一行\n第二行", "occurred_on": "2025-01-01", "action": "warning"})
    assert response.status_code == 201, response.text
    assert response.json()["what"] == "第一行\n第二行"


IMPOSSIBLE_ID_NUMBERS = {
    "born-2099": make_valid("31011620990101001"),
    "born-0001": make_valid("31011600010101001"),
    "born-1899": make_valid("31011618991231001"),
    "region-000000": make_valid("00000019880512001"),
    "region-99": make_valid("99011619880512001"),
}


@pytest.mark.parametrize("route", ["/v1/staff", "/v1/staff/lookup"])
def test_an_impossible_id_number_is_refused(cred, route):
    each_refused(cred, IMPOSSIBLE_ID_NUMBERS, lambda number: cred.post(
        route, json={"name": "李丽", "id_number": number} if route == "/v1/staff" else {"id_number": number},
        headers=cred.keys[Role.REGISTRAR]), "id_number", code="invalid_id_number")


def test_a_violation_dated_in_the_future_is_refused(cred):
    each_refused(cred, {"year-9999": "9999-12-31", "tomorrow": (today() + dt.timedelta(days=1)).isoformat()},
                 lambda occurred_on: cred.post("/v1/violations", headers=cred.keys[Role.REGISTRAR], json={
                     "staff_id": cred.person, "what": "迟到", "occurred_on": occurred_on, "action": "warning"}),
                 "occurred_on")


BAD_COMPLETION_TIMES = {
    "week": "2026-W05-3T10:00:00+08:00", "ordinal": "2025-181T10:00:00+08:00", "basic": "20250630T140000+0800",
    "hour-only": "2025-06-30T14+08:00", "no-seconds": "2025-06-30T14:00+08:00", "no-offset": "2025-06-30T14:00:00",
    "year-1": "0001-01-01T00:00:00+14:00", "year-9999": FAR, "before-2000": "1999-12-31T12:00:00Z",
}


@pytest.mark.parametrize("route", ["", "/bulk"])
def test_completed_at_is_rfc3339_in_the_ledgers_years(train, route):
    url = f"/v1/providers/{train.provider}/completions{route}"
    for name, completed_at in BAD_COMPLETION_TIMES.items():
        before = head(train)
        body = completion_body(train.person, completed_at=completed_at)
        response = train.post(url, headers=train.keys[Role.PROVIDER], json={"items": [body]} if route else body)
        if route:  # a bulk upload refuses the item, not the upload
            assert response.status_code == 200, (name, response.text)
            assert response.json()["results"][0]["code"] == "invalid_completed_at", name
            assert head(train) == before, name
        else:
            refused(train, response, "completed_at", before=before, code="invalid_completed_at")


def test_a_completion_a_little_ahead_of_the_clock_is_recorded(train):
    ahead = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)).replace(microsecond=0).isoformat()
    response = train.post(f"/v1/providers/{train.provider}/completions", headers=train.keys[Role.PROVIDER],
                          json=completion_body(train.person, completed_at=ahead))
    assert response.status_code == 201, response.text


def test_a_repeated_json_key_is_refused(cred):
    bodies = {
        "name": '{"name": "A", "name": "B", "town": "朱泾镇", "ownership": "public", "inclusive": true}',
        "inclusive": '{"name": "A", "town": "x", "ownership": "public", "inclusive": true, "inclusive": false}',
    }
    for field, body in bodies.items():
        before = head(cred)
        response = cred.post("/v1/nurseries", content=body.encode(),
                             headers={**cred.keys[Role.REGISTRAR], "content-type": "application/json"})
        assert "twice" in refused(cred, response, field, before=before)["detail"]


def test_a_repeated_key_deep_in_a_bulk_upload_is_refused(train):
    item = ('{"event_id": "E1", "event_id": "E2", "staff_id": "%s", "course_code": "SK01",'
            ' "completed_at": "2025-06-30T14:00:00+08:00", "class_hours": 8}') % train.person
    before = head(train)
    response = train.post(f"/v1/providers/{train.provider}/completions/bulk", content=f'{{"items": [{item}]}}',
                          headers={**train.keys[Role.PROVIDER], "content-type": "application/json"})
    refused(train, response, "event_id", before=before)


def test_numbers_and_escapes_no_field_can_hold_are_client_errors(train):
    bodies = [b'{"reason": NaN}', b'{"reason": 1e999}', b'{"reason": "\\ud800"}', b'{"reas\\ud800on": "x"}',
              b'{"reason": "x", "\\udfff": 1}', b'{"reason": ' + b"9" * 5000 + b"}"]
    for body in bodies:
        before = head(train)
        response = train.post(f"/v1/providers/{train.provider}/withdrawal", content=body,
                              headers={**train.keys[Role.REGISTRAR], "content-type": "application/json"})
        assert 400 <= response.status_code < 500, (body[:40], response.text)
        assert head(train) == before


# Extreme dates -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/staff/{person}/profile", "/v1/nurseries/{nursery}/roster",
                                  "/v1/audit/aggregates/{person}"])
def test_as_of_out_of_range_or_without_offset_is_refused(cred, path):
    url = path.format(person=cred.person, nursery=cred.nursery)
    each_refused(cred, {"year-9999": FAR, "year-1": "0001-01-01T00:00:00+14:00", "no-offset": "2026-03-01T08:00:00"},
                 lambda as_of: cred.get(url, params={"as_of": as_of}, headers=cred.keys[Role.AUDITOR]), "as_of")


def test_an_on_date_out_of_range_is_refused(cred):
    urls = ["/v1/certificates/expiring?on=9999-12-31&within=366", "/v1/district/figures?on=9999-12-31",
            "/v1/certificates/expiring?on=0001-01-01", f"/v1/staff/{cred.person}/profile?on=9999-12-31",
            f"/v1/nurseries/{cred.nursery}/roster?on=0001-01-01"]
    each_refused(cred, {url: url for url in urls}, lambda url: cred.get(url, headers=cred.keys[Role.AUDITOR]), "on")


def test_the_last_day_in_range_is_answered(cred):
    for url in ["/v1/certificates/expiring?on=2200-12-31&within=366", "/v1/district/figures?on=2200-12-31",
                f"/v1/staff/{cred.person}/profile?on=1900-01-01&as_of=2200-12-31T23:59:59Z"]:
        assert cred.get(url, headers=cred.keys[Role.AUDITOR]).status_code == 200, url


def test_training_on_date_out_of_range_is_refused(train):
    urls = [f"/v1/people/{train.person}/training/2025?on=9999-12-31",
            f"/v1/providers/{train.provider}/completions?on=9999-12-31"]
    each_refused(train, {url: url for url in urls}, lambda url: train.get(url, headers=train.keys[Role.AUDITOR]), "on")


def test_business_dates_out_of_range_are_refused(cred):
    cases = [
        ("/v1/certificates", certificate_body(cred.person, expires_on="9999-12-31"), "expires_on"),
        ("/v1/certificates", certificate_body(cred.person, issued_on="0001-01-01"), "issued_on"),
        ("/v1/certificates", certificate_body(cred.person, issued_on="2025-01-01", expires_on="2125-01-02"),
         "expires_on"),  # more than 100 years after the issue
        ("/v1/assignments", {"staff_id": cred.person, "role": "nursery_worker", "start_on": "9999-12-31"}, "start_on"),
        ("/v1/violations", {"staff_id": cred.person, "what": "x", "occurred_on": "2025-01-01", "action": "warning",
                            "effective_on": "0001-01-01"}, "effective_on"),
    ]
    for path, body, field in cases:
        each_refused(cred, {f"{path} {field}": body},
                     lambda b, path=path: cred.post(path, json=b, headers=cred.keys[Role.REGISTRAR]), field)


def test_a_badge_for_a_certificate_expiring_in_9999_recorded_by_an_older_version(cred):
    """An older version let an expiry of 9999-12-31 into the log: the badge's expiry arithmetic stays total."""
    app = cred.app.state.service
    app.badges.keys.ensure(SYSTEM)
    for cert_type, number in (("nursery_worker", "BY-OLD-1"), ("health", "JK-OLD-1")):
        app.save_and_project(Certificate(  # the event as the older version recorded it (no range checks then)
            cert_type=cert_type, number=number, issuing_body="金山区", issued_on="2020-01-01", expires_on="9999-12-31",
            holder_id=cred.person, note="", actor=SYSTEM))
    assigned = cred.post("/v1/assignments", headers=cred.keys[Role.HR], json={
        "staff_id": cred.person, "role": "nursery_worker", "start_on": today().isoformat()})
    assert assigned.status_code == 201, assigned.text
    badge = cred.post("/v1/badges", json={"staff_id": cred.person}, headers=cred.keys[Role.HR])
    assert badge.status_code == 201, badge.text
    lifetime = dt.datetime.fromisoformat(badge.json()["expires_at"]) - dt.datetime.fromisoformat(badge.json()["issued_at"])
    assert lifetime == dt.timedelta(days=app.settings.badge_validity_days)
    assert cred.get("/v1/certificates/expiring?within=366", headers=cred.keys[Role.AUDITOR]).status_code == 200


# Key settings --------------------------------------------------------------------------------


def test_a_key_that_could_not_be_used_is_not_issued(cred):
    cases = {
        "naive-expiry": ({"role": "auditor", "name": "审计", "expires_at": "2030-01-01T00:00:00"}, "expires_at"),
        "far-expiry": ({"role": "auditor", "name": "审计", "expires_at": FAR}, "expires_at"),
        "scope-not-uuid": ({"role": "hr", "name": "HR", "scope": "not-a-uuid"}, "scope"),
        "scope-nul": ({"role": "hr", "name": "HR", "scope": "\x00"}, "scope"),
        "no-such-nursery": ({"role": "hr", "name": "HR", "scope": str(uuid.uuid4())}, "scope"),
        "hr-without-scope": ({"role": "hr", "name": "HR"}, "scope"),
        "scope-on-unscoped": ({"role": "auditor", "name": "审计", "scope": str(uuid.uuid4())}, "scope"),
    }
    for name, (body, field) in cases.items():
        each_refused(cred, {name: body}, lambda b: cred.post("/v1/keys", json=b, headers=cred.keys[Role.ADMIN]), field)


def test_a_provider_key_names_an_approved_provider(train):
    before = head(train)
    response = train.post("/v1/keys", json={"role": "provider", "name": "SOU", "scope": str(uuid.uuid4())},
                          headers=train.keys[Role.ADMIN])
    refused(train, response, "scope", before=before, code="unknown_scope")
    good = train.post("/v1/keys", json={"role": "provider", "name": "SOU", "scope": str(train.provider).upper()},
                      headers=train.keys[Role.ADMIN])
    assert good.status_code == 201 and good.json()["scope"] == str(train.provider)
    assert train.get(f"/v1/providers/{train.provider}/completions", headers=bearer(good.json()["token"])).status_code == 200


def test_a_good_hr_key_with_an_aware_expiry_works(cred):
    response = cred.post("/v1/keys", headers=cred.keys[Role.ADMIN], json={
        "role": "hr", "name": "HR", "scope": cred.nursery, "expires_at": "2030-01-01T08:00:00+08:00"})
    assert response.status_code == 201, response.text
    assert cred.get("/v1/staff", headers=bearer(response.json()["token"])).status_code == 200


def test_a_stored_key_row_that_cannot_be_read_is_an_invalid_key_not_a_500(cred, caplog):
    """Rows an older version stored: the key is refused (401) and logged; every other key keeps working."""
    app = cred.app.state.service
    rows = {"scope-not-uuid": ("hr", "not-a-uuid", None), "naive-expiry": ("hr", cred.nursery, "2030-01-01T00:00:00"),
            "garbage-expiry": ("auditor", None, "tomorrow"), "unknown-role": ("emperor", None, None)}
    for name, (role, scope, expires_at) in rows.items():
        token = f"cc_stored-by-an-older-version-{name}"
        app.save_and_project(ApiKey(role=role, scope=scope, name="old", token_hash=hash_token(token),
                                    expires_at=expires_at, actor=SYSTEM))
        for _ in range(2):
            response = cred.get("/v1/nurseries", headers=bearer(token))
            assert response.status_code == 401, (name, response.text)
    assert caplog.text.count("cannot be used") == len(rows)  # once per key, not once per request
    assert cred.get("/v1/nurseries", headers=cred.keys[Role.REGISTRAR]).status_code == 200


# NUL and undecodable input in paths and queries ------------------------------------------------


def test_a_hostile_page_path_without_a_key_is_a_client_error(cred):
    for url in ["/app/%00", "/app/%00.js", "/app/vendor/%00", "/app/%ff", "/app/..%2f..%2fetc", "/app/%c0%ae",
                "/schema/%00", "/schema/openapi.json%00", "/v1/staff/%00", "/app/whoami%00", "/%00"]:
        response = cred.get(url)
        assert 400 <= response.status_code < 500, (url, response.status_code, response.text)


def test_nul_or_garbage_in_a_query_is_refused(cred):
    cases = [("/v1/staff?after=%00", "after"), ("/v1/staff?after=%ff", "after"),
             ("/v1/badges?certificate_number=%00a", "certificate_number"),
             ("/v1/badges?certificate_number=%e2%80%ae", "certificate_number"),
             ("/v1/certificates/expiring?on=%00", "on"), (f"/v1/staff/{cred.person}/profile?as_of=%00", "as_of")]
    for url, field in cases:
        each_refused(cred, {url: url}, lambda u: cred.get(u, headers=cred.keys[Role.REGISTRAR]), field)


def test_nul_or_garbage_in_a_course_code_path_is_refused(train):
    for code in ["%00", "SK%00", "%e2%80%ae", "%ff"]:
        for method, suffix, body in (("GET", "", None), ("POST", "/withdrawal", {"reason": "x"})):
            url = f"/v1/providers/{train.provider}/courses/{code}{suffix}"
            each_refused(train, {url: url}, lambda u, method=method, body=body: train.request(
                method, u, json=body, headers=train.keys[Role.REGISTRAR]), "code")


def test_id_numbers_reach_the_training_service_checked_the_same(train):
    before = head(train)
    response = train.post(f"/v1/providers/{train.provider}/completions", headers=train.keys[Role.PROVIDER],
                          json=completion_body(train.person, staff_id=None, id_number=make_valid("00000019880512001")))
    refused(train, response, "id_number", before=before, code="invalid_id_number")
    ok = train.post(f"/v1/providers/{train.provider}/completions", headers=train.keys[Role.PROVIDER],
                    json=completion_body(train.person, staff_id=None, id_number=id_number(0)))
    assert ok.status_code == 201, ok.text
