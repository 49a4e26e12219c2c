"""Helpers of the provider wire tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from adapters.llm.streamed import StreamedPart
from tests.fakes.http import FakeServer

GUARD = 10.0  # hang guard only


async def collect(parts: AsyncIterator[StreamedPart], into: list[StreamedPart]) -> None:
    """Reads ``parts`` into ``into``, so what came before a failure can be checked."""
    async for part in parts:
        into.append(part)


async def cancel_after_first_part(parts: AsyncIterator[StreamedPart], server: FakeServer) -> None:
    """Cancels the task reading ``parts`` once it got one, then waits until ``server`` saw the
    client close its connection."""
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in parts:
            first.set()

    task = asyncio.create_task(consume())
    async with asyncio.timeout(GUARD):
        await first.wait()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("the reading task ended before it was cancelled")
    await server.wait_for(lambda: server.disconnects == 1)
