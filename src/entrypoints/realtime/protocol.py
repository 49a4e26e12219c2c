"""The chat protocol every real-time transport speaks: frames in, use cases, events out.

A client sends JSON frames ``{"event": name, "data": {...}}`` and receives events of the same
shape. ``ChatProtocol`` keeps one client's state (who signed in, which room it is in) and
answers its frames through the core; a transport shell (``websocket.py``, ``socketio.py``)
only moves events, reports a dropped client and closes connections (``Transport``).

Each frame that needs the database runs in a REQUEST scope of its own, so an idle client holds
no connection. A refused frame is answered with ``error {code, message}`` naming the request it
refuses (``event``, and the request's own key: ``REQUEST_KEYS``), and the client stays
connected. Leaving (or dropping) never cancels a run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Annotated, Any, Final, Protocol, TypeVar

import msgspec
import structlog
from dishka import AsyncContainer

from entrypoints.runtime.rooms import FRESH, RoomHub
from entrypoints.runtime.signin import authenticate
from entrypoints.runtime.user_sockets import UserSockets
from mocheong_core.chat.model import ChatSession
from mocheong_core.chat.replay import Replay, ReplayRoom
from mocheong_core.chat.stream import StreamEvent
from mocheong_core.chat.usecases import Cancel, OpenSession, Submit
from mocheong_core.errors import DomainError, FieldError, RateLimited, ValidationFailed

T = TypeVar("T")

UNAUTHORIZED = 4401
"""The close code of a client whose token does not (or no longer) sign in."""
TOO_BIG = 1009
"""The close code of a frame over the limit: ``MOCHEONG_WS_AUTH_FRAME_BYTES`` before signing
in, ``MOCHEONG_WS_MAX_FRAME_BYTES`` after (RFC 6455, "message too big")."""
log = structlog.get_logger("mocheong.chat.ws")
SHORT = 200
Text = Annotated[str, msgspec.Meta(max_length=100_000)]
Short = Annotated[str, msgspec.Meta(max_length=SHORT)]
REQUEST_KEYS: Final = {
    "cancel": "message_id",
    "chat-message": "client_message_id",
    "joinRoom": "room",
    "resume": "session_id",
}
"""The field of each request that tells it from another of its kind in flight: a refusal
repeats it beside ``event``, so a client that sent two cancels knows which one failed."""


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
    title = "Join a room (joinRoom or resume) before sending messages"


class UnknownEvent(DomainError):
    code = "unknown_event"
    title = "Unknown event"


class BadFrame(DomainError):
    code = "bad_frame"
    title = "A frame must be a JSON object {event, data}"


class SignedOut(Exception):
    """The client's new token does not sign in: the connection has been closed."""


_decode_frame = msgspec.json.Decoder(Frame).decode
_encode = msgspec.json.Encoder().encode


class Transport(Protocol):
    async def send_text(self, text: str) -> None:
        """Sends one encoded event; sends never interleave."""
        ...

    async def deliver(self, event: StreamEvent, frame: str) -> None:
        """A room's event, already encoded once for every client of the room."""
        ...

    async def close(self, code: int, reason: str) -> None: ...


def over_limit(raw: str, limit: int) -> bool:
    """Whether a text frame is over ``limit`` bytes once encoded (UTF-8: 1 to 4 per char)."""
    if len(raw) > limit:
        return True
    return len(raw) * 4 > limit and len(raw.encode()) > limit


def auth_token(raw: str) -> str | None:
    """The token of a first ``auth`` frame; None for any other frame or a malformed one."""
    try:
        frame = _decode_frame(raw)
        return msgspec.convert(frame.data, AuthIn).token if frame.event == "auth" else None
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


def session_info(session: ChatSession) -> dict[str, Any]:
    """The ``session-info`` event's data: the room a client has just entered."""
    return {"session_id": session.id, "room": session.room, "page_id": session.page_id}


async def replay_in_scope(
    container: AsyncContainer, session: ChatSession, after: str | None
) -> Replay:
    async with container() as scope:
        return await (await scope.get(ReplayRoom))(session, after)


