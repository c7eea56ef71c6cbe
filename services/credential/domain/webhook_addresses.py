"""Which webhook URLs a subscription may name, and each subscription's signing secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from urllib.parse import urlsplit

from shared.errors import Invalid

SECRET_PREFIX = "whsec_"
_SECRET_LABEL = b"carecred webhook signing secret v1\x00"


def checked_url(url: str, *, allow_loopback_http: bool, field: str = "url") -> str:
    """The URL, or 422 naming the field: https (http only to a loopback host, when allowed), a host,
    no user name or password, no fragment, and no private, link-local or loopback address literal
    (loopback only when allowed: tests and a developer's machine)."""

    def refuse(why: str) -> Invalid:
        return Invalid(f"{field} {why}", field=field, code="invalid_webhook_url")

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise refuse(f"is not a URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise refuse("must be an https URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise refuse("must not carry a user name or password (the signature authenticates the service)")
    host = (parts.hostname or "").lower()
    if not host:
        raise refuse("needs a host")
    if parts.fragment or url.endswith("#"):
        raise refuse("must not have a fragment")
    if port == 0:
        raise refuse("needs a port between 1 and 65535")
    loopback = host == "localhost" or host.endswith(".localhost") or _is_address(host, "is_loopback")
    if loopback:
        if not allow_loopback_http:
            raise refuse("must not name this machine (loopback)")
        return url
    if scheme != "https":
        raise refuse("must be an https URL (http only to a loopback address where the service allows it)")
    if any(_is_address(host, kind) for kind in ("is_private", "is_link_local", "is_multicast", "is_unspecified",
                                                 "is_reserved")):
        raise refuse("must not name a private, link-local or reserved address")
    return url


def _is_address(host: str, kind: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(getattr(mapped or address, kind))


def signing_secret(service_secret: bytes, subscription_id: str, salt: str) -> str:
    """The subscription's Standard Webhooks secret (``whsec_`` + base64 of 32 bytes), derived, never stored."""
    key = hmac.new(service_secret, _SECRET_LABEL + f"{subscription_id}|{salt}".encode(), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(key).decode()
