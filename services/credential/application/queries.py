"""Queries as on a date: a person's profile, a nursery's roster, district figures, expiring soon."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from contracts.credentials import (
    DistrictFigures, DueCheck, ExpiringCertificate, NurseryFigure, Profile, Roster, RosterEntry, TeacherInfantCareShare,
)
from services.credential.domain.compliance import checked_on, expires_within, expiry_on, holds_valid, standing_on
from services.credential.application.assignments import assignment_view, complies
from services.credential.application.certificates import Certificates, certificate_view, facts_of
from services.credential.application.common import staff_row
from services.credential.read_models.nurseries import states_on
from services.credential.read_models.training_status import training_between, training_of
from services.credential.application import recorded
from services.credential.application.integrity import Integrity
from services.credential.application.policy import Policies
from shared.follower import Follower
from shared.application import ServiceApplication
from shared.errors import NotFound

INFANT_CARE_TARGET = 0.75
"""At least 75% of public kindergarten teachers hold the infant-care certificate (育婴员证)."""
_ACTIVE = recorded.ACTIVE
_ASSIGNMENT = recorded.ASSIGNMENT


DISTRICT_PAGE = 2_000
"""Assignments (hence at most as many people) the district report reads at a time."""


class DistrictTally:
    """The district report's running counts, a page of people at a time (each person is in one page)."""

    def __init__(self) -> None:
        self.people = self.compliant = self.teachers = self.with_infant_care = self.training_complete = 0
        self.nurseries: dict[str, list[Any]] = {}
        """Per nursery id: [name, town, people, compliant people]."""

    def add(self, rows: list[Any], facts: dict[str, list[Any]], trained: dict[str, Any], policy: Any,
            on: dt.date) -> None:
        """Count one page: ``rows`` are its people's active assignments, with their nursery's columns."""
        everywhere: dict[str, bool] = {}
        here: dict[tuple[str, str], bool] = {}
        teachers: set[str] = set()
        for row in rows:
            sid, nid = row["staff_id"], row["nursery_id"]
            ok = complies(row, policy, facts[sid], on)
            everywhere[sid] = everywhere.get(sid, True) and ok
            here[(nid, sid)] = here.get((nid, sid), True) and ok
            self.nurseries.setdefault(nid, [row["nursery_name"], row["town"], 0, 0])
            if row["role"] == "teacher" and row["ownership"] == "public" and row["kind"] == "kindergarten":
                teachers.add(sid)
        for (nid, _), ok in here.items():
            self.nurseries[nid][2] += 1
            self.nurseries[nid][3] += ok
        self.people += len(everywhere)
        self.compliant += sum(everywhere.values())
        self.teachers += len(teachers)
        self.with_infant_care += sum(holds_valid(facts[sid], "infant_care", on) for sid in teachers)
        self.training_complete += sum(t is not None and t.complete for t in trained.values())


EXPIRING_BETWEEN = (
    "SELECT {columns} FROM certificates c JOIN staff s ON s.staff_id = c.holder_id WHERE c.certificate_id IN"
    " (SELECT x.certificate_id FROM certificate_expiries x WHERE x.expires_on >= ? AND x.expires_on <= ?)"
)
"""Certificates (each once, with the holder's name) that had an expiry between two days: a semi-join, where a
DISTINCT over the joined rows made PostgreSQL sort every matching row's facts text."""
_EXPIRING_COLUMNS = "c.certificate_id, c.cert_type, c.number, c.issuing_body, c.holder_id, c.status, c.facts, s.name"


def district_pages(store: Any, size: int) -> list[tuple[str, str]]:
    """Ranges ``(after, last]`` of staff ids that cover every assignment, ``size`` assignments each (the last
    fewer), in one query: the report reads its people a range at a time, by short key-range statements
    the driver prepares once (not by lists of ids; the database's own order of the ids decides)."""
    bounds = [r["last"] for r in store.query(
        "SELECT MAX(staff_id) AS last FROM (SELECT a.staff_id, ROW_NUMBER() OVER (ORDER BY a.staff_id) AS n"
        " FROM assignments a) r GROUP BY (n - 1) / ? ORDER BY last", (size,))]
    return list(zip(["", *bounds], bounds))


