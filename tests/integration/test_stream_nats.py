"""``NatsStreamBroker``'s live delivery against the machine's NATS: what only the NATS adapter
has (one consumer per process, its restarts and faults). The port's contract is
test_stream_contract.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from urllib.parse import urlsplit

import pytest
from nats.aio.client import Client

from adapters.nats.stream import NatsStreamBroker
from mocheong_core.chat.stream import HISTORY_LOST, EventDraft, EventKind, Fence
from tests import services
from tests.integration.redis_faults import BlackholeProxy
from tests.integration.stream_support import BrokerFactory, chunk, nats_factory, settle, take

pytestmark = pytest.mark.nats


@pytest.fixture
async def make_broker() -> AsyncIterator[BrokerFactory]:
    async with AsyncExitStack() as stack:
        yield await nats_factory(stack)


async def _nats(make_broker: BrokerFactory, **options: object) -> tuple[NatsStreamBroker, Client]:
    broker, client = await make_broker(**options)
    assert isinstance(broker, NatsStreamBroker)
    return broker, client


async def test_many_rooms_listened_in_one_process_use_one_consumer(
    make_broker: BrokerFactory,
) -> None:
    api, client = await _nats(make_broker)
    worker, _ = await _nats(make_broker)
    rooms = [f"room-{index}" for index in range(40)]

    async with AsyncExitStack() as listening:
        lives = [await listening.enter_async_context(api.listen(room)) for room in rooms]
        written = [
            await worker.append(room, EventDraft(EventKind.PAGE_UPDATED, {"room": room}))
            for room in rooms
        ]
        got = [(await take(live, 1))[0] for live in lives]
        info = await client.jetstream().stream_info(api.stream)

    assert got == written
    assert info.state.consumer_count == 1
    assert api.dispatcher.consumers == 1


async def test_a_slow_listener_does_not_grow_its_queue(make_broker: BrokerFactory) -> None:
    api, _ = await _nats(make_broker, queue_size=4)
    worker, _ = await _nats(make_broker)
    await worker.claim("m1", 1, 30)

    async with api.listen("p") as live:
        written = [
            await worker.append("p", chunk("m1", str(i)), Fence("m1", 1)) for i in range(200)
        ]
        await settle(api, worker)  # every entry reached this process while nobody read
        queued = api.dispatcher.queued
        got = await take(live, 200)

    assert queued <= 4
    assert got == written


async def test_a_stream_lost_while_listening_gives_a_history_lost_reset(
    make_broker: BrokerFactory,
) -> None:
    api, _ = await _nats(make_broker)
    worker, _ = await _nats(make_broker)

    async with api.listen("p") as live:
        old = await worker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"v": 1}))
        assert await take(live, 1) == [old]
        await worker.delete()  # what a server that lost its store does to the stream
        new = await worker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"v": 2}))
        reset, replayed = await take(live, 2)

    assert reset.kind is EventKind.RESET
    assert reset.data == {"reason": HISTORY_LOST}
    assert replayed == new
    from_reset = await api.history("p", reset.cursor)
    assert from_reset.complete
    assert from_reset.events == [new]


async def test_a_reconnect_onto_a_new_stream_gives_a_history_lost_reset(
    make_broker: BrokerFactory,
) -> None:
    api, client = await _nats(make_broker, heartbeat=30.0)  # no silence noticed in this test
    worker, _ = await _nats(make_broker)

    async with api.listen("p") as live:
        old = await worker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"v": 1}))
        assert await take(live, 1) == [old]
        await worker.delete()
        new = await worker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"v": 2}))
        await client.force_reconnect()
        reset, replayed = await take(live, 2)

    assert reset.kind is EventKind.RESET
    assert reset.data == {"reason": HISTORY_LOST}
    assert replayed == new
    assert api.dispatcher.consumers >= 2


async def test_a_reconnect_fills_the_gap_with_no_reset(make_broker: BrokerFactory) -> None:
    api, client = await _nats(make_broker, heartbeat=30.0)
    worker, _ = await _nats(make_broker)

    async with api.listen("p") as live:
        first = await worker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"i": 0}))
        assert await take(live, 1) == [first]
        await client.force_reconnect()
        rest = [
            await worker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"i": i}))
            for i in range(1, 20)
        ]
        got = await take(live, 19)

    assert got == rest


async def test_a_silent_half_open_connection_is_detected_and_the_gap_filled() -> None:
    async with AsyncExitStack() as stack:
        proxy = BlackholeProxy(services.NATS_URL)
        await proxy.start()
        stack.push_async_callback(proxy.close)  # after the connections through it (LIFO)
        make = await nats_factory(stack)
        api, _ = await _nats(make, url=f"nats://127.0.0.1:{urlsplit(proxy.url).port}")
        worker, _ = await _nats(make)
        async with api.listen("p") as live:
            first = await worker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"i": 0}))
            assert await take(live, 1) == [first]
            assert proxy.freeze() >= 1
            # These go into the frozen connection and are never seen on it.
            lost = [
                await worker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"i": i}))
                for i in range(1, 6)
            ]
            got = await take(live, 5)

        assert got == lost
        assert api.dispatcher.consumers >= 2
