"""Settings, read once from the environment into one msgspec Struct.

Every field is read from ``CARECRED_<FIELD>`` (upper case). PostgreSQL can also be
configured with the usual libpq variables (``PGHOST``, ``PGPORT``, ``PGDATABASE``,
``PGUSER``, ``PGPASSWORD``) or one ``CARECRED_DATABASE_URL``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlsplit

import msgspec

_LIBPQ = {
    "pg_host": "PGHOST",
    "pg_port": "PGPORT",
    "pg_database": "PGDATABASE",
    "pg_user": "PGUSER",
    "pg_password": "PGPASSWORD",
}


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Configuration of one carecred process (both services read the same names)."""

    data_dir: str = "./data"
    """Directory of the embedded SQLite files and generated secrets."""
    storage: str = ""
    """``sqlite`` or ``postgres``; empty means postgres when a database is configured."""
    database_url: str = ""
    """``postgresql://user:password@host:port/database``."""
    pg_host: str = ""
    pg_port: int = 5432
    pg_database: str = ""
    pg_user: str = "postgres"
    pg_password: str = ""
    pg_pool_size: int = 8
    schema_prefix: str = ""
    """Prefix of each service's PostgreSQL schema (``<prefix>credential``)."""
    id_hash_key: str = ""
    """Secret key of the keyed hash of national ID numbers (hex); generated into data_dir if empty."""
    cipher_key: str = ""
    """AES key (base64 of 16, 24 or 32 bytes) encrypting stored events at rest; empty means no encryption."""
    checkpoint_key: str = ""
    """The audit secret (64 hex digits): each service derives from it the key that authenticates its stored
    events and its Ed25519 checkpoint key; generated into data_dir if empty on SQLite, required on PostgreSQL."""
    checkpoint_every: int = 1000
    """Sign and record a checkpoint of the event log whenever it has grown by this many events."""
    create_event_tables: bool = True
    """False when the database role may create no tables (the append-only role of docs/audit.md): the owner
    created them all beforehand with ``carecred db migrate``."""
    host: str = "127.0.0.1"
    credential_port: int = 8001
    training_port: int = 8002
    max_body_bytes: int = 1_048_576
    """Largest JSON body accepted by ordinary routes (413 beyond it)."""
    log_level: str = "INFO"
    """Level of carecred's JSON logs on stderr (INFO logs one line per request)."""
    auth_failures_per_minute: int = 20
    """Failed authentications answered 401 per client and minute; beyond it 429 (a valid key is always served)."""
    trusted_proxies: str = ""
    """Addresses or CIDR networks of the reverse proxies whose ``X-Forwarded-For`` is believed
    (comma-separated); empty: none, the direct peer is the client (``shared/http/proxies.py``)."""
    credential_url: str = ""
    """Base URL of the credential service, for the training service's follower."""
    training_url: str = ""
    district_home_page: str = "https://carecred.example.gov.cn"
    """The district's home page: xAPI actors name a person as ``account {homePage: this, name: staff id}``,
    and each catalogued course's activity IRI starts with it (``<this>/xapi/activities/<provider>/<course>``)."""
    """Base URL of the training service, for the credential service's follower."""
    feed_key: str = ""
    """API key (role ``service``) this process uses to read the other service's feed."""
    follow_interval: float = 0.5
    """Seconds between polls of the other service's feed."""
    public_url: str = ""
    """The credential service's public https origin (``https://credentials.example.gov.cn``): the issuer id
    (``did:web``) and the status list URLs in portable credentials; empty means ``url_of("credential")``."""
    badge_key_dir: str = ""
    """Directory of the badge signing keys (PEM, 0600); empty means ``<data_dir>/badge-keys``."""
    badge_validity_days: int = 30
    """A badge expires this many days after issue, or at its earliest certificate expiry if sooner."""
    badge_clock_skew_seconds: int = 300
    """Clock difference tolerated on a badge's issued-at and expiry when verifying."""
    badge_status_max_age_seconds: Annotated[int, msgspec.Meta(ge=60, le=7 * 86400)] = 12 * 3600
    """How long an offline verifier may rely on a status list (its signed time-to-live): past it,
    a badge that would be valid is ``status_unknown``. 12 hours: a day's visits on one morning's lists."""
    badge_holder_iterations: int = 200_000
    """PBKDF2 iterations of the holder binding on new badges (docs/badges.md: the cost of a guess;
    verifiers accept 100,000 to 5,000,000)."""
    webhook_allow_loopback_http: bool = False
    """Accept ``http://`` webhook URLs to a loopback address (tests, a developer's machine); otherwise https only."""
    webhook_poll_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 5.0
    """How often the credential service looks for webhook deliveries that are due (and for the day's notice pass)."""
    webhook_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 10.0
    """How long a receiver may take to answer one delivery attempt."""
    webhook_retry_base_seconds: Annotated[float, msgspec.Meta(gt=0, le=86400)] = 30.0
    """The wait after a delivery's first failed attempt; it doubles after each further failure."""
    webhook_retry_max_seconds: Annotated[float, msgspec.Meta(gt=0, le=7 * 86400)] = 6 * 3600.0
    """The longest wait between two attempts of one delivery (the cap of the doubling)."""
    webhook_max_attempts: Annotated[int, msgspec.Meta(ge=1, le=50)] = 12
    """Attempts of one delivery before it is given up (recorded as failed in the delivery log)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Read settings from the environment; ``overrides`` win (used by tests and the CLI)."""
        env = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        for name in cls.__struct_fields__:
            if (value := env.get(f"CARECRED_{name.upper()}")) is not None:
                raw[name] = value
            elif name in _LIBPQ and (value := env.get(_LIBPQ[name])) is not None:
                raw[name] = value
        raw.update(overrides)
        try:
            return msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise SystemExit(f"invalid setting: {exc}") from None

    @property
    def uses_postgres(self) -> bool:
        if self.storage:
            if self.storage not in ("sqlite", "postgres"):
                raise SystemExit("CARECRED_STORAGE must be 'sqlite' or 'postgres'")
            return self.storage == "postgres"
        return bool(self.database_url or self.pg_host or self.pg_database)

    def postgres_params(self) -> dict[str, str]:
        """Connection parameters, from the URL when one is given."""
        if self.database_url:
            url = urlsplit(self.database_url)
            return {
                "host": url.hostname or "127.0.0.1",
                "port": str(url.port or 5432),
                "dbname": (url.path or "/").lstrip("/") or "postgres",
                "user": unquote(url.username or "postgres"),
                "password": unquote(url.password or ""),
            }
        return {
            "host": self.pg_host or "127.0.0.1",
            "port": str(self.pg_port),
            "dbname": self.pg_database or "postgres",
            "user": self.pg_user,
            "password": self.pg_password,
        }

    def port_of(self, service: str) -> int:
        return {"credential": self.credential_port, "training": self.training_port}[service]

    def url_of(self, service: str) -> str:
        """Where the other service answers (configured, else on this host at its port)."""
        configured = {"credential": self.credential_url, "training": self.training_url}[service]
        return configured or f"http://127.0.0.1:{self.port_of(service)}"

    def resolved_id_hash_key(self) -> bytes:
        """The ID-number hash key; in embedded mode generated once and kept in data_dir."""
        if self.id_hash_key:
            return bytes.fromhex(self.id_hash_key)
        if self.uses_postgres:
            # Replicas must agree on the key, so a shared database needs it configured.
            raise SystemExit("CARECRED_ID_HASH_KEY must be set (64 hex digits) when using PostgreSQL")
        path = Path(self.data_dir) / "id-hash.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return bytes.fromhex(path.read_text().strip())

    def resolved_audit_secret(self) -> bytes:
        """The audit secret every stored event is authenticated with; PostgreSQL needs it configured."""
        secret = self.resolved_checkpoint_key()
        if secret is None:
            # Replicas must agree on the key, so a shared database needs it configured.
            raise SystemExit("CARECRED_CHECKPOINT_KEY must be set (64 hex digits) when using PostgreSQL:"
                             " it authenticates every stored event and signs the checkpoints")
        return secret

    def resolved_checkpoint_key(self) -> bytes | None:
        """The checkpoint-signing secret; generated into data_dir on SQLite, None if unset on PostgreSQL."""
        if self.checkpoint_key:
            return bytes.fromhex(self.checkpoint_key)
        if self.uses_postgres:
            return None  # replicas must agree on the key: it has to be configured
        path = Path(self.data_dir) / "checkpoint.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return bytes.fromhex(path.read_text().strip())
