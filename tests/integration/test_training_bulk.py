"""Term-end upload: 10,000 mixed good and bad completions in one request, each answered exactly."""

from __future__ import annotations

import json
import time

from services.training.domain.completion import Completion
from tests.conftest import issue
from tests.integration.training_world import SKILLS_COURSES, approve, id_number, learn_people, staff_id

BATCH = 10_000
PEOPLE = 50
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def item(event_id, person=None, course="SK01", at="2025-06-30T14:00:00+08:00", hours=8, **kw):
    body = {"event_id": event_id, "course_code": course, "completed_at": at, "class_hours": hours, **kw}
    if person:
        body["staff_id"] = person
    return body


def good(i):
    return item(f"T-{i:05d}", staff_id(i % PEOPLE), course=SKILLS_COURSES[i % 9])


def pre(i):
    return item(f"PRE-{i // 20:04d}", staff_id((i // 20) % PEOPLE), course="SK01", at="2025-03-01T09:00:00+08:00")


def term_end_batch():
    """Item i and what must become of it: (outcome, field, code)."""
    items, expected = [], []
    for i in range(BATCH):
        kind = i % 20
        if kind == 0:
            items.append(item(f"T-{i:05d}", UNKNOWN)), expected.append(("rejected", "staff_id", "unknown_person"))
        elif kind == 1:
            items.append({**good(i), "course_code": "NOPE"}), expected.append(("rejected", "course_code", "unknown_course"))
        elif kind == 2:
            items.append({**good(i), "class_hours": 7.5}), expected.append(("rejected", "class_hours", "hours_mismatch"))
        elif kind == 3:
            items.append({**good(i), "completed_at": "2099-01-01T00:00:00Z"}),
            expected.append(("rejected", "completed_at", "completed_in_future"))
        elif kind == 4:
            items.append(item(f"T-{i:05d}", id_number=id_number(i % PEOPLE), course="ET01", hours=4))
            expected.append(("created", None, None))
        elif kind == 5:
            items.append(item(f"T-{i:05d}", id_number="12345")), expected.append(("rejected", "id_number", "invalid_id_number"))
        elif kind == 6:  # the same event id as item i-2, same content
            items.append(dict(items[i - 2])), expected.append(("duplicate", None, None))
        elif kind == 7:  # the same event id as item i-3, different course
            items.append({**items[i - 3], "course_code": "ET02"}), expected.append(("conflict", "course_code", "completion_conflict"))
        elif kind == 8:  # posted before this batch, same content
            items.append(pre(i)), expected.append(("duplicate", None, None))
        elif kind == 9:  # posted before this batch, now with another time
            items.append({**pre(i), "completed_at": "2025-03-02T09:00:00+08:00"})
            expected.append(("conflict", "completed_at", "completion_conflict"))
        else:
            items.append(good(i)), expected.append(("created", None, None))
    return items, expected


def outcomes(response):
    assert response.status_code == 200, response.text[:500]
    return [(r["outcome"], r.get("field"), r.get("code")) for r in response.json()["results"]]


def test_a_term_end_batch_of_10000_mixed_items_gets_exact_per_item_results(training_http):
    client = training_http
    app = client.app.state.service
    sou = approve(app)
    learn_people(app, PEOPLE)
    headers = issue(app, "provider", str(sou))
    url = f"/v1/providers/{sou}/completions/bulk"
    earlier = [pre(i) for i in range(8, BATCH, 20)]
    assert client.post(url, json={"items": earlier}, headers=headers).json()["created"] == len(earlier)

    items, expected = term_end_batch()
    payload = json.dumps({"items": items}).encode()
    assert len(payload) > app.settings.max_body_bytes  # this route takes more than ordinary ones
    started = time.monotonic()
    first = client.post(url, content=payload, headers={**headers, "content-type": "application/json"})
    elapsed = time.monotonic() - started
    assert outcomes(first) == expected
    counts = first.json()
    assert (counts["created"], counts["duplicate"], counts["conflict"], counts["rejected"]) == (5500, 1000, 1000, 2500)
    assert all(r["completion_id"] and r["counted"] is not None for r in counts["results"] if r["outcome"] == "created")
    recorded = [n for n in app.recorder.select_notifications(start=1, limit=100_000)
                if n.topic == Completion.Recorded.TOPIC]
    assert len(recorded) == len(earlier) + 5500
    assert elapsed < 60, f"the batch took {elapsed:.1f} s"

    retry = client.post(url, content=payload, headers={**headers, "content-type": "application/json"})
    again = [("duplicate", None, None) if o == ("created", None, None) else o for o in expected]
    assert outcomes(retry) == again
    assert app.recorder.max_notification_id() == max(n.id for n in app.recorder.select_notifications(start=1, limit=100_000))
    assert sum(1 for n in app.recorder.select_notifications(start=1, limit=100_000)
               if n.topic == Completion.Recorded.TOPIC) == len(earlier) + 5500
