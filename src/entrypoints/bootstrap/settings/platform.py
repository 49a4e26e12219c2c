"""Settings of the process and what it runs on: the app, database, broker, server and logs."""

from __future__ import annotations

from pathlib import Path

import attrs

from entrypoints.bootstrap.settings.fields import (
    PREFIX,
    SettingsError,
    choice,
    not_negative,
    positive,
    setting,
    starts_with,
)
from entrypoints.bootstrap.settings.web import REGISTER_WINDOW

DEFAULT_SERVER = "uvicorn"
SERVERS = ("uvicorn", "granian")  # the ASGI servers ``mocheong serve`` can run


@attrs.frozen(kw_only=True)
class AppSettings:
    env: str = setting(
        "ENV",
        default="development",
        doc="`development`, `production` (needs `MOCHEONG_JWT_SECRET`) or `test`",
        check=choice("development", "production", "test"),
    )
    data_dir: Path = setting(  # noqa: RUF009 (attrs reads the field; a Path is never mutated)
        "DATA_DIR", default=Path("var"), doc="Folder for the SQLite file and local uploads"
    )

    @property
    def production(self) -> bool:
        return self.env == "production"


@attrs.frozen(kw_only=True)
class DatabaseSettings:
    url: str = setting(
        "DATABASE_URL",
        default="",
        doc=(
            "SQLAlchemy URL; empty means `sqlite+aiosqlite:///<data_dir>/mocheong.db`. "
            "`postgresql+psycopg://…` switches to Postgres"
        ),
        check=starts_with("sqlite+aiosqlite://", "postgresql+psycopg://"),
        secret=True,  # it carries the password
    )
    pool_size: int = setting(
        "DB_POOL_SIZE", default=10, doc="Connections kept per process", check=positive
    )
    max_overflow: int = setting(
        "DB_MAX_OVERFLOW",
        default=0,
        doc=(
            "Extra connections at peaks, opened and closed again per peak (under load that "
            "costs more than waiting for a pooled one)"
        ),
        check=not_negative,
    )
    pool_pre_ping: bool = setting(
        "DB_POOL_PRE_PING",
        default=False,
        doc=(
            "Test every pooled connection with a round trip before use. Off: a connection "
            "found dead fails its request with a 503 and the pool is replaced"
        ),
    )
    pool_timeout: float = setting("DB_POOL_TIMEOUT", default=5.0, doc="Seconds to wait for one")


