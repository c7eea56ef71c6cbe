"""Corrections never rewrite history: a completion is reversed, or reversed and replaced in one save."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from contracts.training import CompletionResult, NewCompletion, ReversalResult
from services.training.application.checks import check_against_catalogue, content_of, content_of_row, person_ref
from services.training.domain.completion import Completion, completion_id_for, new_completion
from services.training.application.catalogue import Catalogue
from services.training.application.posting import Posting, completion_result
from services.training.read_models.people import People
from shared.application import ServiceApplication
from shared.errors import Conflict, NotFound

REPLACEMENT = "replacement."


def reversal_result(row: Any) -> ReversalResult:
    return ReversalResult(
        completion_id=row["completion_id"], event_id=row["event_id"], reversed_at=row["reversed_at"],
        reason=row["reversal_reason"], replaced_by=row["replaced_by"],
    )


class Corrections:
    """A provider reverses its own completion (reason required) or corrects it with a replacement."""

    def __init__(self, records: ServiceApplication, catalogue: Catalogue, people: People, posting: Posting):
        self.records = records
        self.catalogue = catalogue
        self.people = people
        self.posting = posting

    def own_completion(self, provider_id: UUID, completion_id: UUID) -> Completion:
        """The provider's completion (404 for an unknown one or another provider's)."""
        completion = self.records.get_or_404(completion_id, "completion")
        if not isinstance(completion, Completion) or completion.provider_id != str(provider_id):
            raise NotFound(f"no completion {completion_id} of provider {provider_id}")
        return completion

    def reverse_completion(
        self, provider_id: UUID, completion_id: UUID, reason: str, actor: dict[str, Any], *, retried: bool = False,
    ) -> tuple[ReversalResult, bool]:
        """Reverse a completion; (result, True) when reversed now, (result, False) for a retry of the same reversal."""
        completion = self.own_completion(provider_id, completion_id)
        if completion.reversed:
            if completion.replaced_by is None and completion.reversal_reason == reason:
                return reversal_result(self.posting.completion_row(completion_id)), False
            raise Conflict(
                f"completion {completion.event_id} is already reversed", code="already_reversed",
                completion_id=str(completion_id), replaced_by=completion.replaced_by,
            )
        completion.reverse(reason, actor)
        try:
            self.records.save_and_project(completion)
        except IntegrityError:
            if retried:
                raise
            return self.reverse_completion(provider_id, completion_id, reason, actor, retried=True)
        return reversal_result(self.posting.completion_row(completion_id)), True

    def correct_completion(
        self, provider_id: UUID, completion_id: UUID, reason: str, replacement: NewCompletion,
        actor: dict[str, Any], *, retried: bool = False,
    ) -> tuple[ReversalResult, CompletionResult, bool]:
        """Reverse a completion and record its replacement together; a retry answers the same."""
        original = self.own_completion(provider_id, completion_id)
        self.records.projector.catch_up("catalogue", "ledger")
        provider, courses = self.catalogue.catalogue_rows(provider_id)
        ref = person_ref(replacement, self.people.id_hash_of, REPLACEMENT)
        known = self.people.known_staff_ids([ref.staff_id] if ref.staff_id else [])
        by_hash = self.people.staff_ids_by_hash([ref.id_hash] if ref.id_hash else [])
        content = content_of(replacement, ref, known, by_hash, replaces=str(original.id), prefix=REPLACEMENT)
        content, delivery = self.posting.delivery_of(provider_id, replacement, content, prefix=REPLACEMENT)
        new_id = str(completion_id_for(provider_id, replacement.event_id))
        if original.reversed:
            row = self.posting.completion_row(new_id)
            if original.replaced_by == new_id and row is not None and not content_of_row(row).differences(content):
                return reversal_result(self.posting.completion_row(completion_id)), completion_result(row), False
            raise Conflict(
                f"completion {original.event_id} is already reversed", code="already_reversed",
                completion_id=str(completion_id), replaced_by=original.replaced_by,
            )
        if self.posting.completion_row(new_id) is not None:
            raise Conflict(
                f"event id {replacement.event_id} is already used by another completion",
                code="event_id_in_use", field=REPLACEMENT + "event_id", completion_id=new_id,
            )
        course = check_against_catalogue(content, provider, courses, dt.datetime.now(dt.UTC), REPLACEMENT)
        original.reverse(reason, actor, replaced_by=new_id)
        new = new_completion({**self.posting._completion_kwargs(provider_id, replacement.event_id, content, course, actor),
                              "delivery": delivery})
        try:
            self.records.save_and_project(original, new)  # one transaction: the reversal and its replacement
        except IntegrityError:
            if retried:
                raise
            return self.correct_completion(provider_id, completion_id, reason, replacement, actor, retried=True)
        return reversal_result(self.posting.completion_row(completion_id)), completion_result(self.posting.completion_row(new_id)), True
