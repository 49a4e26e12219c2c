"""The chat WebSocket, ``/ws/chat``: the chat protocol (``protocol.py``) over Litestar's socket.

The token comes as ``?token=`` or in a first ``auth`` frame; a missing or bad one closes the
socket with 4401. A frame over ``MOCHEONG_WS_AUTH_FRAME_BYTES`` before signing in, or over
``MOCHEONG_WS_MAX_FRAME_BYTES`` after, closes it with 1009 (uvicorn refuses the latter itself,
before reading it whole). A draining process (``runtime/drain.py``) closes it with 1012. dishka
gives the socket a SESSION scope; every chat frame is one text event.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dishka import AsyncContainer
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.types import WebSocketSendEvent

from entrypoints.bootstrap.settings import Settings
from entrypoints.realtime.protocol import (
    TOO_BIG,
    ChatProtocol,
    SignedOut,
    auth_token,
    over_limit,
)
from entrypoints.runtime.drain import RESTART, Drain
from mocheong_core.chat.stream import StreamEvent
from mocheong_core.errors import DomainError


@websocket("/ws/chat")
async def chat_socket(socket: WebSocket[Any, Any, Any]) -> None:
    await ChatConnection(socket).serve()


class ChatConnection:
    """The protocol's ``Transport`` on one socket: sends are serialised by one lock."""

    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self._socket = socket
        self._send_event = socket.send  # the ASGI send: every chat frame is one text event
        self._container: AsyncContainer = socket.state.dishka_container
        self._send_lock = asyncio.Lock()
        self._protocol = ChatProtocol(self._container, self)

    async def serve(self) -> None:
        await self._socket.accept()
        drain = await self._container.get(Drain)
        drain.add(self._restart)
        try:
            await self._serve()
        finally:
            drain.discard(self._restart)

    async def _restart(self) -> None:
        await self.close(RESTART, "Server restarting: connect again")

    async def _serve(self) -> None:
        settings = await self._container.get(Settings)
        token = self._socket.query_params.get("token")
        try:
            if token is None:
                token = await self._first_token(settings)
        except (WebSocketDisconnect, FrameTooBig):
            return
        if not await self._protocol.sign_in(token):
            return
        protocol = self._protocol
        limit = settings.server.ws_max_frame_bytes
        try:
            while True:
                raw = await self._socket.receive_text()
                if over_limit(raw, limit):
                    await self.close(TOO_BIG, "Frame too big")
                    break
                try:
                    await protocol.handle(raw)
                except DomainError as exc:
                    await protocol.refuse(exc)
                except (WebSocketDisconnect, SignedOut):
                    raise
                except Exception as exc:  # one bad frame must not end the connection
                    await protocol.fail(exc)
        except (WebSocketDisconnect, SignedOut):
            pass
        finally:
            await protocol.close()

    async def _first_token(self, settings: Settings) -> str | None:
        try:
            async with asyncio.timeout(settings.chat.ws_auth_timeout):
                raw = await self._socket.receive_text()
        except TimeoutError:
            return None
        if over_limit(raw, settings.server.ws_auth_frame_bytes):
            await self.close(TOO_BIG, "Frame too big before signing in")
            raise FrameTooBig
        return auth_token(raw)

    async def send_text(self, text: str) -> None:
        async with self._send_lock:
            await self._send_event(_text_event(text))

    async def deliver(self, _event: StreamEvent, frame: str) -> None:
        """The room's events, each already encoded once for every connection of the room."""
        async with self._send_lock:
            await self._send_event(_text_event(frame))

    async def close(self, code: int, reason: str) -> None:
        async with self._send_lock:
            await self._socket.close(code, reason)


class FrameTooBig(Exception):
    """A frame over the limit: the socket has been closed with 1009."""


def _text_event(text: str) -> WebSocketSendEvent:
    return {"type": "websocket.send", "bytes": None, "text": text}
