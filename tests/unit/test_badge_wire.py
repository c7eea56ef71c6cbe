"""The badge wire chain on its own: CWT claims → COSE_Sign1 → zlib → Base45 → TY1: → QR (Q).

An inspector's phone scans the QR code; these tests check every layer it goes through, the
verdicts a scan can get, and that an independent COSE library agrees with our signatures.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import random
import uuid
import zlib

import base45
import cbor2
import msgspec
import pytest

from contracts.badges import BadgeCertificate, HolderCheck, HolderView, Verdict
from services.credential.badges import claims as badge_claims
from services.credential.badges import cose, holder as holder_binding, qr
from services.credential.badges.lists import StatusList, TrustedKey, TrustList, bit, bitstring
from services.credential.badges.transport import BADGE_PREFIX, TransportError, b45decode, unwrap, wrap
from services.credential.badges.verifier import Verifier
from shared import idnumber
from tests.unit.badge_variants import variants

NOW = dt.datetime(2026, 9, 1, 9, 30, tzinfo=dt.UTC)
ID_NUMBER = idnumber.make_valid("31011619900307123")


@functools.lru_cache(maxsize=None)
def binding(kid: bytes, index: int) -> holder_binding.HolderBinding:
    """The holder binding of badge ``index`` under key ``kid`` (each computation is deliberately slow: once)."""
    salt = holder_binding.salt_for(kid, badge_claims.badge_id_for(index))
    return holder_binding.bind(ID_NUMBER, salt, holder_binding.MIN_ITERATIONS)


def holder(name: str = "王丽华", nursery: str = "朱泾镇阳光托育园") -> HolderView:
    return HolderView(
        badge_id="", staff_id=str(uuid.uuid4()), name=name, nursery_id=None, nursery_name=nursery, roles=["infant_caregiver", "nursery_worker"],
        certificates=[
            BadgeCertificate(type="infant_care", number="3101162024000123", expires_on=dt.date(2029, 6, 30)),
            BadgeCertificate(type="nursery_worker", number="3101162023004567", expires_on=dt.date(2028, 3, 31)),
            BadgeCertificate(type="health", number="JS2026-0045127", expires_on=dt.date(2027, 1, 15)),
        ],
    )


class Signer:
    """A badge key, the trust list that publishes it, and a way to mint badge texts."""

    def __init__(self, algorithm: int = cose.ES256):
        self.algorithm = algorithm
        self.private_key = cose.generate_private_key(algorithm)
        self.kid = cose.key_id(self.private_key.public_key())

    def trusted(self) -> TrustedKey:
        return TrustedKey(kid=self.kid, algorithm=self.algorithm, public_key=self.private_key.public_key(),
                          valid_from=int(NOW.timestamp()) - 86400)

    def badge(self, index: int = 7, *, issued: dt.datetime = NOW, days: int = 30, who: HolderView | None = None,
              id_check: bool = True) -> str:
        claims = badge_claims.BadgeClaims(
            issuer="310116", issued_at=int(issued.timestamp()), expires_at=int((issued + dt.timedelta(days=days)).timestamp()),
            holder=who or holder(), status_index=index, binding=binding(self.kid, index) if id_check else None,
        )
        return wrap(cose.sign1(badge_claims.encode(claims), self.private_key, self.kid, self.algorithm))


def trust_of(*signers: Signer) -> TrustList:
    at = int(NOW.timestamp())
    return TrustList(issuer="310116", issued_at=at - 3600, expires_at=at + 7 * 86400,
                     keys={s.kid: s.trusted() for s in signers})


def status(size: int = 64, revoked: tuple[int, ...] = (), suspended: tuple[int, ...] = ()) -> StatusList:
    return StatusList(issuer="310116", issued_at=int(NOW.timestamp()) - 7200, ttl=86400, size=size,
                      revoked=bitstring(set(revoked), size), suspended=bitstring(set(suspended), size))


# Base45 (RFC 9285) ---------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "encoded"), [
    (b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"), (b"ietf!", "QED8WEX0"),
])
def test_base45_follows_the_rfc_9285_examples(raw: bytes, encoded: str):
    assert base45.b45encode(raw).decode() == encoded
    assert base45.b45decode(encoded) == raw


def test_the_badge_decoder_reads_every_short_text_as_the_reference_package_does():
    """Every text of one to three Base45 characters, and lowercase and beyond-ASCII ones: the same
    bytes as the pure-Python reference, or refused as it refuses them (groups above 65535, pairs
    above 255, a single trailing character)."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    texts = ["".join(chars) for k in (1, 2, 3) for chars in itertools.product(alphabet, repeat=k)]
    texts += ["a", "BB8a", "BB8é", "FGW", "FGWFGW", "GGWBB8", "BB8GGW", "U5", "V5", "BB8U5", "BB8V5", ""]
    for text in texts:
        try:
            expected: bytes | None = base45.b45decode(text)
        except ValueError:
            expected = None
        try:
            decoded: bytes | None = b45decode(text)
        except TransportError as exc:
            assert exc.step == "base45"
            decoded = None
        assert decoded == expected, text


