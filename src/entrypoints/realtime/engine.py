"""python-engineio's server with a leaner socket, for the Socket.IO gateway (``socketio.py``).

Subclassed, nothing in site-packages changed. An idle Engine.IO connection over the WebSocket
transport held, besides the server's own protocol object, three tasks (the writer, a task per
read under ``wait_for``, the ping's sleep), an ``asyncio.Queue`` (four deques and an event) and
the request's environ, kept alive by the request's frames for the connection's whole life.
Here, on a connection opened over WebSocket:

- the **ping** is a timer (``loop.call_later``), not a task: it queues the ping, then a second
  timer drops the client if no pong came within the ping timeout;
- **reads** need no task of their own: the request's task reads, and a client that stops
  answering is dropped by the ping's timer rather than by a timeout on each read;
- the **writer** is a task only while packets wait: it starts when one is queued and ends
  when the queue is empty;
- the **queue** (``Outbox``) has ``asyncio.Queue``'s interface as Engine.IO uses it, and holds
  nothing while empty;
- the **environ** is emptied once the WebSocket is accepted (the gateway needs nothing of it).

A connection that starts with long polling and upgrades keeps Engine.IO's own WebSocket
handler (with the timer ping and the lean queue). Packets that arrive once the socket has begun
to close are dropped: Engine.IO would hand them on, and a namespace connect read after the
server closed the session made python-socketio raise ``KeyError`` (its environ was gone) and
leave a half-registered client behind.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

import engineio
from engineio import async_socket, exceptions
from engineio import packet as eio_packet


class Outbox:
    """The packets waiting for one Engine.IO socket: what the socket uses of ``asyncio.Queue``
    (``put``, ``get`` and their ``_nowait`` forms, ``task_done``, ``join``, ``qsize``,
    ``empty``), with its deques and futures made only while something waits."""

    def __init__(self) -> None:
        self._items: deque[Any] | None = None
        self._getters: list[asyncio.Future[None]] | None = None
        self._joiners: list[asyncio.Future[None]] | None = None
        self._unfinished = 0
        self.on_put: Callable[[], None] | None = None
        """Called after each put (the WebSocket's writer starts then)."""

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        self._unfinished += 1
        if self._getters:
            _wake(self._getters.pop(0))
        if self.on_put is not None:
            self.on_put()

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item

    async def get(self) -> Any:
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                if self._getters is not None and getter in self._getters:
                    self._getters.remove(getter)
                if self._items and self._getters:  # pass the wake-up on
                    _wake(self._getters.pop(0))
                raise
            finally:
                if not self._getters:
                    self._getters = None
        return self.get_nowait()

    def task_done(self) -> None:
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if self._unfinished == 0 and self._joiners is not None:
            for joiner in self._joiners:
                _wake(joiner)
            self._joiners = None

    async def join(self) -> None:
        if self._unfinished:
            joiner = asyncio.get_running_loop().create_future()
            if self._joiners is None:
                self._joiners = []
            self._joiners.append(joiner)
            await joiner

    def discard(self) -> None:
        """Drops what is queued, as sent: nobody is left to write it."""
        while self._items:
            self.get_nowait()
            self.task_done()


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class ChatSocket(async_socket.AsyncSocket):  # type: ignore[misc]
    """One Engine.IO session (see the module's docstring)."""

    last_ping: float | None
    connected: bool
    upgraded: bool
    closing: bool
    closed: bool

    def __init__(self, server: ChatEngine, sid: str) -> None:
        super().__init__(server, sid)
        self._timer: asyncio.TimerHandle | None = None
        self._ws: Any = None
        self._writer: asyncio.Task[None] | None = None
        self._environ: dict[str, Any] | None = None

    # -- the ping, on timers ------------------------------------------------------------

    def schedule_ping(self) -> None:
        if self.last_ping:  # Engine.IO's rule: the next ping once the last one was answered
            self.last_ping = None
            self._arm(self.server.ping_interval, self._ping)

    def _arm(self, delay: float, callback: Callable[[], None]) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, callback)

    def _ping(self) -> None:
        self._timer = None
        if self.closing or self.closed:
            return
        self.last_ping = time.time()
        self.queue.put_nowait(eio_packet.Packet(eio_packet.PING))
        self._arm(self.server.ping_timeout, self._unanswered)

    def _unanswered(self) -> None:
        self._timer = None
        if self.last_ping and not self.closing and not self.closed:
            self.server.logger.info("%s: Client is gone, closing socket", self.sid)
            self.last_ping = None  # or ``send`` would take the close packet for a second timeout
            self.server.spawn(
                self.close(wait=False, abort=False, reason=self.server.reason.PING_TIMEOUT)
            )

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await super().close(wait=wait, abort=abort, reason=reason)
        if self.closed:
            self._start_writer()  # on a WebSocket: it ends the connection once all is written

    # -- receiving ----------------------------------------------------------------------

    async def receive(self, pkt: eio_packet.Packet) -> None:
        if self.closing or self.closed:
            return  # the session is over: nothing it still sends is handled
        await super().receive(pkt)

    # -- the WebSocket transport ----------------------------------------------------------

    async def _upgrade_websocket(self, environ: dict[str, Any]) -> Any:
        self._environ = environ
        return await super()._upgrade_websocket(environ)

    async def _websocket_handler(self, ws: Any) -> None:
        environ, self._environ = self._environ, None
        if environ is not None:  # held by the request's frames: empty it
            environ.clear()
        if self.connected:  # an upgrade from long polling: Engine.IO's own handler
            await super()._websocket_handler(ws)
            return
        self.connected = self.upgraded = True
        self._ws = ws
        self.queue.on_put = self._start_writer
        self._start_writer()  # the open packet, queued before the upgrade
        self.server.reading(self.sid)
        try:
            await self._read(ws)
        finally:
            self.queue.on_put = None
            writer, self._ws = self._writer, None
            if writer is not None:
                writer.cancel()
                await asyncio.gather(writer, return_exceptions=True)
            self.queue.discard()
            await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
            await ws.close()

    async def _read(self, ws: Any) -> None:
        limit = self.server.max_http_buffer_size
        while True:
            try:
                data = await ws.wait()
            except OSError:
                return  # the client is gone
            if data is None or len(data) > limit:
                return
            try:
                await self.receive(eio_packet.Packet(encoded_packet=data))
            except exceptions.UnknownPacketError:
                pass
            except exceptions.SocketIsClosedError:
                return
            except Exception:  # a bad packet ends the connection, as in Engine.IO
                self.server.logger.exception("Unknown receive error")
                return

    def _start_writer(self) -> None:
        if self._writer is None and self._ws is not None:
            self._writer = asyncio.get_running_loop().create_task(self._write(self._ws))

    async def _write(self, ws: Any) -> None:
        """Writes what is queued, then ends; after the close packet, ends the WebSocket."""
        try:
            while not self.queue.empty():
                pkt = self.queue.get_nowait()
                try:
                    if pkt is not None:
                        await ws.send(pkt.encode())
                finally:
                    self.queue.task_done()
            if self.closed:
                await ws.close()
        except Exception:  # the connection is gone: the reader sees it and cleans up
            self.queue.discard()
        finally:
            self._writer = None