class ChatProtocol:
    """One client's conversation. The shell calls ``sign_in`` first, then ``handle`` for each
    frame (``refuse``/``fail`` for what it raises), and ``close`` when the client is gone."""

    _token = ""
    """The access token the client signed in with, to sign in again when the user changes."""

    def __init__(self, container: AsyncContainer, transport: Transport) -> None:
        self._container = container
        self._transport = transport
        self._user_id = ""
        self._session: ChatSession | None = None
        self._request: dict[str, str] = {}
        """What names the frame being answered, for its refusal (frames are answered one at
        a time)."""
        self._room = AsyncExitStack()

    async def sign_in(self, token: str | None) -> bool:
        """False (and the connection closed with ``UNAUTHORIZED``) when ``token`` does not
        sign in; else the client is this user's, and rechecked whenever the user changes."""
        try:
            async with self._container() as scope:
                user_id = (await authenticate(scope, token)).id
        except DomainError:
            await self._transport.close(UNAUTHORIZED, "invalid or missing token")
            return False
        sockets = await self._container.get(UserSockets)
        sockets.discard(self._user_id, self._recheck)
        self._user_id, self._token = user_id, token or ""
        sockets.add(user_id, self._recheck)
        return True

    async def close(self) -> None:
        (await self._container.get(UserSockets)).discard(self._user_id, self._recheck)
        await self._room.aclose()

    async def send(self, event: str, data: dict[str, Any]) -> None:
        await self._transport.send_text(_encode({"event": event, "data": data}).decode())

    async def handle(self, raw: str) -> None:
        """Answers one frame; raises the ``DomainError`` that refuses it, or ``SignedOut``."""
        self._request = {}
        try:
            frame = _decode_frame(raw)
        except (msgspec.ValidationError, msgspec.DecodeError):
            raise BadFrame from None
        await self.dispatch(frame.event, frame.data)

    async def dispatch(self, event: str, data: object) -> None:
        """Answers one event already decoded by its transport (Socket.IO decodes its own)."""
        self._request = _request(event, data)
        handler = HANDLERS.get(event)
        if handler is None:
            raise UnknownEvent(f"Unknown event {event[:200]!r}")
        if not isinstance(data, dict):
            raise BadFrame
        await handler(self, data)

    async def refuse(self, exc: DomainError) -> None:
        await self.send("error", {**_error(exc), **self._request})

    async def fail(self, exc: Exception) -> None:
        """One bad frame must not end the connection: logged, answered, and on we go."""
        log.error("chat_frame_failed", error=repr(exc), exc_info=exc)
        failed = {"code": "internal_error", "message": "Something went wrong"}
        await self.send("error", {**failed, **self._request})

    async def _recheck(self) -> None:
        """The user changed somewhere: a client whose token no longer signs in is closed."""
        try:
            async with self._container() as scope:
                await authenticate(scope, self._token)
        except DomainError:
            await self._transport.close(UNAUTHORIZED, "the account can no longer sign in")

    async def _on_auth(self, data: dict[str, Any]) -> None:
        # A fresh token on a long-lived connection: a bad one closes it like at the start.
        token = _convert(data, AuthIn).token
        if not await self.sign_in(token):
            raise SignedOut

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
            hub.subscribe(session.room, self._transport.deliver, replay, start)
        )
        await self.send("session-info", session_info(session))

    async def _on_message(self, data: dict[str, Any]) -> None:
        if self._session is None:
            raise NotJoined
        message = _convert(data, MessageIn)
        async with self._container() as scope:
            # By its page, not its id: the page's session is in the session cache (told of
            # deleted pages by every process), where by id it was a query and a transaction of
            # its own before each turn (P7, docs/architecture.md).
            accepted = await (await scope.get(Submit))(
                self._user_id,
                message.text,
                page_id=self._session.page_id,
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


HANDLERS: dict[str, Callable[[ChatProtocol, dict[str, Any]], Awaitable[None]]] = {
    "auth": ChatProtocol._on_auth,
    "joinRoom": ChatProtocol._on_join,
    "resume": ChatProtocol._on_resume,
    "chat-message": ChatProtocol._on_message,
    "cancel": ChatProtocol._on_cancel,
    "ping": ChatProtocol._on_ping,
}
"""The handler of each event, one table for every client: a table per client (its bound
methods) cost each idle connection about 0.75 KB (P4)."""


def _convert(data: dict[str, Any], kind: type[T]) -> T:
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        message = str(exc)
        # msgspec says where it refused a value as "... - at `$.field`".
        field = message.split("`$.", 1)[1].split("`", 1)[0] if "`$." in message else "data"
        raise ValidationFailed([FieldError(field, message.split(" - at ", 1)[0])]) from None


def _request(event: str, data: object) -> dict[str, str]:
    """``event`` and the request's key (``REQUEST_KEYS``) when the frame carries a usable one."""
    named = {"event": event[:SHORT]}
    key = REQUEST_KEYS.get(event)
    value = data.get(key) if key is not None and isinstance(data, dict) else None
    if key is not None and isinstance(value, str) and len(value) <= SHORT:
        named[key] = value
    return named


def _error(exc: DomainError) -> dict[str, Any]:
    data: dict[str, Any] = {"code": exc.code, "message": exc.detail}
    if isinstance(exc, RateLimited):
        data["retry_after"] = exc.retry_after
    if isinstance(exc, ValidationFailed) and exc.errors:
        data["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    return data
