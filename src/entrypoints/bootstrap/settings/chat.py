"""Settings of the chat: its streams, turns, sessions and real-time transports."""

from __future__ import annotations

import attrs

from entrypoints.bootstrap.settings.fields import not_negative, positive, setting


@attrs.frozen(kw_only=True)
class ChatSettings:
    stream_ttl: int = setting(
        "CHAT_STREAM_TTL",
        default=1800,
        doc=(
            "Seconds a chat room's Redis stream (and each message's fence, seq counter and "
            "cancel flag) lives after its last write; keep it well above the longest run"
        ),
        check=positive,
    )
    stream_maxlen: int = setting(
        "CHAT_STREAM_MAXLEN",
        default=10_000,
        doc="Events a chat room's Redis stream keeps (approximately) for resuming",
        check=positive,
    )
    pubsub_ping_interval: float = setting(
        "CHAT_PUBSUB_PING_INTERVAL",
        default=1.0,
        doc=(
            "Redis: seconds of silence after which an API process PINGs its chat pub/sub "
            "connection, no answer within three of them and it reconnects and catches up. "
            "NATS: the idle heartbeat of the process's chat consumer (and of a history "
            "read's), three missed and the connection is PINGed, no answer and it "
            "reconnects and catches up"
        ),
        check=positive,
    )
    listener_queue: int = setting(
        "CHAT_LISTENER_QUEUE",
        default=1000,
        doc=(
            "Events queued per room listener in an API process; one that falls further "
            "behind catches up from the stream (Redis or NATS) instead"
        ),
        check=positive,
    )
    coalesce_ms: int = setting(
        "CHAT_COALESCE_MS",
        default=30,
        doc="Milliseconds a chat run gathers model output before appending one chunk",
        check=not_negative,
    )
    lease_seconds: float = setting(
        "CHAT_LEASE_SECONDS",
        default=10.0,
        doc=(
            "Lease of a running chat reply, renewed every third of it; when it lapses (the "
            "worker died) the sweeper retries or fails the reply"
        ),
        check=positive,
    )
    pending_timeout: float = setting(
        "CHAT_PENDING_TIMEOUT",
        default=60.0,
        doc="Seconds a queued chat reply may wait for a worker before it is swept",
        check=positive,
    )
    max_attempts: int = setting(
        "CHAT_MAX_ATTEMPTS",
        default=3,
        doc="Attempts at one chat reply before it ends `failed`",
        check=positive,
    )
    sweep_interval: float = setting(
        "CHAT_SWEEP_INTERVAL",
        default=2.0,
        doc="Seconds between two sweeps for chat replies whose lease lapsed",
        check=positive,
    )
    message_max_chars: int = setting(
        "CHAT_MESSAGE_MAX_CHARS",
        default=4000,
        doc="Longest chat message a user may send, characters",
        check=positive,
    )
    rate_per_user: int = setting(
        "RATE_CHAT_PER_USER",
        default=30,
        doc="Chat messages one user may send per minute",
        check=positive,
    )
    snapshot_messages: int = setting(
        "CHAT_SNAPSHOT_MESSAGES",
        default=50,
        doc="Stored messages sent to a client whose cursor is older than the stream",
        check=positive,
    )
    model_history: int = setting(
        "CHAT_MODEL_HISTORY",
        default=20,
        doc="Earlier messages of the session a chat model is given",
        check=not_negative,
    )
    session_cache_seconds: float = setting(
        "CHAT_SESSION_CACHE_SECONDS",
        default=300.0,
        doc=(
            "How long a process reuses a page's chat session (and owner) it read, s. Deleting "
            "the page reaches every process at once; this bounds a missed one (0: off)"
        ),
        check=not_negative,
    )
    session_cache_sessions: int = setting(
        "CHAT_SESSION_CACHE_SESSIONS",
        default=10_000,
        doc="Pages' chat sessions each process keeps",
        check=not_negative,
    )
    submit_batch: int = setting(
        "CHAT_SUBMIT_BATCH",
        default=200,
        doc=(
            "Most chat turns one statement stores: submits that arrive while one is written "
            "are stored together"
        ),
        check=positive,
    )
    submit_writers: int = setting(
        "CHAT_SUBMIT_WRITERS",
        default=2,
        doc=(
            "Chat-turn statements each process has on their way at once; a submit waits for "
            "one of them to be free. On PostgreSQL each has a connection of its own, opened "
            "beside the pool's"
        ),
        check=positive,
    )
    send_queue: int = setting(
        "CHAT_SEND_QUEUE",
        default=256,
        doc="Events queued per chat connection; a slower client catches up from the stream",
        check=positive,
    )
    room_linger: float = setting(
        "CHAT_ROOM_LINGER",
        default=5.0,
        doc=(
            "Seconds an API process keeps listening to a chat room after its last connection "
            "left, so a client that reconnects finds the room's listener ready"
        ),
        check=not_negative,
    )
    ws_auth_timeout: float = setting(
        "CHAT_WS_AUTH_TIMEOUT",
        default=5.0,
        doc=(
            "Seconds a WebSocket has to send its `auth` frame (a Socket.IO session: to join "
            "`/chat`) before it is closed; for Socket.IO counted from when the server can "
            "first read the client, without the time the event loop was behind"
        ),
        check=positive,
    )
    sse_heartbeat: float = setting(
        "CHAT_SSE_HEARTBEAT",
        default=15.0,
        doc="Seconds between heartbeat comments on an idle SSE stream",
        check=positive,
    )
    sio_max_message_bytes: int = setting(
        "CHAT_SIO_MAX_MESSAGE_BYTES",
        default=1_000_000,
        doc=(
            "Largest Socket.IO message (or polling request body) a client may send, in bytes, "
            "checked before it signs in; a larger one ends the connection"
        ),
        check=positive,
    )
    sio_ping_interval: float = setting(
        "CHAT_SIO_PING_INTERVAL",
        default=25.0,
        doc="Seconds between the Socket.IO server's pings",
        check=positive,
    )
    sio_ping_timeout: float = setting(
        "CHAT_SIO_PING_TIMEOUT",
        default=20.0,
        doc="Seconds a Socket.IO client has to answer a ping before it is dropped",
        check=positive,
    )
