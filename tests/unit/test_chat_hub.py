"""Short R1/R3-style runs on the in-memory broker: many concurrent streams through one
process's room hub, clients dropping and resuming at random (seeded), slow clients falling
back to catching up, and runs killed mid-stream then retried by the sweeper. Every check is
an invariant of the promise (no gap, no duplicate, the stored text), never a duration."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from adapters.memory.stream import InMemoryStreamBroker
from entrypoints.runtime.rooms import FRESH, RoomHub
from mocheong_core.chat.model import ChatSession, MessageStatus
from mocheong_core.chat.policy import ChatPolicy
from mocheong_core.chat.ports import ModelPart, ModelTurn, TextDelta
from mocheong_core.chat.replay import Replay
from mocheong_core.chat.stream import EventDraft, EventKind, StreamEvent
from tests.unit.chat_harness import OWNER, Chat
from tests.unit.test_chat_replay import Client

# A safety net for a broken run: it ends the test, it measures nothing.
RUN_LIMIT = 120.0
ROOMS = ["page-p0", "page-p1", "page-p2", "page-p3"]


class PacedModel:
    """Answers in ``parts`` words with a short pause before each."""

    label: dict[str, Any] = {"model": "paced"}  # noqa: RUF012

    def __init__(self, parts: int, rng: random.Random) -> None:
        self._parts = parts
        self._rng = rng

    async def stream(self, turn: ModelTurn) -> AsyncIterator[ModelPart]:
        for n in range(self._parts):
            await asyncio.sleep(self._rng.uniform(0, 0.004))
            yield TextDelta(f"{turn.question}:{n} ")


class TaskQueue:
    """Runs each job as a task of this process; it may kill every first attempt once that
    has streamed a little, as a worker dying half-way through its answer would."""

    def __init__(self, chat: Chat, *, kill_first_attempts: bool) -> None:
        self._chat = chat
        self._kill = kill_first_attempts
        self.tasks: list[asyncio.Task[None]] = []
        self._ids: set[str] = set()

    async def enqueue(
        self, task: str, payload: dict[str, Any], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        if job_id in self._ids:
            return False
        self._ids.add(job_id)
        self.tasks.append(asyncio.create_task(self._run(payload["message_id"], payload["attempt"])))
        return True

    async def _run(self, message_id: str, attempt: int) -> None:
        run = asyncio.create_task(self._chat.run_turn()(message_id, attempt))
        if self._kill and attempt == 1:
            await streamed(self._chat, message_id, seq=2)
            run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run


async def streamed(chat: Chat, message_id: str, *, seq: int) -> None:
    """Waits until the message's chunk ``seq`` (or its final message) was appended."""
    session = await chat.chats.get_session((await chat.message(message_id)).session_id)
    assert session is not None
    room = session.room

    def reached(events: list[StreamEvent]) -> bool:
        return any(
            e.message_id == message_id and (e.seq >= seq or e.kind is EventKind.MESSAGE)
            for e in events
        )

    async with chat.broker.listen(room) as live:
        if reached(await chat.events(room)):
            return
        async for _ in live:
            if reached(await chat.events(room)):
                return


class Roamer:
    """One client: subscribes, drops at a random moment and resumes from its last cursor
    until told the runs are over, then resumes once more until it holds every final message.
    A slow one takes its time over each frame, so its send queue overflows."""

    def __init__(self, hub: RoomHub, chat: Chat, session: ChatSession, slow: bool) -> None:
        self.hub, self.chat, self.session, self.slow = hub, chat, session, slow
        self.client = Client()
        self.subscriptions = 0
        self._expected: set[str] | None = None
        self._caught_up = asyncio.Event()

    def expect(self, message_ids: set[str]) -> None:
        self._expected = message_ids
        self._check()

    def _check(self) -> None:
        views = self.client.messages
        if self._expected is not None and all(
            i in views and views[i].final for i in self._expected
        ):
            self._caught_up.set()

    async def _deliver(self, _event: StreamEvent, frame: str) -> None:
        if self.slow:
            await asyncio.sleep(self._rng.uniform(0, 0.002))
        self.client.apply(json.loads(frame))
        self._check()

    async def _replay(self, after: str | None) -> Replay:
        return await self.chat.replay()(self.session, after)

    async def _visit(self, start: str | None, until: asyncio.Event, pause: float) -> None:
        self.subscriptions += 1
        async with self.hub.subscribe(
            self.session.room, self._deliver, self._replay, start
        ) as feeding:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(until.wait(), pause)
            assert not feeding.done()

    async def roam(self, rng: random.Random, over: asyncio.Event) -> None:
        self._rng = rng
        start: str | None = FRESH
        while not over.is_set():
            await self._visit(start, over, rng.uniform(0.005, 0.04))
            start = self.client.cursor
        await self._visit(self.client.cursor, self._caught_up, RUN_LIMIT)


