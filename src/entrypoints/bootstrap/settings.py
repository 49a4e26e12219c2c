"""Typed settings read from ``MOCHEONG_*`` environment variables (and an optional ``.env``).

Every limit of the product is a setting here. A bad or missing value stops start-up with a
message naming the variable.
"""

from __future__ import annotations

import os
import secrets
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from dotenv import dotenv_values

PREFIX = "MOCHEONG_"
JWT_SECRET_FILE = "jwt-secret"  # noqa: S105 (a file name, not a key)
"""Where, in the data folder, a process without ``MOCHEONG_JWT_SECRET`` keeps its own key."""
MIN_JWT_SECRET_CHARS = 32


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


def _doc(text: str) -> dict[str, str]:
    return {"doc": text}


DEFAULT_SERVER = "uvicorn"
SERVERS = ("uvicorn", "granian")  # the ASGI servers ``mocheong serve`` can run
FILE_URL_TTL_MAX = 7 * 24 * 3600  # the longest an S3 presigned URL may live
LLM_PROVIDERS = ("offline", "openai", "anthropic")


def _widths(value: Any) -> tuple[int, ...]:
    try:
        return tuple(sorted({int(part) for part in value}))
    except (TypeError, ValueError):
        raise SettingsError(
            f"{PREFIX}IMAGE_VARIANT_WIDTHS must be whole numbers separated by commas"
        ) from None


