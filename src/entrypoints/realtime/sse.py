"""The chat room as Server-Sent Events, ``GET /api/chat/sessions/{id}/stream``.

The SSE stream carries the same events as the WebSocket (``event:`` the name, ``data:`` the
JSON data, ``id:`` the cursor) and resumes from ``Last-Event-ID``. It holds no database
connection while it is open: each read it needs runs in a scope of its own. A draining process
(``runtime/drain.py``) ends it after a ``restart`` comment; ``EventSource`` reconnects on its
own, with ``Last-Event-ID``, to whichever process the balancer picks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from dishka import AsyncContainer
from litestar import Controller, Request, get
from litestar.params import FromPath, HeaderParameter, Parameter
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from entrypoints.bootstrap.settings import Settings
from entrypoints.realtime.protocol import replay_in_scope, session_info
from entrypoints.runtime.drain import Drain
from entrypoints.runtime.rooms import FRESH, RoomHub
from entrypoints.runtime.signin import BEARER, authenticate, bearer_token
from entrypoints.runtime.user_sockets import UserSockets
from mocheong_core.chat.model import ChatSession
from mocheong_core.chat.replay import Replay
from mocheong_core.chat.stream import StreamEvent
from mocheong_core.chat.usecases import OpenSession
from mocheong_core.errors import DomainError

CursorParam = Annotated[str | None, Parameter(max_length=200)]
_encode = msgspec.json.Encoder().encode
RESTART_COMMENT = "restart"
"""The comment that ends a stream of a draining process: reconnect (with Last-Event-ID)."""


class ChatStreamController(Controller):
    path = "/api/chat"
    tags = ["chat"]  # noqa: RUF012
    security = BEARER

    @get("/sessions/{session_id:str}/stream")
    async def stream(
        self,
        session_id: FromPath[str],
        request: Request[Any, Any, Any],
        token: Annotated[str | None, Parameter(max_length=4096)] = None,
        cursor: CursorParam = None,
        last_event_id: Annotated[
            str | None, HeaderParameter(name="Last-Event-ID", max_length=200)
        ] = None,
    ) -> ServerSentEvent:
        """The room's events as SSE. Starts live, or after ``Last-Event-ID`` (or ``cursor``);
        the token may come as ``?token=`` since ``EventSource`` cannot set headers."""
        container: AsyncContainer = request.app.state.dishka_container
        token = bearer_token(request.headers.get("authorization")) or token
        async with container() as scope:
            user = await authenticate(scope, token)
            session = await (await scope.get(OpenSession))(user.id, session_id=session_id)
        start = last_event_id or cursor or FRESH
        return ServerSentEvent(sse_events(container, session, start, user.id, token or ""))


async def sse_events(
    container: AsyncContainer, session: ChatSession, start: str, user_id: str, token: str
) -> AsyncIterator[ServerSentEventMessage]:
    """The stream ends (at its next event or heartbeat) once the user can no longer sign in
    with ``token``, e.g. after being disabled in any process, and at once when the process
    drains."""
    hub = await container.get(RoomHub)
    drain = await container.get(Drain)
    sockets = await container.get(UserSockets)
    signed_out = asyncio.Event()

    async def recheck() -> None:
        try:
            async with container() as scope:
                await authenticate(scope, token)
        except DomainError:
            signed_out.set()

    heartbeat = (await container.get(Settings)).chat.sse_heartbeat
    # One slot: a client that does not read holds the feed back, which then catches up from
    # the stream instead of queueing without bound.
    outbox: asyncio.Queue[StreamEvent] = asyncio.Queue(1)

    async def deliver(event: StreamEvent, _frame: str) -> None:
        await outbox.put(event)

    async def replay(after: str | None) -> Replay:
        return await replay_in_scope(container, session, after)

    sockets.add(user_id, recheck)
    try:
        async with hub.subscribe(session.room, deliver, replay, start) as feeding:
            info = _encode(session_info(session)).decode()
            yield ServerSentEventMessage(event="session-info", data=info)
            async for message in _feed(outbox, feeding, heartbeat, signed_out, drain):
                yield message
    finally:
        sockets.discard(user_id, recheck)


async def _feed(
    outbox: asyncio.Queue[StreamEvent],
    feeding: asyncio.Future[None],
    heartbeat: float,
    signed_out: asyncio.Event,
    drain: Drain,
) -> AsyncIterator[ServerSentEventMessage]:
    draining = asyncio.ensure_future(drain.wait())
    try:
        while not (feeding.done() or signed_out.is_set()):
            getting = asyncio.ensure_future(outbox.get())
            done, _ = await asyncio.wait(
                (getting, draining), timeout=heartbeat, return_when=asyncio.FIRST_COMPLETED
            )
            if getting in done:
                event = getting.result()
                data = _encode(event.wire()["data"]).decode()
                yield ServerSentEventMessage(data=data, event=event.kind.value, id=event.cursor)
                continue
            getting.cancel()
            if draining in done:
                yield ServerSentEventMessage(data=None, comment=RESTART_COMMENT)
                return
            yield ServerSentEventMessage(data=None, comment="heartbeat")
    finally:
        draining.cancel()
