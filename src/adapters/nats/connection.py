"""The NATS connection of a process, and the names every NATS adapter uses.

One connection per process carries chat streams, jobs and cache notices; the adapters share
it. ``connect_nats`` refuses a server without JetStream at start-up with a message that says
what to do, instead of failing on the first append.

Cancellation: nats-py waits for every reply (each JetStream call, each acknowledged publish)
with ``asyncio.wait_for``, which on Python 3.11 returns the reply and drops the cancellation
when the reply arrives in the same loop turn as the cancel. A task that was asked to stop then
goes on as if nothing happened, and whoever awaits its end (a room hub closing a connection's
feed, say) waits forever. ``honour_cancellation`` wraps the adapters' coroutine methods: a
cancellation that arrived while one ran raises ``CancelledError`` when it returns;
``CancelWatch`` does the same inside a long-running loop.

A flush that gave up: nats-py (2.16) keeps the future of a ``flush`` that timed out or was
cancelled in its queue of PINGs, and when that PING's PONG arrives it sets the result of the
cancelled future, raises ``InvalidStateError`` and its read loop stops for good. From then on
every request times out while the connection looks alive (a flush falls back to writing
without waiting), until the client's own PINGs declare it stale minutes later. The readiness
probe flushes with a timeout, so a server frozen for a few seconds was enough: R6R on NATS
(the server frozen 15 s) left RSVPs and chat submits answering 503 for the four minutes
after it woke. ``connect_nats`` makes a client that hands such a PONG to the flush that gave
up, and nothing else.
"""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import attrs
import structlog
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.errors import Error as JetStreamError
from nats.js.errors import ServiceUnavailableError

from mocheong_core.errors import ServiceUnavailable

log = structlog.get_logger("mocheong.nats")

_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
_P = ParamSpec("_P")
_T = TypeVar("_T")


class CancelWatch:
    """Notices a cancellation of the current task made since the watch began, even one a
    library awaited on the way swallowed (Python 3.11's ``wait_for``, see the module)."""

    def __init__(self) -> None:
        self._task = asyncio.current_task()
        self._asked = self._task.cancelling() if self._task is not None else 0

    def check(self) -> None:
        """Raises ``CancelledError`` when the task was asked to stop since the watch began."""
        if self._task is not None and self._task.cancelling() > self._asked:
            raise asyncio.CancelledError


