"""A small HTTP/1.1 server on 127.0.0.1 (asyncio streams + h11), one request per connection,
served on the caller's event loop (``async with``) or on its own loop in a thread
(``in_thread``).

Hand-written on h11 rather than on a web framework because the tests need what frameworks
hide: answering with a stream that stops without its terminal bytes, holding a response open
silently, and seeing the moment the client closes its TCP connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, Self, TypeVar

import attrs
import h11


@attrs.define
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Reply:
    """The answer to one request, written by the handler."""

    def __init__(self, writer: asyncio.StreamWriter, closed: asyncio.Event) -> None:
        self._writer = writer
        self._conn = h11.Connection(h11.SERVER)
        self.closed_by_client = closed
        """Set when the client closes the connection (read from the socket, not guessed)."""

    async def json(self, status: int, body: Any, headers: Iterable[tuple[str, str]] = ()) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        head = [
            ("content-type", "application/json"),
            ("content-length", str(len(data))),
            ("connection", "close"),
        ]
        await self._send(h11.Response(status_code=status, headers=[*head, *headers]))
        await self._send(h11.Data(data=data))
        await self._send(h11.EndOfMessage())

    async def start_events(self, headers: Iterable[tuple[str, str]] = ()) -> None:
        """Starts a ``text/event-stream`` answer (chunked)."""
        head = [
            ("content-type", "text/event-stream"),
            ("transfer-encoding", "chunked"),
            ("connection", "close"),
        ]
        await self._send(h11.Response(status_code=200, headers=[*head, *headers]))

    async def event(self, data: Any, name: str | None = None) -> None:
        """Sends one server-sent event; ``data`` that is not a string is sent as JSON."""
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        frame = (f"event: {name}\n" if name else "") + f"data: {text}\n\n"
        await self._send(h11.Data(data=frame.encode()))

    async def end(self) -> None:
        await self._send(h11.EndOfMessage())

    def cut(self) -> None:
        """Closes the connection mid-answer, as a crashed or cut-off provider does."""
        self._writer.transport.abort()

    async def hang(self) -> None:
        """Says nothing more until the client gives up and closes the connection."""
        await self.closed_by_client.wait()

    async def _send(self, event: h11.Event) -> None:
        data = self._conn.send(event)
        if data:
            self._writer.write(data)
            await self._writer.drain()


WAIT_BOUND = 10.0
Handler = Callable[[Request, Reply], Awaitable[None]]


class FakeServer:
    """Serves ``handler`` on a free port. ``requests`` records what came; ``disconnects``
    counts the connections the client closed before its answer was complete."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.requests: list[Request] = []
        self.disconnects = 0
        self._changed = asyncio.Condition()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._server.wait_closed()

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Waits (at most ``WAIT_BOUND`` s) until ``condition`` holds after a request or a
        disconnect."""
        async with asyncio.timeout(WAIT_BOUND), self._changed:
            await self._changed.wait_for(condition)

    async def _note(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            request = await _read_request(reader)
            if request is None:
                return
            self.requests.append(request)
            await self._note()
            closed = asyncio.Event()
            watcher = asyncio.create_task(_watch_close(reader, closed))
            try:
                await self._handler(request, Reply(writer, closed))
            except ConnectionError:
                closed.set()
            finally:
                watcher.cancel()
            if closed.is_set():
                self.disconnects += 1
                await self._note()
        except asyncio.CancelledError:
            # The fake is shutting down; asyncio would log a cancelled connection task.
            return
        finally:
            self._tasks.discard(task)
            writer.close()


Server = TypeVar("Server", bound=FakeServer)


@contextlib.contextmanager
def in_thread(server: Server) -> Iterator[Server]:
    """Serves ``server`` on its own event loop in a thread, for tests whose app runs in another
    thread's loop (Litestar's test clients): a fake on the test's loop would not answer while
    the test waits for the app. ``wait_for`` is not for this mode."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-http", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.__aenter__(), loop).result(WAIT_BOUND)
    try:
        yield server
    finally:
        # Ends what still waits (a slow answer), then the loop.
        asyncio.run_coroutine_threadsafe(server.__aexit__(), loop).result(WAIT_BOUND)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(WAIT_BOUND)
        loop.close()


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    conn = h11.Connection(h11.SERVER)
    head: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            if not data:
                return None
            conn.receive_data(data)
        elif isinstance(event, h11.Request):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert head is not None
            headers = {k.decode().lower(): v.decode() for k, v in head.headers}
            return Request(head.method.decode(), head.target.decode(), headers, bytes(body))


async def _watch_close(reader: asyncio.StreamReader, closed: asyncio.Event) -> None:
    # The clients send one request per connection here; EOF (or a reset) means they closed it.
    with contextlib.suppress(ConnectionError):
        while await reader.read(65536):
            pass
    closed.set()
