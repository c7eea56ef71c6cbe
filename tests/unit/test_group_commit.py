"""Group commit: concurrent requests saved together, and each still told its own outcome."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.group_commit import GroupCommit


class Taken(Exception):
    """A key is already recorded (as the event store's IntegrityError says)."""


class Ledger:
    """A tiny all-or-nothing store: a group is recorded whole, or not at all if any key is taken."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}
        self.groups: list[list[str]] = []
        self.gate: threading.Event | None = None
        self.entered = threading.Event()

    def save_all(self, items) -> None:
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(5)
            self.gate = None
        keys = [k for k, _ in items]
        if len(set(keys)) < len(keys) or any(k in self.rows for k in keys):
            raise Taken
        self.rows.update(items)
        self.groups.append(keys)

    def save_one(self, item):
        key, value = item
        if key in self.rows:
            return self.rows[key]
        self.rows[key] = value
        self.groups.append([key])
        return None


@pytest.fixture
def ledger():
    return Ledger()


@pytest.fixture
def writer(ledger):
    gc = GroupCommit(ledger.save_all, ledger.save_one, collision=Taken, name="test-writer")
    yield gc
    gc.stop()


def wait_for_queue(writer, size: int) -> None:
    deadline = time.monotonic() + 5
    while writer._queue.qsize() < size:
        assert time.monotonic() < deadline, "requests did not queue"
        time.sleep(0.005)


def answers_while_busy(writer, ledger, ids: list[str]) -> list:
    """The first id is held inside the writer's save while the others queue behind it; then the save goes on."""
    ledger.gate = threading.Event()
    with ThreadPoolExecutor(max_workers=len(ids)) as pool:
        first = pool.submit(writer.submit, (ids[0], "wang"))
        assert ledger.entered.wait(5)
        rest = [pool.submit(writer.submit, (cid, f"person {i}")) for i, cid in enumerate(ids[1:], 1)]
        wait_for_queue(writer, len(ids) - 1)
        ledger.gate.set()
        return [first.result(5)] + [f.result(5) for f in rest]


def test_requests_arriving_while_the_writer_is_busy_are_saved_together(ledger, writer):
    answers = answers_while_busy(writer, ledger, [f"c{i}" for i in range(10)])
    assert answers == [None] * 10
    assert ledger.groups == [["c0"], [f"c{i}" for i in range(1, 10)]]
    assert writer.groups == 2
    assert len(ledger.rows) == 10


def test_a_collision_in_a_group_falls_back_to_one_by_one_and_each_request_gets_its_own_answer(ledger, writer):
    ledger.rows["old"] = "recorded earlier"
    ledger.gate = threading.Event()
    with ThreadPoolExecutor(max_workers=6) as pool:
        blocker = pool.submit(writer.submit, ("b", "blocker"))
        assert ledger.entered.wait(5)
        new = pool.submit(writer.submit, ("n1", "new one"))
        wait_for_queue(writer, 1)
        retry = pool.submit(writer.submit, ("old", "a retry"))
        wait_for_queue(writer, 2)
        twice_first = pool.submit(writer.submit, ("t", "first"))
        wait_for_queue(writer, 3)
        twice_second = pool.submit(writer.submit, ("t", "second"))
        wait_for_queue(writer, 4)
        ledger.gate.set()
        assert blocker.result(5) is None
        assert new.result(5) is None
        assert retry.result(5) == "recorded earlier"
        assert twice_first.result(5) is None
        assert twice_second.result(5) == "first"
    assert ledger.rows == {"old": "recorded earlier", "b": "blocker", "n1": "new one", "t": "first"}


def test_a_failing_database_is_reported_to_every_waiter_of_the_group(ledger):
    def broken(items):
        raise ConnectionError("database is down")

    writer = GroupCommit(broken, ledger.save_one, collision=Taken)
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(writer.submit, (f"k{i}", "x")) for i in range(4)]
            for future in futures:
                with pytest.raises(ConnectionError):
                    future.result(5)
        assert ledger.rows == {}
    finally:
        writer.stop()


def test_many_concurrent_requests_each_get_saved_exactly_once(ledger, writer):
    keys = [f"k{i % 40}" for i in range(200)]  # every key posted five times
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda k: writer.submit((k, f"value of {k}")), keys))
    assert sum(a is None for a in answers) == 40
    assert all(a is None or a.startswith("value of") for a in answers)
    assert sorted(ledger.rows) == sorted(set(keys))


def test_a_stopped_writer_takes_no_more_requests(ledger, writer):
    assert writer.submit(("a", "1")) is None
    writer.stop()
    with pytest.raises(RuntimeError):
        writer.submit(("b", "2"))
    assert ledger.rows == {"a": "1"}


def test_the_after_hook_sees_each_saved_group_before_its_waiters_are_answered(ledger):
    seen: list[list[str]] = []
    answered_after_hook: list[bool] = []

    def after(items) -> None:
        seen.append([key for key, _ in items])

    writer = GroupCommit(ledger.save_all, ledger.save_one, collision=Taken, after_group=after)
    try:
        ledger.rows["old"] = "recorded earlier"
        assert writer.submit(("a", "1")) is None
        answered_after_hook.append(seen == [["a"]])
        assert writer.submit(("old", "a retry")) == "recorded earlier"  # one by one: still handed to the hook
    finally:
        writer.stop()
    assert answered_after_hook == [True]
    assert seen == [["a"], ["old"]]


def test_a_gathering_writer_still_answers_every_caller_and_a_lone_one_after_a_group(ledger):
    writer = GroupCommit(ledger.save_all, ledger.save_one, collision=Taken, gather_seconds=0.01, name="gathering")
    try:
        assert answers_while_busy(writer, ledger, [f"g{i}" for i in range(6)]) == [None] * 6
        assert ledger.groups[1] == ["g1", "g2", "g3", "g4", "g5"]  # a group of many: the next one gathers
        assert writer.submit(("g6", "li")) is None  # written after the gathering pause, and answered
        assert writer.submit(("g0", "someone else")) == "wang"  # a collision still answers what is recorded
        assert ledger.rows["g6"] == "li" and ledger.groups[-1] == ["g6"]
    finally:
        writer.stop()
