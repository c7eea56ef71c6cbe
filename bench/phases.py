"""Phase timers: the CPU a request spends in each part of the service, measured per thread.

``Phases.install()`` wraps named functions (the key check, strict decoding, the use case, the
aggregate's creation, event encoding and its HMAC tag, every PostgreSQL round trip, the
projector, response encoding, logging) so that each call adds its thread's CPU time
(``time.thread_time_ns``) to its phase, *exclusive* of the phases it calls: a round trip inside
the key check counts as storage, not as auth. Coroutines are timed step by step (the time between
two awaits), so one request's phase never absorbs another request's work while it waits. Whatever
is not in a phase (Litestar's routing, middleware, dependency injection, thread hand-offs, the
ASGI server) is the remainder, which ``bench/profile_paths.py`` reports as the framework.

Round trips are counted where psycopg waits on the server (``Connection.wait``): each query,
``BEGIN``, ``COMMIT`` and lock is one. Everything here is for measuring only; nothing in the
services imports it.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

STORAGE = "storage (psycopg calls and waits)"


@dataclass
class Totals:
    cpu_ns: int = 0
    wall_ns: int = 0
    calls: int = 0


@dataclass
class Phases:
    """The phases' totals since ``reset``; ``install`` wraps the functions, ``uninstall`` puts them back."""

    totals: dict[str, Totals] = field(default_factory=dict)
    trips_by_caller: dict[str, int] = field(default_factory=dict)
    """Round trips by the phase that made them."""
    statements: dict[str, int] | None = None
    """With ``count_statements``: each SQL statement's count (its first 100 characters)."""
    _local: threading.local = field(default_factory=threading.local)
    _undo: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.totals = {}
            self.trips_by_caller = {}
            if self.statements is not None:
                self.statements = {}

    # Timing ------------------------------------------------------------------------------------

    def _stack(self) -> list[list[Any]]:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def enter(self, phase: str) -> None:
        self._stack().append([phase, time.thread_time_ns(), time.perf_counter_ns(), 0])

    def leave(self) -> None:
        phase, cpu0, wall0, inner = self._stack().pop()
        spent = time.thread_time_ns() - cpu0
        wall = time.perf_counter_ns() - wall0
        stack = self._stack()
        if stack:
            stack[-1][3] += spent  # the caller's phase does not count it again
        with self._lock:
            t = self.totals.setdefault(phase, Totals())
            t.cpu_ns += spent - inner
            t.wall_ns += wall
            t.calls += 1

    # Wrapping ----------------------------------------------------------------------------------

    def timed(self, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        phases = self
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def timed_coroutine(*args: Any, **kwargs: Any) -> Any:
                return await _Steps(phases, phase, fn(*args, **kwargs))
            return timed_coroutine

        @functools.wraps(fn)
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            phases.enter(phase)
            try:
                return fn(*args, **kwargs)
            finally:
                phases.leave()
        return timed_call

    def wrap(self, owner: Any, name: str, phase: str) -> None:
        """Time ``owner.name`` (a function, method, classmethod or staticmethod) as ``phase``."""
        raw = inspect.getattr_static(owner, name)
        if isinstance(raw, classmethod):
            replacement: Any = classmethod(self.timed(phase, raw.__func__))
        elif isinstance(raw, staticmethod):
            replacement = staticmethod(self.timed(phase, raw.__func__))
        else:
            replacement = self.timed(phase, raw)
        setattr(owner, name, replacement)
        self._undo.append(lambda: setattr(owner, name, raw))

    def _count_round_trips(self, connection: Any) -> None:
        """Count the waits that went to the server: psycopg's generator yielded (waited on the socket) at least once.

        A ``COMMIT`` of a connection in autocommit, or a pipeline entered, returns without waiting: no round trip.
        """
        phases = self
        timed = connection.wait

        def counted(gen: Any) -> Any:
            try:
                wanted = gen.send(None)
            except StopIteration as stop:
                return stop.value
            stack = phases._stack()
            caller = stack[-2][0] if len(stack) > 1 else "(no phase)"
            with phases._lock:
                phases.trips_by_caller[caller] = phases.trips_by_caller.get(caller, 0) + 1
            while True:
                try:
                    ready = yield wanted
                except BaseException as exc:  # noqa: BLE001 - handed on, as the waiting loop would
                    try:
                        wanted = gen.throw(exc)
                    except StopIteration as stop:
                        return stop.value
                    continue
                try:
                    wanted = gen.send(ready)
                except StopIteration as stop:
                    return stop.value

        def wait(conn: Any, gen: Any, *args: Any, **kwargs: Any) -> Any:
            return timed(conn, counted(gen), *args, **kwargs)
        connection.wait = wait
        self._undo.append(lambda: setattr(connection, "wait", timed))

    def round_trips(self) -> int:
        return sum(self.trips_by_caller.values())

    def count_statements(self) -> None:
        """Also count each SQL statement psycopg is asked to run (to see where round trips come from)."""
        import psycopg

        self.statements = {}
        self._count_calls(psycopg.Cursor, "execute", lambda cur, query: _statement(cur, query)[:100])
        self._count_calls(psycopg.Cursor, "executemany",
                          lambda cur, query: "executemany: " + _statement(cur, query)[:90])
        self._count_calls(psycopg.Connection, "wait",
                          lambda conn, gen: "wait: " + getattr(gen, "__qualname__", type(gen).__name__))

    def _count_calls(self, owner: Any, name: str, key_of: Callable[[Any, Any], str]) -> None:
        """Replace ``owner.name`` by one that counts each call under ``key_of(self, first argument)``."""
        raw = getattr(owner, name)
        phases = self

        def counted(target: Any, *args: Any, **kwargs: Any) -> Any:
            # the first argument may come by keyword (eventsourcing calls ``execute(query=..., params=...)``)
            first = args[0] if args else next(iter(kwargs.values()), None)
            key = key_of(target, first)
            with phases._lock:
                if phases.statements is not None:
                    phases.statements[key] = phases.statements.get(key, 0) + 1
            return raw(target, *args, **kwargs)
        setattr(owner, name, counted)
        self._undo.append(lambda: setattr(owner, name, raw))

    def install(self) -> None:
        """Wrap the functions each phase is made of (import here: the services are loaded only to measure)."""
        import logging

        import psycopg
        from eventsourcing.domain import MetaAggregate
        from litestar._signature.model import SignatureModel
        from litestar.response.base import Response

        import shared.http.app
        from services.credential.application.badges import Badges
        from services.credential.badges.verifier import Verifier
        from services.training.application.posting import Posting
        from shared.application import ServiceApplication
        from shared.audit.authentication import AuthenticatingMapper, EventAuthenticator
        from shared.projection import Projector

        self.wrap(ServiceApplication, "authenticate_at", "auth (API key check)")
        self.wrap(shared.http.app, "strict_body", "decode (strict JSON, msgspec, text policy)")
        self.wrap(SignatureModel, "parse_values_from_connection_kwargs", "decode (litestar parameters)")
        self.wrap(Posting, "post_completions", "use case (checks, lookups)")
        self.wrap(Posting, "save_completion_group", "use case (checks, lookups)")
        self.wrap(Posting, "after_completion_group", "use case (checks, lookups)")
        self.wrap(Badges, "verify", "use case (checks, lookups)")
        self.wrap(Verifier, "verify", "badge decode and ES256 verify")
        self.wrap(MetaAggregate, "__call__", "domain (aggregates, events)")
        self.wrap(AuthenticatingMapper, "to_stored_event", "event encoding (transcoder)")
        self.wrap(EventAuthenticator, "wrap", "event HMAC tag")
        self.wrap(AuthenticatingMapper, "to_domain_event", "event decoding (projector reads)")
        self.wrap(ServiceApplication, "save", "event store (eventsourcing save)")
        self.wrap(Projector, "catch_up", "projection")
        self.wrap(Projector, "catch_up_past", "projection")
        self.wrap(psycopg.Connection, "wait", STORAGE)
        self._count_round_trips(psycopg.Connection)
        self.wrap(Response, "to_asgi_response", "response encoding")
        self.wrap(logging.Logger, "handle", "logging")

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    # Reading -----------------------------------------------------------------------------------

    def per_request(self, requests: int) -> dict[str, dict[str, float]]:
        """Each phase: CPU ms, wall ms and calls per request."""
        return {phase: {"cpu_ms": t.cpu_ns / 1e6 / requests, "wall_ms": t.wall_ns / 1e6 / requests,
                        "calls": t.calls / requests}
                for phase, t in sorted(self.totals.items(), key=lambda kv: -kv[1].cpu_ns)}


class _Steps:
    """Await a coroutine, timing each of its steps (between two awaits) as one phase call."""

    def __init__(self, phases: Phases, phase: str, coroutine: Any):
        self.phases, self.phase, self.coroutine = phases, phase, coroutine

    def __await__(self) -> Any:
        value: Any = None
        error: BaseException | None = None
        while True:
            self.phases.enter(self.phase)
            try:
                step = self.coroutine.throw(error) if error is not None else self.coroutine.send(value)
            except StopIteration as stop:
                return stop.value
            finally:
                self.phases.leave()
            try:
                value, error = (yield step), None
            except BaseException as exc:  # noqa: BLE001 - handed to the coroutine, as await would
                value, error = None, exc


def _statement(cur: Any, query: Any) -> str:
    """A statement's text on one line."""
    text = query if isinstance(query, str) else query.as_string(cur) if hasattr(query, "as_string") else repr(query)
    return " ".join(str(text).split())
