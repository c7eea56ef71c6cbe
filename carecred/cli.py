"""The ``carecred`` command: serve a service, manage API keys, run the demo."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import os
import select
import signal
import sys
import threading
from typing import Iterator, Sequence
from uuid import UUID

from carecred.cli_badges import register as register_badges
from carecred import (
    cli_audit, cli_completions, cli_db, cli_export, cli_inspections, cli_issuer_keys, cli_notices, cli_policy,
    cli_projections,
)
from carecred.services import FACTORIES, SERVICES, open_application
from contracts.command import FieldError
from contracts.keys import NewKey, Role
from shared.auth.keys import new_token
from shared.auth.roles import operator_actor
from shared.errors import DomainError
from shared.settings import Settings


EXIT_INTERRUPTED = 130
"""Stopped by Ctrl-C or SIGTERM while doing something other than serving (128 + SIGINT, as a shell reports it)."""
EXIT_BROKEN_PIPE = 141
"""Whoever read the output stopped reading (``carecred verify ... | head``): 128 + SIGPIPE, as ``cat`` would."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Ctrl-C and SIGTERM stop it quietly (the servers exit 0; see ``_serve``), and
    so does a reader that closes the pipe early: no traceback for what a user did on purpose."""
    with _terminate_like_interrupt():
        try:
            args = _parser().parse_args(argv)
            code = int(args.run(args) or 0)
            sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
            return code
        except DomainError as exc:
            print(f"error: {exc.detail}", file=sys.stderr)
            return 2
        except FieldError as exc:  # the same text policy and ranges as over HTTP
            print(f"error: {exc.field} {exc.message}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            if not _stdout_closed():
                raise  # a connection the command made, not its reader: a real failure
            _discard_stdout()
            return EXIT_BROKEN_PIPE


@contextlib.contextmanager
def _terminate_like_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, ``docker stop``) raises KeyboardInterrupt, as Ctrl-C does, so both stop alike."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stdout_closed() -> bool:
    """Whether nobody reads stdout any more (a pipe whose reading end is closed polls as an error)."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    poll = select.poll()
    poll.register(descriptor, select.POLLOUT)
    return any(events & select.POLLERR for _, events in poll.poll(0))


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that flushing what is left at exit does not fail a second time."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture): nothing to flush to
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carecred", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run one service over HTTP")
    serve.add_argument("service", choices=SERVICES)
    serve.add_argument("--host", help="listen address (default CARECRED_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default CARECRED_<SERVICE>_PORT)")
    serve.set_defaults(run=_serve)

    health = commands.add_parser("health", help="exit 0 when a running service answers /ready (for health checks)")
    health.add_argument("service", choices=SERVICES)
    health.add_argument("--url", help="base URL (default http://127.0.0.1:<CARECRED_<SERVICE>_PORT>)")
    health.set_defaults(run=_health)

    keys = commands.add_parser("keys", help="issue, list and revoke API keys").add_subparsers(required=True, metavar="ACTION")
    create = keys.add_parser("create", help="issue a key; its token is printed once")
    create.add_argument("--role", required=True, choices=[str(r) for r in Role])
    create.add_argument("--scope", help="nursery id (hr), provider id (provider) or inspector id (inspector, optional)")
    create.add_argument("--name", required=True, help="who or what holds the key")
    create.add_argument("--service", choices=[*SERVICES, "both"], default="both")
    create.add_argument("--expires-in-days", type=int)
    create.set_defaults(run=_keys_create)
    listing = keys.add_parser("list", help="list keys (never their tokens)")
    listing.add_argument("--service", choices=SERVICES, default="credential")
    listing.set_defaults(run=_keys_list)
    revoke = keys.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("key_id", type=UUID)
    revoke.add_argument("--reason", required=True)
    revoke.add_argument("--service", choices=[*SERVICES, "both"], default="both")
    revoke.set_defaults(run=_keys_revoke)

    demo = commands.add_parser("demo", help="seed demo data (first run) and run both services on SQLite")
    demo.add_argument("--no-serve", action="store_true", help="seed only, do not start the services")
    demo.set_defaults(run=_demo)
    register_badges(commands)
    cli_audit.register(commands)
    cli_completions.register(commands)
    cli_export.register(commands)
    cli_db.register(commands)
    cli_projections.register(commands)
    cli_issuer_keys.register(commands)
    cli_notices.register(commands)
    cli_policy.register(commands)
    cli_inspections.register(commands)
    return parser


def _services(choice: str) -> tuple[str, ...]:
    return SERVICES if choice == "both" else (choice,)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from shared.http.observability import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    try:
        uvicorn.run(
            FACTORIES[args.service],
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port_of(args.service),
            log_level="warning",
            # The app reads X-Forwarded-For itself, and only from CARECRED_TRUSTED_PROXIES;
            # uvicorn's own handling would believe any client on 127.0.0.1.
            proxy_headers=False,
        )
    except KeyboardInterrupt:
        # uvicorn shuts down gracefully on SIGINT or SIGTERM, then raises the signal again for
        # whoever ran it: both arrive here as KeyboardInterrupt (see main). A stop asked for is a
        # clean stop.
        pass
    return 0


def _health(args: argparse.Namespace) -> int:
    import urllib.request

    base = args.url or f"http://127.0.0.1:{Settings.from_env().port_of(args.service)}"
    try:
        with urllib.request.urlopen(f"{base}/ready", timeout=3) as response:
            ok = response.status == 200
    except OSError as exc:
        print(f"{args.service} not ready: {exc}", file=sys.stderr)
        return 1
    print(f"{args.service} ready" if ok else f"{args.service} not ready")
    return 0 if ok else 1


def _keys_create(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=args.expires_in_days) if args.expires_in_days else None
    request = NewKey(role=Role(args.role), name=args.name, scope=args.scope, expires_at=expires)
    token = new_token()
    key_id = ""
    for service in _services(args.service):
        with open_application(service, settings) as app:
            key_id, _ = app.issue_key(
                role=request.role, scope=request.scope, name=request.name,
                expires_at=request.expires_at, actor=operator_actor(getpass.getuser()), token=token,
            )
    print(f"key id:  {key_id}\nrole:    {args.role}{' (' + args.scope + ')' if args.scope else ''}")
    print(f"token:   {token}\n(the token is shown this once; only its hash is stored)")
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    with open_application(args.service, Settings.from_env()) as app:
        for key in app.list_keys():
            state = f"revoked {key.revoked_at}" if key.revoked_at else f"expires {key.expires_at}" if key.expires_at else "active"
            print(f"{key.key_id}  {key.role:<10} {key.scope or '-':<36}  {key.name}  [{state}]")
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    for service in _services(args.service):
        with open_application(service, settings) as app:
            app.revoke_key(args.key_id, reason=args.reason, actor=operator_actor(getpass.getuser()))
    print(f"revoked {args.key_id}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from carecred.demo import run_demo

    return run_demo(Settings.from_env(storage="sqlite"), serve=not args.no_serve)


if __name__ == "__main__":
    raise SystemExit(main())
