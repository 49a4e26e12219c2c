"""The chat WebSocket, ``/ws/chat``: JSON frames ``{"event": name, "data": {...}}``.

The token comes as ``?token=`` or in a first ``auth`` frame; a missing or bad one closes the
socket with 4401. dishka gives the socket a SESSION scope; each frame that needs the database
runs in a REQUEST scope of its own, so an idle socket holds no connection. A refused frame is
answered with ``error {code, message}`` and the socket stays open. Leaving (or dropping) never
cancels a run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Annotated, Any, TypeVar

import msgspec
import structlog
from dishka import AsyncContainer
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.types import WebSocketSendEvent

from entrypoints.bootstrap.settings import Settings
from entrypoints.realtime.protocol import replay_in_scope, session_info
from entrypoints.runtime.rooms import FRESH, RoomHub
from entrypoints.runtime.signin import authenticate
from entrypoints.runtime.user_sockets import UserSockets
from mocheong_core.chat.model import ChatSession
from mocheong_core.chat.replay import Replay
from mocheong_core.chat.stream import StreamEvent
from mocheong_core.chat.usecases import Cancel, OpenSession, Submit
from mocheong_core.errors import DomainError, FieldError, RateLimited, ValidationFailed

T = TypeVar("T")

UNAUTHORIZED = 4401
log = structlog.get_logger("mocheong.chat.ws")
Text = Annotated[str, msgspec.Meta(max_length=100_000)]
Short = Annotated[str, msgspec.Meta(max_length=200)]


class Frame(msgspec.Struct):
    event: Short
    data: dict[str, Any] = msgspec.field(default_factory=dict)


class AuthIn(msgspec.Struct):
    token: Annotated[str, msgspec.Meta(max_length=4096)]


class JoinIn(msgspec.Struct):
    room: Short


class ResumeIn(msgspec.Struct):
    session_id: Short
    cursor: Short | None = None


class MessageIn(msgspec.Struct):
    text: Text
    client_message_id: Short | None = None


class CancelIn(msgspec.Struct):
    message_id: Short


class NotJoined(DomainError):
    code = "not_joined"
    status = 409
    title = "Join a room (joinRoom or resume) before sending messages"


class UnknownEvent(DomainError):
    code = "unknown_event"
    title = "Unknown event"


class BadFrame(DomainError):
    code = "bad_frame"
    title = "A frame must be a JSON object {event, data}"


_decode_frame = msgspec.json.Decoder(Frame).decode
_encode = msgspec.json.Encoder().encode


@websocket("/ws/chat")
async def chat_socket(socket: WebSocket[Any, Any, Any]) -> None:
    await ChatConnection(socket).serve()


class ChatConnection:
    _token = ""
    """The access token the socket signed in with, to sign in again when the user changes."""

    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self._socket = socket
        self._send_event = socket.send  # the ASGI send: every chat frame is one text event
        self._container: AsyncContainer = socket.state.dishka_container
        self._send_lock = asyncio.Lock()
        self._user_id = ""
        self._session: ChatSession | None = None
        self._room = AsyncExitStack()

    async def serve(self) -> None:
        await self._socket.accept()
        if not await self._authenticate(self._socket.query_params.get("token")):
            return
        try:
            while True:
                raw = await self._socket.receive_text()
                try:
                    await self._handle(raw)
                except DomainError as exc:
                    await self.send("error", _error(exc))
                except WebSocketDisconnect:
                    raise
                except Exception as exc:  # one bad frame must not end the connection
                    log.error("chat_frame_failed", error=repr(exc), exc_info=exc)
                    await self.send(
                        "error", {"code": "internal_error", "message": "Something went wrong"}
                    )
        except WebSocketDisconnect:
            pass
        finally:
            (await self._container.get(UserSockets)).discard(self._user_id, self._recheck)
            await self._room.aclose()

    async def send(self, event: str, data: dict[str, Any]) -> None:
        await self.send_text(_encode({"event": event, "data": data}).decode())

    async def send_text(self, text: str) -> None:
        async with self._send_lock:
            await self._send_event(_text_event(text))

    async def _deliver(self, _event: StreamEvent, frame: str) -> None:
        """The room's events, each already encoded once for every connection of the room."""
        async with self._send_lock:
            await self._send_event(_text_event(frame))

    async def _authenticate(self, token: str | None) -> bool:
        if token is None:
            settings = await self._container.get(Settings)
            try:
                async with asyncio.timeout(settings.chat_ws_auth_timeout):
                    raw = await self._socket.receive_text()
                frame = _decode_frame(raw)
                token = msgspec.convert(frame.data, AuthIn).token if frame.event == "auth" else None
            except (TimeoutError, msgspec.ValidationError, msgspec.DecodeError):
                token = None
            except WebSocketDisconnect:
                return False
        try:
            async with self._container() as scope:
                user_id = (await authenticate(scope, token)).id
        except DomainError:
            await self._socket.close(UNAUTHORIZED, "invalid or missing token")
            return False
        sockets = await self._container.get(UserSockets)
        sockets.discard(self._user_id, self._recheck)
        self._user_id, self._token = user_id, token or ""
        sockets.add(user_id, self._recheck)
        return True

    async def _recheck(self) -> None:
        """The user changed somewhere: a socket whose token no longer signs in is closed."""
        try:
            async with self._container() as scope:
                await authenticate(scope, self._token)
        except DomainError:
            async with self._send_lock:
                await self._socket.close(UNAUTHORIZED, "the account can no longer sign in")

    async def _handle(self, raw: str) -> None:
        try:
            frame = _decode_frame(raw)
        except (msgspec.ValidationError, msgspec.DecodeError):
            raise BadFrame from None
        handler = self._handlers().get(frame.event)
        if handler is None:
            raise UnknownEvent(f"Unknown event {frame.event!r}")
        await handler(frame.data)

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[None]]]:
        return {
            "auth": self._on_auth,
            "joinRoom": self._on_join,
            "resume": self._on_resume,
            "chat-message": self._on_message,
            "cancel": self._on_cancel,
            "ping": self._on_ping,
        }

    async def _on_auth(self, data: dict[str, Any]) -> None:
        # A fresh token on a long-lived socket: a bad one closes it like at the start.
        token = _convert(data, AuthIn).token
        if not await self._authenticate(token):
            raise WebSocketDisconnect(detail="invalid token", code=UNAUTHORIZED)

    async def _on_join(self, data: dict[str, Any]) -> None:
        room = _convert(data, JoinIn).room
        async with self._container() as scope:
            session = await (await scope.get(OpenSession))(self._user_id, room=room)
        await self._enter(session, FRESH)

    async def _on_resume(self, data: dict[str, Any]) -> None:
        resume = _convert(data, ResumeIn)
        async with self._container() as scope:
            session = await (await scope.get(OpenSession))(
                self._user_id, session_id=resume.session_id
            )
        await self._enter(session, resume.cursor)

    async def _enter(self, session: ChatSession, start: str | None) -> None:
        await self._room.aclose()
        self._session = session
        hub = await self._container.get(RoomHub)

        async def replay(after: str | None) -> Replay:
            return await replay_in_scope(self._container, session, after)

        # Subscribed before `session-info`: a client that submits as soon as it has joined
        # must receive its own message and every chunk of the reply.
        await self._room.enter_async_context(
            hub.subscribe(session.room, self._deliver, replay, start)
        )
        await self.send("session-info", session_info(session))

    async def _on_message(self, data: dict[str, Any]) -> None:
        if self._session is None:
            raise NotJoined
        message = _convert(data, MessageIn)
        async with self._container() as scope:
            accepted = await (await scope.get(Submit))(
                self._user_id,
                message.text,
                session_id=self._session.id,
                client_message_id=message.client_message_id,
            )
        turn = accepted.turn
        await self.send(
            "message-accepted",
            {
                "message_id": turn.assistant.id,
                "client_message_id": turn.user.client_message_id,
                "session_id": turn.session.id,
                "user_message_id": turn.user.id,
                "duplicate": not accepted.created,
            },
        )

    async def _on_cancel(self, data: dict[str, Any]) -> None:
        message_id = _convert(data, CancelIn).message_id
        async with self._container() as scope:
            await (await scope.get(Cancel))(self._user_id, message_id)

    async def _on_ping(self, data: dict[str, Any]) -> None:
        await self.send("pong", {})


def _text_event(text: str) -> WebSocketSendEvent:
    return {"type": "websocket.send", "bytes": None, "text": text}


def _convert(data: dict[str, Any], kind: type[T]) -> T:
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        message = str(exc)
        # msgspec says where it refused a value as "... - at `$.field`".
        field = message.split("`$.", 1)[1].split("`", 1)[0] if "`$." in message else "data"
        raise ValidationFailed([FieldError(field, message.split(" - at ", 1)[0])]) from None


def _error(exc: DomainError) -> dict[str, Any]:
    data: dict[str, Any] = {"code": exc.code, "message": exc.detail}
    if isinstance(exc, RateLimited):
        data["retry_after"] = exc.retry_after
    if isinstance(exc, ValidationFailed) and exc.errors:
        data["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    return data