async def drive(
    chat: Chat, *, clients_per_room: int, messages_per_room: int, seed: int
) -> tuple[list[str], list[Roamer]]:
    """Runs the streams with roaming clients and checks every client against the database;
    returns the assistant messages' ids and the clients."""
    rng = random.Random(seed)
    hub = RoomHub(chat.broker, queue_size=4)
    roamers: list[Roamer] = []
    for room in ROOMS:
        page = room.removeprefix("page-")
        chat.pages.owners[page] = OWNER
        session = await chat.open_session()(OWNER, page_id=page)
        roamers += [Roamer(hub, chat, session, slow=n % 2 == 1) for n in range(clients_per_room)]
    over = asyncio.Event()
    roaming = [asyncio.create_task(r.roam(random.Random(rng.random()), over)) for r in roamers]
    for m in range(messages_per_room):
        for session_id in {r.session.id for r in roamers}:
            await chat.submit()(OWNER, f"q{m}", session_id=session_id)
    await settle(chat)
    stored: dict[str, dict[str, dict[str, str]]] = {}
    for roamer in roamers:
        listed = await chat.list_messages()(OWNER, roamer.session.id, limit=500, cursor=None)
        stored[roamer.session.id] = {
            m.id: {"content": m.content, "status": m.status.value}
            for m in listed.items
            if m.role.value == "assistant"
        }
        roamer.expect(set(stored[roamer.session.id]))
    over.set()
    await asyncio.wait_for(asyncio.gather(*roaming), RUN_LIMIT)
    await hub.close()

    for roamer in roamers:
        expected = stored[roamer.session.id]
        assert len(expected) == messages_per_room
        assert roamer.client.check_against(expected) == []
        assert (roamer.client.gaps, roamer.client.duplicates, roamer.client.after_final) == (
            0,
            0,
            0,
        )
    assert sum(r.subscriptions for r in roamers) > 2 * len(roamers)  # they did drop and resume
    return sorted({i for by_id in stored.values() for i in by_id}), roamers


async def settle(chat: Chat) -> None:
    """Waits for every run; sweeps lapsed leases (moving the clock) while any is unfinished."""
    queue = chat.queue
    assert isinstance(queue, TaskQueue)
    while True:
        await asyncio.wait_for(asyncio.gather(*queue.tasks), RUN_LIMIT)
        in_flight = [
            m
            for session in await all_sessions(chat)
            for m in (await chat.list_messages()(OWNER, session, limit=500, cursor=None)).items
            if not m.status.final
        ]
        if not in_flight:
            return
        chat.clock.advance(chat.policy.lease_seconds + 1)
        await chat.sweep()()


async def all_sessions(chat: Chat) -> list[str]:
    return [(await chat.open_session()(OWNER, room=room)).id for room in ROOMS]


def chat_with(
    seed: int, *, retention: int, kill: bool = False, max_attempts: int = 3, parts: int = 40
) -> Chat:
    policy = ChatPolicy(coalesce_seconds=0.002, max_attempts=max_attempts, submits_per_minute=1000)
    chat = Chat(PacedModel(parts, random.Random(seed)), policy=policy, retention=retention)
    chat.queue = TaskQueue(chat, kill_first_attempts=kill)  # type: ignore[assignment]
    return chat


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_r1_streams_survive_clients_dropping_and_resuming(seed: int) -> None:
    chat = chat_with(seed, retention=10_000)
    await drive(chat, clients_per_room=5, messages_per_room=4, seed=seed)


