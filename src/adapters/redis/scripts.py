"""Lua scripts whose calls share round trips.

Every call of a script made in one turn of the event loop (by whichever request or task) is
sent to Redis with the others in one write, and the batches follow each other on one
connection that this process keeps for its script calls, without waiting for the replies of
the batches before them (pipelining); one reader takes the replies in order and answers each
caller. Under load a chat submit's rate-limit hit, ``newMessage`` append and enqueue travel
with those of the other submits in flight. A batch costs one write and its share of a read:
no connection taken from the pool and given back, no check that it is still readable, no
pipeline object. Each script is still atomic on its own, and nothing waits on purpose: a batch
is sent as soon as the calls that were ready with it have been made.

A script Redis does not know (a restarted or flushed server) is loaded and its call sent
again once, as redis-py's ``Script`` does. A connection that fails fails every call still
waiting for a reply on it, with the ``RedisError`` it failed with, and the next call opens a
new one. A connection Redis closed while it was idle is replaced before anything is sent on
it, and after ``health_check_interval`` seconds without a call a PING proves it first, as
redis-py does for the connections of its pool; a PING that times out fails the batch (Redis
is not answering) rather than opening a new connection that would wait as long again.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection, ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Arg = str | bytes | int | float


class RedisScripts:
    """The batching of one Redis client's script calls; share one per client."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._waiting: list[_Call] = []
        self._sources: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._link: _Link | None = None
        self._opening = asyncio.Lock()

    def register(self, source: str) -> BatchedScript:
        sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()
        self._sources[sha] = source
        return BatchedScript(self, sha)

    async def call(self, sha: str, keys: Sequence[Arg], args: Sequence[Arg]) -> Any:
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Call(sha, ("EVALSHA", sha, len(keys), *keys, *args), answer))
        if len(self._waiting) == 1:
            # The sender starts after every callback that is ready now: their calls join it.
            self._start(self._send_waiting())
        return await answer

    def _start(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_waiting(self) -> None:
        batch, self._waiting = self._waiting, []
        await self._send(batch)

    async def _send(self, batch: list[_Call]) -> None:
        try:
            link = await self._open_link()
            await link.send(batch)
        except Exception as exc:  # not sent: every call of the batch hears why
            for call in batch:
                call.fail(exc)

    def _unknown_scripts(self, calls: list[_Call]) -> None:
        """The reader's hand-over of calls Redis answered NOSCRIPT: loaded, then sent again."""
        self._start(self._load_and_send(calls))

    async def _load_and_send(self, calls: list[_Call]) -> None:
        try:
            for sha in {call.sha for call in calls}:
                await self.redis.script_load(self._sources[sha])
        except Exception as exc:
            for call in calls:
                call.fail(exc)
            return
        for call in calls:
            call.reloaded = True
        await self._send(calls)

    async def _open_link(self) -> _Link:
        async with self._opening:
            link = self._link
            if link is not None and link.alive and link.idle:
                if link.closed_by_redis():  # restarted, or it timed the client out
                    await link.fail(RedisConnectionError("Redis closed the connection"))
                elif link.idle_for() > link.health_interval > 0:
                    try:
                        await link.ping()
                    except RedisTimeoutError:
                        raise  # Redis does not answer: a new connection would wait again
                    except (RedisError, OSError):
                        pass  # a failed PING leaves it dead: a new one is opened
            if link is None or not link.alive:
                pool = self.redis.connection_pool
                link = _Link(await pool.get_connection(), pool, self._unknown_scripts)
                self._link = link
            return link


class _Call:
    __slots__ = ("answer", "command", "ends_batch", "reloaded", "sha")

    def __init__(self, sha: str, command: tuple[Arg, ...], answer: asyncio.Future[Any]) -> None:
        self.sha = sha
        self.command = command
        self.answer = answer
        self.reloaded = False
        self.ends_batch = False

    def fail(self, exc: Exception) -> None:
        if not self.answer.done():  # not when its caller was cancelled
            self.answer.set_exception(exc)


class _Link:
    """A connection kept for script calls: batches are written back to back, and one reader
    task, running while replies are awaited, answers each call in order."""

    def __init__(
        self,
        connection: AbstractConnection,
        pool: ConnectionPool,
        unknown: Callable[[list[_Call]], None],
    ) -> None:
        self._connection = connection
        self._pool = pool
        self._unknown = unknown
        self._awaited: deque[_Call] = deque()
        self._writing = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()
        self._last_used = self._loop.time()
        self.health_interval = float(connection.health_check_interval or 0)
        self.alive = True

    @property
    def idle(self) -> bool:
        """No reply is awaited: the connection is not being read."""
        return not self._awaited

    def idle_for(self) -> float:
        return self._loop.time() - self._last_used

    def closed_by_redis(self) -> bool:
        """True when the connection already read its end: what the pool's check before each
        use finds, without a read attempt."""
        reader = getattr(self._connection, "_reader", None)
        return isinstance(reader, asyncio.StreamReader) and reader.at_eof()

    async def ping(self) -> None:
        answer: asyncio.Future[Any] = self._loop.create_future()
        await self.send([_Call("", ("PING",), answer)])
        await answer

    async def send(self, batch: list[_Call]) -> None:
        """Writes the batch; the reader answers each of its calls."""
        if not self.alive:
            raise RedisConnectionError("the script connection was closed")
        packed = self._connection.pack_commands([call.command for call in batch])
        for call in batch:
            call.ends_batch = False
        batch[-1].ends_batch = True
        async with self._writing:  # replies come in the order the batches were written
            if self._awaited and not self._connection.is_connected:
                # Lost under a reader still waiting: it is about to fail them all.
                raise RedisConnectionError("the script connection was lost")
            self._awaited.extend(batch)
            self._last_used = self._loop.time()
            try:
                await self._connection.send_packed_command(packed, check_health=False)
            except BaseException as exc:
                await self.fail(exc)
                raise
        if self._reader is None:
            self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        unknown: list[_Call] = []
        try:
            while self._awaited:
                call = self._awaited[0]
                try:
                    reply = await self._connection.read_response()
                except NoScriptError as exc:
                    if call.reloaded:
                        call.fail(exc)
                    else:
                        unknown.append(call)
                except ResponseError as exc:  # this call's own error, read whole
                    call.fail(exc)
                else:
                    if not call.answer.done():
                        call.answer.set_result(reply)
                self._awaited.popleft()
                if unknown and call.ends_batch:  # sent again in their batch's order
                    self._unknown(unknown)
                    unknown = []
        except BaseException as exc:
            await self.fail(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            self._reader = None
            if unknown:
                self._unknown(unknown)

    async def fail(self, exc: BaseException) -> None:
        """Every call still waiting hears why; the connection goes back to the pool closed."""
        if not self.alive:
            return
        self.alive = False
        error = exc if isinstance(exc, Exception) else RedisConnectionError(repr(exc))
        while self._awaited:
            self._awaited.popleft().fail(error)
        reader = self._reader
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()
        await self._connection.disconnect(nowait=True)
        await self._pool.release(self._connection)


class BatchedScript:
    """One registered script; call it as redis-py's ``Script``: ``await script(keys=…, args=…)``."""

    def __init__(self, scripts: RedisScripts, sha: str) -> None:
        self._scripts = scripts
        self.sha = sha

    async def __call__(self, keys: Sequence[Arg] = (), args: Sequence[Arg] = ()) -> Any:
        return await self._scripts.call(self.sha, keys, args)
