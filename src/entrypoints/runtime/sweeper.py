"""The chat sweeper of a process that runs the chat jobs: ``SweepTurns`` on a timer."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from dishka import AsyncContainer

from mocheong_core.chat.sweeper import SweepTurns

log = structlog.get_logger("mocheong.chat")


class ChatSweeper:
    """Runs ``SweepTurns`` every ``interval`` seconds, each sweep in its own REQUEST scope, in
    whichever process runs the chat jobs (the embedded API, or the worker)."""

    def __init__(self, container: AsyncContainer, interval: float, batch: int) -> None:
        self._container = container
        self._interval = interval
        self._batch = batch
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="chat-sweeper")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def sweep_once(self) -> int:
        async with self._container() as request:
            return await (await request.get(SweepTurns))()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                # A full batch means more may be waiting: sweep again at once.
                while await self.sweep_once() >= self._batch:
                    pass
            except Exception as exc:  # a database or broker outage: the next sweep retries
                log.warning("chat_sweep_failed", error=repr(exc))