def test_the_badge_decoder_reads_long_texts():
    rng = random.Random(45)
    for size in (0, 1, 2, 3, 180, 267, 511):
        raw = bytes(rng.randrange(256) for _ in range(size))
        assert b45decode(base45.b45encode(raw).decode()) == raw


@pytest.mark.parametrize("bad", ["GGW", "A", "ab", "BB8="])
def test_base45_refuses_what_rfc_9285_calls_invalid(bad: str):
    with pytest.raises(TransportError) as caught:
        unwrap(BADGE_PREFIX + bad)
    assert caught.value.step == "base45"


# The QR code -----------------------------------------------------------------------------------


def test_a_three_certificate_badge_with_chinese_names_fits_qr_version_15(capsys):
    signer = Signer()
    typical = signer.badge(who=holder())
    long_names = signer.badge(who=holder(name="欧阳思琪", nursery="金山区朱泾镇阳光宝贝托育园"))
    with capsys.disabled():
        print(f"\nbadge QR (3 certificates, level Q): {len(typical)} chars → version {qr.version(typical)};"
              f" with a 4-character name and a 13-character nursery: {len(long_names)} chars → version {qr.version(long_names)}")
    assert qr.version(typical) <= qr.MAX_VERSION
    assert qr.version(long_names) <= qr.MAX_VERSION


def test_the_png_reads_back_through_zxing_and_the_svg_is_an_svg():
    text = Signer().badge()
    assert qr.read_png(qr.png(text)) == text
    assert qr.svg(text).startswith("<svg")


def test_an_image_without_a_qr_code_is_reported_unreadable():
    with pytest.raises(qr.QrUnreadable):
        qr.read_png(b"not a picture")


# Verdicts --------------------------------------------------------------------------------------


def test_an_inspector_sees_a_genuine_badge_as_valid_with_its_holder():
    signer = Signer()
    result = Verifier(trust_of(signer), status()).verify(signer.badge(), now=NOW)
    assert result.verdict is Verdict.VALID
    assert result.holder.name == "王丽华" and result.holder.id_check
    assert [c.type for c in result.holder.certificates] == ["infant_care", "nursery_worker", "health"]
    assert result.holder.badge_id == str(badge_claims.badge_id_for(7))
    assert result.status.age_seconds == 7200 and not result.status.stale


def test_one_tampered_byte_breaks_the_signature():
    signer = Signer()
    message = bytearray(unwrap(signer.badge()))
    sign1 = cbor2.loads(bytes(message)).value
    payload = sign1[2]
    at = bytes(message).index(payload) + payload.index("王丽华".encode())
    message[at + 2] ^= 0x01  # one bit of the holder's name
    tampered = BADGE_PREFIX + base45.b45encode(zlib.compress(bytes(message))).decode()
    result = Verifier(trust_of(signer), status()).verify(tampered, now=NOW)
    assert result.verdict is Verdict.INVALID_SIGNATURE
    assert result.holder is None  # nothing from a forged badge is shown as fact


