"""Stories of a certificate's life, in memory: issued once, renewed, suspended, reinstated, revoked.

Each change is a new event dated when it takes effect; what the certificate was on any day is
read from the facts folded from those events (the same fold the certification read model stores).
"""

from __future__ import annotations

import datetime as dt

import pytest
from eventsourcing.persistence import IntegrityError

from services.credential.domain.certificate import Certificate, certificate_id_for
from services.credential.domain.compliance import expiry_on, standing_on
from shared import idnumber
from shared.errors import Conflict, Invalid
from tests.fast.desks import REGISTRAR, CredentialDesk

pytestmark = pytest.mark.fast

D = dt.date.fromisoformat


@pytest.fixture
def desk() -> CredentialDesk:
    return CredentialDesk()


@pytest.fixture
def zhang(desk: CredentialDesk) -> str:
    return desk.register_staff("张敏", idnumber.make_valid("31011619880214562"))


def standing(desk: CredentialDesk, holder: str, certificate_id: str, on: str) -> str:
    (facts,) = [f for f in desk.facts_of(holder) if f.certificate_id == certificate_id]
    return standing_on(facts, D(on))


def events_of(desk: CredentialDesk, certificate_id: str) -> list[str]:
    return [type(e).__name__ for e in desk.events.stored() if str(e.originator_id) == certificate_id]


def test_the_registrar_records_a_certificate_and_it_is_valid_from_issue_to_expiry(desk, zhang):
    cert = desk.issue(zhang, "nursery_worker", "3101162023004567", D("2023-03-01"), D("2028-02-29"))

    assert cert == str(certificate_id_for("nursery_worker", "3101162023004567"))
    assert standing(desk, zhang, cert, "2023-02-28") == "not_yet_valid"
    assert standing(desk, zhang, cert, "2023-03-01") == "valid"
    assert standing(desk, zhang, cert, "2028-02-29") == "valid"  # through its last day
    assert standing(desk, zhang, cert, "2028-03-01") == "expired"


def test_the_same_number_of_the_same_type_cannot_be_recorded_twice_even_for_another_person(desk, zhang):
    li = desk.register_staff("李娜", idnumber.make_valid("31011619920611228"))
    desk.issue(zhang, "health", "JS2025-0001", D("2025-01-10"), D("2026-01-09"))

    with pytest.raises(IntegrityError):
        desk.issue(li, "health", "JS2025-0001", D("2025-02-01"), D("2026-01-31"))
    assert desk.facts_of(li) == []
    # Another type may use the same number: numbers are unique per type.
    desk.issue(li, "nursery_worker", "JS2025-0001", D("2025-02-01"), D("2030-01-31"))


@pytest.mark.parametrize("issued, expires, code", [
    ("2025-01-10", "2025-01-10", "expiry_not_after_issue"),
    ("2025-01-10", "2024-12-31", "expiry_not_after_issue"),
    ("2025-01-10", "2125-01-11", "expiry_too_far"),  # more than 100 years
])
def test_impossible_validity_dates_are_refused_and_nothing_is_recorded(desk, zhang, issued, expires, code):
    with pytest.raises(Invalid) as refused:
        desk.issue(zhang, "health", "JS2025-0002", D(issued), D(expires))
    assert refused.value.code == code and refused.value.field == "expires_on"
    assert desk.facts_of(zhang) == []


def test_a_yearly_health_certificate_is_renewed_from_the_day_the_renewal_takes_effect(desk, zhang):
    cert = desk.issue(zhang, "health", "JS2025-0003", D("2025-01-10"), D("2026-01-09"))
    desk.change(cert, lambda c: c.renew(expires_on=D("2027-01-09"), effective_on=D("2025-12-20"), note="复检合格",
                                        actor=REGISTRAR))

    (facts,) = desk.facts_of(zhang)
    assert expiry_on(facts, D("2025-12-19")) == "2026-01-09"  # the day before, the old expiry held
    assert expiry_on(facts, D("2025-12-20")) == "2027-01-09"
    assert standing(desk, zhang, cert, "2026-06-01") == "valid"
    with pytest.raises(Invalid) as refused:  # a renewal must move the expiry later
        desk.change(cert, lambda c: c.renew(expires_on=D("2026-06-30"), effective_on=D("2026-01-01"), note="",
                                            actor=REGISTRAR))
    assert refused.value.code == "expiry_not_later"
    assert events_of(desk, cert) == ["Issued", "Renewed"]


