"""Group commit: concurrent requests hand their new aggregates to one writer, saved many per transaction.

A database commits a transaction at a fixed cost (a log flush); a request that saves one
aggregate pays it alone. Here each request enqueues its already-checked item and waits;
one writer thread takes everything queued and saves it with one ``save_all(items)``. When
that collides (one item's id was already taken, or two items in the group share an id), the
writer saves the group's items one by one, so each request still gets its own answer.
Items are recipes (say, an aggregate's constructor arguments), not aggregates: a failed save
has already taken an aggregate's pending events, so each attempt builds its aggregates afresh.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from typing import Callable, Generic, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

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
        max_group: int = 256,
        gather_seconds: float = 0.0,
        name: str = "group-commit",
    ):
        """``save_all`` saves a group in one transaction or raises ``collision``; ``save_one`` saves one item.

        ``after_group(items)`` runs once after each group is saved, before its waiters are answered
        (a service brings its read models up to date there, once for the whole group, and may
        note on each item what its waiter needs to answer with).

        ``gather_seconds``: while items come concurrently (the last group held more than one), the writer,
        holding a first item, waits this long before taking the rest, so more join the group and its one
        transaction (and read-model catch-up) is shared by more (PostgreSQL's ``commit_delay`` with
        ``commit_siblings``). A lone item, after a group of one, is written at once.
        """
        self.save_all = save_all
        self.after_group = after_group
        self.save_one = save_one
        self.collision = collision
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

    def _write(self, group: list[tuple[T, Future[R | None]]]) -> None:
        self.groups += 1
        try:
            self.save_all([item for item, _ in group])
        except self.collision:
            self._write_one_by_one(group)
            return
        except BaseException as exc:  # the database is down, say: every waiter hears it
            for _, future in group:
                future.set_exception(exc)
            return
        self._after([item for item, _ in group])
        for _, future in group:
            future.set_result(None)

    def _write_one_by_one(self, group: list[tuple[T, Future[R | None]]]) -> None:
        answers: list[tuple[Future[R | None], R | None, BaseException | None]] = []
        for item, future in group:
            try:
                answers.append((future, self.save_one(item), None))
            except BaseException as exc:
                answers.append((future, None, exc))
        self._after([item for (item, _), (_, _, exc) in zip(group, answers) if exc is None])
        for future, answer, exc in answers:
            if exc is not None:
                future.set_exception(exc)
            else:
                future.set_result(answer)

    def _after(self, items: list[T]) -> None:
        if self.after_group is None:
            return
        try:
            self.after_group(items)
        except Exception:  # the items are saved; a reader catches up by itself later
            log.exception("%s: after_group failed", self.name)
