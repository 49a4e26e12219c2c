"""The chat protocol (``protocol.py``) over Socket.IO v4: path ``/socket.io``, namespace
``/chat``, for the seed's front end and every Socket.IO client (web, iOS, Android, Flutter).

python-socketio's ASGI server runs in the same process, in front of dishka and the router and
behind the fast paths (``http/fast/``): the published page and the chat submit never meet it,
and any other request whose path is not under ``/socket.io/`` costs one prefix test. The token
comes in the connect packet's ``auth`` (``io(url + "/chat", {auth: {token}})``); a missing or
bad one is a ``connect_error`` whose message says so and whose ``data`` is
``{code: "unauthorized"}``.

Each Socket.IO event is one frame of the protocol: the event's name is the frame's ``event``
and its first argument the ``data``; the answers and the room's events come back as Socket.IO
events of the same names and payloads as on ``/ws/chat``. A client that passes an
acknowledgement callback also gets the answer through it, as ``{event, data}`` (for example
``{event: "session-info", data: {...}}`` or ``{event: "error", data: {code, message}}``).

Rooms are the product's own (``runtime/rooms.py`` over the Redis streams), not python-socketio's
rooms or its Redis manager: a Socket.IO client and a ``/ws/chat`` client of the same page's
room, in any process, see the same events in the same order and resume from the same cursors.
So WebSocket-only clients need no sticky sessions; long polling does (each request of one
Engine.IO session must reach the process that holds it — see ``docs/realtime.md``).

Events of one client are answered one at a time, in the order they came (``async_handlers``
off), as on the raw WebSocket. A draining process (``runtime/drain.py``) ends each client's
Engine.IO connection with its close packet: the client reconnects on its own, elsewhere, and
resumes.

The room's events skip python-socketio's ``emit`` (a task and a packet encoding per client
and event): each is written to the client's Engine.IO queue as it is, its Socket.IO packet
cut from the WebSocket frame the room encoded once for all its connections. That queue has
no bound of its own, so a client whose queue holds ``MOCHEONG_CHAT_SEND_QUEUE`` packets is
waited for, like a raw WebSocket whose send is slow: its room queue fills meanwhile and it
catches up from the stream, and a slow client never makes the process's memory grow.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Final, cast

import msgspec
import socketio
import structlog
from dishka import AsyncContainer
from engineio import packet as eio_packet
from litestar import Litestar
from litestar.types import ASGIApp, Receive, Scope, Send

from entrypoints.bootstrap.settings import Settings
from entrypoints.realtime.engine import ChatEngine
from entrypoints.realtime.protocol import ChatProtocol, SignedOut
from entrypoints.runtime.drain import Drain
from mocheong_core.chat.stream import StreamEvent
from mocheong_core.errors import DomainError

NAMESPACE: Final = "/chat"
PATH: Final = "/socket.io"
_PREFIX = PATH + "/"
_MAX_TOKEN = 4096
_decode = msgspec.json.decode
_encode = msgspec.json.encode
log = structlog.get_logger("mocheong.chat.socketio")


class _Json:
    """The JSON codec python-socketio and Engine.IO use for every packet: msgspec's."""

    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        return msgspec.json.encode(obj).decode()

    @staticmethod
    def loads(text: str | bytes, **_: Any) -> Any:
        return msgspec.json.decode(text)

    JSONDecodeError = msgspec.DecodeError


class ChatManager(socketio.AsyncManager):  # type: ignore[misc]
    """python-socketio's client registry without its rooms, which the gateway does not use.

    python-socketio puts every client in a room named by its own sid (a bidict each) and on
    each disconnect copies and scans every room of the namespace, so a disconnect costs time
    in proportion to the clients connected: with 4,000 Socket.IO clients held, closing them
    took the process's event loop long enough that `/ws/chat` joins meanwhile timed out at
    30 s (99 of 4,000). Here a client is only in the namespace's registry, and leaves it in
    constant time. The gateway sends to a client through its Engine.IO socket, never to its
    sid room."""

    def basic_enter_room(
        self, sid: str, namespace: str, room: str | None, eio_sid: str | None = None
    ) -> None:
        if room is None:  # the namespace's registry: sid <-> Engine.IO sid
            super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)

    def basic_disconnect(self, sid: str, namespace: str, **_: object) -> None:
        self.basic_leave_room(sid, namespace, None)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            waiting = pending.get(namespace)
            if waiting is not None and sid in waiting:
                waiting.remove(sid)
                if not waiting:
                    del pending[namespace]


