"""An independent verifier of portable credentials: jwcrypto (the service signs with joserfc) and the specs.

It does what a verifier elsewhere would: read the ``kid`` of the JWS, resolve the issuer's
``did:web`` to its DID document, check the signature with that key, check that the credential's
issuer is the DID that holds the key, and read a status bit out of a Bitstring Status List
credential by the rules of W3C Bitstring Status List v1.0 (multibase base64url, GZIP, bit 0 the
left-most). Nothing here imports the service's portable code.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from jwcrypto import jwk, jws

Fetch = Callable[[str], Any]
"""GET a path of the service (the test client): what a verifier fetches over https."""


class NotVerified(Exception):
    """The credential is not what it claims to be."""


def did_web_path(did: str) -> str:
    """Where ``did:web:<host>`` is published (did:web method spec): ``https://<host>/.well-known/did.json``."""
    assert did.startswith("did:web:") and ":" not in did.removeprefix("did:web:"), did
    return "/.well-known/did.json"


def did_web_host(did: str) -> str:
    return unquote(did.removeprefix("did:web:"))


def verify(token: str, fetch: Fetch) -> tuple[dict[str, Any], dict[str, Any]]:
    """The protected header and the credential, once the signature checks out against the issuer's DID."""
    signed = jws.JWS()
    try:
        signed.deserialize(token)
    except jws.InvalidJWSObject as exc:
        raise NotVerified(f"not a JWS: {exc}") from exc
    header = signed.jose_header
    if header.get("typ") != "vc+jwt" or header.get("alg") != "ES256":
        raise NotVerified(f"not an ES256 vc+jwt: {header}")
    did, _, _ = header["kid"].partition("#")
    document = fetch(did_web_path(did))
    if document["id"] != did:
        raise NotVerified("the DID document is another DID's")
    methods = {m["id"]: m for m in document["verificationMethod"]}
    if header["kid"] not in methods or header["kid"] not in document["assertionMethod"]:
        raise NotVerified(f"{header['kid']} is not an assertion method of {did}")
    try:
        signed.verify(jwk.JWK(**methods[header["kid"]]["publicKeyJwk"]), alg="ES256")
    except jws.InvalidJWSSignature as exc:
        raise NotVerified("bad signature") from exc
    credential = json.loads(signed.payload)
    issuer = credential["issuer"]["id"] if isinstance(credential["issuer"], dict) else credential["issuer"]
    if issuer != did:
        raise NotVerified(f"signed by {did} but issued by {issuer}")
    return header, credential


def status_bit(entry: dict[str, Any], fetch: Fetch) -> int:
    """The credential's bit in the status list its ``BitstringStatusListEntry`` points at (verified first)."""
    assert entry["type"] == "BitstringStatusListEntry"
    _, listed = verify(fetch(urlsplit(entry["statusListCredential"]).path), fetch)
    assert "BitstringStatusListCredential" in listed["type"]
    assert listed["id"] == entry["statusListCredential"]
    subject = listed["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == entry["statusPurpose"]
    encoded = subject["encodedList"]
    assert encoded.startswith("u"), "multibase base64url"
    body = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert len(bits) >= 16 * 1024, "at least 131,072 entries"
    index = int(entry["statusListIndex"])
    return (bits[index // 8] >> (7 - index % 8)) & 1
