"""Badges on each storage: issuing, status changes, key rotation and the online check."""

from __future__ import annotations

import base64
import datetime as dt
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from contracts.badges import BadgeCertificate, Verdict
from services.credential.badges import cose, qr
from services.credential.application.badge_signing import end_of_day
from services.credential.badges.lists import ListError, StatusList, TrustList
from services.credential.badges.verifier import Verifier
from shared.errors import Conflict, Invalid
from shared.idnumber import make_valid
from tests.integration.badge_world import ACTOR, LI_NA, make_world
from shared.district import today as district_today


@pytest.fixture
def world(settings):
    w = make_world(settings)
    yield w
    w.app.close()


def test_a_badge_round_trips_from_its_png_through_a_qr_decoder_to_the_verifier(world):
    issued = world.issue()
    scanned = qr.read_png(base64.b64decode(issued.png_base64))
    assert scanned == issued.qr_text and scanned.startswith("TY1:")
    result = world.badges.verify(scanned, id_number=LI_NA)
    assert result.verdict is Verdict.VALID
    assert result.holder.name == "李娜" and result.holder.id_check
    assert result.holder.nursery_id == world.nursery_id and result.holder.staff_id == world.staff_id
    assert result.holder.badge_id == issued.badge_id
    assert result.holder_check == "match" and issued.id_check
    assert result.status.source == "online" and result.status.age_seconds == 0
    assert issued.svg.startswith("<svg") and issued.qr_version <= 15


def test_a_badge_lasts_thirty_days_but_never_past_its_earliest_certificate(world):
    now = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)
    long_lived = world.issue(now=now, *[
        BadgeCertificate(type="infant_care", number="YY-1", expires_on=dt.date(2029, 1, 1)),
    ])
    assert long_lived.expires_at == now + dt.timedelta(days=30)
    soon = world.issue(now=now, *[
        BadgeCertificate(type="infant_care", number="YY-1", expires_on=dt.date(2029, 1, 1)),
        BadgeCertificate(type="health", number="JK-9", expires_on=dt.date(2026, 6, 10)),
    ])
    # Valid through 10 June in Shanghai: until 10 June 16:00 UTC.
    assert soon.expires_at == end_of_day(dt.date(2026, 6, 10)) == dt.datetime(2026, 6, 10, 16, 0, tzinfo=dt.UTC)


def test_issuing_with_someone_elses_id_number_or_a_lapsed_certificate_changes_nothing(world):
    before = world.app.recorder.max_notification_id()
    with pytest.raises(Invalid) as wrong:
        world.issue(id_number=make_valid("11010519491231002"))
    assert wrong.value.code == "id_number_mismatch"
    with pytest.raises(Invalid) as lapsed:
        world.issue(BadgeCertificate(type="health", number="JK-1", expires_on=dt.date(2020, 1, 1)))
    assert lapsed.value.field == "certificates"
    assert world.app.recorder.max_notification_id() == before


def test_badges_take_consecutive_status_indexes_and_reissue_is_a_new_badge(world):
    first, second = world.issue(), world.issue()
    assert (first.status_index, second.status_index) == (0, 1)
    assert [b.badge_id for b in world.badges.statuses.badges_of(world.staff_id)] == [first.badge_id, second.badge_id]


def test_an_inspector_scans_a_badge_whose_certificate_was_revoked_this_morning(world):
    old, new = world.issue(), world.issue()
    other = world.issue(BadgeCertificate(type="infant_care", number="YY-OTHER", expires_on=district_today() + dt.timedelta(days=400)))
    carrying = world.badges.statuses.badges_with_certificate("JK-2026-004512")
    assert [b.badge_id for b in carrying] == [old.badge_id, new.badge_id]
    changed = world.badges.statuses.mark_certificate("JK-2026-004512", "revoked", reason="forged", actor=ACTOR)
    assert sorted(changed) == sorted([old.badge_id, new.badge_id])
    assert world.badges.verify(old.qr_text).verdict is Verdict.REVOKED
    assert world.badges.verify(new.qr_text).verdict is Verdict.REVOKED
    assert world.badges.verify(other.qr_text).verdict is Verdict.VALID
    listed = world.badges.statuses.status_list()
    assert listed.is_revoked(old.status_index) and not listed.is_revoked(other.status_index)
    assert world.badges.statuses.badge(old.badge_id).status == "revoked"


