"""WebSocket load for P2, P3 and P4, run in a process of its own so it does not share an event
loop with what it measures: ``python bench/ws_load.py SPEC.json``.

The spec lists the sockets to open (``urls``) and, for the product, the room each joins
(``rooms``; the bare baseline joins through its URL). With ``tokens`` (one per socket) the
sockets are Socket.IO clients of the ``/chat`` namespace over Engine.IO's WebSocket transport
(``urls`` are ``ws://host:port/socket.io/?EIO=4&transport=websocket``): each sends the
namespace's connect packet with its token, then ``joinRoom``, answers the server's pings, and
counts the room's events (one ``42/chat,[...]`` message each; the pings are not counted). The
Socket.IO framing is a few bytes on top of the WebSocket client below, kept as cheap per frame
as the raw clients so both transports are loaded alike.

Once every socket is open it prints ``ready`` and follows commands read from stdin, one per
line:

- ``count START END``: counts the frames received between two wall-clock times, prints the
  total as JSON;
- ``churn SECONDS PER_SECOND``: closes and reopens that many sockets a second, prints ``done``;
- ``stop``: closes everything and exits.

The client is a small RFC 6455 client on an asyncio protocol (uvloop when installed): the
machine has two cores and the clients share them with the server they load, so each frame
costs the client as little as it can. It still does the whole protocol: the upgrade
handshake with its accept key, masked client frames, every server frame read to its end
(text and binary messages counted once each, fragments put together, pings answered, the
closing handshake), and a frame the server sends masked or a failed handshake is an error.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import random
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
CLOSE_WAIT = 5.0  # seconds a closing socket waits for the server's close frame


class HandshakeFailed(Exception):
    pass


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (RFC 6455 §5.3)."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = bytes([0x80 | opcode, 0x80 | size])
    elif size < 1 << 16:
        head = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + size.to_bytes(8, "big")
    key = (mask * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")
    return head + mask + masked


class Client(asyncio.Protocol):
    """One WebSocket connection. ``on_message`` (when set) gets each whole message's payload;
    ``messages`` counts them, ``counted`` those received while ``window`` (wall-clock start,
    end) was open."""

    def __init__(self, on_message: Callable[[bytes], None] | None = None) -> None:
        self.on_message = on_message
        self.messages = 0
        self.counted = 0
        self.window = (0.0, 0.0)
        self.closed = asyncio.get_running_loop().create_future()
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._upgraded = asyncio.get_running_loop().create_future()
        self._key = b""
        self._parts: list[bytes] = []

    # -- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._upgraded.done():
            self._upgraded.set_exception(HandshakeFailed(f"connection lost: {exc!r}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if not self._upgraded.done():
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).decode("latin-1")
            del buffer[: end + 4]
            self._check_upgrade(head)
        self._read_frames()

    # -- frames -------------------------------------------------------------------------

    def _read_frames(self) -> None:
        buffer = self._buffer
        size = len(buffer)
        at = 0
        messages = 0
        while size - at >= 2:
            first, second = buffer[at], buffer[at + 1]
            if second & 0x80:
                raise ValueError("the server sent a masked frame")
            length = second & 0x7F
            start = at + 2
            if length == 126:
                if size - at < 4:
                    break
                length = int.from_bytes(buffer[at + 2 : at + 4], "big")
                start = at + 4
            elif length == 127:
                if size - at < 10:
                    break
                length = int.from_bytes(buffer[at + 2 : at + 10], "big")
                start = at + 10
            end = start + length
            if end > size:
                break
            opcode = first & 0x0F
            at = end
            if opcode >= CLOSE:
                self._control(opcode, bytes(buffer[start:end]))
            elif not first & 0x80:  # a fragment: the message ends with a FIN frame
                self._parts.append(bytes(buffer[start:end]))
            else:
                messages += 1
                if self.on_message is not None:
                    payload = bytes(buffer[start:end])
                    if self._parts:
                        payload = b"".join([*self._parts, payload])
                        self._parts.clear()
                    self.on_message(payload)
                else:
                    self._parts.clear()
        if at:
            del buffer[:at]
        if messages:
            self.messages += messages
            start_at, end_at = self.window
            if start_at <= time.time() < end_at:
                self.counted += messages

    def _control(self, opcode: int, payload: bytes) -> None:
        if opcode == PING:
            self.send(PONG, payload)
        elif opcode == CLOSE and self._transport is not None:
            self.send(CLOSE, payload[:2])  # the server began the closing handshake
            self._transport.close()

    def send(self, opcode: int, payload: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(client_frame(opcode, payload))

    def send_json(self, value: Any) -> None:
        self.send(TEXT, json.dumps(value).encode())

    # -- handshake ----------------------------------------------------------------------

    def start_upgrade(self, host: str, target: str) -> None:
        self._key = base64.b64encode(os.urandom(16))
        assert self._transport is not None
        self._transport.write(
            f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {self._key.decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def _check_upgrade(self, head: str) -> None:
        status, *lines = head.split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines)
        }
        # RFC 6455 §4.2.2 names SHA-1 for the accept key; no security rests on it here.
        digest = hashlib.sha1(self._key + ACCEPT_GUID, usedforsecurity=False).digest()
        expected = base64.b64encode(digest).decode()
        if status.split(" ", 2)[1:2] != ["101"]:
            self._upgraded.set_exception(HandshakeFailed(status))
        elif headers.get("sec-websocket-accept") != expected:
            self._upgraded.set_exception(HandshakeFailed("wrong Sec-WebSocket-Accept"))
        else:
            self._upgraded.set_result(None)

    async def upgraded(self) -> None:
        await self._upgraded

    async def close(self) -> None:
        """The closing handshake: a close frame, the server's answer, then the TCP close."""
        if self._transport is None or self.closed.done():
            return
        self.send(CLOSE, (1000).to_bytes(2, "big"))
        try:
            async with asyncio.timeout(CLOSE_WAIT):
                await asyncio.shield(self.closed)
        except TimeoutError:
            self._transport.abort()


