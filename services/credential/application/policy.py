"""Role policy use cases: the version in force, earlier versions, adopting a new one."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from contracts.command import as_stored
from contracts.policy import PolicyDocument, PolicyView
from services.credential.domain import policy as rules
from services.credential.domain.policy import ROLE_POLICY_ID, Policy, RolePolicy, default_document, load_policy
from services.credential.application.common import SYSTEM_ACTOR
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

    def policy_view(self, version: int | None = None) -> PolicyView:
        policy = self.current_policy()
        if version is not None:
            policy = self.policy(version)
        row = self.records.store.query_one("SELECT note, adopted_at FROM policy_versions WHERE version = ?", (policy.version,))
        return PolicyView(
            version=policy.version, content_hash=policy.content_hash, adopted_at=row["adopted_at"],
            note=row["note"], content=public_document(policy),
        )

    def adopt_policy(self, document: PolicyDocument, note: str, actor: dict[str, Any]) -> PolicyView:
        """Adopt a new version (validated; 422 naming the field); the default stays version 1."""
        self.current_policy()
        role_policy: RolePolicy = self.records.repository.get(ROLE_POLICY_ID)
        role_policy.adopt(msgspec.convert(msgspec.to_builtins(document), type=rules.PolicyDocument), note, actor)
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


def public_document(policy: Policy) -> PolicyDocument:
    """An adopted version's document in its public form, built as stored (checked when adopted)."""
    with as_stored():
        return msgspec.convert(rules.canonical_content(policy.document), type=PolicyDocument)
