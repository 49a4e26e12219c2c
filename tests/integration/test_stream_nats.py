"""``NatsStreamBroker``'s live delivery against the machine's NATS: what only the NATS adapter
has (one consumer per process, its restarts and faults). The port's contract is
test_stream_contract.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import urlsplit

import pytest
from nats.aio.client import Client
from nats.js.api import ConsumerInfo, RawStreamMsg
from nats.js.errors import NotFoundError

from adapters.nats.stream import NatsStreamBroker
from mocheong_core.chat.stream import HISTORY_LOST, EventDraft, EventKind, Fence, StreamEvent
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


class _CountedGets:
    """Counts the direct gets a broker makes (each one a round trip to the server)."""

    def __init__(self, broker: NatsStreamBroker) -> None:
        self.calls = 0
        self._get = broker._js.get_msg
        broker._js.get_msg = self  # type: ignore[method-assign]

    async def __call__(self, *args: Any, **kwargs: Any) -> RawStreamMsg:
        self.calls += 1
        return await self._get(*args, **kwargs)


async def _interleaved(worker: NatsStreamBroker, count: int) -> list[StreamEvent]:
    """``count`` events of room ``p``, each after one of room ``q``."""
    written = []
    for index in range(count):
        await worker.append("q", EventDraft(EventKind.PAGE_UPDATED, {"i": index}))
        written.append(await worker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"i": index})))
    return written


async def test_a_long_history_is_read_in_batches_not_one_request_per_entry(
    make_broker: BrokerFactory,
) -> None:
    api, _ = await _nats(make_broker)
    worker, _ = await _nats(make_broker)
    await worker.claim("m1", 1, 30)
    first = await worker.append("p", chunk("m1", "a"), Fence("m1", 1))
    await worker.claim("m1", 2, 30)  # leaves a marker on the message's subject: not an event
    written = [first, *await _interleaved(worker, 150)]
    gets = _CountedGets(api)

    whole = await api.history("p", None)
    after = await api.history("p", written[9].cursor)
    paged = await api.history("p", written[9].cursor, limit=50)

    assert whole.complete
    assert whole.events == written
    assert after.complete
    assert after.events == written[10:]
    assert paged.events == written[10:60]
    assert gets.calls == 3  # the room's last entry, once per read


async def test_a_short_span_of_the_stream_is_read_by_sequence(make_broker: BrokerFactory) -> None:
    api, _ = await _nats(make_broker, span=64)
    worker, _ = await _nats(make_broker)
    written = await _interleaved(worker, 10)

    after = await api.history("p", written[2].cursor)
    paged = await api.history("p", written[2].cursor, limit=3)
    nothing = await api.history("p", written[-1].cursor)

    assert after.complete
    assert after.events == written[3:]
    assert paged.events == written[3:6]
    assert nothing.complete
    assert nothing.events == []


async def test_a_batch_read_that_stops_short_reads_on_entry_by_entry(
    make_broker: BrokerFactory,
) -> None:
    api, client = await _nats(make_broker, span=0)  # every read through a consumer
    worker, _ = await _nats(make_broker)
    written = await _interleaved(worker, 20)
    newest = written[-1]
    gets = _CountedGets(api)
    get_last = gets._get

    async def last_then_removed(*args: Any, **kwargs: Any) -> RawStreamMsg:
        raw = await get_last(*args, **kwargs)
        if raw.seq is not None and kwargs.get("seq") is None:
            # The newest entry goes before the consumer reaches it (as an entry that ages
            # out would): the consumer falls idle short of it and the read goes on directly.
            await client.jetstream().delete_msg(api.stream, raw.seq)
        return raw

    gets._get = last_then_removed
    history = await api.history("p", None)

    assert history.complete
    assert history.events == [event for event in written if event != newest]
    assert gets.calls == 2  # the room's last entry, then one direct get that found no more


async def test_a_history_read_cancelled_while_its_consumer_is_made_deletes_it(
    make_broker: BrokerFactory,
) -> None:
    api, client = await _nats(make_broker, span=0)  # every read through a consumer
    worker, _ = await _nats(make_broker)
    await _interleaved(worker, 5)
    asked = asyncio.Event()
    made: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    add_consumer = api._js.add_consumer

    async def slow_add(*args: Any, **kwargs: Any) -> ConsumerInfo:
        asked.set()
        info = await add_consumer(*args, **kwargs)
        made.set_result(info.name or "")
        return info

    api._js.add_consumer = slow_add  # type: ignore[method-assign]
    reading = asyncio.create_task(api.history("p", None))
    await asked.wait()
    reading.cancel()  # the client left while the server was making the consumer
    async with asyncio.timeout(30):  # hang guard: a cancelled creation never learns the name
        name = await made
    with pytest.raises(asyncio.CancelledError):
        await reading
    while api._deleting:
        await asyncio.gather(*api._deleting)
    js = client.jetstream()
    for _ in range(50):  # the deletion is a request the server answers on its own time
        await client.flush()
        try:
            await js.consumer_info(api.stream, name)
        except NotFoundError:
            break
    else:
        pytest.fail(f"consumer {name} was left behind")
