"""The baselines of the chat benchmarks: bare Litestar handlers on the same server and
settings as ``mocheong serve`` (``MOCHEONG_SERVER``, started by the same ``serve_asgi``; one
worker unless told).

- ``POST /bare/chat``: decodes the submit body and answers ``202`` (P6's baseline);
- ``WS /bare/ws?room=R``: joins room R of this process; one Redis pub/sub connection per process
  (subscribed to ``bare:*``) fans each message of channel ``bare:R`` out, unchanged, to the
  room's sockets (P3 and P4's baseline: the shape of the product's hub, without streams,
  cursors, queues or a database).

``python bench/chat_bare_app.py PORT REDIS_URL [WORKERS]``
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Litestar, WebSocket, post, websocket
from litestar.exceptions import WebSocketDisconnect
from redis.asyncio import Redis

from entrypoints.bootstrap.settings import DEFAULT_SERVER
from entrypoints.cli import serve_asgi


class SubmitIn(msgspec.Struct):
    message: str
    page_id: str | None = None
    session_id: str | None = None
    client_message_id: str | None = None


@post("/bare/chat", status_code=202, sync_to_thread=False)
def bare_chat(data: SubmitIn) -> dict[str, Any]:
    return {"status": "accepted", "message_id": "bare", "session_id": data.page_id or "bare"}


class Fanout:
    def __init__(self, redis_url: str) -> None:
        self._redis = Redis.from_url(redis_url)
        self._pubsub = self._redis.pubsub()
        self._rooms: dict[str, set[WebSocket[Any, Any, Any]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # One pattern subscription, made before anything reads: redis-py's PubSub must not be
        # given commands while its reader waits.
        await self._pubsub.psubscribe("bare:*")
        self._task = asyncio.create_task(self._run())

    def join(self, room: str, socket: WebSocket[Any, Any, Any]) -> None:
        self._rooms.setdefault(room, set()).add(socket)

    def leave(self, room: str, socket: WebSocket[Any, Any, Any]) -> None:
        self._rooms.get(room, set()).discard(socket)

    async def _run(self) -> None:
        async for message in self._pubsub.listen():
            if message["type"] != "pmessage":
                continue
            room = message["channel"].decode().removeprefix("bare:")
            text = message["data"].decode()
            for socket in list(self._rooms.get(room, ())):
                with contextlib.suppress(Exception):  # a socket that just left
                    await socket.send_data(text)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._pubsub.aclose()
        await self._redis.aclose()


def make_app() -> Litestar:
    fanout = Fanout(os.environ["BARE_REDIS_URL"])

    @websocket("/bare/ws")
    async def bare_ws(socket: WebSocket[Any, Any, Any], room: str) -> None:
        await socket.accept()
        fanout.join(room, socket)
        try:
            while True:
                await socket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            fanout.leave(room, socket)

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await fanout.start()
        yield
        await fanout.close()

    return Litestar([bare_chat, bare_ws], lifespan=[lifespan], debug=False)


def main() -> None:
    port, redis_url = sys.argv[1:3]
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    os.environ["BARE_REDIS_URL"] = redis_url
    server = os.environ.get("MOCHEONG_SERVER") or DEFAULT_SERVER
    # The same server and settings as ``mocheong serve`` (entrypoints/cli.py).
    serve_asgi(
        "chat_bare_app:make_app", server=server, host="127.0.0.1", port=int(port), workers=workers
    )


if __name__ == "__main__":
    main()
