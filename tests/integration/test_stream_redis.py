"""``RedisStreamBroker`` and its dispatcher against the machine's real Redis: what only the Redis
adapter has (its dispatcher, keys and faults). The port's contract is test_stream_contract.py."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from redis.asyncio import Redis

from adapters.redis.dispatcher import RedisRoomDispatcher, _Listener
from adapters.redis.stream import RedisStreamBroker
from adapters.redis.stream_layout import (
    ZERO,
    Entry,
    EntryId,
    RoomReader,
    StreamKeys,
    history_lost,
)
from mocheong_core.chat.errors import StaleAttempt
from mocheong_core.chat.stream import (
    HISTORY_LOST,
    EventDraft,
    EventKind,
    Fence,
    Position,
    StreamEvent,
)
from mocheong_core.errors import ServiceUnavailable
from tests import services
from tests.integration.redis_faults import BlackholeProxy
from tests.integration.stream_support import GUARD, chunk, take

pytestmark = pytest.mark.redis

BrokerFactory = Callable[..., Awaitable[tuple[RedisStreamBroker, RedisRoomDispatcher]]]


@pytest.fixture
def prefix() -> str:
    return services.unique_redis_prefix()


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[Redis]:
    services.require_redis()
    client = Redis.from_url(services.REDIS_URL)
    yield client
    keys = [key async for key in client.scan_iter(f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def make_broker(prefix: str) -> AsyncIterator[BrokerFactory]:
    """Each broker is one simulated API process: its own Redis client and dispatcher."""
    async with AsyncExitStack() as stack:

        async def make(
            url: str = services.REDIS_URL, **options: Any
        ) -> tuple[RedisStreamBroker, RedisRoomDispatcher]:
            client = Redis.from_url(url)
            stack.push_async_callback(client.aclose)
            ttl = options.pop("ttl_seconds", 120)
            maxlen = options.pop("maxlen", 10_000)
            options.setdefault("ping_interval", 0.2)
            dispatcher = RedisRoomDispatcher(client, prefix=prefix, ttl_seconds=ttl, **options)
            stack.push_async_callback(dispatcher.aclose)
            broker = RedisStreamBroker(
                client, dispatcher, prefix=prefix, ttl_seconds=ttl, maxlen=maxlen
            )
            return broker, dispatcher

        yield make


async def test_a_killed_pubsub_connection_is_made_again_and_the_gap_filled(
    make_broker: BrokerFactory, redis: Redis, prefix: str
) -> None:
    api, dispatcher = await make_broker()
    worker, _ = await make_broker()
    await worker.claim("m1", 1, 30)

    async with api.listen("p") as live:
        first = await worker.append("p", chunk("m1", "0"), Fence("m1", 1))
        assert await take(live, 1) == [first]
        killed = await _kill_clients(redis, f"{prefix}chat-dispatcher")
        rest = [await worker.append("p", chunk("m1", str(i)), Fence("m1", 1)) for i in range(1, 30)]
        got = await take(live, 29)

    assert killed == 1
    assert got == rest
    assert dispatcher.connections >= 2


async def test_a_silent_half_open_connection_is_detected_and_the_gap_filled(
    make_broker: BrokerFactory,
) -> None:
    proxy = BlackholeProxy(services.REDIS_URL)
    await proxy.start()
    try:
        api, dispatcher = await make_broker(proxy.url, ping_interval=0.1)
        worker, _ = await make_broker()
        await worker.claim("m1", 1, 30)
        async with api.listen("p") as live:
            first = await worker.append("p", chunk("m1", "0"), Fence("m1", 1))
            assert await take(live, 1) == [first]
            assert proxy.freeze() >= 1
            # These notices go into the frozen connection and are never seen.
            lost = [await worker.append("p", chunk("m1", str(i)), Fence("m1", 1)) for i in range(5)]
            got = await take(live, 5)
    finally:
        await proxy.close()

    assert got == lost
    assert dispatcher.connections >= 2


async def test_a_slow_listener_catches_up_from_the_stream(make_broker: BrokerFactory) -> None:
    api, _ = await make_broker(queue_size=4)
    await api.claim("m1", 1, 30)

    async with api.listen("p") as live:
        written = [await api.append("p", chunk("m1", str(i)), Fence("m1", 1)) for i in range(60)]
        # Let every notice reach the dispatcher while nobody reads the queue.
        await _settle(api)
        got = await take(live, 60)

    assert got == written


async def test_lost_redis_data_is_never_a_silent_gap(
    make_broker: BrokerFactory, redis: Redis, prefix: str
) -> None:
    api, _ = await make_broker()
    worker, _ = await make_broker()
    await worker.claim("m1", 1, 30)
    keys = StreamKeys(prefix)

    async with api.listen("p") as live:
        old = await worker.append("p", chunk("m1", "before"), Fence("m1", 1))
        assert await take(live, 1) == [old]
        # What a restart without persistence does to this room and this message.
        await redis.delete(keys.stream("p"), keys.meta("p"), keys.fence("m1"), keys.seq("m1", 1))

        assert (await api.history("p", old.cursor)).complete is False
        with pytest.raises(StaleAttempt):
            await worker.append("p", chunk("m1", "zombie"), Fence("m1", 1))
        await worker.claim("m1", 2, 30)
        reset = await worker.append(
            "p", EventDraft(EventKind.RESET, {"reason": "retry"}, "m1"), Fence("m1", 2)
        )
        got = await take(live, 2)

    lost_marker, replayed = got
    assert lost_marker.kind is EventKind.RESET
    assert lost_marker.data == {"reason": HISTORY_LOST}
    assert replayed == reset
    after_old = await api.history("p", old.cursor)
    assert after_old.complete is False
    assert after_old.events == [reset]
    from_marker = await api.history("p", lost_marker.cursor)
    assert from_marker.complete
    assert from_marker.events == [reset]


async def test_a_cursor_before_the_trimmed_window_is_incomplete(
    make_broker: BrokerFactory,
) -> None:
    broker, _ = await make_broker(maxlen=10)
    written = [
        await broker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"i": i})) for i in range(400)
    ]

    old = await broker.history("p", written[0].cursor)
    recent = await broker.history("p", written[-5].cursor)

    assert old.complete is False
    assert old.events[-1] == written[-1]
    assert len(old.events) < 399
    assert recent.complete
    assert recent.events == written[-4:]


async def test_every_key_has_a_ttl(make_broker: BrokerFactory, redis: Redis, prefix: str) -> None:
    broker, _ = await make_broker()
    await broker.claim("m1", 1, 30)
    async with broker.listen("quiet-room"):
        pass
    await broker.append("p", chunk("m1", "x"), Fence("m1", 1))
    await broker.append("p", EventDraft(EventKind.JOB_COMPLETED, {"job_id": "j"}))
    await broker.request_cancel("m1")

    keys = [key async for key in redis.scan_iter(f"{prefix}*")]
    ttls = {key.decode(): await redis.pttl(key) for key in keys}

    assert len(ttls) == 6  # stream + meta of two rooms (one only listened), fence, seq, cancel
    assert all(ttl > 0 for ttl in ttls.values()), ttls


async def _kill_clients(redis: Redis, name: str) -> int:
    """Kills only the connections named ``name`` (never every pub/sub client: the server is
    shared with other test runs)."""
    clients = await redis.client_list()
    killed = 0
    for client in clients:
        if client.get("name") == name:
            killed += int(await redis.client_kill_filter(_id=client["id"]))
    return killed


async def _settle(broker: RedisStreamBroker) -> None:
    """Returns once a notice of another room on the same dispatcher was delivered, which is
    after every earlier notice on that connection was handled."""
    async with broker.listen("marker") as marker:
        await broker.append("marker", EventDraft(EventKind.PAGE_UPDATED, {}))
        await take(marker, 1)


async def test_a_redis_that_does_not_answer_is_service_unavailable(
    make_broker: BrokerFactory,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    broker, _ = await make_broker(f"redis://127.0.0.1:{port}/0")

    with pytest.raises(ServiceUnavailable):
        await broker.append("p", EventDraft(EventKind.PAGE_UPDATED, {}))
    with pytest.raises(ServiceUnavailable):
        await broker.history("p", None)
    with pytest.raises(ServiceUnavailable):
        await broker.claim("m1", 1, 30)
    with pytest.raises(ServiceUnavailable):
        await broker.request_cancel("m1")


async def test_a_reset_that_arrives_after_the_catch_up_is_not_replayed(
    make_broker: BrokerFactory, redis: Redis, prefix: str
) -> None:
    broker, _ = await make_broker()
    keys = StreamKeys(prefix)
    reader = RoomReader(redis, keys, 60_000)
    first = await broker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"n": 1}))
    listener = _Listener(reader, "p", queue_size=1)
    position = Position.parse(first.cursor)
    assert position is not None
    listener.place(position.epoch, (position.major, position.minor))
    await redis.delete(keys.stream("p"), keys.meta("p"))  # Redis lost the room
    second = await broker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"n": 2}))
    events = listener.events()

    async def following() -> StreamEvent:
        return await asyncio.wait_for(anext(events), GUARD)

    listener.offer(_entry(first))  # the queue fills up: the listener reads the stream itself
    listener.offer(_entry(first))

    caught = [await following(), await following()]
    # What the dispatcher noticed only now arrives late: nothing of it is new.
    new_epoch = Position.parse(second.cursor)
    assert new_epoch is not None
    listener.offer(history_lost(new_epoch.epoch, ZERO))
    listener.offer(_entry(second))
    third = await broker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"n": 3}))
    listener.offer(_entry(third))
    after = await following()

    assert caught[0].kind is EventKind.RESET
    assert caught[1] == second
    assert after == third


def _entry(event: StreamEvent) -> Entry:
    position = Position.parse(event.cursor)
    assert position is not None
    return Entry(position.epoch, (position.major, position.minor), event)


class HeldPositions:
    """The dispatcher's reader, each read of rooms' positions counted and, once made, held
    until ``release`` is set (a slow Redis, as a loaded machine gives)."""

    def __init__(self, reader: RoomReader) -> None:
        self._reader = reader
        self.release = asyncio.Event()
        self.reads: list[list[str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)

    async def positions(self, rooms: list[str]) -> list[tuple[str, EntryId]]:
        self.reads.append(list(rooms))
        placed = await self._reader.positions(rooms)
        await self.release.wait()
        return placed

    async def position(self, room: str) -> tuple[str, EntryId]:
        return (await self.positions([room]))[0]


async def _until(check: Callable[[], bool], what: str) -> None:
    for _ in range(int(GUARD / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"never happened: {what}")


async def test_rooms_starting_together_are_positioned_together_off_the_read_loop(
    make_broker: BrokerFactory, prefix: str
) -> None:
    """An API process died and its clients resume here at once, each the first of its room:
    one room's position read must not hold up the others' start (nor live notices)."""
    api, dispatcher = await make_broker()
    worker, _ = await make_broker()
    held = HeldPositions(dispatcher._reader)
    dispatcher._reader = held  # type: ignore[assignment]
    rooms = [f"r{n}" for n in range(20)]
    channel = StreamKeys(prefix).channel
    got: dict[str, StreamEvent] = {}

    async def follow(room: str, started: asyncio.Event) -> None:
        async with api.listen(room) as live:
            started.set()
            [got[room]] = await take(live, 1)

    first = asyncio.create_task(follow(rooms[0], asyncio.Event()))
    await _until(lambda: len(held.reads) == 1, "the first room's position was read")
    started = {room: asyncio.Event() for room in rooms[1:]}
    others = [asyncio.create_task(follow(room, started[room])) for room in rooms[1:]]
    # Every other room's SUBSCRIBE is confirmed while the first room's read is still held.
    await _until(lambda: len(dispatcher._unplaced) == len(rooms) - 1, "all rooms confirmed")
    # And the first room's own notice, sent after its position was read, is not lost.
    early = await worker.append(rooms[0], EventDraft(EventKind.PAGE_UPDATED, {"n": 0}))
    await _until(lambda: dispatcher._rooms[channel(rooms[0])].missed, "the notice came")
    held.release.set()
    await asyncio.gather(*(event.wait() for event in started.values()))
    later = {room: await worker.append(room, chunk("m", room)) for room in rooms[1:]}
    await asyncio.wait_for(asyncio.gather(first, *others), GUARD)

    assert held.reads == [[rooms[0]], rooms[1:]]
    assert got == {rooms[0]: early, **later}