def honour_cancellation(
    method: Callable[_P, Coroutine[Any, Any, _T]],
) -> Callable[_P, Coroutine[Any, Any, _T]]:
    """``method``, raising ``CancelledError`` when its task was cancelled while it ran."""

    @functools.wraps(method)
    async def call(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        watch = CancelWatch()
        try:
            return await method(*args, **kwargs)
        finally:
            watch.check()

    return call


class _Client(Client):
    async def _process_pong(self) -> None:
        if self._pongs and self._pongs[0].done():
            # The PONG of a flush that stopped waiting (see the module): it answers that PING.
            self._pongs.pop(0)
            self._pongs_received += 1
            self._pings_outstanding = 0
            return
        await super()._process_pong()


class NatsSetupError(RuntimeError):
    """The NATS server cannot serve this product (unreachable, or without JetStream)."""


def token(value: str, marker: str = "~") -> str:
    """``value`` as one subject token: as is when it is safe (ids are), else ``marker`` and
    hex, so that no id can add a token (``.``) or a wildcard (``*``, ``>``) to a subject.
    Key-value keys take ``=`` as the marker (``~`` is not allowed in them)."""
    if _SAFE_TOKEN.fullmatch(value) and value != "_":
        return value
    return marker + value.encode().hex()


@attrs.frozen
class NatsNames:
    """Subjects and stream names under one prefix (``MOCHEONG_NATS_PREFIX``)."""

    prefix: str

    @property
    def chat_stream(self) -> str:
        return f"{self.prefix.upper()}_CHAT"

    def room_events(self, room: str, message_id: str) -> str:
        """Events of a room that belong to ``message_id`` (``_`` for none)."""
        return f"{self.prefix}.chat.r.{token(room)}.{token(message_id) if message_id else '_'}"

    def room_filter(self, room: str) -> str:
        return f"{self.prefix}.chat.r.{token(room)}.*"

    def message_filter(self, message_id: str) -> str:
        """Every room subject of one message (a message lives in one room)."""
        return f"{self.prefix}.chat.r.*.{token(message_id)}"

    def fence(self, message_id: str) -> str:
        return f"{self.prefix}.chat.f.{token(message_id)}"

    @property
    def jobs_stream(self) -> str:
        return f"{self.prefix.upper()}_JOBS"

    @property
    def dead_stream(self) -> str:
        return f"{self.prefix.upper()}_JOBS_DEAD"

    @property
    def workers(self) -> str:
        """The durable consumer every worker process pulls jobs through."""
        return f"{self.prefix.upper()}_WORKERS"

    def job(self, task: str) -> str:
        return f"{self.prefix}.jobs.run.{token(task)}"

    def dead_job(self, task: str) -> str:
        return f"{self.prefix}.jobs.dead.{token(task)}"

    def cache(self, name: str) -> str:
        return f"{self.prefix}.cache.{token(name)}"

    @property
    def revocations_stream(self) -> str:
        return f"{self.prefix.upper()}_REVOCATIONS"

    @property
    def revoked(self) -> str:
        """Where ended sign-ins are announced (and kept, by the revocations stream)."""
        return f"{self.prefix}.revoked"

    @property
    def rate_limits(self) -> str:
        """The key-value bucket of the shared rate-limit counters."""
        return f"{self.prefix.upper()}_RATE_LIMITS"


@attrs.define
class ConnectionEvents:
    """Whom the process's connection tells when it drops and when it is back."""

    on_disconnect: list[Callable[[], None]] = attrs.Factory(list)
    on_reconnect: list[Callable[[], None]] = attrs.Factory(list)


@contextmanager
def unavailable_without_nats(what: str) -> Iterator[None]:
    """A NATS failure reaches callers as the core's ``ServiceUnavailable``."""
    try:
        yield
    except (NatsError, JetStreamError, OSError, TimeoutError) as exc:
        raise ServiceUnavailable(f"{what} is unavailable: NATS did not answer") from exc


async def connect_nats(
    servers: str,
    *,
    name: str,
    credentials: str = "",
    tls_ca: str = "",
    events: ConnectionEvents | None = None,
    connect_timeout: float = 5.0,
) -> Client:
    """Connects and checks that the account has JetStream; reconnects forever afterwards."""
    urls = [url.strip() for url in servers.split(",") if url.strip()]
    tls: ssl.SSLContext | None = None
    if tls_ca or any(url.startswith("tls://") for url in urls):
        tls = ssl.create_default_context(cafile=tls_ca or None)

    events = events or ConnectionEvents()

    async def reconnected() -> None:
        log.info("nats_reconnected")
        for callback in events.on_reconnect:
            callback()

    async def disconnected() -> None:
        log.warning("nats_disconnected")
        for callback in events.on_disconnect:
            callback()

    async def error(exc: Exception) -> None:
        log.warning("nats_error", error=repr(exc))

    # nats-py types these seconds as int; it waits fractions of them as asked.
    seconds: dict[str, Any] = {"connect_timeout": connect_timeout, "reconnect_time_wait": 0.5}
    client = _Client()
    try:
        await client.connect(
            urls,
            name=name,
            user_credentials=credentials or None,
            tls=tls,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnected_cb=reconnected,
            disconnected_cb=disconnected,
            error_cb=error,
            **seconds,
        )
    except (NatsError, OSError, TimeoutError) as exc:
        raise NatsSetupError(f"NATS is not reachable at {servers}: {exc!r}") from exc
    try:
        await client.jetstream().account_info()
    except ServiceUnavailableError as exc:
        await client.close()
        raise NatsSetupError(
            f"the NATS server at {servers} has no JetStream: start it with `nats-server -js` "
            "(or `jetstream {}` in its configuration)"
        ) from exc
    except (NatsError, JetStreamError) as exc:
        await client.close()
        raise NatsSetupError(f"JetStream at {servers} did not answer: {exc!r}") from exc
    return client
