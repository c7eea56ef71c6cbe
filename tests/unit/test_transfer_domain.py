"""The transfer aggregate with no I/O: who may answer, when it is approved, and that closed stays closed."""

import pytest

from services.credential.domain.transfer import REGISTRAR, Transfer, consent_needed_from
from shared.errors import Conflict, Forbidden

A, B, C = "nursery-a", "nursery-b", "nursery-c"
HR_A = {"key_id": "ka", "role": "hr", "scope": A}
HR_B = {"key_id": "kb", "role": "hr", "scope": B}
BUREAU = {"key_id": "kr", "role": "registrar", "scope": None}


def ask(*current: str) -> Transfer:
    return Transfer.request(staff_id="p1", nursery_id=A, current_nursery_ids=current, start_on="2026-09-01",
                            note="", actor=HR_A)


def topics(transfer: Transfer) -> list[str]:
    return [type(e).__name__ for e in transfer.collect_events()]


def test_consent_is_needed_from_every_employer_that_has_not_agreed():
    assert consent_needed_from([B, C], [B]) == {C}
    assert consent_needed_from([B], [B, C]) == set()
    assert consent_needed_from([], []) == set()


def test_a_request_nobody_must_answer_is_refused_and_the_asker_is_never_its_own_employer():
    with pytest.raises(Conflict) as refused:
        ask()
    assert refused.value.code == "consent_not_needed"
    with pytest.raises(Conflict):
        ask(A)
    assert ask(A, B).current_nursery_ids == [B]


def test_approved_once_every_current_nursery_agrees():
    transfer = ask(C, B)
    assert transfer.current_nursery_ids == [B, C]
    transfer.consent(by_nursery=B, note="", actor=HR_B)
    assert transfer.status == "pending"
    with pytest.raises(Conflict) as twice:
        transfer.consent(by_nursery=B, note="", actor=HR_B)
    assert twice.value.code == "already_consented"
    transfer.consent(by_nursery=C, note="", actor={"role": "hr", "scope": C})
    assert transfer.status == "approved"
    assert topics(transfer) == ["Requested", "Consented", "Consented", "Approved"]


def test_the_registrar_alone_approves():
    transfer = ask(B, C)
    transfer.consent(by_nursery=REGISTRAR, note="调配", actor=BUREAU)
    assert transfer.status == "approved"
    requested, consented, approved = transfer.collect_events()
    assert consented.by_nursery is None and approved.by_registrar and approved.actor == BUREAU


def test_only_a_current_nursery_answers_and_only_the_asker_withdraws():
    transfer = ask(B)
    for answer in (lambda: transfer.consent(by_nursery=A, note="", actor=HR_A),
                   lambda: transfer.refuse(by_nursery=A, reason="x", actor=HR_A)):
        with pytest.raises(Forbidden) as refused:
            answer()
        assert refused.value.code == "not_current_nursery"
    with pytest.raises(Forbidden) as refused:
        transfer.withdraw(by_nursery=B, reason="x", actor=HR_B)
    assert refused.value.code == "not_requesting_nursery"
    transfer.withdraw(by_nursery=A, reason="岗位已满", actor=HR_A)
    assert transfer.status == "withdrawn"


@pytest.mark.parametrize("close", ["refuse", "withdraw", "approve"])
def test_a_closed_request_takes_no_further_answer(close):
    transfer = ask(B)
    if close == "refuse":
        transfer.refuse(by_nursery=B, reason="合同期内", actor=HR_B)
    elif close == "withdraw":
        transfer.withdraw(by_nursery=A, reason="x", actor=HR_A)
    else:
        transfer.consent(by_nursery=B, note="", actor=HR_B)
    before = len(transfer.collect_events())
    for act in (lambda: transfer.consent(by_nursery=B, note="", actor=HR_B),
                lambda: transfer.refuse(by_nursery=REGISTRAR, reason="x", actor=BUREAU),
                lambda: transfer.withdraw(by_nursery=A, reason="x", actor=HR_A)):
        with pytest.raises(Conflict) as closed:
            act()
        assert closed.value.code == "transfer_closed"
    assert before > 0 and transfer.collect_events() == []
