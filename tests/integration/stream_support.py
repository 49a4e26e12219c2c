"""Helpers of the stream broker tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

from adapters.nats.connection import ConnectionEvents, connect_nats
from adapters.nats.stream import NatsStreamBroker
from mocheong_core.chat.ports import StreamBroker
from mocheong_core.chat.stream import EventDraft, EventKind, StreamEvent
from tests import services

BrokerFactory = Callable[..., Awaitable[tuple[StreamBroker, Any]]]
"""Makes one simulated process's broker (its own connection); returns it and its connection
(NATS) or dispatcher (Redis)."""

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


async def settle(listening: StreamBroker, writer: StreamBroker) -> None:
    """Returns once an event ``writer`` appends to another room reached ``listening``'s live
    delivery, which is after every earlier one from ``writer`` did (one connection, in order)."""
    async with listening.listen("settle-marker") as marker:
        await writer.append("settle-marker", EventDraft(EventKind.PAGE_UPDATED, {}))
        await take(marker, 1)


async def nats_factory(stack: AsyncExitStack, url: str = services.NATS_URL) -> BrokerFactory:
    """Brokers on the machine's NATS under one prefix of the test's own; the stream goes
    when ``stack`` closes."""
    await services.require_nats()
    prefix = services.unique_nats_prefix()
    made: list[NatsStreamBroker] = []

    async def clean() -> None:
        if made:
            await made[0].delete()

    async def make(**options: Any) -> tuple[StreamBroker, Any]:
        events = ConnectionEvents()
        client = await connect_nats(options.pop("url", url), name=f"{prefix}-test", events=events)
        stack.push_async_callback(client.close)
        options.setdefault("heartbeat", 0.2)
        broker = NatsStreamBroker(client, prefix=prefix, ttl_seconds=120, **options)
        events.on_reconnect.append(broker.reconnected)
        if not made:
            stack.push_async_callback(clean)  # runs before this connection closes (LIFO)
        stack.push_async_callback(broker.aclose)  # before the clean-up: no stream made again
        made.append(broker)
        return broker, client

    return make