async def test_r1_clients_outside_a_short_history_resync_from_snapshots() -> None:
    _, roamers = await drive(
        chat_with(3, retention=6), clients_per_room=3, messages_per_room=2, seed=3
    )
    assert any(r.client.snapshots for r in roamers)


async def test_r3_runs_killed_mid_stream_are_retried_and_fenced_out() -> None:
    chat = chat_with(4, retention=10_000, kill=True)
    replies, _ = await drive(chat, clients_per_room=2, messages_per_room=2, seed=4)

    for message_id in replies:
        stored = await chat.message(message_id)
        assert (stored.status, stored.attempt) == (MessageStatus.COMPLETED, 2)
        session = await chat.chats.get_session(stored.session_id)
        assert session is not None
        events = [e for e in await chat.events(session.room) if e.message_id == message_id]
        resets = [e for e in events if e.kind is EventKind.RESET]
        assert [r.data["reason"] for r in resets] == ["worker_lost"]
        after_reset = events[events.index(resets[0]) + 1 :]
        assert {e.attempt for e in after_reset if e.seq} == {2}  # nothing of attempt 1 after it


async def test_r3_a_run_out_of_attempts_ends_failed_never_streaming() -> None:
    chat = chat_with(5, retention=10_000, kill=True, max_attempts=1)
    replies, _ = await drive(chat, clients_per_room=2, messages_per_room=1, seed=5)

    for message_id in replies:
        assert (await chat.message(message_id)).status is MessageStatus.FAILED


class CountingBroker(InMemoryStreamBroker):
    """Counts the listeners opened on it."""

    listens = 0

    def listen(self, room: str) -> AbstractAsyncContextManager[AsyncIterator[StreamEvent]]:
        self.listens += 1
        return super().listen(room)


@pytest.mark.parametrize(("linger", "listens"), [(0.0, 2), (60.0, 1)])
async def test_a_room_keeps_its_listener_for_a_client_that_comes_back(
    linger: float, listens: int
) -> None:
    broker = CountingBroker()
    hub = RoomHub(broker, queue_size=8, linger_seconds=linger)
    delivered: list[str] = []

    async def deliver(event: StreamEvent, frame: str) -> None:
        delivered.append(frame)

    async def replay(after: str | None) -> Replay:
        return Replay([], after or await broker.head("page-x"))

    for _ in range(2):
        async with hub.subscribe("page-x", deliver, replay, FRESH):
            pass
    await hub.close()

    assert broker.listens == listens
    assert hub.rooms == 0


class GatedBroker(InMemoryStreamBroker):
    """Its listeners start only once ``gate`` is open, as a new room's listener waits for its
    SUBSCRIBE to be answered."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    @contextlib.asynccontextmanager
    async def _listen(self, room: str) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        await self.gate.wait()
        async with super()._listen(room) as events:
            yield events


async def test_a_resuming_client_gets_what_it_missed_before_the_rooms_listener_starts() -> None:
    broker = GatedBroker()
    room = "page-x"
    start = await broker.head(room)

    async def page_updated() -> str:
        return (await broker.append(room, EventDraft(EventKind.PAGE_UPDATED, {}))).cursor

    missed = [await page_updated(), await page_updated()]
    hub = RoomHub(broker, queue_size=8)
    delivered: list[str] = []
    arrived = asyncio.Event()

    async def deliver(event: StreamEvent, _frame: str) -> None:
        delivered.append(event.cursor)
        arrived.set()

    async def replay(after: str | None) -> Replay:
        history = await broker.history(room, after, 100)
        return Replay(history.events, history.events[-1].cursor if history.events else after)

    async def delivered_count(count: int) -> None:
        async with asyncio.timeout(RUN_LIMIT):
            while len(delivered) < count:
                arrived.clear()
                await arrived.wait()

    async with hub.subscribe(room, deliver, replay, start):
        await delivered_count(2)
        assert delivered == missed  # while the room's listener has not started
        between = await page_updated()  # after the first read, before the listener starts
        broker.gate.set()
        live = await page_updated()
        await delivered_count(4)
    await hub.close()

    assert delivered == [*missed, between, live]
