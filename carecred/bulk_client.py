"""The training service's bulk completions route, from a provider's side: pages sent, transient failures retried.

The route is idempotent by the provider's event id, so anything whose answer is unknown
(a dropped connection, a timeout, a ``202`` recorded-but-unanswered) is simply sent again:
what was stored the first time is answered ``duplicate`` with its completion id.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import random
import time
from typing import Any, Callable
from uuid import UUID

import httpx
import msgspec

from carecred.upload_results import TRANSIENT_CODES
from contracts.training import BulkItemResult, BulkResult, NewCompletion

RETRY_AFTER_CAP = 60.0
"""The longest a ``Retry-After`` is honoured (seconds)."""
_TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
_result = msgspec.json.Decoder(BulkResult)
_problem = msgspec.json.Decoder(dict[str, Any])


class ServiceUnreachable(Exception):
    """The service did not answer (or kept failing) through every retry."""


class ServiceRefused(Exception):
    """The service refused the request itself (wrong key, provider or URL): retrying cannot help."""

    def __init__(self, status: int, code: str, detail: str):
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail = status, code, detail


class _Transient(Exception):
    def __init__(self, why: str, retry_after: float | None = None):
        super().__init__(why)
        self.retry_after = retry_after


class BulkClient:
    """Posts pages of completions as one provider; each call returns one result per item, in order."""

    def __init__(self, url: str, provider_id: UUID, key: str, *, retries: int = 6, timeout: float = 120,
                 warn: Callable[[str], None] = print, sleep: Callable[[float], None] = time.sleep,
                 backoff: float = 0.5, backoff_cap: float = 30):
        self.path = f"/v1/providers/{provider_id}/completions/bulk"
        self.retries, self.warn, self.sleep = retries, warn, sleep
        self.backoff, self.backoff_cap = backoff, backoff_cap
        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout, headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json", "Accept": "application/json",
        })

    def close(self) -> None:
        self.http.close()

    def post(self, items: list[NewCompletion], what: str = "page") -> list[BulkItemResult]:
        """Send ``items``, again while the answer is unknown or names items the storage could not take.

        Raises ``ServiceUnreachable`` when no answer came through every retry; items still refused as
        ``storage_unavailable`` then are returned as such (a rerun sends them again).
        """
        results: list[BulkItemResult | None] = [None] * len(items)
        pending = list(range(len(items)))
        why = ""
        for attempt in range(self.retries + 1):
            try:
                answer = self._send([items[i] for i in pending])
            except _Transient as exc:
                why = str(exc)
                wait = exc.retry_after if exc.retry_after is not None else self._backoff(attempt)
            else:
                for index, result in zip(pending, answer, strict=True):
                    results[index] = result
                pending = [i for i, r in zip(pending, answer) if r.outcome == "rejected" and r.code in TRANSIENT_CODES]
                if not pending:
                    break
                why = f"{len(pending)} item(s) not stored (storage_unavailable)"
                wait = self._backoff(attempt)
            if attempt < self.retries:
                self.warn(f"{what}: {why}; trying again in {wait:.1f}s ({attempt + 1} of {self.retries})")
                self.sleep(wait)
        if any(r is None for r in results):
            raise ServiceUnreachable(f"{what}: {why} (gave up after {self.retries} retries)")
        return [r for r in results if r is not None]

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_cap, self.backoff * 2 ** attempt) * random.uniform(0.5, 1.0)

    def _send(self, items: list[NewCompletion]) -> list[BulkItemResult]:
        try:
            response = self.http.post(self.path, content=msgspec.json.encode({"items": items}))
        except httpx.TransportError as exc:
            raise _Transient(f"no answer from {self.http.base_url} ({type(exc).__name__}: {exc})") from None
        status = response.status_code
        if status == 200:
            try:
                answer = _result.decode(response.content)
            except msgspec.DecodeError as exc:
                raise ServiceRefused(status, "unexpected_answer", f"not a bulk result ({exc}): is the URL right?") from None
            if len(answer.results) != len(items):
                raise ServiceRefused(status, "unexpected_answer", f"{len(answer.results)} results for {len(items)} items")
            return answer.results
        if status == 202:
            raise _Transient("the service stored the page but could not build its answer")
        code, detail = _problem_of(response)
        if status in _TRANSIENT_STATUS:
            raise _Transient(f"{status} {code}: {detail}", _retry_after(response.headers.get("Retry-After")))
        raise ServiceRefused(status, code, detail)


def _problem_of(response: httpx.Response) -> tuple[str, str]:
    try:
        body = _problem.decode(response.content)
    except msgspec.DecodeError:
        return f"http_{response.status_code}", response.text[:200]
    errors = body.get("errors") or []
    detail = str(body.get("detail", ""))
    if errors and isinstance(errors[0], dict):
        detail += f" ({errors[0].get('field')}: {errors[0].get('message')})"
    return str(body.get("code", f"http_{response.status_code}")), detail


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), at most ``RETRY_AFTER_CAP``."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (email.utils.parsedate_to_datetime(value) - dt.datetime.now(dt.UTC)).total_seconds()
        except (TypeError, ValueError):  # not a date, or one without a zone
            return None
    return max(0.0, min(RETRY_AFTER_CAP, seconds)) if math.isfinite(seconds) else None
