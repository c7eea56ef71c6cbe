"""Certificate lifecycle and policy validation on the pure aggregates (no storage)."""

import datetime as dt

import msgspec
import pytest

from services.credential.domain.certificate import Certificate, certificate_id_for, latest_expiry
from services.credential.domain.policy import PolicyDocument, RolePolicy, canonical_content, content_hash, default_document
from shared.errors import Conflict, Invalid

D = dt.date.fromisoformat
REGISTRAR = {"key_id": "k", "role": "registrar", "scope": None}


def issued(**overrides):
    args = dict(cert_type="nursery_worker", number="BY-001", issuing_body="上海市人社局", issued_on=D("2025-01-01"),
                expires_on=D("2028-01-01"), holder_id="p", note="", actor=REGISTRAR)
    return Certificate.issue(**{**args, **overrides})


def test_the_same_number_of_the_same_type_is_the_same_certificate():
    assert issued().id == certificate_id_for("nursery_worker", "BY-001") == issued(holder_id="q").id
    assert issued(cert_type="health").id != issued().id


def test_an_expiry_not_after_the_issue_date_is_refused():
    with pytest.raises(Invalid) as refused:
        issued(expires_on=D("2025-01-01"))
    assert refused.value.field == "expires_on"


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (lambda c: c.reinstate(note="n", effective_on=D("2026-06-01"), actor=REGISTRAR), "certificate_revoked"),
        (lambda c: c.renew(expires_on=D("2030-01-01"), effective_on=D("2026-06-01"), note="n", actor=REGISTRAR), "certificate_revoked"),
        (lambda c: c.suspend(reason="r", effective_on=D("2026-06-01"), until=None, actor=REGISTRAR), "certificate_revoked"),
        (lambda c: c.revoke(reason="r", category="error", effective_on=D("2026-06-01"), actor=REGISTRAR), "already_revoked"),
    ],
)
def test_a_revoked_certificate_refuses_every_change_and_records_nothing(command, code):
    cert = issued()
    cert.revoke(reason="forged", category="fraud", effective_on=D("2026-05-01"), actor=REGISTRAR)
    before = cert.version
    with pytest.raises(Conflict) as refused:
        command(cert)
    assert refused.value.code == code and cert.version == before


def test_suspend_reinstate_and_their_refusals():
    cert = issued()
    with pytest.raises(Conflict) as refused:
        cert.reinstate(note="n", effective_on=D("2026-01-01"), actor=REGISTRAR)
    assert refused.value.code == "not_suspended"
    cert.suspend(reason="under investigation", effective_on=D("2026-01-01"), until=D("2026-01-31"), actor=REGISTRAR)
    with pytest.raises(Conflict) as refused:
        cert.suspend(reason="again", effective_on=D("2026-01-15"), until=None, actor=REGISTRAR)
    assert refused.value.code == "already_suspended"
    cert.suspend(reason="a new case after the first ran out", effective_on=D("2026-02-10"), until=None, actor=REGISTRAR)
    cert.reinstate(note="cleared", effective_on=D("2026-03-01"), actor=REGISTRAR)
    assert cert.status == "active"
    assert all(e.actor == REGISTRAR for e in cert.collect_events())


def test_a_renewal_must_move_the_expiry_later_and_status_changes_stay_in_date_order():
    cert = issued()
    with pytest.raises(Invalid) as refused:
        cert.renew(expires_on=D("2028-01-01"), effective_on=D("2026-01-01"), note="n", actor=REGISTRAR)
    assert (refused.value.field, refused.value.code) == ("expires_on", "expiry_not_later")
    cert.suspend(reason="r", effective_on=D("2026-05-01"), until=None, actor=REGISTRAR)
    with pytest.raises(Invalid) as refused:
        cert.reinstate(note="n", effective_on=D("2026-04-01"), actor=REGISTRAR)
    assert refused.value.field == "effective_on"


def test_a_policy_version_records_its_content_and_its_hash():
    policy = RolePolicy(actor=REGISTRAR)
    policy.adopt(default_document(), "default", REGISTRAR)
    event = policy.collect_events()[-1]
    assert event.policy_version == 1 and event.content_hash == content_hash(event.content)
    assert event.content == canonical_content(default_document())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["roles"][0]["requires"][0].update(all_of=["infant_care", "driving_licence"]),
         "content.roles[0].requires[0].all_of[1]"),
        (lambda d: d["roles"][1].update(requires=[]), "content.roles[1].requires"),
        (lambda d: d["roles"][0]["requires"][0].update(any_of=["health"]), "content.roles[0].requires[0]"),
        (lambda d: d["certificate_types"].append(dict(d["certificate_types"][0])), "content.certificate_types[8].code"),
        (lambda d: d["roles"].append(dict(d["roles"][0])), "content.roles[7].code"),
    ],
)
def test_a_policy_that_does_not_hold_together_is_refused_naming_the_field(change, field):
    raw = msgspec.to_builtins(default_document())
    change(raw)
    policy = RolePolicy(actor=REGISTRAR)
    with pytest.raises(Invalid) as refused:
        policy.adopt(msgspec.convert(raw, PolicyDocument), "bad", REGISTRAR)
    assert refused.value.field == field
    assert policy.policy_version == 0


def test_loading_a_policy_is_pure_and_cached_by_version_and_content():
    from services.credential.domain.policy import load_policy

    content = canonical_content(default_document())
    first, again = load_policy(1, content), load_policy(1, dict(reversed(list(content.items()))))
    assert first is again and first.content_hash == content_hash(content)
    assert load_policy(2, content) is not first and load_policy(2, content).version == 2


def test_the_longest_validity_ends_on_a_real_day():
    assert latest_expiry(dt.date(2000, 2, 29)) == dt.date(2100, 2, 28)  # 2100 is no leap year
    assert latest_expiry(dt.date(2025, 6, 30)) == dt.date(2125, 6, 30)
