"""Chat over HTTP: submit, sessions, history, cancel, and the room as Server-Sent Events.

The SSE stream carries the same events as the WebSocket (``event:`` the name, ``data:`` the
JSON data, ``id:`` the cursor) and resumes from ``Last-Event-ID``. It holds no database
connection while it is open: each read it needs runs in a scope of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import msgspec
from dishka import AsyncContainer, FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody, Parameter
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from entrypoints.http.auth import BEARER, CurrentUser, bearer_token
from entrypoints.http.closed_sets import ChatRoleText, MessageStatusText
from entrypoints.rooms import FRESH, RoomHub
from entrypoints.settings import Settings
from entrypoints.user_sockets import UserSockets
from mocheong_core.accounts.model import User
from mocheong_core.accounts.usecases import Authenticate
from mocheong_core.chat.model import ChatSession, Message
from mocheong_core.chat.replay import Replay, ReplayRoom
from mocheong_core.chat.stream import StreamEvent
from mocheong_core.chat.usecases import Accepted, Cancel, ListMessages, OpenSession, Submit
from mocheong_core.errors import DomainError, Unauthorized

IdParam = Annotated[str, msgspec.Meta(max_length=64)]
CursorParam = Annotated[str | None, Parameter(max_length=200)]
_encode = msgspec.json.Encoder().encode


class ChatIn(msgspec.Struct):
    message: Annotated[str, msgspec.Meta(max_length=100_000)]
    page_id: IdParam | None = None
    session_id: IdParam | None = None
    client_message_id: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class AcceptedOut(msgspec.Struct):
    status: str
    message_id: str
    """The assistant message that answers: its chunks, final message and cancel use this id."""
    session_id: str
    user_message_id: str
    client_message_id: str | None
    duplicate: bool

    @classmethod
    def of(cls, accepted: Accepted) -> AcceptedOut:
        turn = accepted.turn
        return cls(
            "accepted",
            turn.assistant.id,
            turn.session.id,
            turn.user.id,
            turn.user.client_message_id,
            not accepted.created,
        )


async def submit_chat(usecase: Submit, user_id: str, data: ChatIn) -> AcceptedOut:
    """``POST /api/chat``'s work, shared by the route and its fast path."""
    accepted = await usecase(
        user_id,
        data.message,
        session_id=data.session_id,
        page_id=data.page_id,
        client_message_id=data.client_message_id,
    )
    return AcceptedOut.of(accepted)


class SessionIn(msgspec.Struct):
    page_id: IdParam


class SessionOut(msgspec.Struct):
    session_id: str
    room: str
    page_id: str

    @classmethod
    def of(cls, session: ChatSession) -> SessionOut:
        return cls(session.id, session.room, session.page_id)


class MessageOut(msgspec.Struct):
    id: str
    session_id: str
    role: ChatRoleText
    status: MessageStatusText
    content: str
    components: list[dict[str, Any]]
    attempt: int
    client_message_id: str | None
    reply_to: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(
            m.id,
            m.session_id,
            m.role.value,
            m.status.value,
            m.content,
            m.components,
            m.attempt,
            m.client_message_id,
            m.reply_to,
            m.metadata,
            m.created_at,
            m.updated_at,
        )


class MessageList(msgspec.Struct):
    items: list[MessageOut]
    next_cursor: str | None


class CancelOut(msgspec.Struct):
    message_id: str
    status: str


class ChatController(Controller):
    path = "/api/chat"
    tags = ["chat"]  # noqa: RUF012
    security = BEARER

    @post("/", status_code=HTTP_202_ACCEPTED)
    @inject
    async def submit(
        self, data: JSONBody[ChatIn], user: FromDishka[CurrentUser], usecase: FromDishka[Submit]
    ) -> AcceptedOut:
        return await submit_chat(usecase, user.id, data)

    @post("/sessions", status_code=HTTP_200_OK)
    @inject
    async def open_session(
        self,
        data: JSONBody[SessionIn],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[OpenSession],
    ) -> SessionOut:
        """The page's chat session, created on first use."""
        return SessionOut.of(await usecase(user.id, page_id=data.page_id))

    @get("/sessions/{session_id:str}/messages")
    @inject
    async def messages(
        self,
        session_id: FromPath[str],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[ListMessages],
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
        cursor: Annotated[str | None, Parameter(max_length=64)] = None,
    ) -> MessageList:
        page = await usecase(user.id, session_id, limit=limit, cursor=cursor)
        return MessageList([MessageOut.of(m) for m in page.items], page.next_cursor)

    @post(
        "/messages/{message_id:str}/cancel",
        status_code=HTTP_202_ACCEPTED,
        responses={
            HTTP_200_OK: ResponseSpec(CancelOut, description="The message has ended"),
        },
    )
    @inject
    async def cancel(
        self, message_id: FromPath[str], user: FromDishka[CurrentUser], usecase: FromDishka[Cancel]
    ) -> Response[CancelOut]:
        """202 while the run is stopping; 200 when the message has ended (now or before)."""
        message = await usecase(user.id, message_id)
        status = HTTP_200_OK if message.status.final else HTTP_202_ACCEPTED
        return Response(CancelOut(message.id, message.status.value), status_code=status)

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


async def authenticate(scope: AsyncContainer, token: str | None) -> User:
    if not token:
        raise Unauthorized("Send an access token")
    return await (await scope.get(Authenticate))(token)


async def replay_in_scope(
    container: AsyncContainer, session: ChatSession, after: str | None
) -> Replay:
    async with container() as scope:
        return await (await scope.get(ReplayRoom))(session, after)


async def sse_events(
    container: AsyncContainer, session: ChatSession, start: str, user_id: str, token: str
) -> AsyncIterator[ServerSentEventMessage]:
    """The stream ends (at its next event or heartbeat) once the user can no longer sign in
    with ``token``, e.g. after being disabled in any process."""
    hub = await container.get(RoomHub)
    sockets = await container.get(UserSockets)
    signed_out = asyncio.Event()

    async def recheck() -> None:
        try:
            async with container() as scope:
                await authenticate(scope, token)
        except DomainError:
            signed_out.set()

    heartbeat = (await container.get(Settings)).chat_sse_heartbeat
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
            info = SessionOut.of(session)
            yield ServerSentEventMessage(event="session-info", data=_encode(info).decode())
            async for message in _feed(outbox, feeding, heartbeat, signed_out):
                yield message
    finally:
        sockets.discard(user_id, recheck)


async def _feed(
    outbox: asyncio.Queue[StreamEvent],
    feeding: asyncio.Future[None],
    heartbeat: float,
    signed_out: asyncio.Event,
) -> AsyncIterator[ServerSentEventMessage]:
    while not (feeding.done() or signed_out.is_set()):
        try:
            async with asyncio.timeout(heartbeat):
                event = await outbox.get()
        except TimeoutError:
            yield ServerSentEventMessage(data=None, comment="heartbeat")
            continue
        data = _encode(event.wire()["data"]).decode()
        yield ServerSentEventMessage(data=data, event=event.kind.value, id=event.cursor)
