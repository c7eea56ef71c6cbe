"""The base of both services' applications: event store, read models and API keys."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any, ClassVar, Sequence
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from contracts.keys import KeyInfo
from shared.audit.authentication import AuthenticatingMapper, EventAuthenticator
from shared.audit.legacy import LegacySeal
from shared.audit.log import AuditLog
from shared.audit.projections import MerkleProjection, VersionIndexProjection
from shared.auth.keys import ApiKey, hash_token, new_token
from shared.auth.projection import ApiKeyProjection
from shared.auth.roles import SCOPE_KINDS, SCOPED_ROLES, Principal, Role
from shared.cache import VersionedCache
from shared.errors import Invalid, NotFound
from shared.feed import Publisher
from shared.follower import Follower, FollowerStatus
from shared.persistence import ReadStore, StorageBreaker, eventsourcing_env, schema_name, startup_lock
from shared.metrics import EVENTS_WRITTEN
from shared import receipt
from shared.persistence import is_transient
from shared.projection import Projection, Projector, read_versions
from shared.read_model_stalls import Stall
from shared.settings import Settings

log = logging.getLogger("carecred.application")
_UNUSABLE: dict[str, Any] = {"unusable": True}
"""What the key cache holds for a stored key that cannot be read (see ``_key_row``)."""


class ServiceApplication(Application[UUID]):
    """An event-sourced service with read models kept by a projector, and its own API keys."""

    service: ClassVar[str]
    feed_reads: ClassVar[tuple[str, ...]] = ()
    """The read models ``public_event`` reads: the feed never goes past what they have applied."""

    def __init__(self, settings: Settings):
        self.settings = settings
        with startup_lock(settings, self.service):  # replicas starting together create tables one at a time
            super().__init__(env=eventsourcing_env(settings, self.service))
            schema = schema_name(settings, self.service) if settings.uses_postgres else None
            if settings.uses_postgres:
                StorageBreaker(self.recorder.datastore)  # type: ignore[attr-defined]
            self.store = ReadStore(self.recorder.datastore, schema)  # type: ignore[attr-defined]
            audit = [VersionIndexProjection(self.service), MerkleProjection()]
            self.projector = Projector(self, self.store, [*audit, ApiKeyProjection(), *self.projections()])
            self.versioned: list[Projector] = [self.projector]
            """The projectors whose kept read models' versions the key check reads (one query for all)."""
            self.publisher = Publisher(self, self.public_event, self.feed_reads)
            self.followers = self.make_followers()
            self.audit = AuditLog(self, self.store)
            if settings.create_event_tables:  # else `carecred db migrate` created them, as the owner
                self.create_tables()
            self.legacy = LegacySeal(self.store, self.mapper.authenticator)
            self.legacy.ensure(self)  # before anything is written: which untagged events are old ones
            self.mapper.seal = self.legacy
            self._live_keys: VersionedCache[dict[str, Any]] = VersionedCache()
            self.resumer: threading.Thread | None = None
            """The thread that, at start-up, tries every stalled read model again (see ``resume_stalled``)."""

    def construct_mapper(self) -> AuthenticatingMapper:
        """eventsourcing's mapper, with every stored event authenticated (``shared.audit.authentication``)."""
        mapper = self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=AuthenticatingMapper)
        assert isinstance(mapper, AuthenticatingMapper)
        mapper.authenticator = EventAuthenticator(self.settings.resolved_audit_secret(), self.service)
        return mapper

    def create_tables(self) -> None:
        """Create every read-model and audit table of the service (the events table is eventsourcing's)."""
        self.projector.create_tables()
        for follower in self.followers:
            follower.create_tables()
        self.audit.create_tables()

    def projections(self) -> list[Projection]:
        """The service's own read models (besides API keys)."""
        return []

    def public_event(self, event: Any, position: int) -> Any:
        """The public contract event a stored event maps to, or None (see the service's read_models/feed.py)."""
        return None

    def make_followers(self) -> list[Follower]:
        """The feeds of other services this one follows."""
        return []

    def start_followers(self) -> None:
        for follower in self.followers:
            follower.start()

    def stop_followers(self) -> None:
        for follower in self.followers:
            follower.stop()

    def follower_status(self) -> list[FollowerStatus]:
        return [follower.status() for follower in self.followers]

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Store the aggregates' new events (one transaction), noted on the current request's receipt."""
        recordings = super().save(*objs, **kwargs)
        receipt.note(recordings)
        return recordings

    def save_and_project(self, *aggregates: Any, also: Sequence[Projector] = ()) -> None:
        """Record the aggregates' new events, then bring the read models (also ``also``'s) up to date.

        Once the events are stored the change has happened: nothing after the save raises. A read
        model that cannot apply them stalls on its own (``shared/read_model_stalls.py``); a
        database that went away meanwhile is caught up with by the next reader.
        """
        recording = self.save(*aggregates)
        EVENTS_WRITTEN.labels(self.service).inc(len(recording))
        self.after_save(*also)

    def after_save(self, *also: Projector) -> None:
        """Bring the read models (also ``also``'s) up to date, sign a checkpoint if one is due; never raises."""
        try:
            for projector in (self.projector, *also):
                projector.catch_up()
            self.audit.checkpoint_if_due()
        except Exception as exc:  # noqa: BLE001 - the events are stored; readers catch up later
            if is_transient(exc):
                log.warning("read models not brought up to date after a save: %s", exc)
            else:
                log.exception("read models not brought up to date after a save")

    # Read models -----------------------------------------------------------------------------

    def projectors(self) -> list[Projector]:
        """Every projector of the service's own log (the credential service adds its badges' one)."""
        return [self.projector]

    def stalled_read_models(self) -> list[Stall]:
        """Every stalled read model of the service, as the table says now."""
        return [stall for projector in self.projectors() for stall in projector.stalled().values()]

    def projector_of(self, read_model: str) -> Projector:
        """The projector that keeps the named read model (ValueError naming the known ones otherwise)."""
        for projector in self.projectors():
            if read_model in projector.by_name:
                return projector
        known = sorted(name for projector in self.projectors() for name in projector.by_name)
        raise ValueError(f"no read model {read_model!r} in the {self.service} service; one of: {', '.join(known)}")

    def resume_stalled(self) -> list[Stall]:
        """Try every stalled read model again with the code running now; the ones still stalled."""
        return [stall for projector in self.projectors() for stall in projector.resume_all().values()]

    def resume_stalled_in_background(self) -> None:
        """At start-up (a new version deployed, say): resume stalled read models without delaying the start.

        One read when none is stalled (the usual start); a thread only when there is work.
        """
        try:
            if not self.stalled_read_models():
                return
        except Exception:  # noqa: BLE001 - the storage is away: /ready says so; the next start tries again
            log.exception("could not read the stalled read models at start-up")
            return
        self.resumer = threading.Thread(target=self._resume_quietly, name=f"{self.service}-resume", daemon=True)
        self.resumer.start()

    def close(self) -> None:
        if self.resumer is not None:
            self.resumer.join(timeout=60)  # a resume in progress finishes its batch; the next start goes on
        super().close()

    def _resume_quietly(self) -> None:
        try:
            self.resume_stalled()
        except Exception:  # noqa: BLE001 - the storage is away; the operator's resume or the next start tries again
            log.exception("resuming stalled read models at start-up failed")

    def get_or_404(self, aggregate_id: UUID, what: str) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} with id {aggregate_id}") from None

    # API keys ------------------------------------------------------------------------------

    def issue_key(
        self,
        *,
        role: Role,
        scope: str | None,
        name: str,
        actor: dict[str, Any],
        expires_at: dt.datetime | None = None,
        token: str | None = None,
    ) -> tuple[str, str]:
        """Issue a key and return (key id, token); the token is shown once and never stored."""
        if role in SCOPED_ROLES and not scope:
            raise Invalid(f"role {role} needs a scope ({SCOPED_ROLES[role]} id)", field="scope")
        if role not in SCOPE_KINDS and scope:
            raise Invalid(f"role {role} takes no scope", field="scope")
        if scope is not None:
            try:
                scope = str(UUID(scope))
            except ValueError:
                raise Invalid(f"the scope of a {role} key is a {SCOPE_KINDS[role]} id (a UUID)", field="scope") from None
        if expires_at is not None and expires_at.utcoffset() is None:
            raise Invalid("expires_at needs a UTC offset (e.g. Z or +08:00)", field="expires_at")
        token = token or new_token()
        key = ApiKey(
            role=str(role),
            scope=scope,
            name=name,
            token_hash=hash_token(token),
            expires_at=expires_at.isoformat() if expires_at else None,
            actor=actor,
        )
        self.save_and_project(key)
        return str(key.id), token

    def scope_is_known(self, role: Role, scope: str) -> bool | None:
        """Whether this service knows the nursery or provider a scoped key names; None when it does
        not keep that kind (the credential service keeps nurseries, the training service providers)."""
        return None

    def revoke_key(self, key_id: UUID, *, reason: str, actor: dict[str, Any]) -> None:
        key: ApiKey = self.get_or_404(key_id, "API key")
        if not isinstance(key, ApiKey):
            raise NotFound(f"no API key with id {key_id}")
        key.revoke(reason, actor)
        self.save_and_project(key)

    def list_keys(self) -> list[KeyInfo]:
        self.projector.catch_up("api_keys")
        rows = self.store.query(
            "SELECT key_id, role, scope, name, created_at, expires_at, revoked_at FROM api_keys ORDER BY created_at"
        )
        return [KeyInfo(**dict(row)) for row in rows]

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a live key, or None for an unknown, revoked or expired one."""
        return self.authenticate_at(token)[0]

    def authenticate_at(self, token: str) -> tuple[Principal | None, dict[str, int]]:
        """The principal of a live key (or None), and the versions of the kept read models it was checked at.

        A key's row is kept in memory until the key read model's version moves: one query per
        request, and a key issued or revoked through any replica counts from the next request on.
        The same query reads the versions of the service's other kept read models (of every projector
        in ``versioned``), so the request
        can use them too (the HTTP layer hands them on as ``request.auth``) instead of asking again.
        """
        versions = read_versions(self.store, [(p, tuple(p.version_names())) for p in self.versioned])
        token_hash = hash_token(token)
        row = self._live_keys.get(token_hash, versions[ApiKeyProjection.version_name], lambda: self._key_row(token_hash))
        if row is None or row is _UNUSABLE or row["revoked_at"]:
            return None, versions
        if row["expires_at"] is not None and row["expires_at"] <= dt.datetime.now(dt.UTC):
            return None, versions
        return row["principal"], versions

    def _key_row(self, token_hash: str) -> dict[str, Any] | None:
        """The key's row, read into a principal and an aware expiry; ``_UNUSABLE`` for a row that cannot be.

        Rows written by an older version may hold what the boundary now refuses (an expiry without
        a UTC offset, a scope that is not a UUID): such a key is treated as invalid (401) and logged,
        never a 500 on every request that presents it.
        """
        row = self.store.query_one(
            "SELECT key_id, role, scope, name, expires_at, revoked_at FROM api_keys WHERE token_hash = ?", (token_hash,),
        )
        if row is None:
            return None
        try:
            role = Role(row["role"])
            scope = str(UUID(row["scope"])) if role in SCOPED_ROLES or (role in SCOPE_KINDS and row["scope"]) else None
            expires_at = dt.datetime.fromisoformat(row["expires_at"]) if row["expires_at"] else None
            if expires_at is not None and expires_at.utcoffset() is None:
                raise ValueError(f"expires_at {row['expires_at']!r} has no UTC offset")
        except (TypeError, ValueError) as exc:
            log.warning("API key %s cannot be used and is refused: %s", row["key_id"], exc,
                        extra={"key_id": row["key_id"]})
            return _UNUSABLE
        principal = Principal(key_id=row["key_id"], role=role, scope=scope, name=row["name"])
        return {"principal": principal, "expires_at": expires_at, "revoked_at": row["revoked_at"]}

    def is_ready(self) -> bool:
        """True when the storage answers; raises (503) when the next event to apply is forged or out of order."""
        self.store.query("SELECT 1")
        self.audit.check_next_event()
        return True