def test_a_suspension_with_an_end_date_lapses_by_itself_and_an_open_one_needs_reinstating(desk, zhang):
    cert = desk.issue(zhang, "nursery_worker", "3101162022000099", D("2022-05-01"), D("2027-04-30"))
    desk.change(cert, lambda c: c.suspend(reason="诚信记录调查", effective_on=D("2025-03-01"), until=D("2025-03-31"),
                                          actor=REGISTRAR))
    assert standing(desk, zhang, cert, "2025-02-28") == "valid"
    assert standing(desk, zhang, cert, "2025-03-15") == "suspended"
    assert standing(desk, zhang, cert, "2025-04-01") == "valid"

    desk.change(cert, lambda c: c.suspend(reason="再次调查", effective_on=D("2025-06-01"), until=None, actor=REGISTRAR))
    with pytest.raises(Conflict) as refused:
        desk.change(cert, lambda c: c.suspend(reason="again", effective_on=D("2025-06-02"), until=None, actor=REGISTRAR))
    assert refused.value.code == "already_suspended"
    assert standing(desk, zhang, cert, "2026-01-01") == "suspended"

    desk.change(cert, lambda c: c.reinstate(note="调查结束", effective_on=D("2025-07-01"), actor=REGISTRAR))
    assert standing(desk, zhang, cert, "2025-06-30") == "suspended"  # history as it was stays as it was
    assert standing(desk, zhang, cert, "2025-07-01") == "valid"


def test_only_a_suspended_certificate_can_be_reinstated(desk, zhang):
    cert = desk.issue(zhang, "health", "JS2025-0004", D("2025-01-10"), D("2026-01-09"))
    with pytest.raises(Conflict) as refused:
        desk.change(cert, lambda c: c.reinstate(note="", effective_on=D("2025-02-01"), actor=REGISTRAR))
    assert refused.value.code == "not_suspended"
    assert events_of(desk, cert) == ["Issued"]


def test_a_revoked_certificate_refuses_every_later_change_and_history_keeps_every_step(desk, zhang):
    cert = desk.issue(zhang, "infant_care", "3101162024000123", D("2024-06-30"), D("2029-06-30"))
    desk.change(cert, lambda c: c.revoke(reason="违反职业道德", category="ethics_violation", effective_on=D("2025-05-01"),
                                         actor=REGISTRAR))

    for command in (
        lambda c: c.renew(expires_on=D("2030-01-01"), effective_on=D("2025-06-01"), note="", actor=REGISTRAR),
        lambda c: c.suspend(reason="", effective_on=D("2025-06-01"), until=None, actor=REGISTRAR),
        lambda c: c.reinstate(note="", effective_on=D("2025-06-01"), actor=REGISTRAR),
        lambda c: c.revoke(reason="", category="other", effective_on=D("2025-06-01"), actor=REGISTRAR),
    ):
        with pytest.raises(Conflict):
            desk.change(cert, command)
    assert standing(desk, zhang, cert, "2025-04-30") == "valid"
    assert standing(desk, zhang, cert, "2025-05-01") == "revoked"
    assert events_of(desk, cert) == ["Issued", "Revoked"]


def test_a_change_dated_before_the_last_one_is_refused_so_every_date_has_one_answer(desk, zhang):
    cert = desk.issue(zhang, "health", "JS2025-0005", D("2025-01-10"), D("2026-01-09"))
    desk.change(cert, lambda c: c.suspend(reason="复查", effective_on=D("2025-05-01"), until=None, actor=REGISTRAR))
    with pytest.raises(Invalid) as refused:
        desk.change(cert, lambda c: c.reinstate(note="", effective_on=D("2025-04-30"), actor=REGISTRAR))
    assert refused.value.code == "effective_date_out_of_order"


def test_a_certificate_read_back_from_the_store_is_the_one_that_was_changed(desk, zhang):
    cert = desk.issue(zhang, "health", "JS2025-0006", D("2025-01-10"), D("2026-01-09"))
    desk.change(cert, lambda c: c.suspend(reason="复查", effective_on=D("2025-05-01"), until=D("2025-05-10"),
                                          actor=REGISTRAR))
    loaded: Certificate = desk.certificate(cert)
    assert (loaded.status, loaded.suspended_until, loaded.version) == ("suspended", "2025-05-10", 2)