@attrs.frozen(kw_only=True)
class BrokerSettings:
    redis_url: str = setting(
        "REDIS_URL",
        default="",
        doc="Empty: in-memory broker, queue, cache and limits. `redis://…`: Redis + arq",
        check=starts_with("redis://", "rediss://", "unix://"),
        secret=True,  # it may carry a password
    )
    redis_prefix: str = setting(
        "REDIS_PREFIX", default="mc:", doc="Prefix of every Redis key and queue name"
    )
    redis_socket_timeout: float = setting(
        "REDIS_SOCKET_TIMEOUT",
        default=5.0,
        doc=(
            "Seconds a Redis command may wait for its answer (API and worker); then it fails "
            "and the request answers 503, so a Redis that stops answering hangs nothing"
        ),
        check=positive,
    )
    redis_breaker_cooldown: float = setting(
        "REDIS_BREAKER_COOLDOWN",
        default=1.0,
        doc=(
            "Seconds after a Redis command timed out during which the process's other Redis "
            "commands fail at once (503) instead of each waiting for Redis; then one is let "
            "through, and Redis answering it ends the fast failure"
        ),
        check=positive,
    )
    redis_connect_timeout: float = setting(
        "REDIS_CONNECT_TIMEOUT",
        default=2.0,
        doc="Seconds to open a connection to Redis",
        check=positive,
    )
    redis_health_check_interval: int = setting(
        "REDIS_HEALTH_CHECK_INTERVAL",
        default=10,
        doc="Seconds a pooled Redis connection may sit unused before a PING proves it",
        check=positive,
    )
    kind: str = setting(
        "BROKER",
        default="",
        doc=(
            "`redis`, `nats` or `memory` (docs/brokers.md); empty means `redis` when "
            "`MOCHEONG_REDIS_URL` is set, else `memory`"
        ),
        check=choice("redis", "nats", "memory", show=True, blank=True),
    )
    nats_url: str = setting(
        "NATS_URL",
        default="nats://127.0.0.1:4222",
        doc="NATS servers (comma-separated `nats://` or `tls://` URLs) for `nats`",
        secret=True,  # they may carry a user and password
    )
    nats_credentials: str = setting(
        "NATS_CREDENTIALS", default="", doc="NATS `.creds` file (JWT and NKey seed); empty: none"
    )
    nats_tls_ca: str = setting(
        "NATS_TLS_CA",
        default="",
        doc="CA file that verifies the NATS server's TLS; empty: system CAs",
    )
    nats_prefix: str = setting(
        "NATS_PREFIX",
        default="mc",
        doc="First token of every NATS subject, and of stream names (upper-cased)",
    )
    nats_job_dedup_seconds: int = setting(
        "NATS_JOB_DEDUP_SECONDS",
        default=3600,
        doc="Seconds NATS remembers a job id, refusing a second job with that id",
    )
    nats_job_backoff: float = setting(
        "NATS_JOB_BACKOFF",
        default=1.0,
        doc="Seconds before a failed job runs again on NATS; doubles per try, ≤ 60",
    )
    nats_history_span: int = setting(
        "NATS_HISTORY_SPAN",
        default=64,
        doc=(
            "Stream entries up to which a chat history read on NATS (a resume, a snapshot) "
            "asks for every entry of the span at once; a longer span is read through a "
            "short-lived consumer filtered on the room"
        ),
        check=not_negative,
    )
    nats_rate_limit_bucket: str = setting(
        "NATS_RATE_LIMIT_BUCKET",
        default="",
        doc=(
            "JetStream key-value bucket of the rate-limit counters shared on NATS; "
            "empty: `<PREFIX>_RATE_LIMITS` (upper-cased `MOCHEONG_NATS_PREFIX`)"
        ),
    )
    nats_rate_limit_ttl: int = setting(
        "NATS_RATE_LIMIT_TTL",
        default=REGISTER_WINDOW,
        doc=(
            "Seconds a rate-limit counter stays in the NATS bucket after its last hit; "
            f"at least {REGISTER_WINDOW} (the longest window)"
        ),
    )
    nats_rate_limit_tries: int = setting(
        "NATS_RATE_LIMIT_TRIES",
        default=16,
        doc=(
            "Compare-and-set tries of one write to a NATS rate-limit counter (a process's "
            "simultaneous hits on it go out as one write) that other processes keep changing; "
            "then those hits are refused with a Retry-After of 1 s"
        ),
    )

    def __attrs_post_init__(self) -> None:
        if self.kind == "redis" and not self.redis_url:
            raise SettingsError(f"{PREFIX}BROKER=redis needs {PREFIX}REDIS_URL")
        if not self.uses_nats:
            return
        urls = [url.strip() for url in self.nats_url.split(",")]
        if not all(url.startswith(("nats://", "tls://")) for url in urls):
            raise SettingsError(f"{PREFIX}NATS_URL must be nats:// or tls:// URLs")
        if not self.nats_prefix.replace("_", "").replace("-", "").isalnum():
            raise SettingsError(f"{PREFIX}NATS_PREFIX must be letters, digits, _ or -")
        bucket = self.nats_rate_limit_bucket
        if bucket and not bucket.replace("_", "").replace("-", "").isalnum():
            raise SettingsError(f"{PREFIX}NATS_RATE_LIMIT_BUCKET must be letters, digits, _ or -")
        if self.nats_rate_limit_ttl < REGISTER_WINDOW:
            raise SettingsError(
                f"{PREFIX}NATS_RATE_LIMIT_TTL must be at least {REGISTER_WINDOW} (the longest "
                "rate-limit window), or counts would vanish before their window ends"
            )
        fields = attrs.fields(BrokerSettings)
        for field in (
            fields.nats_job_dedup_seconds,
            fields.nats_job_backoff,
            fields.nats_rate_limit_tries,
        ):
            positive(self, field, getattr(self, field.name))

    @property
    def effective(self) -> str:
        """What carries streams, jobs and cache notices between processes."""
        return self.kind or ("redis" if self.redis_url else "memory")

    @property
    def uses_redis(self) -> bool:
        return self.effective == "redis"

    @property
    def uses_nats(self) -> bool:
        return self.effective == "nats"

    @property
    def distributed(self) -> bool:
        """True when several API processes and workers share a broker."""
        return self.effective != "memory"