def test_a_suspended_certificate_suspends_the_badge_until_it_is_reinstated(world):
    issued = world.issue()
    world.badges.statuses.mark_certificate("JK-2026-004512", "suspended", reason="ethics inquiry", actor=ACTOR)
    assert world.badges.verify(issued.qr_text).verdict is Verdict.SUSPENDED
    assert world.badges.statuses.mark_certificate("JK-2026-004512", "suspended", reason="again", actor=ACTOR) == []
    world.badges.statuses.mark_certificate("JK-2026-004512", "active", reason="cleared", actor=ACTOR)
    assert world.badges.verify(issued.qr_text).verdict is Verdict.VALID


def test_a_badge_itself_can_be_suspended_reinstated_and_revoked_for_good(world):
    issued = world.issue()
    statuses = world.badges.statuses
    statuses.mark_status(issued.status_index, "suspended", reason="lost phone", actor=ACTOR)
    assert world.badges.verify(issued.qr_text).verdict is Verdict.SUSPENDED
    statuses.change_badge_status(issued.badge_id, "active", reason="found", actor=ACTOR)
    assert world.badges.verify(issued.qr_text).verdict is Verdict.VALID
    statuses.change_badge_status(issued.badge_id, "revoked", reason="left the nursery", actor=ACTOR)
    assert world.badges.verify(issued.qr_text).verdict is Verdict.REVOKED
    with pytest.raises(Conflict):
        statuses.change_badge_status(issued.badge_id, "active", reason="oops", actor=ACTOR)


def test_rotation_keeps_old_badges_valid_until_they_expire(world):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    old_key = world.badges.keys.active()
    old_badge = world.issue(now=now)
    new_key = world.badges.keys.rotate(actor=ACTOR)
    new_badge = world.issue(now=now)
    assert old_badge.key_id == old_key.kid and new_badge.key_id == new_key.kid != old_key.kid
    retired = world.badges.keys.key(old_key.kid)
    assert retired.retired_at and retired.valid_until == old_badge.expires_at.isoformat()
    assert world.badges.verify(old_badge.qr_text).verdict is Verdict.VALID
    assert world.badges.verify(new_badge.qr_text).verdict is Verdict.VALID
    assert set(world.badges.keys.trust_list().keys) == {bytes.fromhex(old_key.kid), bytes.fromhex(new_key.kid)}
    after = old_badge.expires_at + dt.timedelta(hours=1)
    assert set(world.badges.keys.trust_list(after).keys) == {bytes.fromhex(new_key.kid)}


def test_offline_verifiers_get_lists_signed_by_the_pinned_anchor_and_a_trusted_key(world):
    world.issue()
    anchor = world.badges.keys.anchor_public_key()
    trust = TrustList.parse(world.badges.keys.signed_trust_list(), anchor)
    status = StatusList.parse(world.badges.statuses.signed_status_list(), trust)
    assert status.size == 1 and status.ttl == world.app.settings.badge_status_max_age_seconds == 12 * 3600
    assert trust.expires_at - trust.issued_at == 7 * 86400


def test_private_keys_stay_in_0600_files_and_never_reach_an_event(world):
    keys = world.badges.keys.list()
    assert {k.purpose for k in keys} == {"anchor", "badge"}
    for key in keys:
        path = world.badges.key_store.path(key.kid)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    stored = b"".join(n.state for n in world.app.recorder.select_notifications(start=1, limit=1000))
    assert b"PRIVATE KEY" not in stored and b"PUBLIC KEY" in stored
    assert LI_NA.encode() not in stored


def test_a_new_application_on_the_same_storage_sees_the_badges(world, settings):
    from services.credential.application import Credentials

    issued = world.issue()
    world.badges.statuses.mark_status(issued.status_index, "suspended", reason="check", actor=ACTOR)
    again = Credentials(settings)
    try:
        assert again.badges.verify(issued.qr_text).verdict is Verdict.SUSPENDED
    finally:
        again.close()


def test_a_badge_too_large_for_a_qr_code_is_refused_before_anything_is_recorded(world):
    before = world.app.recorder.max_notification_id()
    many = [BadgeCertificate(type="health", number=os.urandom(20).hex(), expires_on=district_today() + dt.timedelta(days=99))
            for _ in range(60)]
    with pytest.raises(Invalid) as refused:
        world.issue(*many)
    assert refused.value.code == "badge_too_large"
    assert world.app.recorder.max_notification_id() == before


