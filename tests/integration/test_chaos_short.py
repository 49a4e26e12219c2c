"""Short versions of chaos runs R1 and R3 on the real Redis and NATS, driven in-process.

Each simulated process has its own connection and stream broker (API processes also their
``RoomHub``); the database is the in-memory chat repository they share. Clients follow
the WebSocket protocol's rules through the hubs: subscribe, then drop and resume from their
last cursor at random moments, half the time on the other API process. Every assertion is an
invariant (no gap, no duplicate, the stored text), never a duration.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import attrs
import pytest
from redis.asyncio import Redis

from adapters.memory.chat import InMemoryChatRepository, InMemoryPageAccess
from adapters.memory.pages import InMemoryPageRepository
from adapters.memory.ratelimit import InMemoryRateLimiter
from adapters.memory.session_cache import LocalSessionCache
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.nats.connection import ConnectionEvents, connect_nats
from adapters.nats.stream import NatsStreamBroker
from adapters.redis.dispatcher import RedisRoomDispatcher
from adapters.redis.stream import RedisStreamBroker
from entrypoints.runtime.rooms import RoomHub
from mocheong_core.chat.access import ChatAccess
from mocheong_core.chat.ending import MessageEnder
from mocheong_core.chat.errors import StaleAttempt
from mocheong_core.chat.model import ChatSession, MessageStatus
from mocheong_core.chat.policy import ChatPolicy
from mocheong_core.chat.ports import ChatModel, ModelPart, ModelTurn, StreamBroker, TextDelta
from mocheong_core.chat.replay import Replay, ReplayRoom
from mocheong_core.chat.runner import RunTurn
from mocheong_core.chat.stream import EventDraft, EventKind, Fence, StreamEvent
from mocheong_core.chat.sweeper import WORKER_LOST, SweepTurns
from mocheong_core.chat.turns import TurnInTransaction
from mocheong_core.chat.usecases import OpenSession, Submit
from mocheong_core.kernel.clock import SystemClock
from tests import services
from tests.chat_ledger import Ledger

OWNER = "owner"
GUARD = 60.0  # hang guard only


class PacedModel:
    """Answers with ``parts`` numbered deltas, one every ``pause`` seconds."""

    label: dict[str, Any] = {"model": "paced"}  # noqa: RUF012

    def __init__(self, parts: int, pause: float) -> None:
        self.parts, self.pause = parts, pause
        self.started: dict[str, asyncio.Event] = {}

    async def stream(self, turn: ModelTurn) -> AsyncIterator[ModelPart]:
        for index in range(self.parts):
            await asyncio.sleep(self.pause)
            yield TextDelta(f"{turn.session.page_id}:{index} ")
            if index == 3:
                self.started.setdefault(turn.session.page_id, asyncio.Event()).set()


@attrs.define
class Api:
    broker: StreamBroker
    hub: RoomHub


class World:
    """The shared database, API processes, workers, and an inline job queue."""

    def __init__(self, stack: AsyncExitStack, kind: str, prefix: str, policy: ChatPolicy) -> None:
        self._stack = stack
        self.kind = kind
        self.prefix = prefix
        self.policy = policy
        self.pages = InMemoryPageAccess({})
        self.sessions = LocalSessionCache(max_entries=100, ttl_seconds=3600)
        self.chats = InMemoryChatRepository(self.pages)
        self.clock = SystemClock()
        self.limiter = InMemoryRateLimiter()
        self.apis: list[Api] = []
        self.workers: list[tuple[StreamBroker, ChatModel]] = []
        self.runs: dict[tuple[str, int], asyncio.Task[Any]] = {}
        self.replies: dict[str, str] = {}  # page id → its assistant message id
        self.route: Callable[[int], int] = lambda attempt: 0  # which worker runs an attempt
        self._job_ids: set[str] = set()

    async def broker(self) -> StreamBroker:
        """A new process's broker, on its own connection."""
        if self.kind == "nats":
            events = ConnectionEvents()
            nc = await connect_nats(services.NATS_URL, name=self.prefix, events=events)
            self._stack.push_async_callback(nc.close)
            broker = NatsStreamBroker(nc, prefix=self.prefix, ttl_seconds=120)
            events.on_reconnect.append(broker.reconnected)
            self._stack.push_async_callback(broker.aclose)
            return broker
        client = Redis.from_url(services.REDIS_URL)
        self._stack.push_async_callback(client.aclose)
        dispatcher = RedisRoomDispatcher(client, prefix=self.prefix, ttl_seconds=120)
        self._stack.push_async_callback(dispatcher.aclose)
        return RedisStreamBroker(
            client, dispatcher, prefix=self.prefix, ttl_seconds=120, maxlen=5000
        )

    async def add_api(self) -> None:
        broker = await self.broker()
        hub = RoomHub(broker, queue_size=64, linger_seconds=5.0)
        self._stack.push_async_callback(hub.close)
        self.apis.append(Api(broker, hub))

    async def add_worker(self, model: ChatModel) -> None:
        self.workers.append((await self.broker(), model))

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.chats)

    def ender(self, broker: StreamBroker, uow: InMemoryUnitOfWork) -> MessageEnder:
        return MessageEnder(self.chats, broker, uow, self.clock)

    async def enqueue(
        self, task: str, payload: dict[str, Any], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        if job_id in self._job_ids:
            return False
        self._job_ids.add(job_id)
        broker, model = self.workers[self.route(payload["attempt"])]
        uow = self.uow()
        run = RunTurn(
            self.chats,
            InMemoryPageRepository(),
            self.sessions,
            model,
            broker,
            self.ender(broker, uow),
            uow,
            self.clock,
            self.policy,
        )
        key = (payload["message_id"], payload["attempt"])
        self.runs[key] = asyncio.create_task(run(payload["message_id"], payload["attempt"]))
        return True

    async def session(self, page_id: str) -> ChatSession:
        self.pages.owners[page_id] = OWNER
        access = ChatAccess(self.chats, self.pages, self.sessions, self.uow(), self.clock)
        return await OpenSession(access)(OWNER, page_id=page_id)

    async def submit(self, api: Api, page_id: str, text: str) -> tuple[str, str]:
        uow = self.uow()
        submit = Submit(
            OpenSession(ChatAccess(self.chats, self.pages, self.sessions, uow, self.clock)),
            self.chats,
            TurnInTransaction(self.chats, uow),
            api.broker,
            self,
            self.limiter,
            uow,
            self.clock,
            self.policy,
        )
        accepted = await submit(OWNER, text, page_id=page_id)
        self.replies[page_id] = accepted.turn.assistant.id
        return accepted.turn.user.id, accepted.turn.assistant.id

    async def in_flight(self) -> list[str]:
        stuck = []
        for message_id in self.replies.values():
            message = await self.chats.get_message(message_id)
            if message is None or not message.status.final:
                stuck.append(message_id)
        return stuck

    def replay_on(self, api: Api, session: ChatSession) -> Any:
        async def replay(after: str | None) -> Replay:
            return await ReplayRoom(self.chats, api.broker, self.uow(), self.policy)(session, after)

        return replay

    async def sweep_forever(self) -> None:
        broker = self.apis[0].broker
        while True:
            uow = self.uow()
            sweep = SweepTurns(
                self.chats, broker, self, self.ender(broker, uow), uow, self.clock, self.policy
            )
            await sweep()
            await asyncio.sleep(0.05)


async def run_client(
    world: World, page_id: str, rng: random.Random, *, text: str = "안녕"
) -> tuple[Ledger, str, str, int]:
    """One client: subscribes, submits, drops and resumes until its reply is final."""
    session = await world.session(page_id)
    ledger = Ledger()

    async def deliver(event: StreamEvent, frame: str) -> None:
        ledger.apply(json.loads(frame))

    api = rng.choice(world.apis)
    # From the head read now, not FRESH: a FRESH subscriber reads the head on its own time,
    # after the submit below may already have appended the user's message.
    start: str | None = await api.broker.head(session.room)
    message_id = ""
    user_id = ""
    drops = 0
    while True:
        async with api.hub.subscribe(session.room, deliver, world.replay_on(api, session), start):
            if not message_id:
                user_id, message_id = await world.submit(api, page_id, text)
            # A client's stays lengthen as it keeps dropping, as a real client's reconnect
            # back-off does: with stays always shorter than a catch-up read of a loaded
            # machine, no client would ever get past its catch-up (a livelock of the test's
            # making, seen at a load average of 9).
            await asyncio.sleep(rng.uniform(0.01, 0.08) * (1 + drops // 10))
        view = ledger.messages.get(message_id)
        if view is not None and view.final is not None:
            return ledger, user_id, message_id, drops
        drops += 1
        start = ledger.cursor or start  # nothing received yet: the same place again
        if rng.random() < 0.5:
            api = rng.choice([other for other in world.apis if other is not api])


async def stored_of(world: World, *message_ids: str) -> dict[str, dict[str, Any]]:
    stored = {}
    for message_id in message_ids:
        message = await world.chats.get_message(message_id)
        assert message is not None
        stored[message_id] = {"content": message.content, "status": message.status.value}
    return stored


@pytest.fixture(
    params=[
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("nats", marks=pytest.mark.nats),
    ]
)
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    kind: str = request.param
    if kind == "nats":
        await services.require_nats()
        prefix = services.unique_nats_prefix()
    else:
        services.require_redis()
        prefix = services.unique_redis_prefix()
    policy = ChatPolicy(
        coalesce_seconds=0.005,
        lease_seconds=0.6,
        pending_timeout_seconds=5,
        submits_per_minute=1000,
    )
    async with AsyncExitStack() as stack:
        world = World(stack, kind, prefix, policy)
        if kind == "nats":
            cleaner = await world.broker()
            assert isinstance(cleaner, NatsStreamBroker)
            stack.push_async_callback(cleaner.delete)  # before the connections close
        yield world
    if kind == "redis":
        cleaner = Redis.from_url(services.REDIS_URL)
        keys = [key async for key in cleaner.scan_iter(f"{prefix}*")]
        if keys:
            await cleaner.delete(*keys)
        await cleaner.aclose()


async def test_r1_short_streams_survive_random_drops_and_process_switches(world: World) -> None:
    await world.add_api()
    await world.add_api()
    await world.add_worker(PacedModel(parts=25, pause=0.004))
    rng = random.Random(1)

    results = await asyncio.wait_for(
        asyncio.gather(
            *(run_client(world, f"r1-{i}", random.Random(rng.random())) for i in range(16))
        ),
        GUARD,
    )

    problems = []
    for ledger, user_id, message_id, _ in results:
        stored = await stored_of(world, user_id, message_id)
        problems += ledger.check_against(stored)
        assert stored[message_id]["status"] == MessageStatus.COMPLETED.value
    assert problems == []
    assert sum(ledger.gaps for ledger, *_ in results) == 0
    assert sum(ledger.duplicates for ledger, *_ in results) == 0
    assert sum(drops for *_, drops in results) > 0


async def test_r3_short_a_killed_worker_is_retried_and_its_attempt_fenced_out(
    world: World,
) -> None:
    doomed = PacedModel(parts=400, pause=0.005)
    await world.add_api()
    await world.add_api()
    await world.add_worker(doomed)
    await world.add_worker(PacedModel(parts=12, pause=0.004))
    world.route = lambda attempt: 0 if attempt == 1 else 1
    sweeper = asyncio.create_task(world.sweep_forever())
    pages = [f"r3-{i}" for i in range(4)]
    rng = random.Random(3)

    async def kill_when_streaming(page_id: str) -> None:
        await doomed.started.setdefault(page_id, asyncio.Event()).wait()
        # The worker dies: its run is cut off where it is and writes nothing more.
        world.runs[(world.replies[page_id], 1)].cancel()

    try:
        killers = [asyncio.create_task(kill_when_streaming(page)) for page in pages]
        results = await asyncio.wait_for(
            asyncio.gather(
                *(run_client(world, page, random.Random(rng.random())) for page in pages)
            ),
            GUARD,
        )
        await asyncio.gather(*killers)
    finally:
        sweeper.cancel()

    problems = []
    stale_accepted = 0
    for (ledger, user_id, message_id, _), page in zip(results, pages, strict=True):
        stored = await stored_of(world, user_id, message_id)
        problems += ledger.check_against(stored)
        assert stored[message_id]["status"] in {"completed", "failed"}
        assert ledger.view(message_id).resets >= 1
        zombie = world.workers[0][0]
        try:
            await zombie.append(
                f"page-{page}",
                EventDraft(EventKind.CHUNK, {"delta": "zombie"}, message_id),
                Fence(message_id, 1),
            )
            stale_accepted += 1
        except StaleAttempt:
            pass
        events = (await zombie.history(f"page-{page}", None)).events
        reset_at = next(
            i
            for i, e in enumerate(events)
            if e.kind is EventKind.RESET
            and e.message_id == message_id
            and e.data.get("reason") == WORKER_LOST
        )
        assert not [e for e in events[reset_at:] if e.message_id == message_id and e.attempt == 1]
    assert problems == []
    assert stale_accepted == 0
    assert await world.in_flight() == []
