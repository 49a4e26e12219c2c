"""The in-memory stream broker keeps the StreamBroker promise inside one process."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory.stream import InMemoryStreamBroker
from mocheong_core.chat.errors import RunCancelled, StaleAttempt
from mocheong_core.chat.stream import HISTORY_LOST, EventDraft, EventKind, Fence, Position

ROOM = "page-p1"


def chunk(delta: str, message_id: str = "m1") -> EventDraft:
    return EventDraft(EventKind.CHUNK, {"message_id": message_id, "delta": delta}, message_id)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_fenced_appends_number_chunks_per_attempt_and_refuse_stale_ones() -> None:
    broker = InMemoryStreamBroker()
    await broker.claim("m1", 1, 10)
    first = await broker.append(ROOM, chunk("a"), Fence("m1", 1))
    second = await broker.append(ROOM, chunk("b"), Fence("m1", 1))
    await broker.claim("m1", 2, 10)
    with pytest.raises(StaleAttempt):
        await broker.append(ROOM, chunk("c"), Fence("m1", 1))
    with pytest.raises(StaleAttempt):
        await broker.claim("m1", 1, 10)
    retried = await broker.append(ROOM, chunk("d"), Fence("m1", 2))

    assert [(e.attempt, e.seq) for e in (first, second, retried)] == [(1, 1), (1, 2), (2, 1)]
    earlier, later = Position.parse(first.cursor), Position.parse(second.cursor)
    assert earlier is not None
    assert later is not None
    assert later.follows(earlier)


async def test_an_unclaimed_message_refuses_fenced_appends() -> None:
    with pytest.raises(StaleAttempt):
        await InMemoryStreamBroker().append(ROOM, chunk("a"), Fence("m1", 1))


async def test_a_cancel_refuses_parts_but_lets_the_ending_through() -> None:
    broker = InMemoryStreamBroker()
    await broker.claim("m1", 1, 10)
    assert not await broker.cancel_requested("m1")
    await broker.request_cancel("m1")

    assert await broker.cancel_requested("m1")
    with pytest.raises(RunCancelled):
        await broker.append(ROOM, chunk("a"), Fence("m1", 1))
    ending = EventDraft(EventKind.CANCELLED, {"message_id": "m1"}, "m1")
    assert (await broker.append(ROOM, ending, Fence("m1", 1))).kind is EventKind.CANCELLED


@given(total=st.integers(0, 30), retention=st.integers(1, 10), after=st.integers(0, 30))
async def test_history_is_complete_exactly_inside_the_retained_window(
    total: int, retention: int, after: int
) -> None:
    broker = InMemoryStreamBroker(retention=retention)
    start = await broker.head(ROOM)
    events = [await broker.append(ROOM, chunk(str(n), f"m{n}")) for n in range(total)]
    cursors = [start] + [e.cursor for e in events]
    after = min(after, total)

    history = await broker.history(ROOM, cursors[after], limit=100)

    oldest_kept = max(total - retention, 0)
    assert history.complete == (after >= oldest_kept)
    if history.complete:
        assert history.events == events[after:]


async def test_history_pages_and_refuses_foreign_cursors() -> None:
    broker = InMemoryStreamBroker()
    events = [await broker.append(ROOM, chunk(str(n))) for n in range(5)]

    page = await broker.history(ROOM, None, limit=2)
    assert (page.events, page.complete) == (events[:2], True)
    for foreign in ("garbage", "other.1-0", events[0].cursor.replace("-0", "-1"), "x.99-0"):
        assert not (await broker.history(ROOM, foreign)).complete
    assert not (await broker.history("page-unknown", events[0].cursor)).complete
    assert await broker.head(ROOM) == events[-1].cursor


async def test_an_idle_room_is_dropped_and_comes_back_with_a_new_epoch() -> None:
    clock = Clock()
    broker = InMemoryStreamBroker(ttl_seconds=100, clock=clock)
    old = await broker.append(ROOM, chunk("a"))
    clock.now = 1000
    await broker.head("page-other")  # any use lets the broker drop what expired

    new = await broker.append(ROOM, chunk("b"))

    assert Position.parse(new.cursor).epoch != Position.parse(old.cursor).epoch  # type: ignore[union-attr]
    assert not (await broker.history(ROOM, old.cursor)).complete
    assert not await broker.cancel_requested("m1")


async def test_a_listener_gets_every_event_appended_after_it_started_in_order() -> None:
    broker = InMemoryStreamBroker()
    await broker.append(ROOM, chunk("before"))
    async with broker.listen(ROOM) as live:
        sent = [await broker.append(ROOM, chunk(str(n))) for n in range(5)]
        received = [await anext(live) for _ in sent]
    assert received == sent


async def test_a_listener_that_falls_behind_the_window_is_told_history_was_lost() -> None:
    broker = InMemoryStreamBroker(retention=3)
    async with broker.listen(ROOM) as live:
        for n in range(10):
            await broker.append(ROOM, chunk(str(n)))
        lost = await anext(live)
        after = await broker.append(ROOM, chunk("next"))
        assert await anext(live) == after

    assert (lost.kind, lost.message_id, lost.data) == (
        EventKind.RESET,
        None,
        {"reason": HISTORY_LOST},
    )
    assert (await broker.history(ROOM, lost.cursor)).events == [after]


async def test_a_waiting_listener_wakes_on_append() -> None:
    broker = InMemoryStreamBroker()
    async with broker.listen(ROOM) as live:
        waiting = asyncio.ensure_future(anext(live))
        await asyncio.sleep(0)
        sent = await broker.append(ROOM, chunk("x"))
        assert await waiting == sent
