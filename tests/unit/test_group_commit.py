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
        self.asked: list[list[str]] = []

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

    def taken(self, keys) -> set[str]:
        """Which keys are recorded (one query, as the event store answers it)."""
        self.asked.append(list(keys))
        return {k for k in keys if k in self.rows}

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
    rest = [(cid, f"person {i}") for i, cid in enumerate(ids[1:], 1)]
    return [None] + in_one_busy_group(writer, ledger, rest, blocker=(ids[0], "wang"))  # the blocker: saved


def in_one_busy_group(writer, ledger, posts: list[tuple[str, str]], blocker=("b", "blocker")) -> list:
    """``posts`` queued behind a ``blocker`` held in the writer's save, so they are written as one group.

    Each post's answer, in order: what ``submit`` returned, or the exception it raised."""
    ledger.gate = threading.Event()
    with ThreadPoolExecutor(max_workers=len(posts) + 1) as pool:
        held = pool.submit(writer.submit, blocker)
        assert ledger.entered.wait(5)
        futures = []
        for queued, post in enumerate(posts, 1):
            futures.append(pool.submit(writer.submit, post))
            wait_for_queue(writer, queued)  # in this order
        ledger.gate.set()
        assert held.result(5) is None
        return [f.exception(5) or f.result(5) for f in futures]


def test_requests_arriving_while_the_writer_is_busy_are_saved_together(ledger, writer):
    answers = answers_while_busy(writer, ledger, [f"c{i}" for i in range(10)])
    assert answers == [None] * 10
    assert ledger.groups == [["c0"], [f"c{i}" for i in range(1, 10)]]
    assert writer.groups == 2
    assert len(ledger.rows) == 10


def test_a_collision_in_a_group_falls_back_to_one_by_one_and_each_request_gets_its_own_answer(ledger, writer):
    ledger.rows["old"] = "recorded earlier"
    answers = in_one_busy_group(writer, ledger, [("n1", "new one"), ("old", "a retry"), ("t", "first"), ("t", "second")])
    assert answers == [None, "recorded earlier", None, "first"]
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


@pytest.mark.parametrize("knowing", [False, True], ids=["one-by-one", "regrouping"])
def test_many_concurrent_requests_each_get_saved_exactly_once(ledger, writer, knowing):
    if knowing:
        writer.stop()
        writer = knowing_what_is_taken(ledger)
    keys = [f"k{i % 40}" for i in range(200)]  # every key posted five times
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda k: writer.submit((k, f"value of {k}")), keys))
    finally:
        writer.stop()
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


def knowing_what_is_taken(ledger, **options) -> GroupCommit:
    return GroupCommit(ledger.save_all, ledger.save_one, collision=Taken, key=lambda item: item[0],
                       taken=options.pop("taken", ledger.taken), name="knowing", **options)


def test_a_retry_in_a_group_costs_the_others_one_more_group_save_not_one_each(ledger):
    writer = knowing_what_is_taken(ledger)
    ledger.rows["old"] = "recorded earlier"
    try:
        answers = in_one_busy_group(writer, ledger, [
            ("n1", "new one"), ("old", "a retry"), ("t", "first"), ("n2", "another"), ("t", "second")])
    finally:
        writer.stop()
    assert answers == [None, "recorded earlier", None, None, "first"]
    assert ledger.groups == [["b"], ["n1", "t", "n2"]]  # the retry and the second "t" answered on their own
    assert ledger.asked == [["n1", "old", "t", "n2", "t"]]
    assert writer.groups == 3  # the blocker, the group that collided, the group saved without the retry
    assert ledger.rows == {"old": "recorded earlier", "b": "blocker", "n1": "new one", "t": "first", "n2": "another"}


def test_an_id_taken_between_the_question_and_the_second_save_still_gets_its_own_answer(ledger):
    def taken_then_raced(keys):  # another process records "n2" just after the question was answered
        answer = ledger.taken(keys)
        ledger.rows["n2"] = "the other process"
        return answer

    writer = knowing_what_is_taken(ledger, taken=taken_then_raced)
    ledger.rows["old"] = "recorded earlier"
    try:
        answers = in_one_busy_group(writer, ledger, [("n1", "new one"), ("old", "a retry"), ("n2", "mine")])
    finally:
        writer.stop()
    assert answers == [None, "recorded earlier", "the other process"]
    assert ledger.groups == [["b"], ["n1"]]  # then one by one
    assert ledger.rows["n1"] == "new one"


def test_when_the_question_fails_the_group_is_answered_one_by_one(ledger):
    def unreachable(keys):
        raise ConnectionError("the query failed")

    writer = knowing_what_is_taken(ledger, taken=unreachable)
    ledger.rows["old"] = "recorded earlier"
    try:
        answers = in_one_busy_group(writer, ledger, [("n1", "new one"), ("old", "a retry")])
    finally:
        writer.stop()
    assert answers == [None, "recorded earlier"]
    assert ledger.groups == [["b"], ["n1"]]


def test_a_database_failing_on_the_second_save_is_told_to_the_free_items_and_the_retry_still_answered(ledger):
    writer = knowing_what_is_taken(ledger)
    ledger.rows["old"] = "recorded earlier"
    real_save_all, calls = ledger.save_all, []

    def fails_the_second_time(items):
        calls.append([k for k, _ in items])
        if len(calls) == 3:
            raise ConnectionError("database is down")
        real_save_all(items)

    writer.save_all = fails_the_second_time
    try:
        new, retry = in_one_busy_group(writer, ledger, [("n1", "new one"), ("old", "a retry")])
    finally:
        writer.stop()
    assert isinstance(new, ConnectionError)
    assert retry == "recorded earlier"
    assert calls == [["b"], ["n1", "old"], ["n1"]]
    assert "n1" not in ledger.rows
