"""The auditor's API, the same in both services: histories, past states, export, checkpoints, proofs."""

from __future__ import annotations

from typing import Annotated, Any, Iterator
from uuid import UUID

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter
from litestar.response import Stream

from contracts.audit import (
    AggregateAsOf, AggregateHistory, Checkpoint, CheckpointKey, ConsistencyProof, InclusionProof,
)
from contracts.keys import Role
from shared.audit.log import EXPORT_PAGE, AuditLog
from shared.auth.roles import Principal
from shared.http.auth import PUBLIC, allow
from shared.http.params import RequiredAsOf, checked_instant

AUDITORS = allow(Role.AUDITOR)
Size = Annotated[int, Parameter(ge=0, le=2**63 - 1)]


class AuditController(Controller):
    """Auditors (审计): every event, any past state, and proof that nothing was altered or deleted."""

    path = "/v1/audit"
    tags = ["audit"]

    @get("/aggregates/{aggregate_id:uuid}/history", guards=[AUDITORS], sync_to_thread=True)
    def history(
        self, audit: NamedDependency[AuditLog],
        aggregate_id: FromPath[UUID], request: Request[Principal, Any, Any],
    ) -> AggregateHistory:
        """Every stored event of one aggregate, in order, with recorded time, actor and reason."""
        return audit.history(aggregate_id)

    @get("/aggregates/{aggregate_id:uuid}", guards=[AUDITORS], sync_to_thread=True)
    def as_of(
        self, audit: NamedDependency[AuditLog],
        aggregate_id: FromPath[UUID],
        request: Request[Principal, Any, Any],
        as_of: RequiredAsOf,
    ) -> AggregateAsOf:
        """The aggregate's state as recorded at the instant ``as_of`` (404 if it did not exist yet)."""
        return audit.as_of(aggregate_id, checked_instant(as_of))

    @get("/export", guards=[AUDITORS])
    async def export(self, audit: NamedDependency[AuditLog], request: Request[Principal, Any, Any]) -> Stream:
        """The whole event log in notification order, streamed as newline-delimited JSON."""

        def chunks() -> Iterator[bytes]:
            # One chunk per page: each chunk is one hop to a worker thread, not each line.
            chunk: list[bytes] = []
            for line in audit.export_lines():
                chunk.append(line)
                if len(chunk) == EXPORT_PAGE:
                    yield b"".join(chunk)
                    chunk = []
            if chunk:
                yield b"".join(chunk)

        return Stream(chunks, media_type="application/x-ndjson")

    @get("/checkpoint", guards=[AUDITORS], sync_to_thread=True)
    def checkpoint(self, audit: NamedDependency[AuditLog], request: Request[Principal, Any, Any]) -> Checkpoint:
        """Sign, record and return a checkpoint of the log as it is now."""
        return audit.checkpoint()

    @get("/checkpoints", guards=[AUDITORS], sync_to_thread=True)
    def checkpoints(self, audit: NamedDependency[AuditLog], request: Request[Principal, Any, Any]) -> list[Checkpoint]:
        """Every checkpoint published so far, by tree size."""
        return audit.checkpoints()

    @get("/public-key", opt={PUBLIC: True}, sync_to_thread=True)
    def public_key(self, audit: NamedDependency[AuditLog], request: Request[Any, Any, Any]) -> CheckpointKey:
        """The Ed25519 public key this service signs its checkpoints with."""
        return audit.public_key()

    @get("/proofs/inclusion", guards=[AUDITORS], sync_to_thread=True)
    def inclusion(self, audit: NamedDependency[AuditLog], request: Request[Principal, Any, Any], position: Annotated[int, Parameter(ge=1, le=2**63 - 1)],
                  tree_size: Size) -> InclusionProof:
        """Proof that the event at ``position`` is in the tree of ``tree_size`` leaves."""
        return audit.inclusion(position, tree_size)

    @get("/proofs/consistency", guards=[AUDITORS], sync_to_thread=True)
    def consistency(
        self, audit: NamedDependency[AuditLog],
        request: Request[Principal, Any, Any], first: Size, second: Size,
    ) -> ConsistencyProof:
        """Proof that the log at size ``first`` is a prefix of the log at size ``second``."""
        return audit.consistency(first, second)
