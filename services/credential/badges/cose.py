"""COSE_Sign1 (RFC 9052) signing and verification with the ``cryptography`` library.

Each key records its algorithm: ES256 (-7, P-256, raw r||s signatures as COSE requires) and
EdDSA (-8, Ed25519) sign and verify; PS256 (-37, RSA-PSS) only verifies, because some EU DCC
test vectors use it.

Two reading profiles. **Strict** (badges, trust and status lists): tag 18 is required, every
CBOR layer is in the deterministic encoding, alg and kid come from the protected header and
the unprotected header is empty — exactly what ``sign1`` writes, so one badge has one message.
**Interop** (``strict=False``, only for the EU DCC test vectors, whose issuers wrote maps in
any key order and put the kid in either header): tag 18 still required (inside an optional
CWT tag 61), one CBOR item with nothing after it, headers read as DCC verifiers do.
"""

from __future__ import annotations

import hashlib
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from services.credential.badges.cbor import CborError, dumps, loads_deterministic, loads_exact

ES256 = -7
EDDSA = -8
PS256 = -37
ALGORITHM_NAMES = {ES256: "ES256", EDDSA: "EdDSA", PS256: "PS256"}
SIGNING_ALGORITHMS = {"ES256": ES256, "EdDSA": EDDSA}

HEADER_ALG = 1
HEADER_KID = 4
COSE_SIGN1_TAG = 18
CWT_TAG = 61

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


class MalformedCose(ValueError):
    """The bytes are not a COSE_Sign1 structure."""


def generate_private_key(algorithm: int) -> PrivateKey:
    """A fresh private key for a COSE algorithm we sign with."""
    if algorithm == ES256:
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == EDDSA:
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"cannot sign with COSE algorithm {algorithm}")


def algorithm_of(public_key: PublicKey) -> int:
    """The COSE algorithm a public key is used with here."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return ES256
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return EDDSA
    if isinstance(public_key, rsa.RSAPublicKey):
        return PS256
    raise ValueError(f"unsupported key type {type(public_key).__name__}")


def public_key_der(public_key: PublicKey) -> bytes:
    """The SubjectPublicKeyInfo DER encoding of a public key (what trust lists carry)."""
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(der: bytes) -> PublicKey:
    return serialization.load_der_public_key(der)  # type: ignore[return-value]


def key_id(public_key: PublicKey) -> bytes:
    """An 8-byte key id: the first bytes of SHA-256 over the SubjectPublicKeyInfo (as DCC does over the certificate)."""
    return hashlib.sha256(public_key_der(public_key)).digest()[:8]


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def sign1(payload: bytes, private_key: PrivateKey, kid: bytes, algorithm: int) -> bytes:
    """A tagged COSE_Sign1 with alg and kid in the protected header."""
    protected = dumps({HEADER_ALG: algorithm, HEADER_KID: kid})
    to_be_signed = _sig_structure(protected, payload)
    if algorithm == ES256 and isinstance(private_key, ec.EllipticCurvePrivateKey):
        der = private_key.sign(to_be_signed, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        r, s = decode_dss_signature(der)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif algorithm == EDDSA and isinstance(private_key, ed25519.Ed25519PrivateKey):
        signature = private_key.sign(to_be_signed)
    else:
        raise ValueError(f"key does not match COSE algorithm {algorithm}")
    return dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


class Sign1:
    """A parsed COSE_Sign1: headers, payload and signature (not yet verified)."""

    def __init__(self, protected_bytes: bytes, protected: dict[Any, Any], unprotected: dict[Any, Any], payload: bytes, signature: bytes):
        self.protected_bytes = protected_bytes
        self.protected = protected
        self.unprotected = unprotected
        self.payload = payload
        self.signature = signature

    @property
    def kid(self) -> bytes | None:
        """The key id: from the protected header, else the unprotected one (as DCC verifiers do)."""
        kid = self.protected.get(HEADER_KID, self.unprotected.get(HEADER_KID))
        return bytes(kid) if isinstance(kid, bytes) else None

    @property
    def algorithm(self) -> int | None:
        alg = self.protected.get(HEADER_ALG, self.unprotected.get(HEADER_ALG))
        return alg if isinstance(alg, int) else None

    def verify(self, public_key: PublicKey, algorithm: int) -> bool:
        """True when the signature is valid for this key and its recorded algorithm."""
        if self.algorithm != algorithm:
            return False  # never let the message choose a weaker or different algorithm
        data = _sig_structure(self.protected_bytes, self.payload)
        try:
            if algorithm == ES256 and isinstance(public_key, ec.EllipticCurvePublicKey):
                if len(self.signature) != 64:
                    return False
                r = int.from_bytes(self.signature[:32], "big")
                s = int.from_bytes(self.signature[32:], "big")
                public_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
            elif algorithm == EDDSA and isinstance(public_key, ed25519.Ed25519PublicKey):
                public_key.verify(self.signature, data)
            elif algorithm == PS256 and isinstance(public_key, rsa.RSAPublicKey):
                public_key.verify(
                    self.signature, data,
                    padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256(),
                )
            else:
                return False
        except InvalidSignature:
            return False
        return True


def parse_sign1(data: bytes, *, strict: bool = True) -> Sign1:
    """Parse a tagged COSE_Sign1 (see the module's docstring for the strict and interop profiles)."""
    try:
        obj = loads_deterministic(data, tags=frozenset({COSE_SIGN1_TAG})) if strict else loads_exact(data)
    except CborError as exc:
        raise MalformedCose(f"cose: {exc}") from None
    if not strict and isinstance(obj, cbor2.CBORTag) and obj.tag == CWT_TAG:
        obj = obj.value
    if not isinstance(obj, cbor2.CBORTag):
        raise MalformedCose("cose: untagged; a COSE_Sign1 must carry CBOR tag 18")
    if obj.tag != COSE_SIGN1_TAG:
        raise MalformedCose(f"cose: CBOR tag {obj.tag} is not COSE_Sign1 (18)")
    obj = obj.value
    if not (isinstance(obj, list) and len(obj) == 4):
        raise MalformedCose("cose: COSE_Sign1 must be an array of four items")
    protected_bytes, unprotected, payload, signature = obj
    if not (isinstance(protected_bytes, bytes) and isinstance(unprotected, dict)
            and isinstance(payload, bytes) and isinstance(signature, bytes)):
        raise MalformedCose("cose: COSE_Sign1 items have the wrong types")
    if strict and unprotected:
        raise MalformedCose("cose: the unprotected header must be empty")
    if protected_bytes:
        try:
            protected = loads_deterministic(protected_bytes) if strict else loads_exact(protected_bytes)
        except CborError as exc:
            raise MalformedCose(f"cose: protected header: {exc}") from None
        if not isinstance(protected, dict):
            raise MalformedCose("cose: protected header is not a map")
    else:
        protected = {}
    return Sign1(protected_bytes, protected, unprotected, payload, signature)