@attrs.frozen(kw_only=True)
class Settings:
    env: str = attrs.field(
        default="development",
        metadata=_doc("`development`, `production` (needs `MOCHEONG_JWT_SECRET`) or `test`"),
    )
    data_dir: Path = attrs.field(
        default=Path("var"), metadata=_doc("Folder for the SQLite file and local uploads")
    )
    database_url: str = attrs.field(
        default="",
        metadata=_doc(
            "SQLAlchemy URL; empty means `sqlite+aiosqlite:///<data_dir>/mocheong.db`. "
            "`postgresql+psycopg://…` switches to Postgres"
        ),
    )
    db_pool_size: int = attrs.field(default=10, metadata=_doc("Connections kept per process"))
    db_max_overflow: int = attrs.field(
        default=0,
        metadata=_doc(
            "Extra connections at peaks, opened and closed again per peak (under load that "
            "costs more than waiting for a pooled one)"
        ),
    )
    db_pool_pre_ping: bool = attrs.field(
        default=False,
        metadata=_doc(
            "Test every pooled connection with a round trip before use. Off: a connection "
            "found dead fails its request with a 503 and the pool is replaced"
        ),
    )
    db_pool_timeout: float = attrs.field(default=5.0, metadata=_doc("Seconds to wait for one"))
    redis_url: str = attrs.field(
        default="",
        metadata=_doc("Empty: in-memory broker, queue, cache and limits. `redis://…`: Redis + arq"),
    )
    redis_prefix: str = attrs.field(
        default="mc:", metadata=_doc("Prefix of every Redis key and queue name")
    )
    redis_socket_timeout: float = attrs.field(
        default=5.0,
        metadata=_doc(
            "Seconds a Redis command may wait for its answer (API and worker); then it fails "
            "and the request answers 503, so a Redis that stops answering hangs nothing"
        ),
    )
    redis_connect_timeout: float = attrs.field(
        default=2.0, metadata=_doc("Seconds to open a connection to Redis")
    )
    redis_health_check_interval: int = attrs.field(
        default=10,
        metadata=_doc("Seconds a pooled Redis connection may sit unused before a PING proves it"),
    )
    broker: str = attrs.field(
        default="",
        metadata=_doc(
            "`redis`, `nats` or `memory` (docs/brokers.md); empty means `redis` when "
            "`MOCHEONG_REDIS_URL` is set, else `memory`"
        ),
    )
    nats_url: str = attrs.field(
        default="nats://127.0.0.1:4222",
        metadata=_doc("NATS servers (comma-separated `nats://` or `tls://` URLs) for `nats`"),
    )
    nats_credentials: str = attrs.field(
        default="", metadata=_doc("NATS `.creds` file (JWT and NKey seed); empty: none")
    )
    nats_tls_ca: str = attrs.field(
        default="", metadata=_doc("CA file that verifies the NATS server's TLS; empty: system CAs")
    )
    nats_prefix: str = attrs.field(
        default="mc",
        metadata=_doc("First token of every NATS subject, and of stream names (upper-cased)"),
    )
    nats_job_dedup_seconds: int = attrs.field(
        default=3600,
        metadata=_doc("Seconds NATS remembers a job id, refusing a second job with that id"),
    )
    nats_job_backoff: float = attrs.field(
        default=1.0,
        metadata=_doc("Seconds before a failed job runs again on NATS; doubles per try, ≤ 60"),
    )
    host: str = attrs.field(default="127.0.0.1", metadata=_doc("Address `serve` binds"))
    port: int = attrs.field(default=8000, metadata=_doc("Port `serve` binds"))
    workers: int = attrs.field(default=1, metadata=_doc("API processes `serve` starts"))
    server: str = attrs.field(
        default=DEFAULT_SERVER,
        metadata=_doc(
            "ASGI server `serve` runs: `uvicorn` (uvloop, httptools, websockets) or `granian` "
            "(about twice the plain-HTTP req/s, but ~5× the memory per WebSocket and slower "
            "fan-out; see docs/configuration.md)"
        ),
    )
    server_header_timeout: float = attrs.field(
        default=10.0,
        metadata=_doc(
            "Seconds a connection has to send a request's headers, from when it opens or its "
            "last answer ended; then it is closed (slow or silent clients)"
        ),
    )
    server_keep_alive_timeout: float = attrs.field(
        default=5.0,
        metadata=_doc("Seconds an idle keep-alive connection is kept open between requests"),
    )
    server_shutdown_grace: float = attrs.field(
        default=15.0,
        metadata=_doc(
            "Seconds a stopping API process (SIGTERM) gives requests in flight after closing "
            "its sockets and streams with a restart signal; then it cancels them. With "
            "`MOCHEONG_JOBS_SHUTDOWN_GRACE` it stays under Kubernetes' 30 s"
        ),
    )
    server_body_timeout: float = attrs.field(
        default=60.0,
        metadata=_doc(
            "Seconds a request has to send its whole body once its headers came; then it is "
            "answered 408 and the connection closed (slow bodies). Raise it for big uploads "
            "over slow links"
        ),
    )
    server_max_connections: int = attrs.field(
        default=10_000,
        metadata=_doc(
            "Connections (WebSockets included) each API process serves at once; above it "
            "uvicorn answers 503 and granian waits before reading more"
        ),
    )
    ws_auth_frame_bytes: int = attrs.field(
        default=8192,
        metadata=_doc(
            "Largest WebSocket frame of a client that has not signed in yet, bytes; a bigger "
            "one closes the socket with 1009. Every real-time transport uses it"
        ),
    )
    ws_max_frame_bytes: int = attrs.field(
        default=65_536,
        metadata=_doc(
            "Largest WebSocket frame of a signed-in client, bytes (a chat message of "
            "`MOCHEONG_CHAT_MESSAGE_MAX_CHARS` fits); a bigger one closes the socket with "
            "1009. uvicorn refuses it before reading it whole"
        ),
    )
    public_base_url: str = attrs.field(
        default="",
        metadata=_doc(
            "Base URL of every link a client receives (guest links, file URLs, the public "
            "page's address), e.g. `https://mocheong.app`; empty means the request's own"
        ),
    )
    kakao_js_key: str = attrs.field(
        default="",
        metadata=_doc(
            "Kakao JavaScript key for KakaoTalk sharing in the studio; empty hides the button "
            "(the SDK is then never loaded)"
        ),
    )
    jwt_secret: str = attrs.field(
        default="",
        repr=False,
        metadata=_doc(
            "HMAC key for access tokens, at least 32 characters. Empty: required in "
            "production; otherwise a random key made on first start and kept in "
            "`<data_dir>/jwt-secret`"
        ),
    )
    access_token_ttl: int = attrs.field(default=900, metadata=_doc("Access token lifetime, s"))
    refresh_token_ttl: int = attrs.field(
        default=30 * 24 * 3600, metadata=_doc("Refresh token lifetime, s")
    )
    auth_cache_seconds: float = attrs.field(
        default=30.0,
        metadata=_doc(
            "How long a process reuses a user it read to authenticate a request, s. Changes "
            "to a user reach every process at once; this bounds a missed one (0: off)"
        ),
    )
    auth_cache_users: int = attrs.field(
        default=10_000, metadata=_doc("Users each process keeps for authentication")
    )
    cors_origins: tuple[str, ...] = attrs.field(
        default=(), metadata=_doc("Comma-separated origins allowed by CORS (`*` for any)")
    )
    trusted_proxy_hops: int = attrs.field(
        default=0,
        metadata=_doc(
            "Reverse proxies in front of the API that append the client to `X-Forwarded-For`; "
            "the client address (for per-IP limits) is read that many entries from the right. "
            "0: the TCP peer, the header is ignored"
        ),
    )
    max_body_bytes: int = attrs.field(
        default=1_048_576, metadata=_doc("Largest JSON request body, bytes")
    )
    max_upload_bytes: int = attrs.field(
        default=20 * 1_048_576, metadata=_doc("Largest uploaded file, bytes")
    )
    storage: str = attrs.field(
        default="local",
        metadata=_doc("Where uploaded bytes live: `local` (`<data_dir>/files`) or `s3`"),
    )
    s3_bucket: str = attrs.field(default="", metadata=_doc("Bucket for `s3` storage"))
    s3_endpoint_url: str = attrs.field(
        default="", metadata=_doc("Empty: Amazon S3. Else an S3-compatible server's URL")
    )
    s3_region: str = attrs.field(default="us-east-1", metadata=_doc("Region of the bucket"))
    s3_access_key_id: str = attrs.field(
        default="", repr=False, metadata=_doc("Empty: the AWS default credential chain")
    )
    s3_secret_access_key: str = attrs.field(
        default="", repr=False, metadata=_doc("Secret of `S3_ACCESS_KEY_ID`")
    )
    file_url_ttl: int = attrs.field(
        default=3600, metadata=_doc("Seconds a signed file download URL stays valid (≤ 7 days)")
    )
    image_max_pixels: int = attrs.field(
        default=50_000_000,
        metadata=_doc("Most pixels an uploaded image may have (refuses decompression bombs)"),
    )
    image_variant_widths: tuple[int, ...] = attrs.field(
        default=(480, 1280),
        converter=_widths,
        metadata=_doc("Comma-separated widths of the resized WebP copies of each image"),
    )
    rate_login_per_ip: int = attrs.field(default=20, metadata=_doc("Logins per IP per minute"))
    rate_login_per_account: int = attrs.field(
        default=10, metadata=_doc("Logins per account per minute")
    )
    rate_register_per_ip: int = attrs.field(
        default=10, metadata=_doc("Registrations per IP per hour")
    )
    rate_rsvp_per_ip: int = attrs.field(default=30, metadata=_doc("RSVP answers per IP per minute"))
    rate_guestbook_per_ip: int = attrs.field(
        default=10, metadata=_doc("Guestbook entries per IP per minute")
    )
    page_gallery_max: int = attrs.field(
        default=30, metadata=_doc("Most photos in a page's gallery (the premium plan)")
    )
    page_free_gallery_max: int = attrs.field(
        default=12, metadata=_doc("Most photos a page on the free plan may add to its gallery")
    )
    page_greeting_max: int = attrs.field(
        default=1000, metadata=_doc("Most characters in a page's greeting")
    )
    page_gift_accounts_max: int = attrs.field(
        default=12, metadata=_doc("Most gift accounts on a page")
    )
    page_guests_max: int = attrs.field(
        default=2000, metadata=_doc("Most guests on one page's guest list")
    )
    page_interview_max: int = attrs.field(
        default=10, metadata=_doc("Most questions in a page's couple interview")
    )
    page_notices_max: int = attrs.field(
        default=10, metadata=_doc("Most notices (shuttle, parking, wreaths …) on a page")
    )
    page_ending_max: int = attrs.field(
        default=500, metadata=_doc("Most characters in a page's ending message")
    )
    page_history_max: int = attrs.field(
        default=200,
        metadata=_doc("Most versions of one page its history keeps (the oldest are dropped)"),
    )
    rsvp_party_size_max: int = attrs.field(
        default=10, metadata=_doc("Most people one RSVP answer may count")
    )
    public_cache_pages: int = attrs.field(
        default=1000,
        metadata=_doc("Published pages whose rendered HTML and JSON each process keeps in memory"),
    )
    public_cache_ttl: int = attrs.field(
        default=300,
        metadata=_doc(
            "Longest a cached public page is served before it is rendered again, s (also kept "
            "under half of `FILE_URL_TTL`, so the signed image links in it stay valid)"
        ),
    )
    public_max_age: int = attrs.field(
        default=60,
        metadata=_doc("`Cache-Control: max-age` of the public page and its JSON, s"),
    )
    public_guestbook_entries: int = attrs.field(
        default=20,
        metadata=_doc("Newest guestbook entries on the public page (more load on demand)"),
    )
    log_level: str = attrs.field(default="INFO", metadata=_doc("Log level"))
    log_json: bool = attrs.field(default=True, metadata=_doc("JSON logs (else console)"))
    jobs_max_concurrency: int = attrs.field(
        default=200, metadata=_doc("Jobs one worker runs at once")
    )
    jobs_poll_delay: float = attrs.field(
        default=0.005, metadata=_doc("Seconds the worker waits between queue polls")
    )
    jobs_timeout: int = attrs.field(
        default=300,
        metadata=_doc(
            "Seconds a job may run; a job whose worker died is run again after this plus 10 s"
        ),
    )
    jobs_queue_read_limit: int = attrs.field(
        default=0,
        metadata=_doc("Job ids the worker reads per poll; 0: 5 × JOBS_MAX_CONCURRENCY (≥ 100)"),
    )
    jobs_keep_result: int = attrs.field(
        default=0,
        metadata=_doc(
            "Seconds arq keeps a finished job's result, refusing its id again meanwhile; 0: none"
        ),
    )
    jobs_max_tries: int = attrs.field(
        default=5, metadata=_doc("Runs of a job that was interrupted (worker stopped) or retried")
    )
    jobs_health_check_interval: int = attrs.field(
        default=10,
        metadata=_doc("Seconds between the worker's health records (`<queue>:health-check` key)"),
    )
    jobs_shutdown_grace: int = attrs.field(
        default=10,
        metadata=_doc("Seconds a stopping process lets running jobs finish before cancelling"),
    )
    chat_stream_ttl: int = attrs.field(
        default=1800,
        metadata=_doc(
            "Seconds a chat room's Redis stream (and each message's fence, seq counter and "
            "cancel flag) lives after its last write; keep it well above the longest run"
        ),
    )
    chat_stream_maxlen: int = attrs.field(
        default=10_000,
        metadata=_doc("Events a chat room's Redis stream keeps (approximately) for resuming"),
    )
    chat_pubsub_ping_interval: float = attrs.field(
        default=1.0,
        metadata=_doc(
            "Seconds of silence after which an API process PINGs its chat pub/sub connection; "
            "no answer within three of them and it reconnects and catches up"
        ),
    )
    chat_listener_queue: int = attrs.field(
        default=1000,
        metadata=_doc(
            "Events queued per room listener in an API process; one that falls further "
            "behind catches up from the Redis stream instead"
        ),
    )
    chat_coalesce_ms: int = attrs.field(
        default=30,
        metadata=_doc("Milliseconds a chat run gathers model output before appending one chunk"),
    )
    chat_lease_seconds: float = attrs.field(
        default=10.0,
        metadata=_doc(
            "Lease of a running chat reply, renewed every third of it; when it lapses (the "
            "worker died) the sweeper retries or fails the reply"
        ),
    )
    chat_pending_timeout: float = attrs.field(
        default=60.0,
        metadata=_doc("Seconds a queued chat reply may wait for a worker before it is swept"),
    )
    chat_max_attempts: int = attrs.field(
        default=3, metadata=_doc("Attempts at one chat reply before it ends `failed`")
    )
    chat_sweep_interval: float = attrs.field(
        default=2.0, metadata=_doc("Seconds between two sweeps for chat replies whose lease lapsed")
    )
    chat_message_max_chars: int = attrs.field(
        default=4000, metadata=_doc("Longest chat message a user may send, characters")
    )
    rate_chat_per_user: int = attrs.field(
        default=30, metadata=_doc("Chat messages one user may send per minute")
    )
    chat_snapshot_messages: int = attrs.field(
        default=50,
        metadata=_doc("Stored messages sent to a client whose cursor is older than the stream"),
    )
    chat_model_history: int = attrs.field(
        default=20, metadata=_doc("Earlier messages of the session a chat model is given")
    )
    chat_session_cache_seconds: float = attrs.field(
        default=300.0,
        metadata=_doc(
            "How long a process reuses a page's chat session (and owner) it read, s. Deleting "
            "the page reaches every process at once; this bounds a missed one (0: off)"
        ),
    )
    chat_session_cache_sessions: int = attrs.field(
        default=10_000, metadata=_doc("Pages' chat sessions each process keeps")
    )
    chat_submit_batch: int = attrs.field(
        default=200,
        metadata=_doc(
            "Most chat turns one statement stores: submits that arrive while one is written "
            "are stored together"
        ),
    )
    chat_submit_writers: int = attrs.field(
        default=2,
        metadata=_doc(
            "Chat-turn statements each process has on their way at once; a submit waits for "
            "one of them to be free. On PostgreSQL each has a connection of its own, opened "
            "beside the pool's"
        ),
    )
    chat_send_queue: int = attrs.field(
        default=256,
        metadata=_doc(
            "Events queued per chat connection; a slower client catches up from the stream"
        ),
    )
    chat_ws_auth_timeout: float = attrs.field(
        default=5.0,
        metadata=_doc("Seconds a WebSocket has to send its `auth` frame before it is closed"),
    )
    chat_sse_heartbeat: float = attrs.field(
        default=15.0, metadata=_doc("Seconds between heartbeat comments on an idle SSE stream")
    )
    chat_sio_max_message_bytes: int = attrs.field(
        default=1_000_000,
        metadata=_doc(
            "Largest Socket.IO message (or polling request body) a client may send, in bytes, "
            "checked before it signs in; a larger one ends the connection"
        ),
    )
    chat_sio_ping_interval: float = attrs.field(
        default=25.0, metadata=_doc("Seconds between the Socket.IO server's pings")
    )
    chat_sio_ping_timeout: float = attrs.field(
        default=20.0,
        metadata=_doc("Seconds a Socket.IO client has to answer a ping before it is dropped"),
    )
    offline_model_delay_ms: int = attrs.field(
        default=20, metadata=_doc("Milliseconds between the offline chat model's chunks")
    )
    llm_provider: str = attrs.field(
        default="offline",
        metadata=_doc(
            "Chat model: `offline` (no network), `openai` (any Chat Completions server) or "
            "`anthropic` (Messages API)"
        ),
    )
    openai_base_url: str = attrs.field(
        default="",
        metadata=_doc(
            "Empty: OpenAI's API. Else a compatible server's `/v1` URL, e.g. "
            "`http://localhost:11434/v1` for Ollama (vLLM and llama.cpp alike)"
        ),
    )
    openai_api_key: str = attrs.field(
        default="",
        repr=False,
        metadata={
            **_doc(
                "Key for `openai` (or `OPENAI_API_KEY_FILE`); optional with a `OPENAI_BASE_URL`"
            ),
            "secret_file": True,
        },
    )
    openai_model: str = attrs.field(default="", metadata=_doc("Model name for `openai`"))
    anthropic_base_url: str = attrs.field(
        default="", metadata=_doc("Empty: Anthropic's API. Else a compatible server's URL")
    )
    anthropic_api_key: str = attrs.field(
        default="",
        repr=False,
        metadata={**_doc("Key for `anthropic` (or `ANTHROPIC_API_KEY_FILE`)"), "secret_file": True},
    )
    anthropic_model: str = attrs.field(default="", metadata=_doc("Model name for `anthropic`"))
    anthropic_auth_header: str = attrs.field(
        default="bearer",
        metadata=_doc(
            "How the key is sent: `bearer` (`Authorization: Bearer`, the anthropic 2.x SDK's "
            "way) or `x-api-key` (for servers and proxies that only read that header)"
        ),
    )
    llm_max_tokens: int = attrs.field(
        default=1024, metadata=_doc("Most tokens one model call may write")
    )
    llm_connect_timeout: float = attrs.field(
        default=5.0, metadata=_doc("Seconds to connect to the model provider")
    )
    llm_read_timeout: float = attrs.field(
        default=60.0,
        metadata=_doc(
            "Seconds the model provider may stay silent: before its first event (retries "
            "included) and between two events; then the reply ends `failed`"
        ),
    )
    llm_max_tries: int = attrs.field(
        default=3,
        metadata=_doc(
            "Tries of one model call answered 408, 409, 429, 5xx or overloaded, before its "
            "first delta; never after"
        ),
    )
    llm_retry_wait_max: float = attrs.field(
        default=10.0,
        metadata=_doc(
            "Longest wait before a model call is retried, s, even when the provider's "
            "`retry-after` asks for more"
        ),
    )
    kakao_rest_key: str = attrs.field(
        default="",
        repr=False,
        metadata={
            **_doc(
                "Kakao Local REST key (or `KAKAO_REST_KEY_FILE`); set, venues are found "
                "through Kakao"
            ),
            "secret_file": True,
        },
    )
    kakao_base_url: str = attrs.field(
        default="https://dapi.kakao.com", metadata=_doc("Kakao Local API's URL")
    )
    nominatim_url: str = attrs.field(
        default="",
        metadata=_doc(
            "A Nominatim server's URL; set (and no Kakao key), venues are found through it"
        ),
    )
    nominatim_user_agent: str = attrs.field(
        default="mocheong-wedding-invitations",
        metadata=_doc(
            "User-Agent sent to Nominatim, naming this deployment (its usage policy asks for one; "
            "add a contact)"
        ),
    )
    nominatim_interval: float = attrs.field(
        default=1.0,
        metadata=_doc("Seconds between two Nominatim requests of one process (its policy: ≥ 1)"),
    )
    geocoder_cache_size: int = attrs.field(
        default=1000, metadata=_doc("Venue searches each process keeps answered")
    )
    geocoder_cache_seconds: float = attrs.field(
        default=24 * 3600.0, metadata=_doc("How long a venue search's answer is kept, s")
    )
    geocoder_timeout: float = attrs.field(
        default=5.0, metadata=_doc("Seconds one venue search may take")
    )
    agent_max_model_calls: int = attrs.field(
        default=8, metadata=_doc("Model calls one chat turn may make, all agents together")
    )
    agent_max_tool_calls: int = attrs.field(
        default=16, metadata=_doc("Tool calls one chat turn may make, all agents together")
    )
    agent_history_chars: int = attrs.field(
        default=8000,
        metadata=_doc(
            "Characters of earlier chat messages an agent is shown (the newest, whole ones)"
        ),
    )

    portone_api_base: str = attrs.field(
        default="https://api.portone.io", metadata=_doc("PortOne V2 REST API base URL")
    )
    portone_api_secret: str = attrs.field(
        default="",
        repr=False,
        metadata=_doc("PortOne V2 API secret; empty: the local sandbox gateway takes payments"),
    )
    portone_store_id: str = attrs.field(
        default="", metadata=_doc("PortOne store id every payment must belong to")
    )
    portone_channel_key: str = attrs.field(
        default="", metadata=_doc("PortOne channel key handed to the browser SDK")
    )
    portone_webhook_secret: str = attrs.field(
        default="",
        repr=False,
        metadata=_doc("PortOne webhook secret (`whsec_…`); two, comma-separated, in a rotation"),
    )
    portone_timeout: float = attrs.field(
        default=10.0, metadata=_doc("Seconds a PortOne API call may take")
    )
    portone_retries: int = attrs.field(
        default=2, metadata=_doc("Retries of a PortOne call after a network error or a 5xx")
    )
    premium_price_krw: int = attrs.field(
        default=9900, metadata=_doc("Price of the premium plan for one page, in won")
    )
    payments_reconcile_after: float = attrs.field(
        default=300.0,
        metadata=_doc("Seconds an order may stay pending before reconciliation asks PortOne"),
    )
    payments_reconcile_interval: float = attrs.field(
        default=60.0, metadata=_doc("Seconds between reconciliation runs of the worker")
    )
    payments_reconcile_batch: int = attrs.field(
        default=100, metadata=_doc("Orders one reconciliation run looks at, at most")
    )

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'mocheong.db').as_posix()}"

    @property
    def uses_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def effective_broker(self) -> str:
        """What carries streams, jobs and cache notices between processes."""
        return self.broker or ("redis" if self.redis_url else "memory")

    @property
    def uses_redis(self) -> bool:
        return self.effective_broker == "redis"

    @property
    def uses_nats(self) -> bool:
        return self.effective_broker == "nats"

    @property
    def distributed(self) -> bool:
        """True when several API processes and workers share a broker."""
        return self.effective_broker != "memory"

    @property
    def uses_sandbox_payments(self) -> bool:
        return not self.portone_api_secret

    def check(self) -> None:
        self._check_files()
        self._check_providers()
        self._check_pages()
        self._check_chat()
        self._check_public()
        self._check_payments()
        if self.env not in {"development", "production", "test"}:
            raise SettingsError(f"{PREFIX}ENV must be development, production or test")
        if self.server not in SERVERS:
            raise SettingsError(f"{PREFIX}SERVER must be uvicorn or granian, not {self.server!r}")
        if self.production and not self.jwt_secret:
            raise SettingsError(
                f"{PREFIX}JWT_SECRET must be set in production (a random key of at least "
                f"{MIN_JWT_SECRET_CHARS} characters, the same in every process)"
            )
        if self.jwt_secret and len(self.jwt_secret) < MIN_JWT_SECRET_CHARS:
            raise SettingsError(
                f"{PREFIX}JWT_SECRET must be at least {MIN_JWT_SECRET_CHARS} characters"
            )
        url = self.effective_database_url
        if not (url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+psycopg://")):
            raise SettingsError(
                f"{PREFIX}DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+psycopg://"
            )
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(f"{PREFIX}REDIS_URL must start with redis://, rediss:// or unix://")
        self._check_broker()
        if not 0 < self.ws_auth_frame_bytes <= self.ws_max_frame_bytes:
            raise SettingsError(
                f"{PREFIX}WS_AUTH_FRAME_BYTES must be positive and at most "
                f"{PREFIX}WS_MAX_FRAME_BYTES"
            )
        for name in (
            "port",
            "workers",
            "db_pool_size",
            "max_body_bytes",
            "max_upload_bytes",
            "server_header_timeout",
            "server_keep_alive_timeout",
            "server_shutdown_grace",
            "server_body_timeout",
            "redis_socket_timeout",
            "redis_connect_timeout",
            "redis_health_check_interval",
            "server_max_connections",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        for name in (
            "trusted_proxy_hops",
            "db_max_overflow",
            "auth_cache_seconds",
            "auth_cache_users",
            "chat_session_cache_seconds",
            "chat_session_cache_sessions",
        ):
            if getattr(self, name) < 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must not be negative")
        for name in ("jobs_max_concurrency", "jobs_poll_delay", "jobs_timeout", "jobs_max_tries"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        for name in (
            "chat_stream_ttl",
            "chat_stream_maxlen",
            "chat_pubsub_ping_interval",
            "chat_listener_queue",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")

    def _check_broker(self) -> None:
        if self.broker not in {"", "redis", "nats", "memory"}:
            raise SettingsError(
                f"{PREFIX}BROKER must be redis, nats or memory, not {self.broker!r}"
            )
        if self.broker == "redis" and not self.redis_url:
            raise SettingsError(f"{PREFIX}BROKER=redis needs {PREFIX}REDIS_URL")
        if self.uses_nats:
            urls = [url.strip() for url in self.nats_url.split(",")]
            if not all(url.startswith(("nats://", "tls://")) for url in urls):
                raise SettingsError(f"{PREFIX}NATS_URL must be nats:// or tls:// URLs")
            if not self.nats_prefix.replace("_", "").replace("-", "").isalnum():
                raise SettingsError(f"{PREFIX}NATS_PREFIX must be letters, digits, _ or -")
            for name in ("nats_job_dedup_seconds", "nats_job_backoff"):
                if getattr(self, name) <= 0:
                    raise SettingsError(f"{PREFIX}{name.upper()} must be positive")

    def _check_chat(self) -> None:
        for name in (
            "chat_lease_seconds",
            "chat_pending_timeout",
            "chat_max_attempts",
            "chat_sweep_interval",
            "chat_message_max_chars",
            "rate_chat_per_user",
            "chat_snapshot_messages",
            "chat_submit_batch",
            "chat_submit_writers",
            "chat_send_queue",
            "chat_ws_auth_timeout",
            "chat_sse_heartbeat",
            "chat_sio_max_message_bytes",
            "chat_sio_ping_interval",
            "chat_sio_ping_timeout",
            "agent_max_model_calls",
            "agent_max_tool_calls",
            "agent_history_chars",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        for name in ("chat_coalesce_ms", "chat_model_history", "offline_model_delay_ms"):
            if getattr(self, name) < 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must not be negative")

    def _check_providers(self) -> None:
        if self.llm_provider not in LLM_PROVIDERS:
            raise SettingsError(
                f"{PREFIX}LLM_PROVIDER must be offline, openai or anthropic, "
                f"not {self.llm_provider!r}"
            )
        chosen = self.llm_provider.upper()
        if self.llm_provider != "offline" and not getattr(self, f"{self.llm_provider}_model"):
            raise SettingsError(
                f"{PREFIX}{chosen}_MODEL must be set when {PREFIX}LLM_PROVIDER is "
                f"{self.llm_provider}"
            )
        keyless = self.llm_provider == "openai" and self.openai_base_url
        chosen_key = getattr(self, f"{self.llm_provider}_api_key", "x")
        if self.llm_provider != "offline" and not keyless and not chosen_key:
            raise SettingsError(
                f"{PREFIX}{chosen}_API_KEY (or {PREFIX}{chosen}_API_KEY_FILE) must be set "
                f"when {PREFIX}LLM_PROVIDER is {self.llm_provider}"
            )
        if self.anthropic_auth_header not in {"bearer", "x-api-key"}:
            raise SettingsError(f"{PREFIX}ANTHROPIC_AUTH_HEADER must be bearer or x-api-key")
        for name in (
            "llm_max_tokens",
            "llm_connect_timeout",
            "llm_read_timeout",
            "llm_max_tries",
            "nominatim_interval",
            "geocoder_timeout",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        for name in ("llm_retry_wait_max", "geocoder_cache_size", "geocoder_cache_seconds"):
            if getattr(self, name) < 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must not be negative")
        if self.nominatim_url and not self.nominatim_user_agent.strip():
            raise SettingsError(
                f"{PREFIX}NOMINATIM_USER_AGENT must name this deployment: Nominatim refuses "
                "anonymous clients"
            )

    def _check_pages(self) -> None:
        for name in (
            "rate_rsvp_per_ip",
            "rate_guestbook_per_ip",
            "page_gallery_max",
            "page_free_gallery_max",
            "page_greeting_max",
            "page_gift_accounts_max",
            "page_guests_max",
            "page_interview_max",
            "page_notices_max",
            "page_ending_max",
            "page_history_max",
            "rsvp_party_size_max",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")

    def _check_public(self) -> None:
        for name in ("public_cache_pages", "public_cache_ttl", "public_guestbook_entries"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        if self.public_max_age < 0:
            raise SettingsError(f"{PREFIX}PUBLIC_MAX_AGE must not be negative")

    def _check_payments(self) -> None:
        for name in (
            "portone_timeout",
            "premium_price_krw",
            "payments_reconcile_after",
            "payments_reconcile_interval",
            "payments_reconcile_batch",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        if self.portone_retries < 0:
            raise SettingsError(f"{PREFIX}PORTONE_RETRIES must not be negative")
        if not self.uses_sandbox_payments and not self.portone_store_id:
            raise SettingsError(
                f"{PREFIX}PORTONE_STORE_ID must be set with {PREFIX}PORTONE_API_SECRET"
            )

    def _check_files(self) -> None:
        if self.storage not in {"local", "s3"}:
            raise SettingsError(f"{PREFIX}STORAGE must be local or s3")
        if self.storage == "s3" and not self.s3_bucket:
            raise SettingsError(f"{PREFIX}S3_BUCKET must be set when {PREFIX}STORAGE is s3")
        if not 0 < self.file_url_ttl <= FILE_URL_TTL_MAX:
            raise SettingsError(f"{PREFIX}FILE_URL_TTL must be 1 to {FILE_URL_TTL_MAX} seconds")
        if self.image_max_pixels <= 0:
            raise SettingsError(f"{PREFIX}IMAGE_MAX_PIXELS must be positive")
        if not self.image_variant_widths or not all(
            16 <= width <= 8192 for width in self.image_variant_widths
        ):
            raise SettingsError(f"{PREFIX}IMAGE_VARIANT_WIDTHS must be widths of 16 to 8192")


def _convert(name: str, raw: str, kind: Any) -> Any:
    origin = typing.get_origin(kind)
    if kind is bool:
        low = raw.strip().lower()
        if low in {"1", "true", "yes", "on"}:
            return True
        if low in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(f"{name} must be true or false, not {raw!r}")
    if kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if kind is Path:
        return Path(raw)
    if origin is tuple:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if kind is str or isinstance(kind, types.UnionType):
        return raw
    raise SettingsError(f"{name}: unsupported setting type {kind!r}")


def _read_secret_file(var: str, values: dict[str, str]) -> None:
    """Puts the content of the file ``<var>_FILE`` names (a mounted secret) into ``var``."""
    path = values.get(f"{var}_FILE")
    if not path:
        return
    if values.get(var):
        raise SettingsError(f"set {var} or {var}_FILE, not both")
    try:
        values[var] = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(f"{var}_FILE cannot be read: {exc.strerror}") from None
    if not values[var]:
        raise SettingsError(f"{var}_FILE names an empty file")


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Reads settings from ``environ`` (the process environment by default) over ``.env``."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    hints = typing.get_type_hints(Settings)
    kwargs: dict[str, Any] = {}
    for field in attrs.fields(Settings):
        var = PREFIX + field.name.upper()
        if field.metadata.get("secret_file"):
            _read_secret_file(var, values)
        if var in values:
            kwargs[field.name] = _convert(var, values[var], hints[field.name])
        elif var + "_FILE" in values:
            # A secret mounted as a file (Docker and Kubernetes secrets): ``<VAR>_FILE``.
            kwargs[field.name] = _convert(
                var, _read_secret(var, values[var + "_FILE"]), hints[field.name]
            )
    settings = Settings(**kwargs)
    settings.check()
    if not settings.jwt_secret:
        settings = attrs.evolve(settings, jwt_secret=own_jwt_secret(settings.data_dir))
    return settings


def _read_secret(var: str, path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        raise SettingsError(f"{var}_FILE cannot be read: {exc.strerror}") from None


def own_jwt_secret(data_dir: Path) -> str:
    """The key of an installation without ``MOCHEONG_JWT_SECRET``: made at random on first
    start and kept, readable by its owner only, in the data folder, so that tokens survive a
    restart and every process on the folder agrees. Processes starting together agree too:
    the key is written whole to a file of its own, then linked into place, which only the
    first of them can do."""
    path = data_dir / JWT_SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{JWT_SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: its key is the installation's
        finally:
            draft.unlink()
    key = path.read_text().strip()
    if len(key) < MIN_JWT_SECRET_CHARS:
        raise SettingsError(
            f"{path} holds no usable key: delete it to have a new one made, or set "
            f"{PREFIX}JWT_SECRET"
        )
    return key


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for each setting: the README's table is made from this."""
    rows = []
    for field in attrs.fields(Settings):
        default = field.default
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else str(default)
        if field.name == "jwt_secret":
            shown = "(empty: a random key in the data folder)"
        rows.append((PREFIX + field.name.upper(), shown, field.metadata.get("doc", "")))
    return rows
