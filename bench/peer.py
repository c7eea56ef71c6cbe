"""The textbook peer: the service anyone would write first with the same libraries.

    PERSISTENCE_MODULE=eventsourcing.postgres POSTGRES_DBNAME=test POSTGRES_HOST=127.0.0.1 POSTGRES_PORT=5432 \\
    POSTGRES_USER=postgres POSTGRES_PASSWORD= POSTGRES_SCHEMA=peer CREATE_TABLE=y \\
    PEER_TRUST_KEYS='{"<kid hex>": "<SubjectPublicKeyInfo DER, base64>"}' \\
    .venv/bin/python -m uvicorn --factory bench.peer:create_app

litestar + msgspec + eventsourcing on PostgreSQL (eventsourcing's own ``eventsourcing.postgres``
persistence module, configured by its environment variables), and nothing else:

- ``POST /completions`` decodes the body into a msgspec struct, creates one aggregate and saves
  it. No authentication, no idempotency, no projections, no catalogue or people checks.
- ``POST /verify`` decodes a badge the textbook way (prefix, base45, zlib, COSE_Sign1 with
  cbor2), verifies the ES256 signature with the trusted key named by the kid (``cryptography``),
  checks the expiry, and looks the badge's status bit up with one SQL query on the
  ``badge_status`` table of its schema.

The benchmarks (``completions_http``, ``badges``) run it under the same uvicorn settings, load
generator and PostgreSQL as the services, in the same run, so every HTTP figure has this peer
beside it. It shares no code with ``services/``, ``shared/`` or ``contracts/`` on purpose: it is
what the carecred services are measured against.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import time
import zlib
from typing import Any
from uuid import UUID

import base45
import cbor2
import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from litestar import Litestar, get, post
from litestar.exceptions import HTTPException
from litestar.params import JSONBody
from psycopg import sql
from psycopg_pool import ConnectionPool

ES256 = -7
COSE_ALG, COSE_KID = 1, 4
CWT_EXP, BADGE_CLAIM, STATUS_INDEX = 4, -65537, 9
PREFIX = "TY1:"


# Completions ------------------------------------------------------------------------------------

class NewCompletion(msgspec.Struct):
    event_id: str
    staff_id: UUID
    course_code: str
    completed_at: dt.datetime
    class_hours: float


class Completion(Aggregate):
    @event("Recorded")
    def __init__(self, event_id: str, staff_id: UUID, course_code: str, completed_at: dt.datetime,
                 class_hours: float):
        self.event_id = event_id
        self.staff_id = staff_id
        self.course_code = course_code
        self.completed_at = completed_at
        self.class_hours = class_hours


class Completions(Application[UUID]):
    def record(self, new: NewCompletion) -> UUID:
        completion = Completion(new.event_id, new.staff_id, new.course_code, new.completed_at, new.class_hours)
        self.save(completion)
        return completion.id


# Badges -----------------------------------------------------------------------------------------

class VerifyRequest(msgspec.Struct):
    qr: str


def trusted_keys(env: dict[str, str]) -> dict[bytes, ec.EllipticCurvePublicKey]:
    """PEER_TRUST_KEYS: a JSON object of kid (hex) to the public key's SubjectPublicKeyInfo (base64 DER)."""
    keys = {}
    for kid, der in json.loads(env.get("PEER_TRUST_KEYS", "{}")).items():
        key = serialization.load_der_public_key(base64.b64decode(der))
        assert isinstance(key, ec.EllipticCurvePublicKey)
        keys[bytes.fromhex(kid)] = key
    return keys


def verdict(text: str, keys: dict[bytes, ec.EllipticCurvePublicKey], status_of: Any) -> dict[str, Any]:
    if not text.startswith(PREFIX):
        raise HTTPException(status_code=400, detail="not a badge")
    try:
        tag = cbor2.loads(zlib.decompress(base45.b45decode(text[len(PREFIX):])))
        protected_bytes, unprotected, payload, signature = tag.value
        protected = cbor2.loads(protected_bytes)
        claims = cbor2.loads(payload)
    except (ValueError, zlib.error, cbor2.CBORDecodeError, AttributeError, TypeError) as exc:
        raise HTTPException(status_code=400, detail=f"malformed badge: {exc}") from None
    key = keys.get(protected.get(COSE_KID) or unprotected.get(COSE_KID))
    if key is None or protected.get(COSE_ALG) != ES256 or len(signature) != 64:
        return {"verdict": "unknown_key"}
    to_be_signed = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        key.verify(der, to_be_signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return {"verdict": "invalid_signature"}
    if claims[CWT_EXP] < time.time():
        return {"verdict": "expired"}
    revoked = status_of(claims[BADGE_CLAIM][STATUS_INDEX])
    if revoked is None:
        return {"verdict": "status_unknown"}
    return {"verdict": "revoked" if revoked else "valid"}


# The app ----------------------------------------------------------------------------------------

def create_app(env: dict[str, str] | None = None) -> Litestar:
    env = dict(os.environ if env is None else env)
    conninfo = (f"dbname={env['POSTGRES_DBNAME']} host={env['POSTGRES_HOST']} port={env['POSTGRES_PORT']} "
                f"user={env['POSTGRES_USER']} password={env.get('POSTGRES_PASSWORD', '')}")
    schema = env.get("POSTGRES_SCHEMA") or "public"
    pool = ConnectionPool(conninfo, min_size=1, max_size=int(env.get("POSTGRES_POOL_SIZE", "5")),
                          kwargs={"autocommit": True}, open=True)
    with pool.connection() as conn:  # uvicorn workers start together: one at a time creates the tables
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (schema,))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (status_index integer PRIMARY KEY, revoked boolean NOT NULL)")
                     .format(sql.Identifier(schema, "badge_status")))
        completions = Completions(env=env)
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (schema,))
    keys = trusted_keys(env)
    status_query = sql.SQL("SELECT revoked FROM {} WHERE status_index = %s").format(
        sql.Identifier(schema, "badge_status"))

    def status_of(index: int) -> bool | None:
        with pool.connection() as conn:
            row = conn.execute(status_query, (index,)).fetchone()
        return None if row is None else row[0]

    @get("/ready", sync_to_thread=False)
    def ready() -> dict[str, str]:
        return {"status": "ready"}

    @post("/completions", sync_to_thread=True)
    def record_completion(data: JSONBody[NewCompletion]) -> dict[str, str]:
        return {"id": str(completions.record(data))}

    @post("/verify", status_code=200, sync_to_thread=True)
    def verify(data: JSONBody[VerifyRequest]) -> dict[str, Any]:
        return verdict(data.qr, keys, status_of)

    def close() -> None:
        pool.close()
        completions.close()

    return Litestar([ready, record_completion, verify], on_shutdown=[close])
