"""Posting completions, one or fifty thousand at a time: idempotent by the provider's event id.

The pipeline per request: a few queries gather the catalogue, the people named and the
completions already recorded under the same ids; each item is then checked in memory; the
new ones are saved many per transaction. A save that collides (a concurrent retry got there
first) saves the others again as a group (single posts) or one by one (a bulk batch), comparing
each collision with what the event store holds.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from contracts.recorded import Stored
from contracts.training import BulkItemResult, BulkResult, CompletionResult, NewCompletion
from services.training.application.checks import check_against_catalogue, content_of, content_of_row, person_ref
from services.training.domain.completion import Completion, Content, completion_id_for, new_completion
from services.training.domain.hours import hours_of
from services.training.domain.year import training_year
from services.training.application.catalogue import Catalogue
from services.training.application.delivery import Sessions
from services.training.read_models.people import People
from shared import receipt
from shared.application import ServiceApplication
from shared.group_commit import GroupCommit
from shared.errors import Invalid, NotFound
from shared.persistence import query_in

log = logging.getLogger("carecred.training")

SAVE_BATCH = 1000
"""Completions saved per transaction (one ``save(*many)``)."""
GATHER_SECONDS = 0.001
"""While single posts come concurrently, how long the completion writer waits for more to join its group
(its save, catch-up and answer rows are then shared by more requests); after a group of one, it does not wait."""
_ROW_COLUMNS = (
    "c.completion_id, c.position, c.provider_id, c.event_id, c.staff_id, c.course_id, c.course_code, c.category,"
    " c.half_hours, c.completed_at, c.year, c.replaces, c.recorded_at, c.counted, c.reason, c.reversed_at,"
    " c.reversal_reason, c.replaced_by, d.session_code, d.mode, d.trainer_id, d.attendance_id"
)
_ROW_SOURCE = "completions c LEFT JOIN completion_deliveries d ON d.completion_id = c.completion_id"


@dataclass
class Outcome:
    """What became of one posted item."""

    index: int
    event_id: str
    outcome: str  # created | duplicate | conflict | rejected
    completion_id: str | None = None
    error: Invalid | None = None
    differences: list[str] = field(default_factory=list)
    row: Any = None
    """The ledger row when the writer already read it (a single posted completion), else None."""


@dataclass
class Pending:
    """A checked completion queued for the group-commit writer, which notes its ledger row once saved."""

    kwargs: dict[str, Any]
    row: Any = None
    position: int | None = None
    """The log position up to which the writer stored the completion's group, once saved."""

    @property
    def completion_id(self) -> str:
        return str(completion_id_for(self.kwargs["provider_id"], self.kwargs["event_id"]))


def completion_result(row: Any) -> CompletionResult:
    """The answer for a recorded completion (the same for every retry of it)."""
    return CompletionResult(
        completion_id=row["completion_id"], provider_id=row["provider_id"], event_id=row["event_id"],
        staff_id=row["staff_id"], course_code=row["course_code"], category=row["category"],
        class_hours=hours_of(row["half_hours"]), completed_at=row["completed_at"], year=row["year"],
        counted=bool(row["counted"]), reason=row["reason"], recorded_at=row["recorded_at"], replaces=row["replaces"],
        session_code=row["session_code"], mode=row["mode"], trainer_id=row["trainer_id"],
        attendance_id=row["attendance_id"],
    )


def compared(index: int, event_id: str, completion_id: str, recorded: Content, posted: Content) -> Outcome:
    """A retry: ``duplicate`` when it says the same as what is recorded, else ``conflict``."""
    differences = recorded.differences(posted)
    return Outcome(index, event_id, "conflict" if differences else "duplicate", completion_id, differences=differences)


