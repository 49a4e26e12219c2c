"""``RedisStreamBroker`` and its dispatcher against the machine's real Redis."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from adapters.redis.dispatcher import RedisRoomDispatcher, _Listener
from adapters.redis.stream import RedisStreamBroker
from adapters.redis.stream_layout import ZERO, Entry, RoomReader, StreamKeys, history_lost
from mocheong_core.chat.errors import RunCancelled, StaleAttempt
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

pytestmark = pytest.mark.redis

# Hang guard only: a broken dispatcher fails the test instead of blocking the run.
GUARD = 30.0

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


async def test_append_history_and_cursors(make_broker: BrokerFactory) -> None:
    broker, _ = await make_broker()
    await broker.claim("m1", 1, 30)
    written = [
        await broker.append("page-1", chunk("m1", "안녕"), Fence("m1", 1)),
        await broker.append("page-1", EventDraft(EventKind.PAGE_UPDATED, {"version": 2})),
        await broker.append("page-1", chunk("m1", "하세요"), Fence("m1", 1)),
    ]

    everything = await broker.history("page-1", None)
    after_first = await broker.history("page-1", written[0].cursor)
    after_last = await broker.history("page-1", written[-1].cursor)

    assert everything.complete
    assert everything.events == written
    assert after_first.complete
    assert after_first.events == written[1:]
    assert after_last.complete
    assert after_last.events == []
    assert len({event.cursor for event in written}) == 3
    assert written[2].wire() == {
        "event": "message-chunk",
        "data": {"delta": "하세요", "cursor": written[2].cursor, "message_id": "m1", "seq": 2},
    }
    assert written[1].seq == 0
    assert written[1].message_id is None


async def test_rooms_are_separate(make_broker: BrokerFactory) -> None:
    broker, _ = await make_broker()
    first = await broker.append("page-a", EventDraft(EventKind.PAGE_UPDATED, {"v": 1}))
    await broker.append("page-b", EventDraft(EventKind.PAGE_UPDATED, {"v": 2}))

    assert (await broker.history("page-a", None)).events == [first]


async def test_seq_starts_at_one_per_message_and_attempt_without_gaps(
    make_broker: BrokerFactory,
) -> None:
    broker, _ = await make_broker()
    await broker.claim("m1", 1, 30)
    await broker.claim("m2", 1, 30)
    seqs: dict[tuple[str, int], list[int]] = {}
    for index in range(6):
        message = "m1" if index % 2 else "m2"
        kind = EventKind.COMPONENT if index == 3 else EventKind.CHUNK
        event = await broker.append("p", EventDraft(kind, {"i": index}, message), Fence(message, 1))
        seqs.setdefault((message, 1), []).append(event.seq)
    await broker.claim("m1", 2, 30)
    for _ in range(2):
        event = await broker.append("p", chunk("m1", "x"), Fence("m1", 2))
        seqs.setdefault(("m1", 2), []).append(event.seq)
    final = await broker.append(
        "p", EventDraft(EventKind.MESSAGE, {"content": "x"}, "m1"), Fence("m1", 2)
    )

    assert seqs == {("m2", 1): [1, 2, 3], ("m1", 1): [1, 2, 3], ("m1", 2): [1, 2]}
    assert final.seq == 0
    assert final.attempt == 2


async def test_fence_refuses_every_write_of_a_stale_attempt(
    make_broker: BrokerFactory,
) -> None:
    broker, _ = await make_broker()
    await broker.claim("m1", 1, 30)
    await broker.append("p", chunk("m1", "old"), Fence("m1", 1))
    await broker.claim("m1", 2, 30)

    refused = 0
    for kind in (EventKind.CHUNK, EventKind.COMPONENT, EventKind.MESSAGE, EventKind.RESET):
        with pytest.raises(StaleAttempt):
            await broker.append("p", EventDraft(kind, {}, "m1"), Fence("m1", 1))
        refused += 1
    with pytest.raises(StaleAttempt):
        await broker.claim("m1", 1, 30)  # the old attempt cannot take the fence back
    await broker.append("p", chunk("m1", "new"), Fence("m1", 2))

    events = (await broker.history("p", None)).events
    assert refused == 4
    assert [(e.attempt, e.data.get("delta")) for e in events] == [(1, "old"), (2, "new")]


async def test_an_unclaimed_message_cannot_be_written_fenced(make_broker: BrokerFactory) -> None:
    broker, _ = await make_broker()

    with pytest.raises(StaleAttempt):
        await broker.append("p", chunk("never-claimed", "x"), Fence("never-claimed", 1))
    assert (await broker.history("p", None)).events == []


async def test_cancel_stops_content_but_lets_the_run_record_its_ending(
    make_broker: BrokerFactory,
) -> None:
    broker, _ = await make_broker()
    other, _ = await make_broker()  # the cancel comes through another process
    await broker.claim("m1", 1, 30)
    await broker.append("p", chunk("m1", "partial"), Fence("m1", 1))
    assert not await broker.cancel_requested("m1")

    await other.request_cancel("m1")

    assert await broker.cancel_requested("m1")
    for kind in (EventKind.CHUNK, EventKind.COMPONENT, EventKind.RESET):
        with pytest.raises(RunCancelled):
            await broker.append("p", EventDraft(kind, {}, "m1"), Fence("m1", 1))
    ending = await broker.append(
        "p", EventDraft(EventKind.MESSAGE, {"status": "cancelled"}, "m1"), Fence("m1", 1)
    )
    events = (await broker.history("p", None)).events
    assert [e.kind for e in events] == [EventKind.CHUNK, EventKind.MESSAGE]
    assert events[-1] == ending


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    drops=st.lists(st.integers(min_value=1, max_value=15), max_size=4),
    page=st.integers(min_value=1, max_value=6),
)
async def test_resume_from_any_cursor_gives_the_rest_exactly_once(
    make_broker: BrokerFactory, drops: list[int], page: int
) -> None:
    broker, _ = await make_broker()
    room = f"resume-{uuid.uuid4().hex}"
    await broker.claim(room, 1, 30)
    for index in range(15):
        await broker.append(room, chunk(room, str(index)), Fence(room, 1))

    # A client that reads in pages and, after its n-th event, loses the rest of that page
    # (the connection dropped) and resumes from the cursor of the last event it rendered.
    pending_drops = sorted(set(drops))
    rendered: list[StreamEvent] = []
    cursor: str | None = None
    while True:
        result = await broker.history(room, cursor, limit=page)
        assert result.complete
        if not result.events:
            break
        for event in result.events:
            rendered.append(event)
            cursor = event.cursor
            if pending_drops and len(rendered) == pending_drops[0]:
                pending_drops.pop(0)
                break

    assert [e.data["delta"] for e in rendered] == [str(i) for i in range(15)]
    assert [e.seq for e in rendered] == list(range(1, 16))


async def test_a_listener_on_one_process_gets_what_another_appends(
    make_broker: BrokerFactory,
) -> None:
    api_a, _ = await make_broker()
    api_b, _ = await make_broker()
    worker, _ = await make_broker()
    await worker.claim("m1", 1, 30)

    async with api_a.listen("p") as on_a, api_b.listen("p") as on_b:
        written = [await worker.append("p", chunk("m1", str(i)), Fence("m1", 1)) for i in range(20)]
        got_a, got_b = await take(on_a, 20), await take(on_b, 20)

    assert got_a == written
    assert got_b == written


async def test_listen_first_then_history_misses_nothing(make_broker: BrokerFactory) -> None:
    api, _ = await make_broker()
    worker, _ = await make_broker()
    await worker.claim("m1", 1, 30)
    before = [await worker.append("p", chunk("m1", str(i)), Fence("m1", 1)) for i in range(3)]

    async with api.listen("p") as live:
        during = [await worker.append("p", chunk("m1", "d"), Fence("m1", 1)) for _ in range(3)]
        replayed = (await api.history("p", before[0].cursor)).events
        got = await take(live, 3)

    assert got == during
    assert replayed == before[1:] + during


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


async def test_listeners_come_and_go(make_broker: BrokerFactory) -> None:
    api, _ = await make_broker()
    for round_ in range(3):
        async with api.listen("p") as live:
            event = await api.append("p", EventDraft(EventKind.PAGE_UPDATED, {"r": round_}))
            assert await take(live, 1) == [event]


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


@pytest.mark.parametrize("cursor", ["", "garbage", "nodot", "abc.x-y"])
async def test_a_malformed_cursor_is_incomplete(make_broker: BrokerFactory, cursor: str) -> None:
    broker, _ = await make_broker()
    event = await broker.append("p", EventDraft(EventKind.PAGE_UPDATED, {}))

    result = await broker.history("p", cursor)

    assert result.complete is False
    assert result.events == [event]


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


async def test_head_is_where_later_events_start(make_broker: BrokerFactory) -> None:
    broker, _ = await make_broker()
    empty_head = await broker.head("p")
    assert await broker.head("p") == empty_head  # the epoch it gave the room stays

    first = await broker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"v": 1}))
    head = await broker.head("p")
    second = await broker.append("p", EventDraft(EventKind.PAGE_UPDATED, {"v": 2}))

    from_empty = await broker.history("p", empty_head)
    from_head = await broker.history("p", head)
    assert head == first.cursor
    assert from_empty.complete
    assert from_empty.events == [first, second]
    assert from_head.complete
    assert from_head.events == [second]


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
