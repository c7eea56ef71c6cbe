"""The auditor's view of one service's event log: histories, past states, export, tree and checkpoints."""

from __future__ import annotations

import base64
import datetime as dt
import threading
from typing import Any, Iterator
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import StoredEvent

from contracts.audit import (
    AggregateAsOf, AggregateHistory, Checkpoint, CheckpointKey, ConsistencyProof, ExportLine,
    HistoryEntry, InclusionProof,
)
from shared.audit import checkpoint as signing
from shared.audit import legacy
from shared.audit.authentication import EventNotAuthenticated, without_tag
from shared.audit.merkle import EMPTY_ROOT, consistency_path, inclusion_path, node_hash, split_point
from shared.audit.projections import EventOutOfOrder, aggregate_text, instant_text, latest_versions
from shared.errors import Invalid, NotFound
from shared.persistence import ReadStore

EXPORT_PAGE = 500
_ENCODER = msgspec.json.Encoder(enc_hook=str)

CHECKPOINTS_DDL = (
    "CREATE TABLE IF NOT EXISTS audit_checkpoints ("
    " tree_size BIGINT NOT NULL, root_hash TEXT NOT NULL, timestamp TEXT NOT NULL, key_id TEXT NOT NULL,"
    " public_key TEXT NOT NULL, signature TEXT NOT NULL, PRIMARY KEY (tree_size, timestamp))"
)


def decode_state(app: Application, stored: StoredEvent) -> dict[str, Any] | None:
    """The stored event's body as plain values, or None if the stored bytes do not decode."""
    mapper = app.mapper
    try:
        state = without_tag(bytes(stored.state))  # for reading: whether it authenticates is verify's question
        if mapper.cipher:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor:
            state = mapper.compressor.decompress(state)
        body = mapper.transcoder.decode(state)
    except Exception:  # noqa: BLE001 - altered bytes fail in many ways (cipher tag, JSON, ...)
        return None
    return msgspec.to_builtins(body, enc_hook=str)