@attrs.frozen(kw_only=True)
class ServerSettings:
    host: str = setting("HOST", default="127.0.0.1", doc="Address `serve` binds")
    port: int = setting("PORT", default=8000, doc="Port `serve` binds", check=positive)
    workers: int = setting("WORKERS", default=1, doc="API processes `serve` starts", check=positive)
    name: str = setting(
        "SERVER",
        default=DEFAULT_SERVER,
        doc=(
            "ASGI server `serve` runs: `uvicorn` (uvloop, httptools, websockets) or `granian` "
            "(about twice the plain-HTTP req/s, but ~5× the memory per WebSocket and slower "
            "fan-out; see docs/configuration.md)"
        ),
        check=choice(*SERVERS, show=True),
    )
    header_timeout: float = setting(
        "SERVER_HEADER_TIMEOUT",
        default=10.0,
        doc=(
            "Seconds a connection has to send a request's headers, from when it opens or its "
            "last answer ended; then it is closed (slow or silent clients)"
        ),
        check=positive,
    )
    keep_alive_timeout: float = setting(
        "SERVER_KEEP_ALIVE_TIMEOUT",
        default=5.0,
        doc="Seconds an idle keep-alive connection is kept open between requests",
        check=positive,
    )
    shutdown_grace: float = setting(
        "SERVER_SHUTDOWN_GRACE",
        default=15.0,
        doc=(
            "Seconds a stopping API process (SIGTERM) gives requests in flight after closing "
            "its sockets and streams with a restart signal; then it cancels them. With "
            "`MOCHEONG_JOBS_SHUTDOWN_GRACE` it stays under Kubernetes' 30 s"
        ),
        check=positive,
    )
    body_timeout: float = setting(
        "SERVER_BODY_TIMEOUT",
        default=60.0,
        doc=(
            "Seconds a request has to send its whole body once its headers came; then it is "
            "answered 408 and the connection closed (slow bodies). Raise it for big uploads "
            "over slow links"
        ),
        check=positive,
    )
    max_connections: int = setting(
        "SERVER_MAX_CONNECTIONS",
        default=10_000,
        doc=(
            "Connections (WebSockets included) each API process serves at once; above it "
            "uvicorn answers 503 and granian waits before reading more"
        ),
        check=positive,
    )
    ws_auth_frame_bytes: int = setting(
        "WS_AUTH_FRAME_BYTES",
        default=8192,
        doc=(
            "Largest WebSocket frame of a client that has not signed in yet, bytes; a bigger "
            "one closes the socket with 1009. Every real-time transport uses it"
        ),
    )
    ws_max_frame_bytes: int = setting(
        "WS_MAX_FRAME_BYTES",
        default=65_536,
        doc=(
            "Largest WebSocket frame of a signed-in client, bytes (a chat message of "
            "`MOCHEONG_CHAT_MESSAGE_MAX_CHARS` fits); a bigger one closes the socket with "
            "1009. uvicorn refuses it before reading it whole"
        ),
    )

    def __attrs_post_init__(self) -> None:
        if not 0 < self.ws_auth_frame_bytes <= self.ws_max_frame_bytes:
            raise SettingsError(
                f"{PREFIX}WS_AUTH_FRAME_BYTES must be positive and at most "
                f"{PREFIX}WS_MAX_FRAME_BYTES"
            )


@attrs.frozen(kw_only=True)
class LogSettings:
    level: str = setting("LOG_LEVEL", default="INFO", doc="Log level")
    json: bool = setting("LOG_JSON", default=True, doc="JSON logs (else console)")