class SignInDeadlines:
    """Engine.IO sessions that have not joined ``/chat`` yet, each closed ``timeout`` seconds
    after the server could first read from it, the seconds counted on a clock that stops while
    the event loop is behind.

    The deadline starts when the session's WebSocket waits for the client's first packet (for
    long polling, at the handshake), not when the session is made: the server's own work of
    accepting it and writing its open packet is not the client's time. And a loaded event loop
    holds what clients sent (their namespace connect among it) behind other work: one timer
    ticks every ``timeout / 50`` seconds while sessions wait, and each tick moves the clock by
    the time since the last one but never by more than a tick, so the time the loop spent
    behind is not counted. A client that never signs in is still closed: the clock moves
    whenever the loop keeps up, and by a tick at least on every turn of a loop that does not.
    """

    TICKS: Final = 50

    def __init__(self, timeout: float, expire: Callable[[str], None]) -> None:
        self._timeout = timeout
        self._tick = timeout / self.TICKS
        self._expire = expire
        self._clock = 0.0
        self._last = 0.0
        self._waiting: deque[tuple[float, str]] = deque()  # (deadline on the clock, session)
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, eio_sid: str) -> None:
        self._waiting.append((self._clock + self._timeout, eio_sid))
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._last = loop.time()
            self._timer = loop.call_later(self._tick, self._on_tick)

    def _on_tick(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._clock += min(now - self._last, self._tick)
        self._last = now
        waiting = self._waiting
        while waiting and waiting[0][0] <= self._clock:
            self._expire(waiting.popleft()[1])
        self._timer = loop.call_later(self._tick, self._on_tick) if waiting else None


class ChatServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server on ``ChatEngine`` (``engine.py``). An Engine.IO session that
    has not joined ``/chat`` by its ``SignInDeadlines`` deadline is closed, like a ``/ws/chat``
    socket that never sends its token; a session that ends while its namespace connect is
    being handled leaves nothing behind."""

    def __init__(self, auth_timeout: float, **options: Any) -> None:
        super().__init__(**options)
        self.deadlines = SignInDeadlines(auth_timeout, self._expire)
        self.eio.reading = self.deadlines.add

    def _engineio_server_class(self) -> type[ChatEngine]:
        return ChatEngine

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> None:
        await super()._handle_eio_connect(eio_sid, environ)
        if "transport=websocket" not in environ.get("QUERY_STRING", ""):
            self.deadlines.add(eio_sid)  # long polling: the client reads its handshake now

    def _expire(self, eio_sid: str) -> None:
        socket = self.eio.sockets.get(eio_sid)
        if socket is None or socket.closing or socket.closed:
            return
        if self.manager.sid_from_eio_sid(eio_sid, NAMESPACE) is None:
            self.eio.spawn(self.eio.disconnect(eio_sid))

    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: Any) -> None:
        if eio_sid not in self.environ:
            return  # the session ended before its connect was read
        await super()._handle_connect(eio_sid, namespace, data)
        if eio_sid not in self.environ:  # it ended while the client signed in
            await self._handle_disconnect(eio_sid, namespace or "/", self.reason.TRANSPORT_CLOSE)


def event_packet(event: StreamEvent, frame: str) -> eio_packet.Packet:
    """The room's ``event`` as the Engine.IO message carrying its Socket.IO packet
    (``42/chat,["name",{...}]`` on the wire), made from ``frame``, its WebSocket frame
    ``{"event":"name","data":{...}}``, without decoding or encoding the data again."""
    name = event.kind.value
    head = f'{{"event":"{name}","data":'
    if frame.startswith(head) and frame.endswith("}"):
        data = frame[len(head) : -1]
    else:  # a frame encoded another way: encode the data anew
        data = _encode(event.wire()["data"]).decode()
    body = f'{socketio.packet.EVENT}{NAMESPACE},["{name}",{data}]'
    return eio_packet.Packet(eio_packet.MESSAGE, body)


def message_packet(name: str, data: object) -> eio_packet.Packet:
    """The Engine.IO message carrying the Socket.IO event ``name`` with ``data`` in
    ``/chat``, as python-socketio's ``emit`` to one client would encode it."""
    body = f"{socketio.packet.EVENT}{NAMESPACE},{_encode([name, data]).decode()}"
    return eio_packet.Packet(eio_packet.MESSAGE, body)


class SocketIOClient:
    """The protocol's ``Transport`` for one Socket.IO client (``sid`` in ``/chat``).

    Engine.IO queues each client's packets in the order they are sent, so events need no lock
    of their own. While an event is being answered, what the protocol sends back is also kept
    for the acknowledgement.
    """

    def __init__(self, server: socketio.AsyncServer, sid: str, queue_limit: int) -> None:
        self._server = server
        self.sid = sid
        self._eio_sid: str = server.manager.eio_sid_from_sid(sid, NAMESPACE)
        self._queue_limit = queue_limit
        self.connected = False
        self.refusal = ""
        self.answers: list[dict[str, Any]] | None = None

    async def send_text(self, text: str) -> None:
        frame = _decode(text)
        if self.answers is not None:
            self.answers.append(frame)
        await self._send(message_packet(frame["event"], frame["data"]))

    async def deliver(self, event: StreamEvent, frame: str) -> None:
        socket = await self._send(event_packet(event, frame))
        if socket is not None and socket.queue.qsize() >= self._queue_limit:
            await socket.queue.join()  # the writer has sent what is queued

    async def _send(self, pkt: eio_packet.Packet) -> Any:
        """Queues ``pkt`` on the client's Engine.IO socket; returns the socket, or None when
        it is gone (the disconnect handler leaves the room)."""
        socket = self._server.eio.sockets.get(self._eio_sid)
        if socket is not None:
            await socket.send(pkt)
        return socket

    async def close(self, _code: int, reason: str) -> None:
        if not self.connected:  # refused while connecting: the connect handler says why
            self.refusal = reason
            return
        error = {"code": "unauthorized", "message": reason}  # the raw WebSocket's 4401
        await self._send(message_packet("error", error))
        await self._server.disconnect(self.sid, namespace=NAMESPACE)


class SocketIOGateway:
    """The ``/chat`` namespace's handlers: one ``ChatProtocol`` per connected client."""

    def __init__(self, container: AsyncContainer, settings: Settings) -> None:
        self._container = container
        self._queue_limit = settings.chat.send_queue
        self._clients: dict[str, tuple[SocketIOClient, ChatProtocol]] = {}
        self._restarts: dict[str, Callable[[], Awaitable[None]]] = {}
        self.server = ChatServer(
            settings.chat.ws_auth_timeout,
            async_mode="asgi",
            async_handlers=False,
            # CORS is the app's own layer (MOCHEONG_CORS_ORIGINS), for polling as for the API.
            cors_allowed_origins=[],
            max_http_buffer_size=settings.chat.sio_max_message_bytes,
            ping_interval=settings.chat.sio_ping_interval,
            ping_timeout=settings.chat.sio_ping_timeout,
            json=_Json,
            client_manager=ChatManager(),
        )
        self.server.on("connect", self.connect, namespace=NAMESPACE)
        self.server.on("disconnect", self.disconnect, namespace=NAMESPACE)
        self.server.on("*", self.event, namespace=NAMESPACE)
        self.asgi = socketio.ASGIApp(self.server, socketio_path=PATH.lstrip("/"))

    @property
    def clients(self) -> int:
        return len(self._clients)

    async def connect(self, sid: str, _environ: dict[str, Any], auth: object) -> None:
        client = SocketIOClient(self.server, sid, self._queue_limit)
        protocol = ChatProtocol(self._container, client)
        if not await protocol.sign_in(_token(auth)):
            raise socketio.exceptions.ConnectionRefusedError(
                client.refusal, {"code": "unauthorized"}
            )
        client.connected = True
        self._clients[sid] = (client, protocol)
        eio_sid = self.server.manager.eio_sid_from_sid(sid, NAMESPACE)

        async def restart() -> None:
            # Engine.IO's close packet, not a Socket.IO disconnect: after the latter a client
            # stays away until told to connect again.
            await self.server.eio.disconnect(eio_sid)

        self._restarts[sid] = restart
        (await self._container.get(Drain)).add(restart)

    async def disconnect(self, sid: str, *_reason: object) -> None:
        restart = self._restarts.pop(sid, None)
        if restart is not None:
            (await self._container.get(Drain)).discard(restart)
        entry = self._clients.pop(sid, None)
        if entry is not None:
            await entry[1].close()

    async def event(self, name: str, sid: str, *args: object) -> dict[str, Any] | None:
        """Answers one event; returns the answer for the client's acknowledgement, if any."""
        entry = self._clients.get(sid)
        if entry is None:
            return None
        client, protocol = entry
        answers: list[dict[str, Any]] = []
        client.answers = answers
        try:
            await protocol.dispatch(name, args[0] if args else {})
        except DomainError as exc:
            await protocol.refuse(exc)
        except SignedOut:
            return None
        except Exception as exc:  # one bad event must not end the connection
            await protocol.fail(exc)
        finally:
            client.answers = None
        return answers[-1] if answers else None


def _token(auth: object) -> str | None:
    if isinstance(auth, dict):
        token = auth.get("token")
        if isinstance(token, str) and len(token) <= _MAX_TOKEN:
            return token
    return None


class SocketIOMount:
    """Sends ``/socket.io/...`` to the gateway and everything else on, untouched."""

    def __init__(self, app: ASGIApp, gateway: ASGIApp) -> None:
        self._app = app
        self._gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith(_PREFIX):
            await self._gateway(scope, receive, send)
        else:
            await self._app(scope, receive, send)


def install_socketio(app: Litestar, container: AsyncContainer, settings: Settings) -> None:
    """Mounts the gateway in front of dishka and the router; call it before the fast paths
    (they answer first) and the pipeline (requests are logged, CORS applies to polling)."""
    gateway = SocketIOGateway(container, settings)
    app.state.socketio = gateway
    app.asgi_handler = SocketIOMount(app.asgi_handler, cast(ASGIApp, gateway.asgi))