def as_on_date(row: Any, states: dict[str, Any]) -> dict[str, Any]:
    """An assignment row with its nursery's name, kind and ownership as on the date (as registered if not opened yet)."""
    state = states.get(row["nursery_id"])
    values = dict(row)
    if state is not None:
        values.update(nursery_name=state["name"], kind=state["kind"], ownership=state["ownership"])
    return values


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def rate(part: int, whole: int) -> float | None:
    """持证上岗率 and other shares, rounded to 4 places (None when nobody is counted)."""
    return round(part / whole, 4) if whole else None


class Reports:
    """What HR, inspectors, the registrar and auditors read, each as on a date."""

    def __init__(self, records: ServiceApplication, policies: Policies, certificates: Certificates, integrity: Integrity,
                 training: Follower):
        self.records = records
        self.policies = policies
        self.certificates = certificates
        self.integrity = integrity
        self.training = training
        """The follower of the training feed, which keeps ``training_status``."""

    def training_as_of(self) -> str | None:
        """When the training part of the combined view was last brought up to date."""
        moment = self.training.up_to_date_as_of()
        return moment.isoformat() if moment else None

    def profile(self, staff_id: UUID, *, on: dt.date, visible_to: UUID | None, with_integrity: bool,
                as_of: dt.datetime | None = None) -> Profile:
        """Certificates with their standing, assignments with compliance, and the integrity record.

        With ``as_of``: as the service had recorded them at that instant (recorded time)."""
        self.records.projector.catch_up("registry", "certification")
        at = recorded.stamp(as_of)
        person = staff_row(self.records.store, staff_id, visible_to=visible_to)
        if at is not None and person["registered_at"] > at:
            raise NotFound(f"no staff member with id {staff_id} was registered at {at}")
        sid = person["staff_id"]
        policy, rows = self._policy_and_certificates([sid], at, on)
        rows = rows[sid]
        facts = [facts_of(r) for r in rows]
        columns, params = recorded.assignment_columns(at)
        since, since_params = recorded.recorded_by(at)
        assignments = self.records.store.query(
            f"SELECT {columns} FROM assignments a WHERE a.staff_id = ?{since} ORDER BY a.start_on, a.assignment_id",
            (*params, sid, *since_params),
        )
        integrity = self.integrity.violations_of(sid) if with_integrity else None
        if integrity is not None and at is not None:
            integrity = [v for v in integrity if v.recorded_at <= at]
        return Profile(
            staff_id=sid, name=person["name"], id_masked=person["id_masked"], on=on.isoformat(),
            certificates=[certificate_view(r, on) for r in sorted(rows, key=lambda r: (r["cert_type"], r["number"]))],
            assignments=[assignment_view(a, policy, facts, on) for a in assignments],
            integrity_record=integrity,
            training=training_of(self.records.store, [sid], on.year, at)[sid],
        )

    def _policy_and_certificates(self, staff_ids: Any, at: str | None, on: dt.date) -> tuple[Any, dict[str, list[Any]]]:
        """The policy in force on ``on`` and the people's certificate rows: now, or as recorded at ``at``."""
        if at is None:
            return self.policies.policy_on(on, caught_up=True), self.certificates.certificates_of(staff_ids)
        return (self.policies.policy_on(on, as_of=at),
                recorded.certificates_as_recorded(self.records.store, staff_ids, at))

    def roster(self, nursery_id: UUID, *, on: dt.date, as_of: dt.datetime | None = None) -> Roster:
        """People with active assignments at the nursery, non-compliant first, and its 持证上岗率.

        With ``as_of``: as the service had recorded them at that instant (recorded time)."""
        self.records.projector.catch_up("registry", "certification")
        at = recorded.stamp(as_of)
        day = on.isoformat()
        columns, params = recorded.assignment_columns(at)
        active, active_params = recorded.active_on(day, at)
        with self.records.store.transaction(commit=False) as cur:  # one connection and snapshot for the reads
            if cur.fetchone("SELECT 1 FROM nurseries WHERE nursery_id = ?", (str(nursery_id),)) is None:
                raise NotFound(f"no nursery with id {nursery_id}")
            rows = cur.fetchall(
                f"SELECT {columns}, s.name FROM assignments a JOIN staff s ON s.staff_id = a.staff_id"
                f" WHERE a.nursery_id = ? AND {active}",
                (*params, str(nursery_id), *active_params),
            )
            if at is None:
                held = self.certificates.certificates_of((r["staff_id"] for r in rows), cur=cur)
        if at is None:
            policy = self.policies.policy_on(on, caught_up=True)
        else:
            policy, held = self._policy_and_certificates([r["staff_id"] for r in rows], at, on)
        facts = {sid: [facts_of(c) for c in certs] for sid, certs in held.items()}
        entries: dict[str, RosterEntry] = {}
        for row in rows:
            view = assignment_view(row, policy, facts[row["staff_id"]], on)
            entry = entries.setdefault(
                row["staff_id"], RosterEntry(staff_id=row["staff_id"], name=row["name"], compliant=True, assignments=[])
            )
            entry.assignments.append(view)
            entry.compliant = entry.compliant and bool(view.compliance and view.compliance.compliant)
        training = training_of(self.records.store, entries, on.year, at)
        for staff_id, entry in entries.items():
            entry.training = training[staff_id]
        ordered = sorted(entries.values(), key=lambda e: (e.compliant, e.name, e.staff_id))
        compliant = sum(e.compliant for e in ordered)
        return Roster(
            nursery_id=str(nursery_id), on=day, policy_version=policy.version, people=len(ordered),
            compliant_people=compliant, certified_rate=rate(compliant, len(ordered)), entries=ordered,
            training_year=on.year, training_complete_people=sum(t is not None and t.complete for t in training.values()),
            certificates_as_of=at or _now(), training_as_of=at or self.training_as_of(),
        )

    def expiring(self, *, on: dt.date, within: int, visible_to: UUID | None = None) -> list[ExpiringCertificate]:
        """Certificates valid on ``on`` that expire within ``within`` days, soonest first."""
        self.records.projector.catch_up("registry", "certification")
        statement = EXPIRING_BETWEEN.format(columns=_EXPIRING_COLUMNS)
        params: list[str] = [on.isoformat(), (on + dt.timedelta(days=within)).isoformat()]
        if visible_to is not None:
            statement += " AND EXISTS (SELECT 1 FROM staff_nursery n WHERE n.staff_id = c.holder_id AND n.nursery_id = ?)"
            params.append(str(visible_to))
        found = []
        for row in self.records.store.query(statement, params):
            facts = facts_of(row)
            if (left := expires_within(facts, on, within)) is not None:
                found.append(ExpiringCertificate(
                    certificate_id=row["certificate_id"], cert_type=row["cert_type"], number=row["number"],
                    holder_id=row["holder_id"], holder_name=row["name"],
                    expires_on=(on + dt.timedelta(days=left)).isoformat(), days_left=left,
                ))
        return sorted(found, key=lambda c: (c.days_left, c.cert_type, c.number))

    def _days_left(self, on: dt.date, within: int) -> list[int]:
        """The days left of each certificate ``expiring`` would list (the district report counts them only)."""
        rows = self.records.store.query(EXPIRING_BETWEEN.format(columns="c.facts"),
                                        (on.isoformat(), (on + dt.timedelta(days=within)).isoformat()))
        return [left for row in rows if (left := expires_within(facts_of(row), on, within)) is not None]

    def checks_due(self, *, on: dt.date, within: int, visible_to: UUID | None = None) -> list[DueCheck]:
        """Checks (health, background) that fall due within ``within`` days of ``on``, soonest first.

        A check falls due the day after its last valid day; one already superseded by a later
        check of the same type for the same person is left out (it is no longer what is due)."""
        self.records.projector.catch_up("registry", "certification")
        policy = self.policies.current_policy(caught_up=True)
        kinds = {t.code: t.kind for t in policy.document.certificate_types if t.kind != "certificate"}
        if not kinds:
            return []
        last_day = on - dt.timedelta(days=1)
        statement = EXPIRING_BETWEEN.format(columns=_EXPIRING_COLUMNS)
        params: list[str] = [last_day.isoformat(), (last_day + dt.timedelta(days=within)).isoformat()]
        if visible_to is not None:
            statement += " AND EXISTS (SELECT 1 FROM staff_nursery n WHERE n.staff_id = c.holder_id AND n.nursery_id = ?)"
            params.append(str(visible_to))
        found = [r for r in self.records.store.query(statement, params) if r["cert_type"] in kinds]
        held = self.certificates.certificates_of(r["holder_id"] for r in found)
        due = []
        for row in found:
            facts = facts_of(row)
            expiry = expiry_on(facts, on)
            if expiry is None or standing_on(facts, last_day) != "valid":
                continue
            due_on = dt.date.fromisoformat(expiry) + dt.timedelta(days=1)
            if not on <= due_on <= on + dt.timedelta(days=within):
                continue
            later = [f for f in map(facts_of, held[row["holder_id"]]) if f.cert_type == row["cert_type"]
                     and f.certificate_id != facts.certificate_id and standing_on(f, due_on) == "valid"]
            if later:  # already re-checked: valid on the day this one falls due
                continue
            due.append(DueCheck(
                certificate_id=row["certificate_id"], cert_type=row["cert_type"], kind=kinds[row["cert_type"]],
                number=row["number"], holder_id=row["holder_id"], holder_name=row["name"],
                checked_on=checked_on(facts, on), checked_by=row["issuing_body"], due_on=due_on.isoformat(),
                days_left=(due_on - on).days,
            ))
        return sorted(due, key=lambda c: (c.due_on, c.cert_type, c.holder_name, c.number))

    def district_figures(self, *, on: dt.date, as_of: dt.datetime | None = None) -> DistrictFigures:
        """持证上岗率 overall and per nursery, the public kindergarten teachers' infant-care share, expiring counts.

        People are read a page at a time (their assignments, certificates and training), so the
        report's memory does not grow with the district; only the per-nursery tallies are kept.
        With ``as_of``: as the service had recorded them at that instant (the expiring counts then
        count the certificates of the people at work, as recorded).
        """
        self.records.projector.catch_up("registry", "certification", "nursery_lifecycle")
        at = recorded.stamp(as_of)
        # Each nursery's name, kind and ownership as on the date (a nursery may become a kindergarten's 托班).
        as_on = {r["nursery_id"]: r for r in states_on(self.records.store, on.isoformat(), at)}
        policy = self.policies.policy_on(on, as_of=at, caught_up=True)
        day = on.isoformat()
        columns, column_params = recorded.assignment_columns(at)
        active, active_params = recorded.active_on(day, at)
        tally = DistrictTally()
        expiring_recorded: list[int] = []
        known: dict[str, Any] = {}
        for after, last in district_pages(self.records.store, DISTRICT_PAGE):
            rows = self.records.store.query(
                f"SELECT {columns}, n.name AS nursery_name, n.town, n.ownership, n.kind"
                f" FROM assignments a JOIN nurseries n ON n.nursery_id = a.nursery_id"
                f" WHERE {active} AND a.staff_id > ? AND a.staff_id <= ?",
                (*column_params, *active_params, after, last),
            )
            page = sorted({r["staff_id"] for r in rows})
            if not page:  # nobody at work in the range on the date
                continue
            facts: dict[str, list[Any]] = {sid: [] for sid in page}
            if at is None:
                for cert in self.records.store.query(
                        "SELECT holder_id, facts FROM certificates WHERE holder_id > ? AND holder_id <= ?", (after, last)):
                    if (held := facts.get(cert["holder_id"])) is not None:
                        held.append(facts_of(cert))
            else:
                for sid, certs in recorded.certificates_as_recorded_between(self.records.store, after, last, page,
                                                                            at).items():
                    facts[sid] = [facts_of(c) for c in certs]
                    expiring_recorded += [d for f in facts[sid] if (d := expires_within(f, on, 90)) is not None]
            trained = training_between(self.records.store, after, last, page, on.year, at, known=known)
            tally.add([as_on_date(r, as_on) for r in rows], facts, trained, policy, on)
        expiring = self._days_left(on, 90) if at is None else expiring_recorded
        share = rate(tally.with_infant_care, tally.teachers)
        figures = [
            NurseryFigure(nursery_id=nid, name=name, town=town, people=people, compliant_people=compliant,
                          certified_rate=rate(compliant, people))
            for nid, (name, town, people, compliant) in tally.nurseries.items()
        ]
        return DistrictFigures(
            on=day, policy_version=policy.version, people=tally.people, compliant_people=tally.compliant,
            certified_rate=rate(tally.compliant, tally.people),
            nurseries=sorted(figures, key=lambda f: (f.certified_rate if f.certified_rate is not None else 2, f.town, f.name)),
            public_kindergarten_teachers=TeacherInfantCareShare(
                teachers=tally.teachers, with_infant_care=tally.with_infant_care, share=share, target=INFANT_CARE_TARGET,
                meets_target=share is not None and share >= INFANT_CARE_TARGET,
            ),
            expiring_within_30=sum(d <= 30 for d in expiring),
            expiring_within_60=sum(d <= 60 for d in expiring),
            expiring_within_90=len(expiring),
            training_year=on.year, training_complete_people=tally.training_complete,
            training_completion_rate=rate(tally.training_complete, tally.people),
            training_as_of=at or self.training_as_of(),
        )