def test_a_badge_signed_by_a_foreign_key_is_unknown():
    ours, foreign = Signer(), Signer()
    result = Verifier(trust_of(ours), status()).verify(foreign.badge(), now=NOW)
    assert result.verdict is Verdict.UNKNOWN_KEY and result.holder is None


def test_a_foreign_key_reusing_our_key_id_fails_the_signature():
    ours, forger = Signer(), Signer()
    forger.kid = ours.kid
    assert Verifier(trust_of(ours), status()).verify(forger.badge(), now=NOW).verdict is Verdict.INVALID_SIGNATURE


def test_expired_and_not_yet_valid_badges_tolerating_five_minutes_of_clock_skew():
    signer = Signer()
    verifier = Verifier(trust_of(signer), status(), skew_seconds=300)
    old = signer.badge(issued=NOW - dt.timedelta(days=30, minutes=10), days=30)
    assert verifier.verify(old, now=NOW).verdict is Verdict.EXPIRED
    just = signer.badge(issued=NOW - dt.timedelta(days=30, minutes=3), days=30)
    assert verifier.verify(just, now=NOW).verdict is Verdict.VALID
    future = signer.badge(issued=NOW + dt.timedelta(minutes=10))
    assert verifier.verify(future, now=NOW).verdict is Verdict.NOT_YET_VALID
    slightly_ahead = signer.badge(issued=NOW + dt.timedelta(minutes=4))
    assert verifier.verify(slightly_ahead, now=NOW).verdict is Verdict.VALID


def test_revoked_and_suspended_bits_give_their_own_verdicts():
    signer = Signer()
    verifier = Verifier(trust_of(signer), status(revoked=(7,), suspended=(8, 7)))
    assert verifier.verify(signer.badge(7), now=NOW).verdict is Verdict.REVOKED  # revoked wins
    assert verifier.verify(signer.badge(8), now=NOW).verdict is Verdict.SUSPENDED
    assert verifier.verify(signer.badge(9), now=NOW).verdict is Verdict.VALID


def test_a_badge_newer_than_the_cached_status_list_is_valid_but_says_so():
    signer = Signer()
    result = Verifier(trust_of(signer), status(size=8)).verify(signer.badge(12), now=NOW, id_number=ID_NUMBER)
    assert result.verdict is Verdict.VALID and "after this status list" in result.reason


@pytest.mark.parametrize(("text", "why"), [
    ("HC1:NCFOXN%TS3DH", "prefix"),
    (BADGE_PREFIX + "NCFOXN%TS3DH:::", "base45"),
    (BADGE_PREFIX + base45.b45encode(b"plain, not zlib").decode(), "zlib"),
    (BADGE_PREFIX + base45.b45encode(zlib.compress(b"\xff\xfe")).decode(), "CBOR"),
    (BADGE_PREFIX + base45.b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, [1, 2])))).decode(), "four items"),
])
def test_garbage_is_malformed_and_says_which_layer(text: str, why: str):
    result = Verifier(trust_of(Signer()), status()).verify(text, now=NOW)
    assert result.verdict is Verdict.MALFORMED and why in result.reason


def test_every_other_encoding_of_a_genuine_badge_is_malformed_and_says_why():
    """Untagged, other tags, trailing bytes at each layer, non-deterministic CBOR: one badge, one text."""
    signer = Signer()
    text = signer.badge()
    verifier = Verifier(trust_of(signer), status())
    assert verifier.verify(text, now=NOW).verdict is Verdict.VALID

    def resign(payload: bytes) -> str:
        return wrap(cose.sign1(payload, signer.private_key, signer.kid, cose.ES256))

    found = variants(text, resign)
    assert len(found) == 11
    for name, (variant, why) in found.items():
        assert variant != text
        result = verifier.verify(variant, now=NOW, id_number=ID_NUMBER)
        assert result.verdict is Verdict.MALFORMED and why in result.reason, (name, result.reason)
        assert result.holder is None


