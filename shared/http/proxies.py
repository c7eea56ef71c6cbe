"""Where a request comes from: the direct peer, unless that peer is a proxy the operator listed.

``X-Forwarded-For`` is a header any client can write. It is believed only when the direct peer
is in ``CARECRED_TRUSTED_PROXIES`` (addresses or CIDR networks; default: none), and then the
client is the right-most address in the header that is not itself a trusted proxy: each proxy
appends the address it was reached from, so everything left of that is the client's own claim.
``Forwarded`` and ``X-Real-IP`` are never read; configure the proxy to append to
``X-Forwarded-For`` (nginx: ``proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for``).

The walk over the header is uvicorn's ``ProxyHeadersMiddleware`` (a dependency already): it
rewrites ``scope["client"]``, so the failed-login limit, the access log and every handler see the
same client. ``carecred serve`` turns uvicorn's own handling of the header off, so this is the
only place it is read; run plain ``uvicorn`` with ``--no-proxy-headers`` for the same reason.
"""

from __future__ import annotations

import ipaddress

from litestar.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


def parse_trusted_proxies(text: str) -> list[str]:
    """The listed proxies, each an IP address or a CIDR network; ValueError naming a bad entry.

    Comma- or space-separated. ``*`` is refused: trusting every peer is what this setting exists
    to prevent (list ``0.0.0.0/0, ::/0`` if that is really meant).
    """
    entries = [e for e in text.replace(",", " ").split() if e]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=True)
        except ValueError as exc:
            raise ValueError(f"CARECRED_TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR network ({exc})") from None
    return entries


def with_client_address(app: ASGIApp, trusted_proxies: list[str]) -> ASGIApp:
    """``app`` seeing the real client in ``scope["client"]`` when the peer is a trusted proxy."""
    if not trusted_proxies:
        return app  # nobody is trusted: the peer is the client, whatever the headers say
    return ProxyHeadersMiddleware(app, trusted_hosts=trusted_proxies)  # type: ignore[arg-type,return-value]
