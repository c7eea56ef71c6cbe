"""Stories of a worker's QR badge, in memory: signed for a compliant worker, checked offline by an
inspector (人证合一 with the typed ID number), and revoked on the next status list when a
certificate it shows is revoked. The badge record is the service's ``Badge`` aggregate; signing,
claims and verification are the service's own ``cose``, ``claims`` and ``Verifier``."""

from __future__ import annotations

import datetime as dt

import pytest
from eventsourcing.persistence import IntegrityError

from contracts.badges import BadgeCertificate, HolderView, Verdict
from services.credential.badges import claims as badge_claims
from services.credential.badges import cose
from services.credential.badges import holder as holder_binding
from services.credential.domain.badges import Badge
from services.credential.application.badge_keys import ISSUER
from services.credential.badges.lists import StatusList, TrustedKey, TrustList, bitstring
from services.credential.badges.transport import unwrap, wrap
from services.credential.badges.verifier import Verifier
from services.credential.domain.compliance import expiry_on, standing_on
from shared import idnumber
from tests.fast.desks import REGISTRAR, CredentialDesk

pytestmark = pytest.mark.fast

D = dt.date.fromisoformat
NOW = dt.datetime(2025, 9, 1, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai
SUN_LI = idnumber.make_valid("31011619930715226")
STATUS_SIZE = 128


class District:
    """The desk plus the district's badge-signing key and the trust list that publishes it."""

    def __init__(self) -> None:
        self.desk = CredentialDesk()
        self.key = cose.generate_private_key(cose.ES256)
        self.kid = cose.key_id(self.key.public_key())
        at = int(NOW.timestamp())
        self.trust = TrustList(issuer=ISSUER, issued_at=at - 3600, expires_at=at + 7 * 86400, keys={
            self.kid: TrustedKey(kid=self.kid, algorithm=cose.ES256, public_key=self.key.public_key(),
                                 valid_from=at - 86400),
        })
        self.next_index = 0

    def sign_badge(self, staff_id: str, nursery_name: str, role: str, id_number: str) -> str:
        """Sign a badge showing the certificates the role requires, valid today (the caller checked compliance)."""
        today = NOW.date()
        needed = {t for r in self.desk.policy.role(role).requires for t in (r.all_of or r.any_of or [])}
        shown = [BadgeCertificate(type=f.cert_type, number=f.number, expires_on=D(expiry_on(f, today)))
                 for f in self.desk.facts_of(staff_id) if f.cert_type in needed and standing_on(f, today) == "valid"]
        index, self.next_index = self.next_index, self.next_index + 1
        badge_id = badge_claims.badge_id_for(index)
        salt = holder_binding.salt_for(self.kid, badge_id)
        view = HolderView(badge_id=str(badge_id), staff_id=staff_id, name=self.desk.person(staff_id).name,
                          nursery_id=None, nursery_name=nursery_name, roles=[role], certificates=shown, id_check=True)
        expires = NOW + dt.timedelta(days=30)
        claims = badge_claims.BadgeClaims(
            issuer=ISSUER, issued_at=int(NOW.timestamp()), expires_at=int(expires.timestamp()), holder=view,
            status_index=index, binding=holder_binding.bind(idnumber.normalise(id_number), salt,
                                                            holder_binding.MIN_ITERATIONS),
        )
        self.desk.events.save(Badge(
            status_index=index, staff_id=staff_id, nursery_id="", roles=[role],
            certificates=[{"type": c.type, "number": c.number, "expires_on": c.expires_on.isoformat()} for c in shown],
            kid=self.kid.hex(), issued_at=NOW.isoformat(), expires_at=expires.isoformat(), actor=REGISTRAR,
        ))
        return wrap(cose.sign1(badge_claims.encode(claims), self.key, self.kid, cose.ES256))

    def revoke_certificate(self, certificate_id: str, reason: str) -> None:
        """Revoke, and carry the new status onto every badge that shows the certificate (one save)."""
        certificate = self.desk.certificate(certificate_id)
        certificate.revoke(reason=reason, category="ethics_violation", effective_on=NOW.date(), actor=REGISTRAR)
        badges = [self.desk.events.repository.get(badge_claims.badge_id_for(i)) for i in range(self.next_index)]
        changed = [b for b in badges if b.change_certificate_status(certificate.number, certificate.status, reason,
                                                                    REGISTRAR, cert_type=certificate.cert_type)]
        self.desk.events.save(certificate, *changed)

    def status_list(self) -> StatusList:
        badges = [self.desk.events.repository.get(badge_claims.badge_id_for(i)) for i in range(self.next_index)]
        revoked = {b.status_index for b in badges if b.status == "revoked"}
        suspended = {b.status_index for b in badges if b.status == "suspended"}
        return StatusList(issuer=ISSUER, issued_at=int(NOW.timestamp()), ttl=43200, size=STATUS_SIZE,
                          revoked=bitstring(revoked, STATUS_SIZE), suspended=bitstring(suspended, STATUS_SIZE))

    def inspector(self) -> Verifier:
        """An inspector's phone with the lists it last downloaded."""
        return Verifier(self.trust, self.status_list(), source="cached")


@pytest.fixture
def district() -> District:
    return District()


@pytest.fixture
def sun_li(district: District) -> tuple[str, str]:
    """A compliant infant caregiver at 朱泾镇阳光托育园; returns (staff id, health certificate id)."""
    desk = district.desk
    nursery = desk.register_nursery("朱泾镇阳光托育园")
    staff_id = desk.register_staff("孙莉", SUN_LI)
    desk.issue(staff_id, "infant_care", "3101162024000123", D("2024-06-30"), D("2029-06-30"))
    health = desk.issue(staff_id, "health", "JS2025-0045127", D("2025-08-15"), D("2026-08-14"))
    assert desk.assign(staff_id, nursery, "infant_caregiver", D("2025-09-01")).compliant
    return staff_id, health


def test_an_inspector_scans_a_compliant_caregivers_badge_offline_and_it_is_hers(district, sun_li):
    staff_id, _ = sun_li
    text = district.sign_badge(staff_id, "朱泾镇阳光托育园", "infant_caregiver", SUN_LI)

    result = district.inspector().verify(text, now=NOW + dt.timedelta(hours=2), id_number=SUN_LI)

    assert result.verdict is Verdict.VALID
    assert (result.holder.name, result.holder.roles) == ("孙莉", ["infant_caregiver"])
    assert sorted(c.type for c in result.holder.certificates) == ["health", "infant_care"]


def test_someone_else_presenting_the_badge_is_told_apart_by_their_id_number(district, sun_li):
    staff_id, _ = sun_li
    text = district.sign_badge(staff_id, "朱泾镇阳光托育园", "infant_caregiver", SUN_LI)
    other = idnumber.make_valid("31011619950101002")

    result = district.inspector().verify(text, now=NOW + dt.timedelta(hours=2), id_number=other)

    assert result.verdict is Verdict.HOLDER_MISMATCH


def test_the_badge_does_not_carry_the_id_number_nor_the_date_of_birth(district, sun_li):
    staff_id, _ = sun_li
    message = unwrap(district.sign_badge(staff_id, "朱泾镇阳光托育园", "infant_caregiver", SUN_LI))
    for secret in (SUN_LI, SUN_LI[6:14], SUN_LI[-4:]):
        assert secret.encode() not in message


def test_revoking_a_certificate_on_the_badge_revokes_the_badge_on_the_next_status_list(district, sun_li):
    staff_id, health = sun_li
    text = district.sign_badge(staff_id, "朱泾镇阳光托育园", "infant_caregiver", SUN_LI)
    phone_before = district.inspector()

    district.revoke_certificate(health, "伪造体检报告")

    later = NOW + dt.timedelta(hours=3)
    assert phone_before.verify(text, now=later).verdict is Verdict.VALID  # offline with old lists: as of then
    assert district.inspector().verify(text, now=later).verdict is Verdict.REVOKED
    badge: Badge = district.desk.events.repository.get(badge_claims.badge_id_for(0))
    assert badge.certificate_status[("health", "JS2025-0045127")] == "revoked" and badge.version == 2


def test_a_copy_of_a_genuine_badge_signed_with_a_key_the_district_never_published_is_refused(district, sun_li):
    staff_id, _ = sun_li
    genuine = district.sign_badge(staff_id, "朱泾镇阳光托育园", "infant_caregiver", SUN_LI)
    payload = cose.parse_sign1(unwrap(genuine)).payload
    forger = cose.generate_private_key(cose.ES256)
    own_kid = wrap(cose.sign1(payload, forger, cose.key_id(forger.public_key()), cose.ES256))
    borrowed_kid = wrap(cose.sign1(payload, forger, district.kid, cose.ES256))

    inspector = district.inspector()
    assert inspector.verify(genuine, now=NOW).verdict is Verdict.VALID
    assert inspector.verify(own_kid, now=NOW).verdict is Verdict.UNKNOWN_KEY
    assert inspector.verify(borrowed_kid, now=NOW).verdict is Verdict.INVALID_SIGNATURE


def test_two_badges_never_share_a_status_index(district, sun_li):
    """The badge id derives from its status-list index: the event store refuses a second badge with one."""
    staff_id, _ = sun_li
    district.sign_badge(staff_id, "朱泾镇阳光托育园", "infant_caregiver", SUN_LI)
    district.next_index = 0  # another replica that has not seen the first badge yet
    with pytest.raises(IntegrityError):
        district.sign_badge(staff_id, "朱泾镇阳光托育园", "infant_caregiver", SUN_LI)