def test_the_dcc_interop_profile_still_needs_the_tag_but_reads_other_issuers_encodings():
    signer = Signer()
    message = unwrap(signer.badge())
    protected, _, payload, signature = cbor2.loads(message).value
    unsorted = cbor2.dumps(cbor2.CBORTag(18, [protected, {4: signer.kid}, payload, signature]))
    assert cose.parse_sign1(unsorted, strict=False).kid == signer.kid
    with pytest.raises(cose.MalformedCose, match="unprotected"):
        cose.parse_sign1(unsorted)
    with pytest.raises(cose.MalformedCose, match="untagged"):
        cose.parse_sign1(cbor2.dumps([protected, {}, payload, signature]), strict=False)


def test_a_signed_payload_that_is_not_a_badge_is_malformed():
    signer = Signer()
    text = wrap(cose.sign1(cbor2.dumps({1: "310116", 4: 0, 6: 0}), signer.private_key, signer.kid, cose.ES256))
    assert Verifier(trust_of(signer), status()).verify(text, now=NOW).verdict is Verdict.MALFORMED


def test_the_inspector_confirms_the_id_card_matches_without_the_badge_revealing_it():
    signer = Signer()
    verifier = Verifier(trust_of(signer), status())
    text = signer.badge()
    claims = badge_claims.decode(cose.parse_sign1(unwrap(text)).payload)
    shown = unwrap(text).decode("latin-1") + str(msgspec.to_builtins(claims.holder))
    for part in (ID_NUMBER, ID_NUMBER[6:14], ID_NUMBER[-4:], ID_NUMBER[:6] + "*"):
        assert part not in shown  # no birth date, sequence, check character or mask in clear (310116 is the issuer)
    ok = verifier.verify(text, now=NOW, id_number=ID_NUMBER.lower())
    assert ok.verdict is Verdict.VALID and ok.holder_check is HolderCheck.MATCH
    other = idnumber.make_valid("31011619900307124")
    wrong = verifier.verify(text, now=NOW, id_number=other)
    assert wrong.verdict is Verdict.HOLDER_MISMATCH and wrong.holder_check is HolderCheck.MISMATCH
    assert wrong.holder.name == "王丽华"  # whose badge it is, so the inspector can say so
    garbage = verifier.verify(text, now=NOW, id_number="not a number")
    assert garbage.verdict is Verdict.HOLDER_MISMATCH and "not a valid ID number" in garbage.reason
    unchecked = verifier.verify(text, now=NOW)
    assert unchecked.verdict is Verdict.VALID and unchecked.holder_check is HolderCheck.NOT_CHECKED
    assert "NOT checked" in unchecked.reason
    unbound = verifier.verify(signer.badge(id_check=False), now=NOW, id_number=ID_NUMBER)
    assert unbound.verdict is Verdict.VALID and unbound.holder_check is HolderCheck.UNAVAILABLE
    assert "CANNOT be checked" in unbound.reason and not unbound.holder.id_check


def test_a_mismatch_outranks_status_unknown_but_not_revocation():
    signer = Signer()
    text = signer.badge(7)
    other = idnumber.make_valid("11010519491231002")
    stale = Verifier(trust_of(signer), status(), max_status_age=3600)  # the list is 2 h old
    assert stale.verify(text, now=NOW, id_number=other).verdict is Verdict.HOLDER_MISMATCH
    assert stale.verify(text, now=NOW, id_number=ID_NUMBER).verdict is Verdict.STATUS_UNKNOWN
    revoked = Verifier(trust_of(signer), status(revoked=(7,)))
    assert revoked.verify(text, now=NOW, id_number=other).verdict is Verdict.REVOKED


