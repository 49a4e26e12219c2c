"""The app served by uvicorn on a free port in the test's own event loop, for real Socket.IO
clients (python-socketio's ``AsyncClient``, node's ``socket.io-client``), and a python client
that records every event of the ``/chat`` namespace."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
import uvicorn
from dishka import Provider
from litestar import Litestar

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from tests.integration.chat_helpers import FRAME_TIMEOUT, Frame

NAMESPACE = "/chat"
JS = Path(__file__).resolve().parent.parent / "js"


def js_packages() -> str:
    """node, once ``tests/js``'s packages are installed as its lock file pins them (``npm ci``
    from the npm registry when they are missing); without node and npm the test fails."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(
            "node and npm are not installed: the Socket.IO and client tests run under node "
            "(Debian's nodejs and npm)",
            pytrace=False,
        )
    if not (JS / "node_modules" / ".package-lock.json").is_file():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, capture_output=True
        )
    return node


@asynccontextmanager
async def serving(settings: Settings, *overrides: Provider) -> AsyncIterator[str]:
    """Yields the base URL once the server listens; stops it at the end."""
    async with serving_app(create_app(settings, *overrides)) as url:
        yield url


@asynccontextmanager
async def serving_app(app: Litestar) -> AsyncIterator[str]:
    """``serving`` for an app the test made (to look at its state)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(FRAME_TIMEOUT):  # a hang guard, not a timed assertion
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
def node() -> str:
    return js_packages()


@pytest.fixture
async def streaming_url(settings: Settings) -> AsyncIterator[str]:
    """The app with the offline model at its usual pace: a reply streams for a while."""
    async with serving(evolve(settings, chat_coalesce_ms=0)) as url:
        yield url


@asynccontextmanager
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=FRAME_TIMEOUT) as client:
        yield client


class SioClient:
    """A python-socketio client of ``/chat`` whose events queue up in arrival order."""

    def __init__(self, **options: Any) -> None:
        self.sio = socketio.AsyncClient(reconnection=False, **options)
        self.events: asyncio.Queue[Frame] = asyncio.Queue()
        self.seen: list[Frame] = []
        self.disconnected = asyncio.Event()
        self.sio.on("*", self._record, namespace=NAMESPACE)
        self.sio.on("disconnect", self._disconnected, namespace=NAMESPACE)

    async def _disconnected(self, *_reason: Any) -> None:
        self.disconnected.set()

    async def gone(self) -> None:
        """Returns once the server has disconnected the client."""
        async with asyncio.timeout(FRAME_TIMEOUT):  # a hang guard, not a timed assertion
            await self.disconnected.wait()

    async def _record(self, event: str, data: Any = None) -> None:
        self.events.put_nowait({"event": event, "data": data})

    async def connect(self, base_url: str, token: str | None, transports: list[str]) -> None:
        await self.sio.connect(
            base_url,
            namespaces=[NAMESPACE],
            auth=None if token is None else {"token": token},
            transports=transports,
            wait_timeout=FRAME_TIMEOUT,
        )

    async def emit(self, event: str, **data: Any) -> None:
        await self.sio.emit(event, data, namespace=NAMESPACE)

    async def call(self, event: str, **data: Any) -> Any:
        """Emits with an acknowledgement callback and returns what the server acknowledged."""
        return await self.sio.call(event, data, namespace=NAMESPACE, timeout=FRAME_TIMEOUT)

    async def receive(self) -> Frame:
        async with asyncio.timeout(FRAME_TIMEOUT):
            frame = await self.events.get()
        self.seen.append(frame)
        return frame

    async def until(self, done: Callable[[Frame], bool]) -> list[Frame]:
        """Events up to and including the first one ``done`` accepts."""
        frames = [await self.receive()]
        while not done(frames[-1]):
            frames.append(await self.receive())
        return frames

    async def close(self) -> None:
        await self.sio.disconnect()