def test_a_wrong_id_number_is_a_holder_mismatch_online_and_offline(world):
    bound, unbound = world.issue(), world.issue(id_number=None)
    someone_else = make_valid("11010519491231002")
    online = world.badges.verify(bound.qr_text, id_number=someone_else)
    assert online.verdict is Verdict.HOLDER_MISMATCH and online.holder.name == "李娜"
    # Online the registry's exact keyed hash decides, even for a badge issued without the number.
    assert world.badges.verify(unbound.qr_text, id_number=LI_NA).holder_check == "match"
    assert world.badges.verify(unbound.qr_text, id_number=someone_else).verdict is Verdict.HOLDER_MISMATCH
    offline = Verifier(world.badges.keys.trust_list(), world.badges.statuses.status_list())
    assert offline.verify(bound.qr_text, id_number=someone_else).verdict is Verdict.HOLDER_MISMATCH
    assert offline.verify(bound.qr_text, id_number=LI_NA).verdict is Verdict.VALID
    cannot = offline.verify(unbound.qr_text, id_number=LI_NA)
    assert cannot.verdict is Verdict.VALID and cannot.holder_check == "unavailable" and not cannot.holder.id_check


def test_offline_past_the_configured_maximum_age_the_status_is_unknown(backend, tmp_path):
    from tests.conftest import make_settings

    world = make_world(make_settings(backend, tmp_path, badge_status_max_age_seconds=3600))
    try:
        issued = world.issue()
        signed_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        trust = TrustList.parse(world.badges.keys.signed_trust_list(signed_at), world.badges.keys.anchor_public_key())
        status = StatusList.parse(world.badges.statuses.signed_status_list(signed_at), trust)
        assert status.ttl == 3600
        offline = Verifier(trust, status)
        fresh = offline.verify(issued.qr_text, id_number=LI_NA, now=signed_at + dt.timedelta(minutes=59))
        assert fresh.verdict is Verdict.VALID and f"status as of {signed_at.isoformat()}" in fresh.reason
        late = offline.verify(issued.qr_text, id_number=LI_NA, now=signed_at + dt.timedelta(minutes=61))
        assert late.verdict is Verdict.STATUS_UNKNOWN and late.status.stale
        assert world.badges.verify(issued.qr_text, id_number=LI_NA).verdict is Verdict.VALID  # online is live
    finally:
        world.app.close()


def test_a_certificate_valid_until_9999_12_31_does_not_overflow_the_badge(world):
    forever = BadgeCertificate(type="infant_care", number="YY-FOREVER", expires_on=dt.date(9999, 12, 31))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    issued = world.issue(forever, now=now)
    assert issued.expires_at == now + dt.timedelta(days=world.app.settings.badge_validity_days)
    result = world.badges.verify(issued.qr_text, id_number=LI_NA)
    assert result.verdict is Verdict.VALID and result.holder.certificates[0].expires_on == dt.date(9999, 12, 31)
    assert end_of_day(dt.date(9999, 12, 31)) == dt.datetime.max.replace(tzinfo=dt.UTC)
    assert end_of_day(dt.date(9999, 12, 30)) == dt.datetime.max.replace(tzinfo=dt.UTC)


def test_the_trust_anchor_rotates_and_verifiers_that_pinned_it_follow_the_signed_handovers(world, settings):
    first = world.badges.keys.anchor_public_key()
    issued = world.issue()
    one = world.badges.keys.rotate_anchor(actor=ACTOR)
    two = world.badges.keys.rotate_anchor(actor=ACTOR, algorithm="EdDSA")
    kids = {k.kid: k for k in world.badges.keys.list() if k.purpose == "anchor"}
    assert len(kids) == 3 and kids[two.kid].activated_at and not kids[two.kid].retired_at
    assert kids[one.kid].retired_at and world.badges.keys.anchor().kid == two.kid
    signed = world.badges.keys.signed_trust_list()
    for pinned in (first, serialization.load_pem_public_key(one.public_key_pem.encode())):
        trust = TrustList.parse(signed, pinned)  # a phone that pinned either earlier anchor
        assert cose.key_id(trust.anchor).hex() == two.kid
        status = StatusList.parse(world.badges.statuses.signed_status_list(), trust)
        assert Verifier(trust, status).verify(issued.qr_text, id_number=LI_NA).verdict is Verdict.VALID
    stranger = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(ListError, match="pinned trust anchor"):
        TrustList.parse(signed, stranger)
    from services.credential.application import Credentials

    again = Credentials(settings)  # the handovers are recorded, not only in this process
    try:
        assert len(again.badges.keys.handovers()) == 2
    finally:
        again.close()


def test_an_anchor_whose_private_key_is_gone_cannot_hand_over(world):
    anchor = world.badges.keys.anchor()
    world.badges.key_store.path(anchor.kid).unlink()
    before = world.app.recorder.max_notification_id()
    with pytest.raises(Conflict) as refused:
        world.badges.keys.rotate_anchor(actor=ACTOR)
    assert refused.value.code == "anchor_key_missing"
    assert world.app.recorder.max_notification_id() == before