def test_the_binding_is_two_bytes_of_pbkdf2_so_wrong_numbers_match_about_once_in_65536():
    """The false-accept rate is a property of the truncation: count it over many wrong numbers (cheap iterations)."""
    salt, iterations = holder_binding.salt_for(b"k" * 8, uuid.uuid4()), 1  # far below what verifiers accept: to count
    right = holder_binding.check_of(ID_NUMBER, salt, iterations)
    assert len(right) == holder_binding.CHECK_BYTES == 2
    wrong = [idnumber.make_valid(f"3101161990{n:07d}") for n in range(20_000)]
    hits = sum(holder_binding.check_of(w, salt, iterations) == right for w in wrong if w != ID_NUMBER)
    assert hits <= 5  # expected 20,000 / 65,536 ≈ 0.3


def test_a_binding_outside_the_accepted_iterations_or_sizes_is_malformed():
    signer = Signer()
    for bad in ([1000, b"cc"], [300_000, b"ccc"], [300_000, "cc"], [True, b"cc"], [300_000, b"s" * 8, b"cc"]):
        with pytest.raises(ValueError):
            holder_binding.HolderBinding.from_cbor(bad)
    claims = badge_claims.BadgeClaims(issuer="310116", issued_at=int(NOW.timestamp()), expires_at=int(NOW.timestamp()) + 60,
                                      holder=holder(), status_index=1, binding=None)
    body = cbor2.loads(badge_claims.encode(claims))
    body[badge_claims.BADGE_CLAIM][10] = [10, b"cc"]
    text = wrap(cose.sign1(cbor2.dumps(body, canonical=True), signer.private_key, signer.kid, cose.ES256))
    result = Verifier(trust_of(signer), status()).verify(text, now=NOW)
    assert result.verdict is Verdict.MALFORMED and "iterations" in result.reason


def test_version_1_badges_which_showed_id_digits_are_refused():
    signer = Signer()
    claims = badge_claims.BadgeClaims(issuer="310116", issued_at=int(NOW.timestamp()), expires_at=int(NOW.timestamp()) + 60,
                                      holder=holder(), status_index=1)
    body = cbor2.loads(badge_claims.encode(claims))
    body[badge_claims.BADGE_CLAIM][1] = 1
    text = wrap(cose.sign1(cbor2.dumps(body, canonical=True), signer.private_key, signer.kid, cose.ES256))
    result = Verifier(trust_of(signer), status()).verify(text, now=NOW)
    assert result.verdict is Verdict.MALFORMED and "version 1" in result.reason


# Freshness -------------------------------------------------------------------------------------


def test_within_the_maximum_age_a_valid_badge_says_status_as_of_and_past_it_status_unknown():
    signer = Signer()
    text = signer.badge()
    listed = status()  # issued 2 h before NOW, signed time-to-live 24 h
    fresh = Verifier(trust_of(signer), listed).verify(text, now=NOW, id_number=ID_NUMBER)
    assert fresh.verdict is Verdict.VALID and not fresh.status.stale
    assert f"status as of {(NOW - dt.timedelta(hours=2)).isoformat()}" in fresh.reason
    late = NOW + dt.timedelta(hours=22, minutes=1)
    old = Verifier(trust_of(signer), listed).verify(text, now=late, id_number=ID_NUMBER)
    assert old.verdict is Verdict.STATUS_UNKNOWN and old.status.stale and "refresh" in old.reason
    assert old.holder.name == "王丽华"
    shortened = Verifier(trust_of(signer), listed, max_status_age=3600).verify(text, now=NOW, id_number=ID_NUMBER)
    assert shortened.verdict is Verdict.STATUS_UNKNOWN  # a verifier may shorten the window, never lengthen it
    lengthened = Verifier(trust_of(signer), listed, max_status_age=7 * 86400).verify(text, now=late, id_number=ID_NUMBER)
    assert lengthened.verdict is Verdict.STATUS_UNKNOWN
    none = Verifier(trust_of(signer), None).verify(text, now=NOW, id_number=ID_NUMBER)
    assert none.verdict is Verdict.STATUS_UNKNOWN and "no status list" in none.reason


