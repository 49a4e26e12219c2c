"""Helpers of the stream broker tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from mocheong_core.chat.stream import EventDraft, EventKind, StreamEvent

# Hang guard only: a broken broker fails the test instead of blocking the run.
GUARD = 30.0


def chunk(message_id: str, delta: str) -> EventDraft:
    return EventDraft(EventKind.CHUNK, {"delta": delta}, message_id)


async def take(events: AsyncIterator[StreamEvent], count: int) -> list[StreamEvent]:
    async def run() -> list[StreamEvent]:
        got: list[StreamEvent] = []
        async for event in events:
            got.append(event)
            if len(got) == count:
                break
        return got

    return await asyncio.wait_for(run(), GUARD)