class Posting:
    """Providers post completions; a retry answers what was recorded, a different reuse is a conflict."""

    def __init__(self, records: ServiceApplication, catalogue: Catalogue, people: People,
                 sessions: Sessions | None = None):
        self.records = records
        self.catalogue = catalogue
        self.people = people
        self.sessions = sessions
        """Resolves a completion's session, mode and trainer (``delivery.py``); None: a completion names none."""
        self.completion_writer: GroupCommit[Pending, Content | None] = GroupCommit(
            self.save_completion_group, self.save_one_completion,
            collision=IntegrityError, after_group=self.after_completion_group, gather_seconds=GATHER_SECONDS,
            key=lambda pending: pending.completion_id, taken=self.recorded_ids, name="training-completions",
        )
        """Single completions posted concurrently are saved together, one transaction per group."""

    def close(self) -> None:
        self.completion_writer.stop()

    def post_completions(
        self, provider_id: UUID, items: Sequence[NewCompletion], actor: dict[str, Any],
        versions: Mapping[str, int] | None = None,
    ) -> list[Outcome]:
        """Check and record completions of one provider; one outcome per item, in order.

        ``versions``: the kept read models' versions the request was authenticated at, if any.
        """
        provider, courses = self.catalogue.catalogue_rows(provider_id, versions)  # caught up with the log

        if provider is None:
            raise NotFound(f"no provider with id {provider_id}")
        now = dt.datetime.now(dt.UTC)
        refs: list[Any] = []
        for item in items:
            try:
                refs.append(person_ref(item, self.people.id_hash_of))
            except Invalid as exc:
                refs.append(exc)
        known = self.people.known_staff_ids([r.staff_id for r in refs if not isinstance(r, Invalid) and r.staff_id])
        by_hash = self.people.staff_ids_by_hash([r.id_hash for r in refs if not isinstance(r, Invalid) and r.id_hash])
        ids = [str(completion_id_for(provider_id, item.event_id)) for item in items]
        single = len(items) == 1
        # One posted completion is not looked up first: the writer's save finds a retry (its id is taken)
        # and answers it from what is stored; it is looked up only when the catalogue refuses it, since
        # a retry is answered as recorded whatever the catalogue says now. Many are looked up at once.
        recorded = {} if single else self.ledger_rows(ids)

        outcomes: list[Outcome] = []
        seen: dict[str, Content] = {}
        new: list[tuple[int, dict[str, Any]]] = []
        for index, (item, ref, cid) in enumerate(zip(items, refs, ids, strict=True)):
            try:
                if isinstance(ref, Invalid):
                    raise ref
                content = content_of(item, ref, known, by_hash)
                content, delivery = self.delivery_of(provider_id, item, content)
                if item.event_id in seen:
                    outcomes.append(compared(index, item.event_id, cid, seen[item.event_id], content))
                    continue
                if cid in recorded:
                    outcomes.append(compared(index, item.event_id, cid, content_of_row(recorded[cid]), content))
                    continue
                try:
                    course = check_against_catalogue(content, provider, courses, now)
                except Invalid:
                    row = self.ledger_rows([cid]).get(cid) if single else None
                    if row is None:
                        raise
                    outcomes.append(compared(index, item.event_id, cid, content_of_row(row), content))
                    continue
            except Invalid as exc:
                outcomes.append(Outcome(index, item.event_id, "rejected", error=exc))
                continue
            seen[item.event_id] = content
            new.append((index, {**self._completion_kwargs(provider_id, item.event_id, content, course, actor),
                                "delivery": delivery}))
            outcomes.append(Outcome(index, item.event_id, "created", cid))
        if single and new:
            self._save_single(new[0], outcomes)  # the writer has brought the ledger up to date
        else:
            self._save_completions(new, outcomes)
            self.records.after_save()
        return outcomes

    def delivery_of(self, provider_id: UUID, item: NewCompletion, content: Content,
                    prefix: str = "") -> tuple[Content, dict[str, Any] | None]:
        """The content with the session, mode and trainer the item names, checked; and the delivery to record."""
        if self.sessions is None:
            return content, None
        return self.sessions.delivery_of(provider_id, item, content, prefix)

    @staticmethod
    def _completion_kwargs(
        provider_id: UUID, event_id: str, content: Content, course: dict[str, Any], actor: dict[str, Any],
    ) -> dict[str, Any]:
        return dict(
            provider_id=str(provider_id), event_id=event_id, staff_id=content.staff_id,
            course_id=course["course_id"], course_code=course["code"], category=course["category"],
            half_hours=content.half_hours, completed_at=content.completed_at.isoformat(),
            year=training_year(content.completed_at), replaces=content.replaces, actor=actor,
        )

    def _save_single(self, new: tuple[int, dict[str, Any]], outcomes: list[Outcome]) -> None:
        """One posted completion: saved by the group-commit writer together with concurrent ones."""
        index, kwargs = new
        pending = Pending(kwargs)
        stored = self.completion_writer.submit(pending)
        if stored is not None:  # a concurrent post of the same id committed first
            outcomes[index] = compared(index, kwargs["event_id"], pending.completion_id, stored,
                                       new_completion(kwargs).content)
        else:  # saved by the writer thread: note it on this request's receipt
            receipt.note_stored(Stored(aggregate_id=pending.completion_id, version=1, topic=Completion.Recorded.TOPIC))
            outcomes[index].row = pending.row

    def save_completion_group(self, group: Sequence[Pending]) -> None:
        """Save a group of queued completions in one transaction."""
        recordings = self.records.save(*(new_completion(pending.kwargs) for pending in group))
        if recordings:
            last = max(r.notification.id for r in recordings)
            for pending in group:
                pending.position = last

    def save_one_completion(self, pending: Pending) -> Content | None:
        """Save one completion alone; on a collision, the content recorded under its id."""
        completion = new_completion(pending.kwargs)  # afresh: a failed group save consumed the pending events
        try:
            recordings = self.records.save(completion)
        except IntegrityError:
            recorded: Completion = self.records.repository.get(completion.id)
            return recorded.content
        if recordings:
            pending.position = max(r.notification.id for r in recordings)
        return None

    def recorded_ids(self, completion_ids: Sequence[str]) -> set[str]:
        """Which of these completions the event store holds already (one query per chunk of ids)."""
        table = self.records.recorder.events_table_name  # type: ignore[attr-defined]
        ids = [UUID(c) if self.records.store.is_postgres else UUID(c).hex for c in completion_ids]  # as stored
        rows = query_in(self.records.store.query,
                        f"SELECT originator_id FROM {table} WHERE originator_id IN ({{marks}})", ids)
        return {str(UUID(str(row["originator_id"]))) for row in rows}

    def after_completion_group(self, saved: Sequence[Pending]) -> None:
        """Once per group: bring the ledger up to date, and note each saved completion's row for its answer."""
        positions = [pending.position for pending in saved if pending.position is not None]
        if positions:  # what the writer stored is there to apply: no need to read the log's head first
            self.records.projector.catch_up_past(max(positions))
        else:
            self.records.projector.catch_up()
        rows = self.ledger_rows([pending.completion_id for pending in saved])
        for pending in saved:
            pending.row = rows.get(pending.completion_id)

    def _save_completions(self, new: list[tuple[int, dict[str, Any]]], outcomes: list[Outcome]) -> None:
        """Save many per transaction; if one collides, save that batch one by one and compare collisions.

        When the database fails after some items are stored, the request has changed something and
        is answered with success: the items not stored are ``rejected`` (code ``storage_unavailable``;
        posting them again is safe, ids make it idempotent). A failure before anything is stored raises.
        """
        handled = 0  # items of ``new`` saved or compared with what was stored, in order
        try:
            for start in range(0, len(new), SAVE_BATCH):
                batch = new[start:start + SAVE_BATCH]
                try:
                    self.records.save(*(new_completion(kwargs) for _, kwargs in batch))
                    handled += len(batch)
                    continue
                except IntegrityError:
                    pass  # a concurrent post of one of these ids committed first
                for index, kwargs in batch:
                    completion = new_completion(kwargs)
                    try:
                        self.records.save(completion)
                    except IntegrityError:
                        stored: Completion = self.records.repository.get(completion.id)
                        outcomes[index] = compared(index, kwargs["event_id"], str(completion.id), stored.content,
                                                   completion.content)
                    handled += 1
        except Exception:
            if handled == 0:
                raise
            log.exception("bulk post: %d of %d completions stored, then saving failed", handled, len(new))
            for index, kwargs in new[handled:]:
                outcomes[index] = Outcome(index, kwargs["event_id"], "rejected", error=Invalid(
                    "not stored: the database failed while saving; post this item again", code="storage_unavailable",
                ))

    def ledger_rows(self, completion_ids: Sequence[str]) -> dict[str, Any]:
        """Recorded completions by id (one query per chunk of ids)."""
        rows = query_in(self.records.store.query, f"SELECT {_ROW_COLUMNS} FROM {_ROW_SOURCE} WHERE c.completion_id IN ({{marks}})",
                        completion_ids)
        return {r["completion_id"]: r for r in rows}

    def counted_rows(self, completion_ids: Sequence[str]) -> dict[str, Any]:
        """Whether each recorded completion counted, and why not, by id: all a bulk answer reads of the ledger."""
        rows = query_in(self.records.store.query,
                        "SELECT completion_id, counted, reason FROM completions WHERE completion_id IN ({marks})",
                        completion_ids)
        return {r["completion_id"]: r for r in rows}

    def completion_row(self, completion_id: UUID | str, *, caught_up: bool = False) -> Any:
        """The ledger row of a completion; ``caught_up`` when the caller just brought the ledger up to date."""
        if caught_up:
            row = self.ledger_rows([str(completion_id)]).get(str(completion_id))
            if row is not None:
                return row
        self.records.projector.catch_up("ledger")
        return self.ledger_rows([str(completion_id)]).get(str(completion_id))


def bulk_result(outcomes: list[Outcome], rows: dict[str, Any]) -> BulkResult:
    """Per-item results of a bulk post; created and duplicate items say whether they counted."""
    results = []
    for o in outcomes:
        item = BulkItemResult(index=o.index, event_id=o.event_id, outcome=o.outcome, completion_id=o.completion_id)  # type: ignore[arg-type]
        if o.outcome in ("created", "duplicate") and o.completion_id in rows:
            row = rows[o.completion_id]
            item.counted, item.reason = bool(row["counted"]), row["reason"]
        elif o.outcome == "conflict":
            item.code, item.field = "completion_conflict", o.differences[0]
            item.message = conflict_message(o)
        elif o.error is not None:
            item.code, item.field, item.message = o.error.code, o.error.field, o.error.detail
        results.append(item)
    counts = {k: sum(1 for o in outcomes if o.outcome == k) for k in ("created", "duplicate", "conflict", "rejected")}
    return BulkResult(**counts, results=results)


def conflict_message(outcome: Outcome) -> str:
    return (f"event id {outcome.event_id} was already used for a different completion"
            f" (differs in: {', '.join(outcome.differences)})")
