"""An open-loop HTTP/1.1 load: requests sent on a fixed schedule (``rate`` a second), whatever
the answers' pace, and each latency counted from the moment the request was due, so queueing
behind a slow answer is part of it (no coordinated omission). Keep-alive connections, one
request in flight on each; a request due while every connection is busy waits for one, up to
``connections`` of them, and that wait counts.

The client is plain asyncio streams with prebuilt request bytes: at a thousand requests a
second it takes a small share of a core, so it can share the machine with what it measures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import attrs


@attrs.define
class OpenLoopResult:
    sent: int
    ok: int
    """Answers with a 2xx status."""
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def ok_per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> int:
        """Sends one request, reads its whole answer; returns the status code."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def open_loop(
    host: str,
    port: int,
    request: Callable[[int], bytes],
    *,
    rate: float,
    seconds: float,
    connections: int,
) -> OpenLoopResult:
    """Sends ``request(n)`` for n = 0, 1, … at ``rate`` per second for ``seconds``."""
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    opened: list[_Connection] = []
    for _ in range(connections):
        connection = _Connection(*await asyncio.open_connection(host, port))
        opened.append(connection)
        idle.put_nowait(connection)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    total = int(rate * seconds)
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(n: int, due: float) -> None:
        connection = await idle.get()
        try:
            status = await connection.exchange(request(n))
        finally:
            idle.put_nowait(connection)
        latencies.append((loop.time() - due) * 1000)
        statuses[status] = statuses.get(status, 0) + 1

    tasks: list[asyncio.Task[None]] = []
    wall = time.monotonic()
    for n in range(total):
        due = start + n / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - wall
    for connection in opened:
        connection.close()
    ok = sum(count for status, count in statuses.items() if 200 <= status < 300)
    return OpenLoopResult(total, ok, elapsed, latencies, statuses)