def test_stale_status_data_still_shows_a_revocation_but_not_a_suspension_as_current():
    signer = Signer()
    late = NOW + dt.timedelta(days=2)
    listed = Verifier(trust_of(signer), status(revoked=(7,), suspended=(8,)))
    assert listed.verify(signer.badge(7), now=late).verdict is Verdict.REVOKED  # revocation is for good
    suspended = listed.verify(signer.badge(8), now=late)
    assert suspended.verdict is Verdict.STATUS_UNKNOWN and "suspended then" in suspended.reason


def test_an_expired_trust_list_makes_the_status_unknown():
    signer = Signer()
    trust = trust_of(signer)
    trust.expires_at = int(NOW.timestamp()) - 1
    assert Verifier(trust, status()).verify(signer.badge(), now=NOW).verdict is Verdict.STATUS_UNKNOWN


def test_eddsa_keys_sign_and_verify_too():
    signer = Signer(cose.EDDSA)
    assert Verifier(trust_of(signer), status()).verify(signer.badge(), now=NOW).verdict is Verdict.VALID


def test_a_message_cannot_choose_another_algorithm_than_its_key_records():
    signer = Signer()
    sign1 = cose.parse_sign1(unwrap(signer.badge()))
    assert sign1.verify(signer.private_key.public_key(), cose.ES256)
    assert not sign1.verify(signer.private_key.public_key(), cose.PS256)


# Signed lists ----------------------------------------------------------------------------------


def test_the_trust_list_and_status_list_round_trip_under_their_signatures():
    anchor, signer = Signer(), Signer()
    trust = trust_of(signer)
    parsed = TrustList.parse(trust.sign(anchor.private_key), anchor.private_key.public_key())
    assert list(parsed.keys) == [signer.kid] and parsed.expires_at == trust.expires_at
    with pytest.raises(ValueError, match="trust anchor"):
        TrustList.parse(trust.sign(Signer().private_key), anchor.private_key.public_key())
    listed = status(revoked=(3,), suspended=(5,))
    back = StatusList.parse(listed.sign(signer.private_key, signer.kid, cose.ES256), parsed)
    assert back.is_revoked(3) and back.is_suspended(5) and not back.is_revoked(5) and back.ttl == 86400
    with pytest.raises(ValueError, match="not in the trust list"):
        StatusList.parse(listed.sign(anchor.private_key, anchor.kid, cose.ES256), parsed)


def test_status_bits_are_least_significant_first():
    data = bitstring({0, 9}, 16)
    assert data == bytes([0b00000001, 0b00000010])
    assert bit(data, 9) and not bit(data, 8) and not bit(data, 100)


# An independent COSE library agrees -------------------------------------------------------------


def test_pycose_verifies_our_badge_with_the_published_public_key():
    from cose.keys import EC2Key
    from cose.messages import CoseMessage
    from cryptography.hazmat.primitives.asymmetric import ec

    anchor, signer = Signer(), Signer()
    published = TrustList.parse(trust_of(signer).sign(anchor.private_key), anchor.private_key.public_key())
    public_key = published.keys[signer.kid].public_key
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    numbers = public_key.public_numbers()
    message = CoseMessage.decode(unwrap(signer.badge()))
    message.key = EC2Key(crv="P_256", x=numbers.x.to_bytes(32, "big"), y=numbers.y.to_bytes(32, "big"))
    assert message.verify_signature()
    claims = cbor2.loads(message.payload)
    assert claims[badge_claims.BADGE_CLAIM][4] == "王丽华"
    message.key = EC2Key(crv="P_256", **_xy(Signer()))
    assert not message.verify_signature()


def _xy(signer: Signer) -> dict[str, bytes]:
    n = signer.private_key.public_key().public_numbers()
    return {"x": n.x.to_bytes(32, "big"), "y": n.y.to_bytes(32, "big")}
