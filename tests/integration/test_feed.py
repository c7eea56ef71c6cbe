"""A service's public feed: commit order from a position, in pages, public events only."""

from __future__ import annotations

import msgspec

from contracts.events.credential import StaffRegistered
from services.credential.read_models.feed import FEED_PAGE
from shared.idnumber import make_valid
from tests.conftest import issue

ACTOR = {"role": "test"}


def register(app, n: int) -> list[str]:
    return [
        app.registry.register_staff(name=f"员工{i}", id_number=make_valid(f"31011619900101{i:03d}"), registered_by=None,
                                    actor=ACTOR).staff_id
        for i in range(n)
    ]


def test_the_feed_pages_through_staff_registrations_in_commit_order(credential_http):
    app = credential_http.app.state.service
    headers = issue(app, "service")  # a key event: stored, but not public
    staff_ids = register(app, 5)
    issue(app, "auditor")
    seen, after = [], 0
    while True:
        response = credential_http.get(f"/v1/feed?after={after}&limit=2", headers=headers)
        assert response.status_code == 200
        page = msgspec.json.decode(response.content, type=FEED_PAGE)
        assert len(page.items) <= 2
        seen.extend(page.items)
        if page.next_after == after:
            break
        after = page.next_after
    assert [item.event.staff_id for item in seen] == staff_ids
    positions = [item.position for item in seen]
    assert positions == sorted(positions) and len(set(positions)) == 5
    assert all(isinstance(item.event, StaffRegistered) for item in seen)
    assert after == page.head  # caught up, including the trailing private key event


def test_feed_events_carry_no_personal_data(credential_http):
    app = credential_http.app.state.service
    register(app, 1)
    body = credential_http.get("/v1/feed", headers=issue(app, "auditor")).json()
    (item,) = body["items"]
    assert set(item["event"]) == {"type", "staff_id", "id_hash", "registered_by"}
    assert item["event"]["type"] == "staff.registered.v1"
    assert "员工" not in str(body) and "31011619900101" not in str(body)


def test_a_page_from_the_head_is_empty_and_says_where_the_head_is(credential_http):
    app = credential_http.app.state.service
    register(app, 2)
    head = app.publisher.head()
    page = app.publisher.page(head, 10)
    assert page.items == [] and page.next_after == head and page.head == head


def test_a_follower_reading_during_concurrent_writes_sees_every_event_once_in_order(credential_http):
    import threading

    app = credential_http.app.state.service
    writers_done = threading.Event()
    registered: list[str] = []
    lock = threading.Lock()

    def write(worker: int) -> None:
        for i in range(15):
            staff_id = app.registry.register_staff(
                name=f"员工{worker}-{i}", id_number=make_valid(f"3101161990{worker + 1:02d}01{i:03d}"),
                registered_by=None, actor=ACTOR).staff_id
            with lock:
                registered.append(staff_id)

    seen: list[tuple[int, str]] = []

    def follow() -> None:
        after = 0
        while True:
            done = writers_done.is_set()
            page = app.publisher.page(after, 7)
            seen.extend((item.position, item.event.staff_id) for item in page.items)
            after = page.next_after
            if done and after >= app.publisher.head():
                return

    writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    follower = threading.Thread(target=follow)
    follower.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    writers_done.set()
    follower.join(timeout=60)
    positions = [p for p, _ in seen]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert sorted(s for _, s in seen) == sorted(registered) and len(registered) == 60
