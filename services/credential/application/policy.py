"""Role policy use cases: the version in force, earlier versions, adopting a new one."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from contracts.command import as_stored
from contracts.policy import PolicyDocument, PolicyView
from services.credential.domain import policy as rules
from services.credential.domain.policy import ROLE_POLICY_ID, Policy, RolePolicy, default_document, load_policy
from services.credential.application.common import SYSTEM_ACTOR, today
from shared.district import DISTRICT_TZ
from shared.application import ServiceApplication
from shared import receipt
from shared.errors import NotFound


class Policies:
    """The versioned role policy (岗位持证要求)."""

    def __init__(self, records: ServiceApplication):
        self.records = records
        self._cache: dict[int, Policy] = {}
        """Adopted versions, loaded once per process."""

    def current_policy(self, *, caught_up: bool = False) -> Policy:
        """The latest adopted version; the shipped default is adopted first if there is none."""
        if not caught_up:
            self.records.projector.catch_up("certification")
        row = self.records.store.query_one("SELECT version FROM policy_versions ORDER BY version DESC LIMIT 1")
        if row is None:
            self._adopt_default()
            row = self.records.store.query_one("SELECT version FROM policy_versions ORDER BY version DESC LIMIT 1")
        return self.policy(int(row["version"]))

    def policy(self, version: int) -> Policy:
        """One adopted version (loaded once per process)."""
        cache = self._cache
        if version not in cache:
            row = self.records.store.query_one("SELECT content FROM policy_versions WHERE version = ?", (version,))
            if row is None:
                raise NotFound(f"no policy version {version}")
            cache[version] = load_policy(version, json.loads(row["content"]))
        return cache[version]

    def policy_on(self, day: dt.date, *, as_of: str | None = None, caught_up: bool = False) -> Policy:
        """The version in force on ``day`` (among those adopted by ``as_of``, when given).

        A version adopted by ``Adopted.v2`` is in force from its ``effective_on``; one adopted by
        ``Adopted.v1`` from its adoption day (Asia/Shanghai), the first version from always.
        """
        if as_of is None:  # every adopted version counts: one query for the schedule
            if not caught_up:
                self.records.projector.catch_up("certification")
            schedule = _schedule(self.records.store)
            if not schedule:
                self._adopt_default()
                schedule = _schedule(self.records.store)
            return self.policy(_in_force(schedule, {version for version, _ in schedule}, day.isoformat()))
        version = in_force_on(self.records.store, day.isoformat(), as_of)
        if version is None:
            raise NotFound("nothing was recorded at that instant")
        return self.policy(version)

    def policy_view(self, version: int | None = None, *, on: dt.date | None = None) -> PolicyView:
        policy = self.current_policy()
        if version is not None:
            policy = self.policy(version)
        elif on is not None:
            policy = self.policy_on(on, caught_up=True)
        row = self.records.store.query_one("SELECT note, adopted_at FROM policy_versions WHERE version = ?", (policy.version,))
        return PolicyView(
            version=policy.version, content_hash=policy.content_hash, adopted_at=row["adopted_at"],
            note=row["note"], content=public_document(policy), effective_on=_effective_dates(self.records.store)[policy.version],
        )

    def adopt_policy(self, document: PolicyDocument, note: str, actor: dict[str, Any],
                     effective_on: dt.date | None = None) -> PolicyView:
        """Adopt a new version (validated; 422 naming the field); the default stays version 1.

        With ``effective_on`` (today or later) it is in force from that day: earlier days keep their answer."""
        self.current_policy()
        role_policy: RolePolicy = self.records.repository.get(ROLE_POLICY_ID)
        role_policy.adopt(msgspec.convert(msgspec.to_builtins(document), type=rules.PolicyDocument), note, actor,
                          effective_on=effective_on, adopted_on=today())
        self.records.save_and_project(role_policy)
        return self.policy_view(role_policy.policy_version)

    def _adopt_default(self) -> None:
        try:
            self.records.repository.get(ROLE_POLICY_ID)
            return
        except AggregateNotFoundError:
            pass
        role_policy = RolePolicy(actor=SYSTEM_ACTOR)
        role_policy.adopt(default_document(), "default policy shipped with carecred", SYSTEM_ACTOR)
        try:
            with receipt.not_the_requests():  # the system's own first step, not the request's change
                self.records.save_and_project(role_policy)
        except IntegrityError:  # another replica adopted it at the same moment
            self.records.projector.catch_up()


def _schedule(store: Any) -> list[tuple[int, str | None]]:
    """Each adopted version with its first day in force (None for the first version: always), in one query."""
    dates: list[tuple[int, str | None]] = []
    for row in store.query("SELECT v.version, v.adopted_at, f.effective_on FROM policy_versions v"
                           " LEFT JOIN policy_in_force f ON f.version = v.version ORDER BY v.version"):
        version = int(row["version"])
        if row["effective_on"] is not None:
            dates.append((version, row["effective_on"]))
        elif not dates:
            dates.append((version, None))
        else:
            dates.append((version, dt.datetime.fromisoformat(row["adopted_at"]).astimezone(DISTRICT_TZ).date().isoformat()))
    return dates


def _effective_dates(store: Any) -> dict[int, str | None]:
    """Each adopted version's first day in force (None for the first version: always)."""
    return dict(_schedule(store))


def _in_force(schedule: list[tuple[int, str | None]], adopted: set[int], day: str) -> int:
    """Among ``adopted``, the latest version in force on ``day`` (the first adopted, before any was in force)."""
    dates = dict(schedule)
    in_force = [v for v in adopted if dates[v] is None or dates[v] <= day]  # type: ignore[operator]
    return max(in_force) if in_force else min(adopted)


def in_force_on(store: Any, day: str, as_of: str | None = None) -> int | None:
    """The version in force on ``day`` among those adopted by ``as_of`` (the first, before any was in force)."""
    adopted = {int(r["version"]) for r in store.query(
        "SELECT version FROM policy_versions" + (" WHERE adopted_at <= ?" if as_of else ""), (as_of,) if as_of else ())}
    if not adopted and as_of:  # asked about an instant before any adoption: the first version
        adopted = {int(r["version"]) for r in store.query("SELECT MIN(version) AS version FROM policy_versions")
                   if r["version"] is not None}
    if not adopted:
        return None
    return _in_force(_schedule(store), adopted, day)


def public_document(policy: Policy) -> PolicyDocument:
    """An adopted version's document in its public form, built as stored (checked when adopted)."""
    with as_stored():
        return msgspec.convert(rules.canonical_content(policy.document), type=PolicyDocument)