class AuditLog:
    """Read-only audit queries over a service's event log and its audit read models."""

    def __init__(self, app: Any, store: ReadStore):
        self.app = app
        self.store = store
        self._signed_size = -1
        self._secret: bytes | None = None
        self._checkpoint_lock = threading.Lock()

    def create_tables(self) -> None:
        with self.store.transaction(commit=True) as cur:
            cur.execute(CHECKPOINTS_DDL)
            for statement in legacy.DDL:
                cur.execute(statement)

    # History and past states ----------------------------------------------------------------

    def history(self, aggregate_id: UUID | str) -> AggregateHistory:
        """Every stored event of an aggregate in version order, with time, actor and reason."""
        aggregate_id = UUID(str(aggregate_id))
        self.app.projector.catch_up("aggregate_versions")
        stored = self.app.recorder.select_events(aggregate_id)
        if not stored:
            raise NotFound(f"nothing was ever recorded for aggregate {aggregate_id}")
        positions = {
            int(r["version"]): int(r["notification_id"])
            for r in self.store.query(
                "SELECT version, notification_id FROM aggregate_versions WHERE aggregate_id = ?", (str(aggregate_id),)
            )
        }
        entries = []
        for s in stored:
            body = decode_state(self.app, s) or {}
            entries.append(HistoryEntry(
                version=s.originator_version, position=positions.get(s.originator_version),
                recorded_at=str(body.get("timestamp", "")), topic=s.topic,
                actor=body.get("actor"), reason=body.get("reason"), body=body,
            ))
        return AggregateHistory(aggregate_id=str(aggregate_id), events=entries)

    def version_at(self, aggregate_id: UUID | str, instant: dt.datetime) -> tuple[int, str] | None:
        """The aggregate's latest version recorded at or before ``instant`` (one indexed query)."""
        self.app.projector.catch_up("aggregate_versions")
        row = self.store.query_one(
            "SELECT version, recorded_at FROM aggregate_versions WHERE aggregate_id = ? AND recorded_at <= ?"
            " ORDER BY recorded_at DESC, version DESC LIMIT 1",
            (aggregate_text(aggregate_id), instant_text(instant)),
        )
        return None if row is None else (int(row["version"]), row["recorded_at"])

    def position_at(self, instant: dt.datetime) -> int:
        """The last log position recorded at or before ``instant`` (0 if none): replay up to it for as-of reports."""
        self.app.projector.catch_up("aggregate_versions")
        row = self.store.query_one(
            "SELECT MAX(notification_id) AS position FROM aggregate_versions WHERE recorded_at <= ?",
            (instant_text(instant),),
        )
        return int(row["position"] or 0) if row else 0

    def as_of(self, aggregate_id: UUID | str, instant: dt.datetime) -> AggregateAsOf:
        """The aggregate as recorded at ``instant`` (404 if it did not exist yet)."""
        aggregate_id = UUID(str(aggregate_id))
        found = self.version_at(aggregate_id, instant)
        if found is None:
            raise NotFound(f"aggregate {aggregate_id} had no recorded events at {instant_text(instant)}")
        version, recorded_at = found
        try:
            aggregate = self.app.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(f"aggregate {aggregate_id} had no recorded events at {instant_text(instant)}") from None
        state = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
        return AggregateAsOf(
            aggregate_id=str(aggregate_id), as_of=instant_text(instant), version=version, recorded_at=recorded_at,
            topic=getattr(type(aggregate), "TOPIC", type(aggregate).__qualname__),
            state=msgspec.to_builtins(state, enc_hook=str),
        )

    # Integrity -------------------------------------------------------------------------------

    def check_next_event(self) -> None:
        """Raise (503) when the next event to apply was not written by the service, or is out of its aggregate's order.

        The projector refuses such an event (``AuthenticatingMapper``, ``VersionIndexProjection``),
        so the audit read model, and with it every checkpoint, stays before it; ``/ready`` says so,
        naming the position.
        """
        position = self.app.projector.position()
        following = self.app.recorder.select_notifications(start=position, limit=1, inclusive_of_start=False)
        if not following:
            return
        event = following[0]
        try:
            self.app.mapper.authenticated_state(event)
            aggregate = aggregate_text(event.originator_id)
            previous = latest_versions(self.store.query, [aggregate])[0].get(aggregate, 0)
            if event.originator_version != previous + 1:
                raise EventOutOfOrder(aggregate, event.originator_version, previous, event.id)
        except (EventNotAuthenticated, EventOutOfOrder) as exc:
            exc.detail = f"the audit read model stopped at position {position}: {exc.detail}"
            exc.extra.update(read_model="audit", position=exc.position)
            raise

    # Export ---------------------------------------------------------------------------------

    def export_lines(self, page: int = EXPORT_PAGE) -> Iterator[bytes]:
        """The whole log in notification order as NDJSON lines, read page by page."""
        position, index = 0, 0
        while True:
            notifications = self.app.recorder.select_notifications(start=position, limit=page, inclusive_of_start=False)
            if not notifications:
                return
            for n in notifications:
                body = decode_state(self.app, n)
                line = ExportLine(
                    leaf_index=index, position=n.id, aggregate_id=aggregate_text(n.originator_id),
                    version=n.originator_version, topic=n.topic,
                    recorded_at=str(body["timestamp"]) if body and "timestamp" in body else None,
                    state=base64.b64encode(bytes(n.state)).decode(), event=body,
                )
                index += 1
                yield _ENCODER.encode(line) + b"\n"
            position = notifications[-1].id

    # The Merkle tree ------------------------------------------------------------------------

    def tree_size(self, *, catch_up: bool = True) -> int:
        """How many events the tree holds (after bringing the read models up to date)."""
        if catch_up:
            self.app.projector.catch_up("merkle")
        row = self.store.query_one("SELECT MAX(leaf_index) AS last FROM merkle_leaves")
        return 0 if row is None or row["last"] is None else int(row["last"]) + 1

    def subtree(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end) from the stored leaf and complete-subtree hashes."""
        size = end - start
        if size <= 0:
            return EMPTY_ROOT
        if size & (size - 1) == 0 and start % size == 0:
            level = size.bit_length() - 1
            if level == 0:
                row = self.store.query_one("SELECT leaf_hash AS hash FROM merkle_leaves WHERE leaf_index = ?", (start,))
            else:
                row = self.store.query_one(
                    "SELECT hash FROM merkle_nodes WHERE level = ? AND node_index = ?", (level, start >> level)
                )
            if row is None:
                raise NotFound(f"the tree has no leaves [{start}, {end})")
            return bytes.fromhex(row["hash"])
        k = split_point(size)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self, size: int) -> bytes:
        return self.subtree(0, size)

    def _check_size(self, size: int, name: str) -> None:
        current = self.tree_size()
        if not 0 <= size <= current:
            raise Invalid(f"{name} must be between 0 and the current tree size {current}", field=name)

    def inclusion(self, position: int, tree_size: int) -> InclusionProof:
        """Proof that the event at ``position`` is leaf of the tree of ``tree_size`` leaves."""
        self._check_size(tree_size, "tree_size")
        row = self.store.query_one(
            "SELECT leaf_index, leaf_hash FROM merkle_leaves WHERE notification_id = ?", (position,)
        )
        if row is None:
            raise NotFound(f"no event at position {position}")
        index = int(row["leaf_index"])
        if index >= tree_size:
            raise Invalid(f"the event at position {position} is leaf {index}, not in a tree of size {tree_size}",
                          field="tree_size")
        path = inclusion_path(index, tree_size, self.subtree)
        return InclusionProof(
            position=position, leaf_index=index, tree_size=tree_size, leaf_hash=row["leaf_hash"],
            root_hash=self.root(tree_size).hex(), path=[p.hex() for p in path],
        )

    def consistency(self, first: int, second: int) -> ConsistencyProof:
        """Proof that the tree of ``first`` leaves is a prefix of the tree of ``second`` leaves."""
        self._check_size(second, "second")
        if not 0 <= first <= second:
            raise Invalid("first must be between 0 and second", field="first")
        path = consistency_path(first, second, self.subtree)
        return ConsistencyProof(
            first=first, second=second, first_root=self.root(first).hex(), second_root=self.root(second).hex(),
            path=[p.hex() for p in path],
        )

    def leaf_rows(self, page: int = EXPORT_PAGE) -> Iterator[Any]:
        """The stored leaves in order, page by page."""
        after = -1
        while True:
            rows = self.store.query(
                "SELECT leaf_index, notification_id, aggregate_id, version, topic, leaf_hash FROM merkle_leaves"
                " WHERE leaf_index > ? ORDER BY leaf_index LIMIT ?", (after, page),
            )
            if not rows:
                return
            yield from rows
            after = int(rows[-1]["leaf_index"])

    # Checkpoints ----------------------------------------------------------------------------

    def _checkpoint_secret(self) -> bytes | None:
        if self._secret is None:
            self._secret = self.app.settings.resolved_checkpoint_key()
        return self._secret

    def _key(self) -> Any:
        secret = self._checkpoint_secret()
        if secret is None:
            raise signing.CheckpointKeyMissing("no checkpoint key: set CARECRED_CHECKPOINT_KEY (64 hex digits)")
        return signing.signing_key(secret, self.app.service)

    def public_key(self) -> CheckpointKey:
        public = signing.public_key_bytes(self._key().public_key())
        return CheckpointKey(service=self.app.service, algorithm="Ed25519", key_id=signing.key_id(public),
                             public_key=base64.b64encode(public).decode())

    def checkpoint(self) -> Checkpoint:
        """Sign the current tree, record the checkpoint and return it."""
        key = self._key()
        with self._checkpoint_lock:
            size = self.tree_size()
            now = instant_text(dt.datetime.now(dt.UTC))
            signed = signing.sign(key, self.app.service, size, self.root(size), now)
            with self.store.transaction(commit=True) as cur:
                cur.execute(
                    "INSERT INTO audit_checkpoints (tree_size, root_hash, timestamp, key_id, public_key, signature)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (signed.tree_size, signed.root_hash, signed.timestamp, signed.key_id, signed.public_key,
                     signed.signature),
                )
            self._signed_size = max(self._signed_size, size)
            return signed

    def checkpoints(self) -> list[Checkpoint]:
        rows = self.store.query(
            "SELECT tree_size, root_hash, timestamp, key_id, public_key, signature FROM audit_checkpoints"
            " ORDER BY tree_size, timestamp"
        )
        return [Checkpoint(service=self.app.service, **dict(r)) for r in rows]

    def checkpoint_if_due(self) -> Checkpoint | None:
        """Publish a checkpoint when the log has grown by ``checkpoint_every`` events since the last one."""
        every = self.app.settings.checkpoint_every
        if every <= 0 or self._checkpoint_secret() is None:
            return None
        if self._signed_size < 0:
            row = self.store.query_one("SELECT MAX(tree_size) AS size FROM audit_checkpoints")
            self._signed_size = int(row["size"]) if row and row["size"] is not None else 0
        if self.tree_size(catch_up=False) - self._signed_size < every:
            return None
        return self.checkpoint()
