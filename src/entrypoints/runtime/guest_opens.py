"""Guests' openings of their personal links, recorded in the background of the process."""

from __future__ import annotations

import asyncio

import structlog
from dishka import AsyncContainer

from mocheong_core.guests.usecases import RecordGuestOpen

log = structlog.get_logger("mocheong.public")


class GuestOpens:
    """Records, in the background, that a guest opened their personal link.

    At most ``limit`` recordings run at once; beyond that an opening is dropped (and logged),
    so a flood of links cannot pile up tasks or database sessions.
    """

    def __init__(self, container: AsyncContainer, limit: int = 64) -> None:
        self._container = container
        self._limit = limit
        self._tasks: set[asyncio.Task[None]] = set()

    def record(self, slug: str, token: str) -> None:
        if len(self._tasks) >= self._limit:
            log.warning("guest_open_dropped", slug=slug)
            return
        task = asyncio.create_task(self._record(slug, token))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _record(self, slug: str, token: str) -> None:
        try:
            async with self._container() as request_container:
                usecase = await request_container.get(RecordGuestOpen)
                await usecase(slug, token)
        except Exception as exc:  # best effort: the guest already has the page
            log.warning("guest_open_not_recorded", slug=slug, error=repr(exc))

    async def idle(self) -> None:
        """Waits until every recording started so far has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self, grace: float = 2.0) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace)
        for task in list(self._tasks):
            task.cancel()
