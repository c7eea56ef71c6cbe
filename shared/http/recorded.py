"""Once a request has stored events it is answered with success: 202 and what was stored, never an error.

Each request gets an empty receipt (``shared/receipt.py``) that every save made for it fills.
If the handler then fails (it could not read the answer back from a stalled read model, or
the database went away between the save and the read) the error it would answer is replaced
by ``202 Accepted`` with the stored events and the reason the usual answer is missing: an
error answer would tell the client that nothing changed, and a retry would find it changed.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from contracts.recorded import Recorded, Stored, Unavailable
from shared import receipt

log = logging.getLogger("carecred.http")
_problem = msgspec.json.Decoder(dict[str, Any])


def recorded_middleware(app: ASGIApp) -> ASGIApp:
    """Answer 202 with the receipt instead of an error when the request has stored events."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        stored: list[Stored] = []
        token = receipt.RECEIPT.set(stored)
        held: list[Message] = []

        async def send_or_hold(message: Message) -> None:
            if held or (message["type"] == "http.response.start" and message["status"] >= 400 and stored):
                held.append(message)
                if message["type"] == "http.response.body" and not message.get("more_body", False):
                    await _answer_recorded(send, held, stored, scope)
                return
            await send(message)

        try:
            await app(scope, receive, send_or_hold)
        finally:
            receipt.RECEIPT.reset(token)

    return middleware


async def _answer_recorded(send: Send, held: list[Message], stored: list[Stored], scope: Scope) -> None:
    status = held[0]["status"]
    body = b"".join(m.get("body", b"") for m in held[1:])
    try:
        problem = _problem.decode(body)
    except msgspec.DecodeError:
        problem = {}
    unavailable = Unavailable(status=status, code=str(problem.get("code", f"http_{status}")),
                              detail=str(problem.get("detail", "")), read_model=problem.get("read_model"))
    log.warning(
        "%s %s stored %d event(s) but could not build its answer (%s %s): answered 202 with what was stored",
        scope["method"], scope["path"], len(stored), status, unavailable.code,
        extra={"stored": len(stored), "original_status": status, "original_code": unavailable.code},
    )
    answer = msgspec.json.encode(Recorded(
        status="recorded", stored=stored, unavailable=unavailable,
        detail="The change is stored. The usual answer could not be built now; read it again later.",
    ))
    await send({"type": "http.response.start", "status": 202,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]})
    await send({"type": "http.response.body", "body": answer, "more_body": False})