async def connect(url: str, on_message: Callable[[bytes], None] | None = None) -> Client:
    """Opens ``ws://host:port/path?query`` (no TLS: the benchmarks are local)."""
    parts = urlsplit(url)
    if parts.scheme != "ws" or not parts.hostname or not parts.port:
        raise ValueError(f"not a local ws:// URL with a port: {url}")
    loop = asyncio.get_running_loop()
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    async with asyncio.timeout(30):
        _, client = await loop.create_connection(
            lambda: Client(on_message), parts.hostname, parts.port
        )
        client.start_upgrade(parts.netloc, target)
        await client.upgraded()
    return client


async def join(client: Client, room: str) -> None:
    """``joinRoom`` and wait for ``session-info`` (frames before it are read and dropped)."""
    joined = asyncio.get_running_loop().create_future()

    def watch(payload: bytes) -> None:
        if not joined.done() and json.loads(payload).get("event") == "session-info":
            joined.set_result(None)

    client.on_message = watch
    client.send_json({"event": "joinRoom", "data": {"room": room}})
    await until_joined(client, joined)
    client.on_message = None


async def until_joined(client: Client, joined: asyncio.Future[None]) -> None:
    """Waits for ``joined`` (30 s at most), failing at once if the server ends the connection
    first: a join the server refused is not waited out."""
    async with asyncio.timeout(30):
        await asyncio.wait((joined, client.closed), return_when=asyncio.FIRST_COMPLETED)
    if not joined.done():
        joined.cancel()
        raise HandshakeFailed("the server closed the connection before the join")
    joined.result()


SIO_CLOSE, SIO_PING, SIO_PONG = b"1", b"2", b"3"
SIO_PREFIX = b"/chat,"


async def join_socketio(url: str, token: str, room: str) -> Client:
    """A Socket.IO client of ``/chat`` in ``room``: Engine.IO's open packet, the namespace's
    connect packet with the token, ``joinRoom`` and its ``session-info``; from then on it only
    answers pings (a ping in a counting window is taken off the count)."""
    joined = asyncio.get_running_loop().create_future()
    client: Client | None = None

    def answer_ping(payload: bytes) -> bool:
        if payload != SIO_PING or client is None:
            return False
        client.send(TEXT, SIO_PONG)
        start_at, end_at = client.window
        if start_at <= time.time() < end_at:
            client.counted -= 1  # _read_frames counts every message, the ping included
        return True

    early: list[bytes] = []  # Engine.IO's open packet can come with the upgrade's answer

    def watch(payload: bytes) -> None:
        if client is None:
            early.append(payload)
            return
        if answer_ping(payload) or joined.done():
            return
        if payload[:1] == b"0":  # Engine.IO open: connect to the namespace
            client.send(TEXT, b"40" + SIO_PREFIX + json.dumps({"token": token}).encode())
        elif payload.startswith(b"40" + SIO_PREFIX):
            join_room = json.dumps(["joinRoom", {"room": room}]).encode()
            client.send(TEXT, b"42" + SIO_PREFIX + join_room)
        elif payload.startswith(b"44" + SIO_PREFIX):
            joined.set_exception(HandshakeFailed(f"connect_error: {payload!r}"))
        elif payload == SIO_CLOSE:
            joined.set_exception(HandshakeFailed("the server closed the Engine.IO session"))
        elif payload.startswith(b"42" + SIO_PREFIX + b'["session-info"'):
            joined.set_result(None)

    client = await connect(url, watch)
    for payload in early:
        watch(payload)
    await until_joined(client, joined)
    client.on_message = answer_ping
    return client


class Socket:
    def __init__(self, url: str, room: str | None, token: str | None = None) -> None:
        self.url, self.room, self.token = url, room, token
        self.client: Client | None = None

    async def open(self) -> None:
        if self.token is not None and self.room is not None:
            self.client = await join_socketio(self.url, self.token, self.room)
            return
        self.client = await connect(self.url)
        if self.room is not None:
            await join(self.client, self.room)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None


async def run(spec: dict[str, Any]) -> None:
    rooms = spec.get("rooms") or [None] * len(spec["urls"])
    tokens = spec.get("tokens") or [None] * len(spec["urls"])
    sockets = [
        Socket(url, room, token)
        for url, room, token in zip(spec["urls"], rooms, tokens, strict=True)
    ]
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
            window = float(values[0]), float(values[1])
            clients = [s.client for s in sockets if s.client is not None]
            for client in clients:
                client.counted = 0
                client.window = window
            await asyncio.sleep(max(0.0, window[0] - time.time()))
            cpu = time.process_time()
            await asyncio.sleep(max(0.0, window[1] - time.time()))
            cpu = time.process_time() - cpu  # the window's CPU seconds: is the client the limit?
            await asyncio.sleep(0.5)
            per_socket = [client.counted for client in clients]
            result = {"frames": sum(per_socket), "min": min(per_socket), "max": max(per_socket)}
            print(json.dumps({**result, "cpu": cpu}), flush=True)
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


def raise_open_files() -> None:
    """Thousands of sockets need as many descriptors: the soft limit goes up to the hard one
    (processes started from here inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard != resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main() -> None:
    raise_open_files()
    spec = json.loads(Path(sys.argv[1]).read_text())
    try:
        import uvloop
    except ImportError:
        asyncio.run(run(spec))
    else:
        uvloop.run(run(spec))


if __name__ == "__main__":
    main()
