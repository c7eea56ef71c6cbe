"""Signed annual figures: the registrar publishes a year's targets and figures, bound to a Merkle checkpoint.

Publishing signs a checkpoint of the log, rebuilds the read models from exactly that prefix of
the log (``shared.audit.replay.log_prefix``) and computes the figures there, with the training
totals received by the checkpoint's time. Verifying does the same again from the current log
and compares: a figure that was altered, or a checkpoint that does not match the log, fails.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from contracts.audit import Checkpoint
from contracts.district import AnnualFigures, NewAnnualFigures, SignedAnnualFigures
from services.credential.application.certificates import Certificates
from services.credential.application.common import today
from services.credential.application.nurseries import NurseryLifecycle
from services.credential.application.policy import Policies
from services.credential.application.queries import Reports
from services.credential.application.inspections import InspectionReports
from services.credential.application.targets import PlanTargets
from services.credential.read_models.training_status import DDL as TRAINING_DDL
from shared.audit import checkpoint as signing
from shared.audit.replay import log_prefix
from shared.application import ServiceApplication
from shared.errors import Invalid, NotFound

FORMAT = "carecred-figures/v1"
DDL = ("CREATE TABLE IF NOT EXISTS annual_figures (year INTEGER NOT NULL, published_at TEXT NOT NULL,"
       " document TEXT NOT NULL, PRIMARY KEY (year, published_at))")


def signed_bytes(document: AnnualFigures) -> bytes:
    return f"{FORMAT}\n".encode() + msgspec.json.encode(document)


class _Caught:
    """A projector that is always caught up: the prefix's tables are complete once built."""

    def catch_up(self, *names: str, **_: Any) -> int:
        return 0


class _Prefix:
    """The parts of the service application the queries read, over the tables rebuilt from a log prefix."""

    def __init__(self, store: Any):
        self.store = store
        self.projector = _Caught()


class _TrainingReceived:
    """The training feed's state for the figures: as received by the checkpoint's time."""

    def __init__(self, moment: str):
        self.moment = dt.datetime.fromisoformat(moment)

    def up_to_date_as_of(self) -> dt.datetime:
        return self.moment


