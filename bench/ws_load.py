"""WebSocket load for P3 and P4, run in a process of its own so it does not share an event loop
with what it measures: ``python bench/ws_load.py SPEC.json``.

The spec lists the sockets to open (``urls``) and, for the product, the room each joins
(``rooms``; the bare baseline joins through its URL). Once every socket is open it prints
``ready`` and follows commands read from stdin, one per line:

- ``count START END``: counts the frames received between two wall-clock times, prints the
  total as JSON;
- ``churn SECONDS PER_SECOND``: closes and reopens that many sockets a second, prints ``done``;
- ``stop``: closes everything and exits.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import websockets


class Socket:
    def __init__(self, url: str, room: str | None) -> None:
        self.url, self.room = url, room
        self.frames: list[float] = []
        self.counting = False
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self._ws = await websockets.connect(
            self.url, open_timeout=30, compression=None, max_queue=None, ping_interval=None
        )
        if self.room is not None:
            await self._ws.send(json.dumps({"event": "joinRoom", "data": {"room": self.room}}))
            while json.loads(await self._ws.recv())["event"] != "session-info":
                pass
        self._reader = asyncio.create_task(self._read(self._ws))

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self, ws: Any) -> None:
        async for _ in ws:
            if self.counting:
                self.frames.append(time.time())


async def run(spec: dict[str, Any]) -> None:
    rooms = spec.get("rooms") or [None] * len(spec["urls"])
    sockets = [Socket(url, room) for url, room in zip(spec["urls"], rooms, strict=True)]
    limit = asyncio.Semaphore(50)  # opening thousands at once only times them out

    async def open_one(socket: Socket) -> None:
        async with limit:
            await socket.open()

    await asyncio.gather(*(open_one(s) for s in sockets))
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().split():
        command, *values = line
        if command == "count":
            start, end = float(values[0]), float(values[1])
            for socket in sockets:
                socket.frames.clear()
                socket.counting = True
            await asyncio.sleep(max(0.0, end - time.time()) + 0.5)
            total = sum(1 for s in sockets for at in s.frames if start <= at < end)
            per_socket = [sum(1 for at in s.frames if start <= at < end) for s in sockets]
            for socket in sockets:
                socket.counting = False
            print(json.dumps({"frames": total, "min": min(per_socket), "max": max(per_socket)}))
            sys.stdout.flush()
        elif command == "churn":
            seconds, per_second = float(values[0]), int(values[1])
            rng = random.Random(7)
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                tick = time.monotonic()
                batch = rng.sample(sockets, min(per_second, len(sockets)))
                await asyncio.gather(*(s.close() for s in batch))
                await asyncio.gather(*(open_one(s) for s in batch))
                await asyncio.sleep(max(0.0, 1 - (time.monotonic() - tick)))
            print("done", flush=True)
        elif command == "stop":
            break
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(run(json.loads(Path(sys.argv[1]).read_text())))
