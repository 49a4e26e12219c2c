"""The ``StreamBroker`` port's contract, run against every distributed adapter: Redis Streams
with pub/sub and NATS JetStream, each on the machine's real server.

Each broker a factory makes is one simulated process (its own connection); brokers of one
test share a prefix, and the prefix is unique per test and cleaned up afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from adapters.nats.stream import NatsStreamBroker
from adapters.redis.dispatcher import RedisRoomDispatcher
from adapters.redis.stream import RedisStreamBroker
from mocheong_core.chat.errors import RunCancelled, StaleAttempt
from mocheong_core.chat.ports import StreamBroker
from mocheong_core.chat.stream import EventDraft, EventKind, Fence, Position, StreamEvent
from tests import services
from tests.integration.stream_support import GUARD, BrokerFactory, chunk, nats_factory, settle, take


async def _redis_factory(stack: AsyncExitStack) -> BrokerFactory:
    services.require_redis()
    prefix = services.unique_redis_prefix()
    admin = Redis.from_url(services.REDIS_URL)

    async def clean() -> None:
        keys = [key async for key in admin.scan_iter(f"{prefix}*")]
        if keys:
            await admin.delete(*keys)
        await admin.aclose()

    stack.push_async_callback(clean)

    async def make(**options: Any) -> tuple[StreamBroker, Any]:
        client = Redis.from_url(services.REDIS_URL)
        stack.push_async_callback(client.aclose)
        dispatcher = RedisRoomDispatcher(
            client, prefix=prefix, ttl_seconds=120, ping_interval=0.2, **options
        )
        stack.push_async_callback(dispatcher.aclose)
        broker = RedisStreamBroker(
            client, dispatcher, prefix=prefix, ttl_seconds=120, maxlen=10_000
        )
        return broker, dispatcher

    return make


@pytest.fixture(
    params=[
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("nats", marks=pytest.mark.nats),
    ]
)
async def make_broker(request: pytest.FixtureRequest) -> AsyncIterator[BrokerFactory]:
    async with AsyncExitStack() as stack:
        if request.param == "redis":
            yield await _redis_factory(stack)
        else:
            yield await nats_factory(stack)


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


async def test_a_slow_listener_gets_everything_in_order(make_broker: BrokerFactory) -> None:
    api, _ = await make_broker(queue_size=4)
    worker, _ = await make_broker()
    await worker.claim("m1", 1, 30)

    async with api.listen("p") as live:
        written = [await worker.append("p", chunk("m1", str(i)), Fence("m1", 1)) for i in range(60)]
        await settle(api, worker)  # all 60 reached the listener while nobody read
        got = await take(live, 60)

    assert got == written


async def test_a_listener_joining_while_events_flow_misses_none_and_repeats_none(
    make_broker: BrokerFactory,
) -> None:
    """A client resuming mid-stream the way the room hub does it: listen, read what came after
    its cursor, then take live events, dropping those the read already gave."""
    api, _ = await make_broker()
    worker, _ = await make_broker()
    await worker.claim("m1", 1, 30)
    written: list[StreamEvent] = []
    flowing, stop = asyncio.Event(), asyncio.Event()

    async def write() -> None:
        while not stop.is_set():
            written.append(await worker.append("p", chunk("m1", str(len(written))), Fence("m1", 1)))
            if len(written) == 30:
                flowing.set()
        # Appended after the joiner's read, so its live events must reach it.
        written.append(await worker.append("p", chunk("m1", "end"), Fence("m1", 1)))

    async with api.listen("elsewhere"):  # this process's live delivery is already running
        writing = asyncio.create_task(write())
        await asyncio.wait_for(flowing.wait(), GUARD)
        cursor = written[10].cursor
        async with api.listen("p") as live:
            replayed = (await api.history("p", cursor)).events
            stop.set()
            await asyncio.wait_for(writing, GUARD)
            seen = Position.parse(replayed[-1].cursor if replayed else cursor)
            assert seen is not None
            fresh: list[StreamEvent] = []
            while not fresh or fresh[-1] != written[-1]:
                event = (await take(live, 1))[0]
                position = Position.parse(event.cursor)
                assert position is not None
                if position.follows(seen):
                    fresh.append(event)
                    seen = position

    assert replayed + fresh == written[11:]


async def test_listeners_come_and_go(make_broker: BrokerFactory) -> None:
    api, _ = await make_broker()
    for round_ in range(3):
        async with api.listen("p") as live:
            event = await api.append("p", EventDraft(EventKind.PAGE_UPDATED, {"r": round_}))
            assert await take(live, 1) == [event]


@pytest.mark.parametrize("cursor", ["", "garbage", "nodot", "abc.x-y"])
async def test_a_malformed_cursor_is_incomplete(make_broker: BrokerFactory, cursor: str) -> None:
    broker, _ = await make_broker()
    event = await broker.append("p", EventDraft(EventKind.PAGE_UPDATED, {}))

    result = await broker.history("p", cursor)

    assert result.complete is False
    assert result.events == [event]


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


@pytest.mark.nats
async def test_nats_makes_a_lost_stream_again_on_the_next_append() -> None:
    async with AsyncExitStack() as stack:
        make = await nats_factory(stack)
        writer, _ = await make()
        other, _ = await make()
        before = await writer.append("p", EventDraft(EventKind.PAGE_UPDATED, {"v": 1}))
        assert isinstance(other, NatsStreamBroker)
        await other.delete()  # the server lost the stream; the writer still holds its epoch

        after = await writer.append("p", EventDraft(EventKind.PAGE_UPDATED, {"v": 2}))

        result = await writer.history("p", before.cursor)
        assert result.complete is False  # a new stream, a new epoch: the old cursor is stale
        assert result.events == [after]
