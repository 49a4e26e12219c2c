"""Lua scripts whose calls share round trips.

Every call of a script made in one turn of the event loop (by whichever request or task) is
sent to Redis with the others in one pipeline: one write and one read instead of one each.
Under load a chat submit's rate-limit hit, ``newMessage`` append and enqueue travel with those
of the other submits in flight; a lone call costs what a plain ``EVALSHA`` costs. Each script
is still atomic on its own, and nothing waits on purpose: a batch is sent as soon as the
calls that were ready with it have been made.

A script Redis does not know (a restarted or flushed server) is loaded and its call sent
again, as redis-py's ``Script`` does. A failed round trip fails every call of its batch with
the same ``RedisError``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Sequence
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

Arg = str | bytes | int | float


class RedisScripts:
    """The batching of one Redis client's script calls; share one per client."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._waiting: list[_Call] = []
        self._sources: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def register(self, source: str) -> BatchedScript:
        sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()
        self._sources[sha] = source
        return BatchedScript(self, sha)

    async def call(self, sha: str, keys: Sequence[Arg], args: Sequence[Arg]) -> Any:
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Call(sha, keys, args, answer))
        if len(self._waiting) == 1:
            # The sender starts after every callback that is ready now: their calls join it.
            task = asyncio.create_task(self._send_waiting())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await answer

    async def _send_waiting(self) -> None:
        batch, self._waiting = self._waiting, []
        try:
            results = await self._round_trip(batch)
            unknown = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
            if unknown:
                for sha in {batch[i].sha for i in unknown}:
                    await self.redis.script_load(self._sources[sha])
                again = await self._round_trip([batch[i] for i in unknown])
                for i, result in zip(unknown, again, strict=True):
                    results[i] = result
        except Exception as exc:  # the round trip failed: every call of the batch hears it
            for call in batch:
                if not call.answer.done():
                    call.answer.set_exception(exc)
            return
        for call, result in zip(batch, results, strict=True):
            if call.answer.done():  # its caller was cancelled
                continue
            if isinstance(result, Exception):
                call.answer.set_exception(result)
            else:
                call.answer.set_result(result)

    async def _round_trip(self, batch: list[_Call]) -> list[Any]:
        if len(batch) == 1:
            call = batch[0]
            try:
                return [await cast("Awaitable[Any]", self.redis.evalsha(*call.command))]
            except NoScriptError as exc:
                return [exc]
        pipe = self.redis.pipeline(transaction=False)
        for call in batch:
            pipe.execute_command("EVALSHA", *call.command)
        return list(await pipe.execute(raise_on_error=False))


class BatchedScript:
    """One registered script; call it as redis-py's ``Script``: ``await script(keys=…, args=…)``."""

    def __init__(self, scripts: RedisScripts, sha: str) -> None:
        self._scripts = scripts
        self.sha = sha

    async def __call__(self, keys: Sequence[Arg] = (), args: Sequence[Arg] = ()) -> Any:
        return await self._scripts.call(self.sha, keys, args)


class _Call:
    __slots__ = ("answer", "command", "sha")

    def __init__(
        self, sha: str, keys: Sequence[Arg], args: Sequence[Arg], answer: asyncio.Future[Any]
    ) -> None:
        self.sha = sha
        self.command: tuple[Any, ...] = (sha, len(keys), *keys, *args)
        self.answer = answer
