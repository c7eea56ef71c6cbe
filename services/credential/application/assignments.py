"""Assignment use cases: 人证合一 checked on the start date; ending an assignment."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError

from contracts.credentials import AssignmentEnd, AssignmentView, Compliance, NewAssignment
from services.credential.domain.assignment import Assignment, assignment_id_for
from services.credential.domain.compliance import Decision, assignment_active, complies as meets, evaluate
from services.credential.domain.policy import Policy
from services.credential.application.certificates import Certificates, facts_of
from services.credential.application.common import staff_row, today, uuid_field
from services.credential.application.nurseries import NurseryLifecycle
from services.credential.application.policy import Policies
from services.credential.application.transfers import Transfers
from shared.application import ServiceApplication
from shared.errors import Conflict, Invalid, NotFound

_COLUMNS = "assignment_id, staff_id, nursery_id, role, start_on, end_on, end_reason, policy_version"


class Assignments:
    """Assignments (岗位安排) of registered people to roles at nurseries."""

    def __init__(self, records: ServiceApplication, policies: Policies, certificates: Certificates, transfers: Transfers,
                 lifecycle: NurseryLifecycle):
        self.records = records
        self.lifecycle = lifecycle
        self.policies = policies
        self.certificates = certificates
        self.transfers = transfers

    def assign(self, data: NewAssignment, *, nursery_id: str, actor: dict[str, Any]) -> AssignmentView:
        """Assign a person; 409 ``nursery_closed`` (starting on or after its closing date), ``employed_elsewhere`` (an HR key, without the current nursery's consent) or
        ``not_certified`` listing every shortfall unless compliant on the start date."""
        self.records.projector.catch_up("registry", "certification", "transfers")
        policy: Policy = self.policies.policy_on(data.start_on, caught_up=True)
        role = policy.role(data.role)
        if role is None:
            raise Invalid(
                f"unknown role {data.role!r}; one of: {', '.join(policy.roles)}", field="role", code="unknown_role",
            )
        nursery = uuid_field(nursery_id, "nursery_id")
        if self.records.store.query_one("SELECT 1 FROM nurseries WHERE nursery_id = ?", (str(nursery),)) is None:
            raise Invalid(f"no nursery with id {nursery}", field="nursery_id", code="unknown_nursery")
        self.lifecycle.refuse_if_closed(str(nursery), data.start_on)
        staff_id = str(staff_row(self.records.store, uuid_field(data.staff_id, "staff_id"), visible_to=None, field="staff_id")["staff_id"])
        # Before anything about the person is told (their certificates below): is it theirs to hire?
        self.transfers.require_employers_consent(staff_id, str(nursery), data.start_on, actor)
        overlapping = self.records.store.query_one(
            "SELECT assignment_id FROM assignments WHERE staff_id = ? AND nursery_id = ? AND role = ?"
            " AND (end_on IS NULL OR end_on >= ?)",
            (staff_id, str(nursery), data.role, data.start_on.isoformat()),
        )
        if overlapping is not None:
            raise Conflict(
                "the person already holds this role at this nursery", code="already_assigned",
                assignment_id=overlapping["assignment_id"],
            )
        certificates = [facts_of(r) for r in self.certificates.certificates_of([staff_id])[staff_id]]
        decision = compliance_view(evaluate(policy, role, certificates, data.start_on))
        if not decision.compliant:
            raise Conflict(
                f"the person does not hold every certificate the role {role.code} ({role.name_zh}) requires"
                f" on {data.start_on.isoformat()}",
                code="not_certified", staff_id=staff_id, role=role.code, on=data.start_on.isoformat(),
                policy_version=policy.version,
                shortfalls=[s for r in decision.requirements for s in r.shortfalls],
                requirements=decision.requirements,
            )
        assignment = Assignment(
            staff_id=staff_id, nursery_id=str(nursery), role=role.code, start_on=data.start_on.isoformat(),
            policy_version=policy.version, actor=actor,
        )
        try:
            self.records.save_and_project(assignment)
        except IntegrityError:
            raise Conflict(
                "this assignment is already recorded", code="already_assigned",
                assignment_id=str(assignment_id_for(staff_id, str(nursery), role.code, data.start_on.isoformat())),
            ) from None
        return self.assignment(assignment.id, on=data.start_on)

    def end_assignment(self, assignment_id: UUID, data: AssignmentEnd, *, visible_to: UUID | None, actor: dict[str, Any]) -> AssignmentView:
        assignment = self.records.get_or_404(UUID(str(assignment_id)), "assignment")
        if not isinstance(assignment, Assignment) or (visible_to is not None and assignment.nursery_id != str(visible_to)):
            raise NotFound(f"no assignment with id {assignment_id}")
        assignment.end(end_on=data.end_on, reason=data.reason, actor=actor)
        self.records.save_and_project(assignment)
        return self.assignment(assignment_id, on=data.end_on)

    def assignment(self, assignment_id: UUID, *, on: dt.date | None = None, visible_to: UUID | None = None) -> AssignmentView:
        """One assignment with its compliance on ``on`` (an HR caller sees its own nursery's)."""
        self.records.projector.catch_up("certification")
        row = self.records.store.query_one(f"SELECT {_COLUMNS} FROM assignments WHERE assignment_id = ?", (str(assignment_id),))
        if row is None or (visible_to is not None and row["nursery_id"] != str(visible_to)):
            raise NotFound(f"no assignment with id {assignment_id}")
        on = on or today()
        policy = self.policies.policy_on(on, caught_up=True)
        certificates = [facts_of(r) for r in self.certificates.certificates_of([row["staff_id"]])[row["staff_id"]]]
        return assignment_view(row, policy, certificates, on)


def assignment_view(row: Any, policy: Policy, certificates: list[Any], on: dt.date) -> AssignmentView:
    """An assignment row, judged on ``on`` when active then (compliance is None otherwise)."""
    active = assignment_active(row["start_on"], row["end_on"], on)
    compliance: Compliance | None = None
    role = policy.role(row["role"])
    if active:
        if role is None:  # the role was dropped by a later policy version: nobody can be compliant in it
            compliance = Compliance(role=row["role"], on=on.isoformat(), compliant=False,
                                    policy_version=policy.version, requirements=[])
        else:
            compliance = compliance_view(evaluate(policy, role, certificates, on))
    return AssignmentView(
        assignment_id=row["assignment_id"], staff_id=row["staff_id"], nursery_id=row["nursery_id"], role=row["role"],
        start_on=row["start_on"], end_on=row["end_on"], end_reason=row["end_reason"],
        policy_version=int(row["policy_version"]), active=active, compliance=compliance,
    )


def complies(row: Any, policy: Policy, certificates: list[Any], on: dt.date) -> bool:
    """Whether the assignment row is active and compliant on ``on``: ``assignment_view``'s verdict, without the view."""
    if not assignment_active(row["start_on"], row["end_on"], on):
        return False
    role = policy.role(row["role"])
    return role is not None and meets(role, certificates, on)


def compliance_view(decision: Decision) -> Compliance:
    """The rule's decision in its public form."""
    return msgspec.convert(msgspec.to_builtins(decision), type=Compliance)
