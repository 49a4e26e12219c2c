"""Chat over HTTP: submit, sessions, history and cancel. The room's live events are
``realtime/`` (the WebSocket and the SSE stream)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from entrypoints.http.auth import BEARER, CurrentUser
from entrypoints.http.closed_sets import ChatRoleText, MessageStatusText
from mocheong_core.chat.model import ChatSession, Message
from mocheong_core.chat.usecases import Accepted, Cancel, ListMessages, OpenSession, Submit

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
