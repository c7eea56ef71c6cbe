"""The read model of API keys: looked up by token hash on every request."""

from __future__ import annotations

from typing import Any

from shared.auth.keys import ApiKey
from shared.persistence import Cursor
from shared.projection import Projection, handles


class ApiKeyProjection(Projection):
    """API keys by token hash: issued, expiring, revoked."""

    name = "api_keys"
    ddl = [
        "CREATE TABLE IF NOT EXISTS api_keys ("
        " key_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
        " scope TEXT, name TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT,"
        " revoked_at TEXT, revoked_reason TEXT)"
    ]
    tables = ["api_keys"]
    version_name = "api_keys"  # authentication keeps live keys in memory while this has not moved

    @handles(ApiKey.Issued)
    def issued(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO api_keys (key_id, token_hash, role, scope, name, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (str(e.originator_id), e.token_hash, e.role, e.scope, e.name, e.timestamp.isoformat(), e.expires_at),
        )

    @handles(ApiKey.Revoked)
    def revoked(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "UPDATE api_keys SET revoked_at = ?, revoked_reason = ? WHERE key_id = ?",
            (e.timestamp.isoformat(), e.reason, str(e.originator_id)),
        )