def _copy_training(live: Any, prefix: Any, cutoff: str) -> None:
    """The training totals as received by ``cutoff``: they are the training service's facts, not this log's."""
    rows = live.query("SELECT staff_id, year, source_position, skills_hours, ethics_hours, skills_required,"
                      " ethics_required, updated_at FROM training_totals_history WHERE updated_at <= ?"
                      " ORDER BY source_position", (cutoff,))
    with prefix.transaction(commit=True) as cur:
        for statement in TRAINING_DDL:
            cur.execute(statement)
        for r in rows:
            values = (r["staff_id"], r["year"], r["skills_hours"], r["ethics_hours"], r["skills_required"],
                      r["ethics_required"], r["source_position"], r["updated_at"])
            cur.execute("INSERT INTO training_totals_history (staff_id, year, skills_hours, ethics_hours,"
                        " skills_required, ethics_required, source_position, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        values)
            cur.execute("INSERT INTO training_totals (staff_id, year, skills_hours, ethics_hours, skills_required,"
                        " ethics_required, source_position, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                        " ON CONFLICT (staff_id, year) DO UPDATE SET skills_hours = excluded.skills_hours,"
                        " ethics_hours = excluded.ethics_hours, skills_required = excluded.skills_required,"
                        " ethics_required = excluded.ethics_required, source_position = excluded.source_position,"
                        " updated_at = excluded.updated_at", values)


class AnnualFiguresPublisher:
    """Publish a year's figures signed and bound to a checkpoint; verify published figures against the log."""

    def __init__(self, records: ServiceApplication):
        self.records = records

    def create_tables(self) -> None:
        with self.records.store.transaction(commit=True) as cur:
            cur.execute(DDL)

    def _key(self) -> Any:
        secret = self.records.settings.resolved_checkpoint_key()
        if secret is None:
            raise signing.CheckpointKeyMissing("no checkpoint key: set CARECRED_CHECKPOINT_KEY (64 hex digits)")
        return signing.signing_key(secret, self.records.service)

    def _last_position(self, tree_size: int) -> int:
        if tree_size == 0:
            return 0
        row = self.records.store.query_one("SELECT notification_id FROM merkle_leaves WHERE leaf_index = ?",
                                           (tree_size - 1,))
        if row is None:
            raise NotFound(f"the log has no event {tree_size}")
        return int(row["notification_id"])

    def compute(self, year: int, on: dt.date, checkpoint: Checkpoint) -> AnnualFigures:
        """The figures from the first ``checkpoint.tree_size`` events (and training received by its time)."""
        last = self._last_position(checkpoint.tree_size)
        with log_prefix(self.records, last) as store:
            _copy_training(self.records.store, store, checkpoint.timestamp)
            prefix = _Prefix(store)
            policies = Policies(prefix)  # type: ignore[arg-type]
            certificates = Certificates(prefix, policies, None)  # type: ignore[arg-type]
            reports = Reports(prefix, policies, certificates, None, _TrainingReceived(checkpoint.timestamp))  # type: ignore[arg-type]
            targets = PlanTargets(NurseryLifecycle(prefix, None), reports, InspectionReports(prefix))  # type: ignore[arg-type]
            planned = targets.targets(on=on)
            figures = reports.district_figures(on=on)
        return AnnualFigures(
            format=FORMAT, service=self.records.service, year=year, on=on.isoformat(), checkpoint=checkpoint,
            last_position=last, targets=msgspec.structs.replace(planned, computed_at=checkpoint.timestamp),
            figures=figures,
        )

    def publish(self, data: NewAnnualFigures) -> SignedAnnualFigures:
        on = data.on or min(dt.date(data.year, 12, 31), today())
        if on.year != data.year:
            raise Invalid(f"on must be a date of {data.year}", field="on")
        key = self._key()
        checkpoint = self.records.audit.checkpoint()  # type: ignore[attr-defined]
        document = self.compute(data.year, on, checkpoint)
        public = signing.public_key_bytes(key.public_key())
        signed = SignedAnnualFigures(
            document=document, key_id=signing.key_id(public), public_key=base64.b64encode(public).decode(),
            signature=base64.b64encode(key.sign(signed_bytes(document))).decode(),
        )
        with self.records.store.transaction(commit=True) as cur:
            cur.execute(DDL)
            cur.execute("INSERT INTO annual_figures (year, published_at, document) VALUES (?, ?, ?)",
                        (data.year, checkpoint.timestamp, msgspec.json.encode(signed).decode()))
        return signed

    def published(self, year: int) -> SignedAnnualFigures:
        """The latest figures published for the year."""
        row = self.records.store.query_one(
            "SELECT document FROM annual_figures WHERE year = ? ORDER BY published_at DESC LIMIT 1", (year,))
        if row is None:
            raise NotFound(f"no figures were published for {year}")
        return msgspec.json.decode(row["document"], type=SignedAnnualFigures)

    def verify(self, signed: SignedAnnualFigures, trusted_public_key: bytes) -> list[str]:
        """Every reason the published figures do not hold (empty: signed, bound to this log, and recomputed equal)."""
        problems = []
        if base64.b64decode(signed.public_key) != trusted_public_key:
            problems.append(f"the figures name key {signed.key_id}, not the trusted key {signing.key_id(trusted_public_key)}")
        try:
            Ed25519PublicKey.from_public_bytes(trusted_public_key).verify(
                base64.b64decode(signed.signature), signed_bytes(signed.document))
        except (InvalidSignature, ValueError):
            problems.append("the figures' signature does not verify: the document was altered after signing")
        document = signed.document
        if (why := signing.verify(document.checkpoint, trusted_public_key)) is not None:
            problems.append(why)
        size = self.records.audit.tree_size()  # type: ignore[attr-defined]
        if document.checkpoint.tree_size > size:
            problems.append(f"the checkpoint has {document.checkpoint.tree_size} events, the log only {size}")
            return problems
        root = self.records.audit.root(document.checkpoint.tree_size).hex()  # type: ignore[attr-defined]
        if root != document.checkpoint.root_hash:
            problems.append(f"the log's first {document.checkpoint.tree_size} events have root {root},"
                            f" not the checkpoint's {document.checkpoint.root_hash}")
            return problems
        again = self.compute(document.year, dt.date.fromisoformat(document.on), document.checkpoint)
        problems += differences(document, again)
        return problems


def differences(published: AnnualFigures, recomputed: AnnualFigures) -> list[str]:
    """Each published figure that the log prefix does not give, named by its path."""
    found: list[str] = []

    def walk(path: str, a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                walk(f"{path}.{k}", a.get(k), b.get(k))
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                label = x.get("code") or x.get("town") or x.get("nursery_id") or i if isinstance(x, dict) else i
                walk(f"{path}[{label}]", x, y)
        elif a != b:
            found.append(f"{path}: published {json.dumps(a, ensure_ascii=False)}, the log gives {json.dumps(b, ensure_ascii=False)}")

    walk("figures", msgspec.to_builtins(published), msgspec.to_builtins(recomputed))
    return found
