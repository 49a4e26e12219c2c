"""The ``mocheong`` command line: serve, worker (and its health check), db upgrade, create-admin,
payments reconcile."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import math
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

import attrs

from entrypoints.bootstrap.settings import Settings, SettingsError, load_settings

APP = "entrypoints.app:app_from_env"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@attrs.frozen
class ServerLimits:
    """What the ASGI server holds per process against slow, silent or oversized clients."""

    header_timeout: float
    keep_alive_timeout: float
    max_connections: int
    ws_max_frame_bytes: int
    shutdown_grace: float
    """Seconds requests in flight get on SIGTERM, once sockets and streams are closed."""
    stop_hooks_grace: float
    """Seconds the stop hooks may take after that (background jobs of the embedded mode)."""

    @classmethod
    def of(cls, settings: Settings) -> ServerLimits:
        return cls(
            header_timeout=settings.server.header_timeout,
            keep_alive_timeout=settings.server.keep_alive_timeout,
            max_connections=settings.server.max_connections,
            ws_max_frame_bytes=settings.server.ws_max_frame_bytes,
            shutdown_grace=settings.server.shutdown_grace,
            stop_hooks_grace=settings.jobs.shutdown_grace,
        )


def serve_asgi(
    target: str,
    *,
    server: str,
    host: str,
    port: int,
    workers: int,
    limits: ServerLimits | None = None,
) -> None:
    """Runs the ASGI app factory ``target`` ("module:function") on ``server`` until stopped.

    The benchmarks' bare baselines start through here too, so they run on exactly the
    product's server settings.
    """
    limits = limits or ServerLimits.of(Settings())  # the defaults
    if server == "uvicorn":
        import uvicorn

        from entrypoints.runtime.header_timeout import (
            HEADER_TIMEOUT_ENV,
            HeaderTimeoutHttpToolsProtocol,
        )

        # Each worker process builds the protocol anew and reads its deadline from here.
        os.environ[HEADER_TIMEOUT_ENV] = str(limits.header_timeout)
        # uvicorn stops gracefully on SIGINT or SIGTERM, then raises the signal again with
        # the handlers it found: these let the process exit 0 (runtime/drain.py drains it).
        previous = {number: signal.signal(number, _stopped) for number in STOP_SIGNALS}
        try:
            uvicorn.run(
                target,
                factory=True,
                host=host,
                port=port,
                workers=workers,
                loop="uvloop",
                # httptools, with a deadline for a request's headers (slow or silent clients).
                http=HeaderTimeoutHttpToolsProtocol,
                # Of uvicorn's three WebSocket implementations, the fastest to send and as light
                # per idle socket as any (docs/configuration.md has the measurements).
                ws="websockets-sansio",
                ws_per_message_deflate=False,  # a zlib context per socket, for frames of ~100 B
                # A bigger frame is refused (1009) as it arrives, before it is read whole.
                ws_max_size=limits.ws_max_frame_bytes,
                timeout_keep_alive=int(max(1, limits.keep_alive_timeout)),
                timeout_graceful_shutdown=math.ceil(limits.shutdown_grace),
                limit_concurrency=limits.max_connections,
                lifespan="on",
                access_log=False,
                log_config=None,  # its warnings go through the app's JSON logging
                log_level="warning",  # no line per WebSocket opened or closed
                proxy_headers=False,  # the app reads X-Forwarded-For itself (TRUSTED_PROXY_HOPS)
                server_header=False,
            )
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        return
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.server import Server

    Server(
        target,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        websockets=True,
        log_access=False,
        # granian (2.8) has no idle keep-alive deadline of its own: the header deadline
        # bounds the wait for the next request too. Its WebSocket frames are capped by the
        # app (``ws_max_frame_bytes``) only once read.
        http1_settings=HTTP1Settings(header_read_timeout=int(limits.header_timeout * 1000)),
        backpressure=limits.max_connections,
        # A worker that has not stopped by then (requests in flight, stop hooks) is killed.
        workers_kill_timeout=math.ceil(limits.shutdown_grace + limits.stop_hooks_grace),
    ).serve()


def _stopped(_signum: int, _frame: FrameType | None) -> None:
    """What a signal uvicorn raised again after stopping gracefully does: nothing more."""


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    host = args.host or settings.server.host
    port = args.port or settings.server.port
    workers = args.workers or settings.server.workers
    if workers > 1 and not settings.broker.distributed:
        print(
            "mocheong serve: --workers above 1 needs a broker (MOCHEONG_REDIS_URL, or "
            "MOCHEONG_BROKER=nats): the embedded in-memory broker and queue live inside one "
            "process.",
            file=sys.stderr,
        )
        return 2
    print(
        f"Mocheong on http://{host}:{port} ({_mode(settings)}, {settings.server.name})",
        file=sys.stderr,
    )
    serve_asgi(
        APP,
        server=settings.server.name,
        host=host,
        port=port,
        workers=workers,
        limits=ServerLimits.of(settings),
    )
    return 0


def _mode(settings: Settings) -> str:
    database = "SQLite" if settings.uses_sqlite else "PostgreSQL"
    broker = {"redis": "Redis", "nats": "NATS JetStream"}.get(
        settings.broker.effective, "in-process broker and jobs"
    )
    return f"{database}, {broker}"


def _worker(settings: Settings, _: argparse.Namespace) -> int:
    if not settings.broker.distributed:
        print(
            "mocheong worker: needs MOCHEONG_REDIS_URL or MOCHEONG_BROKER=nats. In the embedded "
            "mode `mocheong serve` runs background work in-process.",
            file=sys.stderr,
        )
        return 2
    from entrypoints.worker.app import run_worker

    run_worker(settings)
    return 0


def _worker_check(settings: Settings, args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from entrypoints.worker.health import HealthFile, verdict

    health = HealthFile(Path(settings.observability.worker_health_file))
    problem = verdict(
        health.read(),
        max_age=settings.observability.worker_health_max_age,
        live=args.live,
        now=time.time(),
    )
    if problem is not None:
        print(f"mocheong worker check: {problem}", file=sys.stderr)
        return 1
    return 0


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from entrypoints.bootstrap.admin import upgrade_database

    upgrade_database(settings, args.revision)
    print(f"Database at {args.revision}", file=sys.stderr)
    return 0


def _db_revision(settings: Settings, args: argparse.Namespace) -> int:
    from entrypoints.bootstrap.admin import new_revision

    new_revision(settings, args.message)
    return 0


def _create_admin(settings: Settings, args: argparse.Namespace) -> int:
    password = os.environ.get("MOCHEONG_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    from entrypoints.bootstrap.admin import create_admin

    user = asyncio.run(create_admin(settings, args.email, password, args.name))
    print(f"Administrator {user.email} ({user.id})", file=sys.stderr)
    return 0


def _reconcile_payments(settings: Settings, _args: argparse.Namespace) -> int:
    from entrypoints.bootstrap.admin import reconcile_payments

    changed = asyncio.run(reconcile_payments(settings))
    print(f"Orders reconciled: {changed} changed status", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mocheong",
        description="Mocheong backend. Settings come from MOCHEONG_* environment variables "
        "and an optional .env file (see docs/configuration.md).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve", help="Run the HTTP/WebSocket API (and, embedded, the background work)"
    )
    serve.add_argument("--host", help="address to bind (MOCHEONG_HOST)")
    serve.add_argument("--port", type=int, help="port to bind (MOCHEONG_PORT)")
    serve.add_argument("--workers", type=int, help="API processes (MOCHEONG_WORKERS)")
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser("worker", help="Run the arq background worker (needs Redis)")
    worker.set_defaults(handler=_worker)
    worker_commands = worker.add_subparsers(dest="worker_command")
    check = worker_commands.add_parser(
        "check",
        help="Probe the worker of this container from its health file: exit 0 when healthy, "
        "1 when not (a container's liveness, readiness and start-up probe)",
    )
    check.add_argument(
        "--live",
        action="store_true",
        help="liveness: only that the worker still beats (not whether its dependencies answer)",
    )
    check.set_defaults(handler=_worker_check)

    db = commands.add_parser("db", help="Database schema commands")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    up = db_commands.add_parser("upgrade", help="Apply the migrations")
    up.add_argument("--revision", default="heads", help="target revision (default: heads)")
    up.set_defaults(handler=_db_upgrade)
    rev = db_commands.add_parser(
        "revision", help="Write a new migration from the difference between models and database"
    )
    rev.add_argument("--message", "-m", required=True)
    rev.set_defaults(handler=_db_revision)

    admin = commands.add_parser(
        "create-admin",
        help="Create an administrator (or promote an existing account). The password is read "
        "from MOCHEONG_ADMIN_PASSWORD or asked for.",
    )
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Administrator")
    admin.set_defaults(handler=_create_admin)

    payments = commands.add_parser("payments", help="Payment commands")
    payments_commands = payments.add_subparsers(dest="payments_command", required=True)
    reconcile = payments_commands.add_parser(
        "reconcile",
        help="Sync orders left pending past MOCHEONG_PAYMENTS_RECONCILE_AFTER from PortOne, once",
    )
    reconcile.set_defaults(handler=_reconcile_payments)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"mocheong: bad setting: {exc}", file=sys.stderr)
        return 2
    return int(args.handler(settings, args))


if __name__ == "__main__":
    sys.exit(main())