class ChatEngine(engineio.AsyncServer):  # type: ignore[misc]
    """Engine.IO's server with ``ChatSocket``s and ``Outbox`` queues. ``reading`` is called
    with a session's id when its WebSocket starts waiting for the client's first packet."""

    start_service_task: bool

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.reading: Callable[[str], None] = lambda _sid: None
        self._spawned: set[asyncio.Task[Any]] = set()

    def create_queue(self, *_args: Any, **_kwargs: Any) -> Outbox:
        return Outbox()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Runs ``work`` as a task, holding it until it ends."""
        task = asyncio.get_running_loop().create_task(work)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)

    async def _handle_connect(
        self, environ: dict[str, Any], transport: str, jsonp_index: int | None = None
    ) -> Any:
        """Engine.IO's handshake (``AsyncServer._handle_connect``) with a ``ChatSocket``."""
        if self.start_service_task:
            self.start_service_task = False
            self.service_task_handle = self.start_background_task(self._service_task)
        sid = self.generate_id()
        socket = ChatSocket(self, sid)
        self.sockets[sid] = socket
        opened = {
            "sid": sid,
            "upgrades": self._upgrades(sid, transport),
            "pingTimeout": int(self.ping_timeout * 1000),
            "pingInterval": int(self.ping_interval + self.ping_interval_grace_period) * 1000,
            "maxPayload": self.max_http_buffer_size,
        }
        await socket.send(eio_packet.Packet(eio_packet.OPEN, opened))
        refused = await self._trigger_event("connect", sid, environ, run_async=False)
        if refused is not None and refused is not True:
            del self.sockets[sid]
            return self._unauthorized(refused or None)
        socket.schedule_ping()
        if transport == "websocket":
            answer = await socket.handle_get_request(environ)
            if socket.closed:
                self.sockets.pop(sid, None)
            return answer
        socket.connected = True
        try:
            return self._ok(await socket.poll(), jsonp_index=jsonp_index)
        except exceptions.QueueEmpty:
            return self._bad_request()
