"""Property-based tests of the domain rules: class-hours arithmetic, the training year and the
once-per-year rule, the certificate state machine against a reference model, and policy
evaluation (all-of / any-of)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.credential.domain.certificate import Certificate
from services.credential.domain.compliance import CertificateFacts, ExpiryChange, StatusChange, evaluate, standing_on
from services.credential.domain.policy import Policy, RequirementGroup, RoleSpec, default_document
from services.training.domain.hours import MAX_CLASS_HOURS, InvalidHours, half_hours_of, hours_of
from services.training.domain.ledger import COUNTED, NOT_COUNTED, REVERSED, Entry, statuses, totals
from services.training.domain.requirement import CATEGORIES, REQUIRED_HALF_HOURS
from services.training.domain.year import training_year
from shared.errors import Conflict, DomainError, Invalid

ACTOR = {"key_id": "k", "role": "registrar", "scope": None}
EXAMPLES = settings(max_examples=150, deadline=None)

# Class hours ---------------------------------------------------------------------------------

half_hours = st.integers(min_value=1, max_value=2 * MAX_CLASS_HOURS)


@EXAMPLES
@given(half_hours)
def test_any_whole_number_of_half_hours_reads_back_exactly_whatever_its_spelling(n):
    hours = Fraction(n, 2)
    for spelling in (n / 2, str(n / 2), Decimal(n) / 2, f"{float(hours):.3f}"):
        assert half_hours_of(spelling) == n
    assert hours_of(n) == n / 2


@EXAMPLES
@given(st.lists(half_hours, min_size=1, max_size=60))
def test_sums_of_class_hours_are_exact(parts):
    assert sum(half_hours_of(hours_of(p)) for p in parts) == sum(parts)
    assert hours_of(sum(parts)) == float(Fraction(sum(parts), 2))


@EXAMPLES
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.integers(), st.booleans(),
                 st.decimals(allow_nan=True)))
def test_anything_else_is_refused_as_invalid_hours_and_never_crashes(value):
    try:
        n = half_hours_of(value)
    except InvalidHours:
        return
    assert 1 <= n <= 2 * MAX_CLASS_HOURS and Decimal(str(value)) * 2 == n


# The training year and the once-per-year rule --------------------------------------------------

SHANGHAI_OFFSET = dt.timezone(dt.timedelta(hours=8))  # Shanghai keeps +08:00 all year (no DST since 1991)


@EXAMPLES
@given(st.datetimes(min_value=dt.datetime(1995, 1, 1), max_value=dt.datetime(2090, 12, 31)),
       st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_the_training_year_is_the_calendar_year_in_shanghai_whatever_the_offset(naive, offset_minutes):
    moment = naive.replace(tzinfo=dt.timezone(dt.timedelta(minutes=offset_minutes)))
    assert training_year(moment) == moment.astimezone(SHANGHAI_OFFSET).year


entries = st.lists(
    st.tuples(st.sampled_from(["SK01", "SK02", "ET01", "ET02"]), st.sampled_from([2025, 2026]), half_hours,
              st.booleans()),
    max_size=30,
)


def reference_statuses(items: list[Entry]) -> list[str]:
    """The rule as the seed says it: per course and year, the first not-reversed completion counts."""
    result = []
    for i, entry in enumerate(items):
        if entry.reversed:
            result.append(REVERSED)
            continue
        earlier = [e for e in items[:i] if not e.reversed and (e.course_id, e.year) == (entry.course_id, entry.year)]
        result.append(NOT_COUNTED if earlier else COUNTED)
    return result


@EXAMPLES
@given(entries)
def test_a_course_counts_once_per_year_and_totals_add_only_what_counted(raw):
    items = [Entry(completion_id=f"c{i}", course_id=course, course_code=course, year=year,
                   category="skills" if course.startswith("SK") else "ethics", half_hours=h, reversed=rev)
             for i, (course, year, h, rev) in enumerate(raw)]
    decided = statuses(items)
    assert [s.status for s in decided] == reference_statuses(items)
    for entry, status in zip(items, decided):
        if status.status == NOT_COUNTED:  # points at the completion that counted instead
            counted = next(e for e in items if e.completion_id == status.counted_instead)
            assert (counted.course_id, counted.year) == (entry.course_id, entry.year)
    result = totals(items, decided)
    for category in CATEGORIES:
        earned = sum(e.half_hours for e, s in zip(items, decided) if s.status == COUNTED and e.category == category)
        assert result.earned[category] == earned
        assert result.shortfall[category] == max(0, REQUIRED_HALF_HOURS[category] - earned)
    assert result.complete == all(result.earned[c] >= REQUIRED_HALF_HOURS[c] for c in CATEGORIES)


# The certificate state machine --------------------------------------------------------------------

ISSUED = dt.date(2025, 1, 1)
commands = st.lists(
    st.tuples(
        st.sampled_from(["renew", "suspend", "reinstate", "revoke"]),
        st.integers(min_value=-30, max_value=400),  # effective, days after issue
        st.one_of(st.none(), st.integers(min_value=-10, max_value=900)),  # renew: expiry; suspend: until
        st.sampled_from(["fraud", "ethics_violation", "nonsense"]),
    ),
    max_size=25,
)


class Model:
    """A reference certificate: what should be accepted, and the facts as a list of dated changes."""

    def __init__(self, issued_on: dt.date, expires_on: dt.date):
        self.issued_on, self.expires_on, self.first_expiry = issued_on, expires_on, expires_on
        self.status, self.until, self.last = "active", None, issued_on
        self.renewals: list[tuple[dt.date, dt.date]] = []
        self.changes: list[tuple[dt.date, str, dt.date | None]] = []

    def accepts(self, kind: str, on: dt.date, extra: dt.date | None, category: str) -> bool:
        if self.status == "revoked" or on < self.last:
            return False
        if kind == "renew":
            return extra is not None and extra > self.expires_on
        if kind == "suspend":
            still_suspended = self.status == "suspended" and (self.until is None or on <= self.until)
            return not still_suspended and (extra is None or extra >= on)
        if kind == "reinstate":
            return self.status == "suspended"
        return category in ("fraud", "ethics_violation")

    def apply(self, kind: str, on: dt.date, extra: dt.date | None) -> None:
        self.last = on
        if kind == "renew":
            self.expires_on = extra  # type: ignore[assignment]
            self.renewals.append((on, extra))  # type: ignore[arg-type]
            return
        self.status = {"suspend": "suspended", "reinstate": "active", "revoke": "revoked"}[kind]
        self.until = extra if kind == "suspend" else None
        self.changes.append((on, self.status, self.until))

    def standing(self, day: dt.date) -> str:
        """valid / not_yet_valid / expired / suspended / revoked on ``day``, from the dated changes."""
        in_force = [(status, until) for on, status, until in self.changes if on <= day]
        status, until = in_force[-1] if in_force else ("active", None)
        if status == "suspended" and until is not None and day > until:
            status = "active"
        if status != "active":
            return status
        expiry = ([e for on, e in self.renewals if on <= day] or [self.first_expiry])[-1]
        return "not_yet_valid" if day < self.issued_on else "expired" if day > expiry else "valid"


def facts_of(certificate: Certificate, events: list) -> CertificateFacts:
    """The facts the certification projection builds from these events."""
    expiries, changes = [], []
    for e in events:
        if isinstance(e, Certificate.Issued):
            expiries.append(ExpiryChange(e.issued_on, e.expires_on))
        elif isinstance(e, Certificate.Renewed):
            expiries.append(ExpiryChange(e.effective_on, e.expires_on))
        else:
            status = {Certificate.Suspended: "suspended", Certificate.Reinstated: "active"}.get(type(e), "revoked")
            changes.append(StatusChange(on=e.effective_on, status=status, until=getattr(e, "until", None)))
    return CertificateFacts(certificate_id=str(certificate.id), cert_type="health", number="JK-1", holder_id="h",
                            issued_on=certificate.issued_on, expiries=tuple(expiries), changes=tuple(changes))


STATE = ("status", "expires_on", "suspended_until", "last_change_on", "version")


@EXAMPLES
@given(st.integers(min_value=1, max_value=800), commands, st.lists(st.integers(-60, 1300), min_size=1, max_size=20))
def test_any_sequence_of_commands_keeps_the_certificate_legal_and_compliance_agrees_with_a_reference(
    validity, sequence, probe_days,
):
    certificate = Certificate.issue(cert_type="health", number="JK-1", issuing_body="区卫健委", issued_on=ISSUED, holder_id="h",
                                    expires_on=ISSUED + dt.timedelta(days=validity), note="", actor=ACTOR)
    model = Model(ISSUED, ISSUED + dt.timedelta(days=validity))
    for kind, offset, extra_days, category in sequence:
        on = ISSUED + dt.timedelta(days=offset)
        extra = None if extra_days is None else on + dt.timedelta(days=extra_days) if kind == "suspend" \
            else ISSUED + dt.timedelta(days=extra_days + validity)
        before = {name: getattr(certificate, name) for name in STATE}
        pending = len(certificate.pending_events)
        try:
            if kind == "renew":
                certificate.renew(expires_on=extra or ISSUED, effective_on=on, note="", actor=ACTOR)
            elif kind == "suspend":
                certificate.suspend(reason="r", effective_on=on, until=extra, actor=ACTOR)
            elif kind == "reinstate":
                certificate.reinstate(note="n", effective_on=on, actor=ACTOR)
            else:
                certificate.revoke(reason="r", category=category, effective_on=on, actor=ACTOR)
        except DomainError as refused:
            assert isinstance(refused, (Invalid, Conflict))
            assert not model.accepts(kind, on, extra, category), f"{kind} on {on} was refused: {refused.detail}"
            assert {name: getattr(certificate, name) for name in STATE} == before  # nothing changed
            assert len(certificate.pending_events) == pending
            continue
        assert model.accepts(kind, on, extra, category), f"{kind} on {on} should have been refused"
        model.apply(kind, on, extra)
        assert certificate.status in ("active", "suspended", "revoked") and certificate.status == model.status
        assert certificate.expires_on == model.expires_on.isoformat() > certificate.issued_on
        assert certificate.last_change_on == on.isoformat()
    facts = facts_of(certificate, certificate.collect_events())
    for offset in probe_days:
        day = ISSUED + dt.timedelta(days=offset)
        assert standing_on(facts, day) == model.standing(day), day


# Policy evaluation ----------------------------------------------------------------------------------

TYPES = ["infant_care", "nursery_worker", "health", "teacher", "finance"]
STANDINGS = {  # how each held certificate is made to stand on the probe day
    "valid": dict(issued_on="2025-01-01", expires_on="2027-01-01", changes=()),
    "expired": dict(issued_on="2020-01-01", expires_on="2025-06-01", changes=()),
    "not_yet_valid": dict(issued_on="2026-06-01", expires_on="2028-01-01", changes=()),
    "suspended": dict(issued_on="2025-01-01", expires_on="2027-01-01",
                      changes=(StatusChange(on="2025-03-01", status="suspended"),)),
    "revoked": dict(issued_on="2025-01-01", expires_on="2027-01-01",
                    changes=(StatusChange(on="2025-03-01", status="revoked"),)),
}
PROBE = dt.date(2026, 1, 15)
groups = st.lists(
    st.tuples(st.sampled_from(["all_of", "any_of"]), st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True)),
    min_size=1, max_size=3,
)
holdings = st.dictionaries(st.sampled_from(TYPES), st.lists(st.sampled_from(list(STANDINGS)), min_size=1, max_size=3))


@EXAMPLES
@given(groups, holdings)
def test_a_role_is_satisfied_exactly_when_every_all_of_type_and_some_any_of_type_is_held_valid(spec, held):
    role = RoleSpec(code="role_x", name_zh="岗位", name_en="Role", requires=[
        RequirementGroup(**{kind: types}) for kind, types in spec])
    policy = Policy(version=7, content_hash="x", document=default_document(), types={}, roles={"role_x": role})
    certificates = [
        CertificateFacts(certificate_id=f"{t}-{i}", cert_type=t, number=f"{t}-{i}", holder_id="h",
                         issued_on=STANDINGS[s]["issued_on"],
                         expiries=(ExpiryChange(STANDINGS[s]["issued_on"], STANDINGS[s]["expires_on"]),),
                         changes=STANDINGS[s]["changes"])
        for t, standings in held.items() for i, s in enumerate(standings)
    ]
    valid = {t for t, standings in held.items() if "valid" in standings}
    expected = [all(t in valid for t in types) if kind == "all_of" else any(t in valid for t in types)
                for kind, types in spec]
    result = evaluate(policy, role, certificates, PROBE)
    assert [r.satisfied for r in result.requirements] == expected
    assert result.compliant == all(expected) and result.policy_version == 7
    for requirement in result.requirements:  # every shortfall names a type of its group that is not valid
        assert all(s.cert_type in requirement.cert_types and s.cert_type not in valid for s in requirement.shortfalls)
        if not requirement.satisfied:
            assert {s.cert_type for s in requirement.shortfalls} == set(requirement.cert_types) - valid
            for s in requirement.shortfalls:
                assert s.problem == ("missing" if s.cert_type not in held else s.problem)


@pytest.mark.parametrize("standing", list(STANDINGS))
def test_the_reference_standings_are_what_they_say(standing):
    s = STANDINGS[standing]
    facts = CertificateFacts(certificate_id="c", cert_type="health", number="n", holder_id="h", issued_on=s["issued_on"],
                             expiries=(ExpiryChange(s["issued_on"], s["expires_on"]),), changes=s["changes"])
    assert standing_on(facts, PROBE) == standing
