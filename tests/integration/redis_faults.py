"""A TCP proxy in front of Redis that can turn its open connections into silent half-open ones.

A frozen connection stays open on both sides but carries nothing, which is how a connection
through a dead NAT entry or a vanished peer behaves: no error, just silence. Connections made
after the freeze pass normally.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from urllib.parse import urlsplit


class BlackholeProxy:
    def __init__(self, redis_url: str) -> None:
        target = urlsplit(redis_url)
        self._host = target.hostname or "127.0.0.1"
        self._port = target.port or 6379
        self._db = target.path or "/0"
        self._server: asyncio.Server | None = None
        self._live: set[asyncio.Task[None]] = set()
        self._frozen: set[int] = set()
        self._next = 0

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}{self._db}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._live):
            task.cancel()
        await asyncio.gather(*self._live, return_exceptions=True)

    def freeze(self) -> int:
        """Silences every connection open now; returns how many."""
        self._frozen.update(range(self._next))
        return self._next

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        number = self._next
        self._next += 1
        server_r, server_w = await asyncio.open_connection(self._host, self._port)
        pipes = [
            asyncio.create_task(self._pipe(number, client_r, server_w)),
            asyncio.create_task(self._pipe(number, server_r, client_w)),
        ]
        self._live.update(pipes)
        try:
            await asyncio.gather(*pipes, return_exceptions=True)
        finally:
            self._live.difference_update(pipes)
            for writer in (client_w, server_w):
                writer.close()

    async def _pipe(
        self, number: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        with suppress(ConnectionError):
            while data := await reader.read(65536):
                if number in self._frozen:
                    continue
                writer.write(data)
                await writer.drain()
