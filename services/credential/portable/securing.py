"""VC-JOSE-COSE, the JOSE form: the credential is the JWS payload, ``typ`` is ``vc+jwt`` (joserfc signs).

The protected header names the key as ``<issuer DID>#<key id>``, a verification method of the
issuer's DID document, and ``cty`` is ``vc``: the payload is the credential as JSON, no JWT claims
wrapped around it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import msgspec
from joserfc import jws
from joserfc.jwk import ECKey

from services.credential.badges import cose

TYP = "vc+jwt"


def did_web(public_url: str) -> str:
    """The ``did:web`` of the service's public origin: it resolves to ``<origin>/.well-known/did.json``."""
    parts = urlsplit(public_url)
    if not parts.hostname:
        raise ValueError(f"the public URL {public_url!r} names no host")
    host = parts.hostname + (f"%3A{parts.port}" if parts.port else "")
    return f"did:web:{host}"


def public_jwk(private_key: cose.PrivateKey) -> dict[str, str]:
    """The public half as a JWK (RFC 7517)."""
    return dict(ECKey.import_key(private_key.public_key()).as_dict(private=False))  # type: ignore[arg-type]


def secure(document: msgspec.Struct, *, private_key: cose.PrivateKey, verification_method: str) -> str:
    """The credential, signed ES256, in JWS compact serialisation (``application/vc+jwt``)."""
    header = {"alg": "ES256", "typ": TYP, "cty": "vc", "kid": verification_method}
    return jws.serialize_compact(header, msgspec.json.encode(document), ECKey.import_key(private_key))  # type: ignore[arg-type]
