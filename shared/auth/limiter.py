"""Failed authentications are limited per client; a request with a valid key never is.

The design, and why:

* Keys are 256-bit random tokens, so guessing one is hopeless with or without a limit. What the
  limit is for is telling a misbehaving client to back off (an integration still sending a
  revoked key, a scanner) and making it visible (``carecred_auth_failures_total``, 429s in the
  access log).
* Only failures count, and the limit only changes how a *failure* is answered: within the limit
  401, beyond it 429 with ``Retry-After``. The key of every request is checked first, and a valid
  key is served whatever its address has done. So an attacker behind the same address as
  someone else (a NAT, an office proxy, the other carecred service's feed follower, or every
  client when the service sits behind a proxy that is not in ``CARECRED_TRUSTED_PROXIES``)
  cannot lock that someone out.
* "A client" is the address the request came from (see ``shared.http.proxies``); an IPv6 address
  counts as its /64 network, since one subscriber usually holds a whole /64.

Kept in each process's memory: with N replicas a client gets at most N times the limit.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque

IPV6_CLIENT_PREFIX = 64
"""An IPv6 client is counted by its /64: one subscriber network, however many addresses it uses."""


def client_key(host: str) -> str:
    """What the limiter counts by: the IPv4 address, the IPv6 /64 network, or the host name as given."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


class FailureLimiter:
    """At most ``limit`` failed authentications per client within ``window`` seconds are answered 401.

    Beyond that, further failures of the client are answered 429 until its oldest counted failure
    is ``window`` seconds old. Failures answered 429 are not counted again, so a client's memory
    here never exceeds ``limit`` timestamps.
    """

    def __init__(self, limit: int = 10, window: float = 60.0, max_clients: int = 10_000):
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def failed(self, client: str) -> int:
        """Count one failed authentication of ``client``; 0 if it is within the limit, else seconds to wait."""
        now = time.monotonic()
        with self._lock:
            failures = self._failures.get(client)
            if failures is None:
                if len(self._failures) >= self.max_clients:
                    self._forget_idle(now)
                failures = self._failures[client] = deque()
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if len(failures) >= self.limit:
                oldest = failures[0] if failures else now  # (a limit of 0 refuses every failure)
                return max(1, int(oldest + self.window - now) + 1)
            failures.append(now)
            return 0

    def _forget_idle(self, now: float) -> None:
        for client in [c for c, f in self._failures.items() if not f or f[-1] <= now - self.window]:
            del self._failures[client]
        if len(self._failures) >= self.max_clients:  # all busy: drop the oldest entries
            for client in sorted(self._failures, key=lambda c: self._failures[c][-1])[: self.max_clients // 10]:
                del self._failures[client]
