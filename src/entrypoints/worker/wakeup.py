"""The arq worker woken by a queued job instead of finding it at its next poll.

arq polls its queue every ``JOBS_POLL_DELAY`` seconds, so a job queued to an idle worker
waited half of that on average, and all of it at worst, before it started: a chat turn's
first chunk paid that wait on every turn (P7, docs/architecture.md). ``ArqJobQueue``'s enqueue
script now publishes the job's id on the queue's wake channel when the job is due at once, and a
worker whose last poll found nothing to start waits for that message, or the poll delay at
most, before polling again. A worker that found jobs keeps polling at its pace: under load a
poll per queued job would cost more than it saves.

The message is only a nudge: one lost (the listener reconnecting, Redis restarting) leaves the
job to the next poll, as before.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from redis.asyncio import Redis

from entrypoints.bootstrap.jobs import arq_wake_channel

log = structlog.get_logger("mocheong.worker")
_LISTEN_SECONDS = 1.0
"""How long one read of the channel waits: within the client's read timeout, so an idle
channel is not taken for a Redis that stopped answering."""
_RETRY_SECONDS = 1.0


class QueueWakeup:
    def __init__(self, queue: str) -> None:
        self._channel = arq_wake_channel(queue)
        self._queued = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    def start(self, redis: Redis) -> None:
        """Listens on the queue's channel from now on (once; later calls do nothing)."""
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(redis), name="queue-wakeup")

    def clear(self) -> None:
        """Called before a poll reads the queue: what is queued after it wakes the next wait."""
        self._queued.clear()

    async def wait(self, seconds: float) -> None:
        """Until a job is queued, or ``seconds`` at most."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._queued.wait()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener

    async def _listen(self, redis: Redis) -> None:
        while True:
            pubsub = redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                while True:
                    if await pubsub.get_message(timeout=_LISTEN_SECONDS) is not None:
                        self._queued.set()
            except Exception as exc:  # whatever broke, the worker polls until it is back
                log.warning("worker_wakeup_lost", error=repr(exc))
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(_RETRY_SECONDS)
