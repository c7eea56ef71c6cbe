"""Group commit: concurrent requests hand their new aggregates to one writer, saved many per transaction.

A database commits a transaction at a fixed cost (a log flush); a request that saves one
aggregate pays it alone. Here each request enqueues its already-checked item and waits;
one writer thread takes everything queued and saves it with one ``save_all(items)``. When
that collides (one item's id was already taken, or two items in the group share an id), the
writer asks once which ids are taken (``taken``), saves the others as one group again, and
saves only the colliding items one by one, so each request still gets its own answer and a
lone retry does not cost its whole group a transaction per item. Without ``taken``, or if the
second save collides too (another process got there in between), the group goes one by one.
Items are recipes (say, an aggregate's constructor arguments), not aggregates: a failed save
has already taken an aggregate's pending events, so each attempt builds its aggregates afresh.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable, Generic, Hashable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Waiter = tuple[Any, Future[Any]]
"""A queued item and the future its request waits on."""
Answer = tuple[Waiter, Any, BaseException | None]
"""A waiter, what ``save_one`` answered for it (None: saved), and the exception it is told instead, if any."""

_STOP = object()
log = logging.getLogger(__name__)


class GroupCommit(Generic[T, R]):
    """One writer thread saving queued items together; ``submit`` blocks until its item is saved."""

    def __init__(
        self,
        save_all: Callable[[Sequence[T]], None],
        save_one: Callable[[T], R | None],
        *,
        collision: type[BaseException] | tuple[type[BaseException], ...],
        after_group: Callable[[Sequence[T]], None] | None = None,
        key: Callable[[T], Hashable] | None = None,
        taken: Callable[[Sequence[Hashable]], set[Hashable]] | None = None,
        max_group: int = 256,
        gather_seconds: float = 0.0,
        name: str = "group-commit",
    ):
        """``save_all`` saves a group in one transaction or raises ``collision``; ``save_one`` saves one item.

        ``after_group(items)`` runs once after each group is saved, before its waiters are answered
        (a service brings its read models up to date there, once for the whole group, and may
        note on each item what its waiter needs to answer with).

        ``key(item)`` is the id a collision is about, and ``taken(keys)`` answers, in one query, which of
        them are already recorded: given both, a collision costs one more group save, not one per item.

        ``gather_seconds``: while items come concurrently (the last group held more than one), the writer,
        holding a first item, waits this long before taking the rest, so more join the group and its one
        transaction (and read-model catch-up) is shared by more (PostgreSQL's ``commit_delay`` with
        ``commit_siblings``). A lone item, after a group of one, is written at once.
        """
        self.save_all = save_all
        self.after_group = after_group
        self.save_one = save_one
        self.collision = collision
        self.key = key
        self.taken = taken
        self.max_group = max_group
        self.gather_seconds = gather_seconds
        self._last_group = 0
        self.name = name
        self.groups = 0
        """Groups written so far (each one ``save_all`` call)."""
        self._queue: queue.SimpleQueue[tuple[T, Future[R | None]] | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stopped = False

    def submit(self, item: T) -> R | None:
        """Save ``item`` with whatever else is queued; None when saved, else what ``save_one`` answered."""
        future: Future[R | None] = Future()
        self._ensure_started()
        self._queue.put((item, future))
        return future.result()

    def stop(self) -> None:
        """Finish what is queued and end the writer thread."""
        with self._start_lock:
            self._stopped = True
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._stopped:
                raise RuntimeError(f"{self.name} is stopped")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            if self.gather_seconds > 0 and self._last_group > 1:
                time.sleep(self.gather_seconds)
            group = [first]
            stop = False
            while len(group) < self.max_group:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                group.append(more)
            self._last_group = len(group)
            self._write(group)  # type: ignore[arg-type]
            if stop:
                return

    def _write(self, group: list[Waiter]) -> None:
        self.groups += 1
        try:
            self.save_all([item for item, _ in group])
        except self.collision:
            self._answer(*self._write_around_collisions(group))
            return
        except BaseException as exc:  # the database is down, say: every waiter hears it
            for _, future in group:
                future.set_exception(exc)
            return
        self._answer([(entry, None, None) for entry in group], [item for item, _ in group])

    def _write_around_collisions(self, group: list[Waiter]) -> tuple[list[Answer], list[Any]]:
        """After a group collided: the items whose ids are free saved as one group again, the rest one by one.

        Returns each waiter's answer (in the group's order) and the items saved."""
        if self.key is None or self.taken is None:
            return self._one_by_one(group)
        try:
            recorded = self.taken([self.key(item) for item, _ in group])
        except Exception:  # the group still gets its answers, one by one
            log.exception("%s: finding the taken ids failed", self.name)
            return self._one_by_one(group)
        fresh: list[Waiter] = []
        colliding: list[Waiter] = []
        keys: set[Hashable] = set()
        for entry in group:
            k = self.key(entry[0])
            (colliding if k in recorded or k in keys else fresh).append(entry)
            keys.add(k)
        if not fresh:
            return self._one_by_one(group)
        self.groups += 1
        try:
            self.save_all([item for item, _ in fresh])
        except self.collision:  # taken in between (another process): every item on its own
            return self._one_by_one(group)
        except BaseException as exc:
            answers, saved = self._one_by_one(colliding)
            return [(entry, None, exc) for entry in fresh] + answers, saved
        answers, saved = self._one_by_one(colliding)
        return [(entry, None, None) for entry in fresh] + answers, [item for item, _ in fresh] + saved

    def _one_by_one(self, group: list[Waiter]) -> tuple[list[Answer], list[Any]]:
        answers: list[Answer] = []
        for entry in group:
            try:
                answers.append((entry, self.save_one(entry[0]), None))
            except BaseException as exc:
                answers.append((entry, None, exc))
        return answers, [entry[0] for entry, _, exc in answers if exc is None]

    def _answer(self, answers: list[Answer], saved: list[Any]) -> None:
        """Hand the saved items to ``after_group``, then answer each waiter."""
        self._after(saved)
        for (_, future), answer, exc in answers:
            if exc is not None:
                future.set_exception(exc)
            else:
                future.set_result(answer)

    def _after(self, items: list[Any]) -> None:
        if self.after_group is None:
            return
        try:
            self.after_group(items)
        except Exception:  # the items are saved; a reader catches up by itself later
            log.exception("%s: after_group failed", self.name)
