"""The SQL chat repository on SQLite and Postgres: its conditional writes carry the fence,
the lease and the sweeper exactly as the in-memory twin does."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.memory.chat import InMemoryPageAccess
from adapters.memory.ratelimit import InMemoryRateLimiter
from adapters.memory.session_cache import LocalSessionCache
from adapters.memory.stream import InMemoryStreamBroker
from adapters.sqla.database import SqlaUnitOfWork, make_engine, make_session_factory
from adapters.sqla.repos.chat import SqlaChatRepository
from adapters.sqla.repos.pages import SqlaPageRepository
from adapters.sqla.tables.accounts import users
from adapters.sqla.tables.pages import pages
from adapters.sqla.turns import BatchedTurnStore
from entrypoints.bootstrap.settings import Settings
from mocheong_core.chat.access import ChatAccess
from mocheong_core.chat.ending import MessageEnder
from mocheong_core.chat.model import ChatSession, Message, MessageStatus, Role
from mocheong_core.chat.policy import ChatPolicy
from mocheong_core.chat.ports import Changes, Guard, ModelPart, ModelTurn
from mocheong_core.chat.runner import RunTurn
from mocheong_core.chat.stream import EventKind
from mocheong_core.chat.sweeper import WORKER_LOST, SweepTurns
from mocheong_core.chat.usecases import OpenSession, Submit
from mocheong_core.errors import ServiceUnavailable
from mocheong_core.kernel.ids import new_id
from mocheong_core.pages.model import Page
from tests.unit.chat_harness import OWNER, PAGE, FedModel, ManualClock, RecordingQueue

ROOM = f"page-{PAGE}"


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(settings.effective_database_url)
    yield engine
    await engine.dispose()


class World:
    """Use cases on the SQL repository; each call gets its own session, like a request."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.factory = make_session_factory(engine)
        self.broker = InMemoryStreamBroker()
        self.queue = RecordingQueue()
        self.clock = ManualClock()
        self.model = FedModel()
        self.pages = InMemoryPageAccess({PAGE: OWNER})
        self.sessions = LocalSessionCache(max_entries=100, ttl_seconds=3600)
        # The runs' own, as a worker process has.
        self.worker_sessions = LocalSessionCache(max_entries=100, ttl_seconds=3600)
        self.policy = ChatPolicy(coalesce_seconds=0)
        self.turns = BatchedTurnStore(engine, self.factory, max_batch=4, writers=2)

    @asynccontextmanager
    async def request(self) -> AsyncIterator[tuple[SqlaChatRepository, SqlaUnitOfWork]]:
        async with self.factory() as session:
            yield SqlaChatRepository(session), SqlaUnitOfWork(session)

    async def submit(self, text: str, client_message_id: str | None = None) -> Message:
        async with self.request() as (chats, uow):
            access = ChatAccess(chats, self.pages, self.sessions, uow, self.clock)
            submit = Submit(
                OpenSession(access),
                chats,
                self.turns,
                self.broker,
                self.queue,
                InMemoryRateLimiter(),
                uow,
                self.clock,
                self.policy,
            )
            accepted = await submit(OWNER, text, page_id=PAGE, client_message_id=client_message_id)
            return accepted.turn.assistant

    async def run(self, message_id: str, attempt: int) -> MessageStatus | None:
        async with self.factory() as session:
            chats, uow = SqlaChatRepository(session), SqlaUnitOfWork(session)
            ender = MessageEnder(chats, self.broker, uow, self.clock)
            runner = RunTurn(
                chats,
                SqlaPageRepository(session),
                self.worker_sessions,
                self.model,
                self.broker,
                ender,
                uow,
                self.clock,
                self.policy,
            )
            return await runner(message_id, attempt)

    async def sweep(self) -> int:
        async with self.request() as (chats, uow):
            ender = MessageEnder(chats, self.broker, uow, self.clock)
            sweep = SweepTurns(chats, self.broker, self.queue, ender, uow, self.clock, self.policy)
            return await sweep()

    async def message(self, message_id: str) -> Message:
        async with self.request() as (chats, _):
            message = await chats.get_message(message_id)
        assert message is not None
        return message


@pytest.fixture
async def world(engine: AsyncEngine) -> AsyncIterator[World]:
    """The owner and the page exist in the database too: sessions are read with their page's
    owner."""
    async with engine.begin() as conn:
        if (await conn.execute(sa.select(pages.c.id).where(pages.c.id == PAGE))).first() is None:
            now = ManualClock().now()
            await conn.execute(
                users.insert().values(
                    id=OWNER,
                    email=f"{OWNER}@example.com",
                    name="Owner",
                    password_hash="-",
                    role="user",
                    disabled=False,
                    created_at=now,
                )
            )
            await conn.execute(
                pages.insert().values(
                    id=PAGE,
                    owner_id=OWNER,
                    slug=PAGE,
                    status="draft",
                    plan="free",
                    version=1,
                    document={},
                    created_at=now,
                    updated_at=now,
                )
            )
    world = World(engine)
    yield world
    await world.turns.close()


async def test_turns_are_unique_per_client_id_and_listed_newest_first(world: World) -> None:
    first = await world.submit("one", client_message_id="c1")
    again = await world.submit("one", client_message_id="c1")
    second = await world.submit("two")

    assert again.id == first.id
    assert len(world.queue.jobs) == 2
    async with world.request() as (chats, _):
        found = await chats.find_turn(first.session_id, "c1")
        listed = await chats.list_messages(first.session_id, limit=10)
        older = await chats.list_messages(first.session_id, limit=10, before=second.id)
    assert found is not None
    assert found[1].id == first.id
    assert [m.content for m in listed if m.role is Role.USER] == ["two", "one"]
    assert [m.id for m in older] == [m.id for m in listed[1:]]


async def test_a_page_gets_one_session_even_when_two_requests_race(world: World) -> None:
    async def open_one() -> ChatSession:
        async with world.request() as (chats, uow):
            session = await chats.add_session(ChatSession(new_id(), "race-page", world.clock.now()))
            await uow.commit()
            return session

    first, second = await asyncio.gather(open_one(), open_one())
    assert first.id == second.id


async def test_conditional_writes_hold_only_while_their_guard_does(world: World) -> None:
    reply = await world.submit("guarded")
    now = world.clock.now()
    pending = frozenset({MessageStatus.PENDING})
    claim = Changes(
        updated_at=now,
        status=MessageStatus.STREAMING,
        attempt=1,
        lease_until=now + timedelta(seconds=10),
        components=[{"type": "choice_list"}],
        metadata={"model": "x"},
    )
    async with world.request() as (chats, uow):
        assert not await chats.update_if(reply.id, Guard(pending, attempt=1), claim)
        assert not await chats.update_if(reply.id, Guard(pending, lease_ended_by=now), claim)
        assert await chats.update_if(reply.id, Guard(pending, attempt=0), claim)
        assert not await chats.update_if(reply.id, Guard(pending, attempt=0), claim)
        await uow.commit()
        assert await chats.expired(now + timedelta(seconds=5), 10) == []
        [lapsed] = await chats.expired(now + timedelta(seconds=11), 10)

    stored = await world.message(reply.id)
    assert (stored.status, stored.attempt, stored.content) == (MessageStatus.STREAMING, 1, "")
    assert (stored.components, stored.metadata) == ([{"type": "choice_list"}], {"model": "x"})
    assert stored.lease_until == now + timedelta(seconds=10)
    assert lapsed.id == reply.id


async def test_a_guarded_write_can_return_the_row_it_wrote(world: World) -> None:
    reply = await world.submit("returned")
    now = world.clock.now()
    claim = Changes(updated_at=now, status=MessageStatus.STREAMING, attempt=1)
    pending = frozenset({MessageStatus.PENDING})
    async with world.request() as (chats, uow):
        assert await chats.update_returning(reply.id, Guard(pending, attempt=1), claim) is None
        written = await chats.update_returning(reply.id, Guard(pending, attempt=0), claim)
        assert await chats.update_returning(reply.id, Guard(pending, attempt=0), claim) is None
        await uow.commit()

    assert written == await world.message(reply.id)
    assert (written.status, written.attempt, written.content) == (MessageStatus.STREAMING, 1, "")


class PageSeen(FedModel):
    """Notes, when the runner starts it, the statements and transactions run so far and the
    page it was given."""

    def __init__(self, statements: list[str], transactions: list[str]) -> None:
        super().__init__()
        self.statements, self.transactions = statements, transactions
        self.before: tuple[list[str], list[str]] = ([], [])
        self.page: Page | None = None

    async def stream(self, turn: ModelTurn) -> AsyncIterator[ModelPart]:
        self.before = (list(self.statements), list(self.transactions))
        self.page = turn.page
        async for part in super().stream(turn):
            yield part


async def test_a_run_claims_and_reads_its_turn_and_page_in_one_transaction(world: World) -> None:
    """Each statement and each BEGIN and COMMIT is a database round trip on the way to the
    first chunk (P7, docs/architecture.md). The worker here has not seen the session yet
    for the first turn, and keeps it for the second."""
    statements: list[str] = []
    transactions: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(" ".join(sql.split()))

    def begin(_conn: Any) -> None:
        transactions.append("begin")

    def commit(_conn: Any) -> None:
        transactions.append("commit")

    world.model = model = PageSeen(statements, transactions)
    listeners = (("before_cursor_execute", statement), ("begin", begin), ("commit", commit))
    seen: list[tuple[list[str], list[str]]] = []
    for text in ("안녕", "다시 안녕"):
        reply = await world.submit(text)
        statements.clear()
        transactions.clear()
        model.end()
        for name, listener in listeners:
            event.listen(world.engine.sync_engine, name, listener)
        try:
            assert await world.run(reply.id, 1) is MessageStatus.COMPLETED
        finally:
            for name, listener in listeners:
                event.remove(world.engine.sync_engine, name, listener)
        seen.append(model.before)

    # The claim returning its row, the session (the first time), the history, the page.
    for (ran, around), read in zip(seen, (["chat_sessions"], []), strict=True):
        assert around == ["begin", "commit"]
        assert ran[0].startswith("UPDATE chat_messages")
        assert "RETURNING" in ran[0]
        assert [sql.split(" FROM ")[-1].split()[0] for sql in ran[1:]] == [
            *read,
            "chat_messages",
            "pages",
        ]
    assert model.page is not None
    assert (model.page.id, model.page.owner_id) == (PAGE, OWNER)


async def test_a_killed_run_is_swept_retried_and_its_attempt_refused(world: World) -> None:
    reply = await world.submit("다시 해줘")
    async with world.broker.listen(ROOM) as live:
        killed = asyncio.create_task(world.run(reply.id, 1))
        world.model.say("반쯤 ")
        async for event in live:
            if event.kind is EventKind.CHUNK:
                break  # attempt 1 has streamed: now its worker dies
    killed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await killed

    world.clock.advance(world.policy.lease_seconds + 1)
    assert await world.sweep() == 1
    assert await world.sweep() == 0
    assert world.queue.jobs[-1].payload == {"message_id": reply.id, "attempt": 2}
    async with world.request() as (chats, _):
        stale = Guard(frozenset({MessageStatus.STREAMING}), attempt=1)
        assert not await chats.update_if(
            reply.id, stale, Changes(updated_at=world.clock.now(), content="stale")
        )
    world.model.say("처음부터 ", "끝까지")
    world.model.end()
    assert await world.run(reply.id, 2) is MessageStatus.COMPLETED

    stored = await world.message(reply.id)
    assert (stored.status, stored.attempt, stored.content) == (
        MessageStatus.COMPLETED,
        2,
        "처음부터 끝까지",
    )
    events = (await world.broker.history(ROOM, None, 1000)).events
    assert [e.data["reason"] for e in events if e.kind is EventKind.RESET] == [WORKER_LOST]
    assert events[-1].kind is EventKind.MESSAGE


async def test_submits_arriving_together_are_stored_together_and_each_answered(
    world: World,
) -> None:
    """Ten submits at once (batches of at most four), two of them repeating a client id: every
    new turn is stored once, and each repeat answers with the first turn."""
    ids = [f"burst-{n}" for n in range(8)] + ["burst-1", "burst-5"]
    replies = await asyncio.gather(*(world.submit(f"text {cid}", cid) for cid in ids))

    assert replies[8].id == replies[1].id
    assert replies[9].id == replies[5].id
    assert len({reply.id for reply in replies}) == 8
    assert len(world.queue.jobs) == 8
    assert await _stored_client_ids(world, "burst-") == sorted(set(ids))


async def test_turns_handed_over_in_waves_are_all_written(world: World) -> None:
    """Turns keep arriving while both writers are busy and as they finish: none is left
    waiting without a writer."""
    first = await world.submit("first", "wave-0")
    turns = [_turn(first, f"wave-{n}") for n in range(1, 41)]

    async def hand_over(index: int, user: Message, reply: Message) -> bool:
        for _ in range(index % 7):  # spread over the loop's turns, writers starting and ending
            await asyncio.sleep(0)
        return await world.turns.store(user, reply)

    stored = await asyncio.gather(*(hand_over(i, u, r) for i, (u, r) in enumerate(turns)))

    assert stored == [True] * 40
    assert await _stored_client_ids(world, "wave-") == sorted(f"wave-{n}" for n in range(41))


async def test_a_turn_handed_over_as_the_last_writer_ends_gets_a_writer(
    world: World,
) -> None:
    """The writer's last look at the queue and its leaving are one step: a turn handed over
    right after it (before the task's done callbacks run) starts a writer of its own."""
    release: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    writing = asyncio.Event()

    class HeldStore(BatchedTurnStore):
        async def _insert(self, batch: list[Any]) -> list[bool]:
            writing.set()
            await release
            return [True] * len(batch)

    store = HeldStore(world.engine, world.factory, max_batch=4, writers=1)
    first = await world.submit("first", "last-0")
    (u1, r1), (u2, r2) = _turn(first, "last-1"), _turn(first, "last-2")

    async def scenario() -> list[bool]:
        one = asyncio.ensure_future(store.store(u1, r1))
        await writing.wait()  # the only writer is on its way to the database
        release.set_result(None)
        # The writer's next step (answer, find nothing waiting, end) runs before this
        # coroutine resumes, and its task's done callbacks only after.
        await asyncio.sleep(0)
        two = await store.store(u2, r2)
        return [await one, two]

    assert await asyncio.wait_for(scenario(), 5) == [True, True]


async def test_a_repeat_inside_one_batch_refuses_only_the_repeat(world: World) -> None:
    """Handed over before the writer runs, the turns share transactions; the repeat fails its
    batch's statement, and the batch is stored turn by turn."""
    first = await world.submit("first", "batch-0")
    turns = [_turn(first, f"batch-{n}") for n in (1, 2, 3, 1, 4, 5)]

    stored = await asyncio.gather(*(world.turns.store(user, reply) for user, reply in turns))

    assert stored == [True, True, True, False, True, True]
    assert await _stored_client_ids(world, "batch-") == [f"batch-{n}" for n in range(6)]


async def test_turns_stored_together_read_back_exactly(world: World) -> None:
    """Every field survives the batched statement: text with quotes and non-ASCII letters,
    JSON components and metadata, microseconds and empty values."""
    first = await world.submit("first", "exact-0")
    moment = datetime(2027, 5, 15, 4, 0, 10, 123456, tzinfo=UTC)
    turns = []
    for n in range(3):
        user, reply = _turn(first, f"exact-{n + 1}")
        user = attrs.evolve(user, content=f'"식장" \\ {{n}} \n{n}', created_at=moment)
        reply = attrs.evolve(
            reply,
            components=[{"type": "choice_list", "items": ["가", n]}],
            metadata={"model": "offline", "nested": {"n": n}},
            lease_until=moment + timedelta(seconds=n),
            updated_at=moment,
        )
        turns.append((user, reply))

    assert await asyncio.gather(*(world.turns.store(u, r) for u, r in turns)) == [True] * 3
    for user, reply in turns:
        assert await world.message(user.id) == user
        assert await world.message(reply.id) == reply


async def test_a_failing_database_answers_every_waiting_submit(
    world: World, settings: Settings
) -> None:
    # Nothing listens on port 9, and no folder has that name: every connection fails.
    url = settings.effective_database_url
    if settings.uses_sqlite:
        down = make_engine("sqlite+aiosqlite:////no-such-folder/mocheong.db")
    else:
        down = make_engine(re.sub(r"@[^/]+/", "@127.0.0.1:9/", url))
    store = BatchedTurnStore(down, make_session_factory(down), max_batch=10)
    first = await world.submit("before")
    turns = [_turn(first, f"down-{n}") for n in range(3)]

    try:
        results = await asyncio.gather(
            *(store.store(u, a) for u, a in turns), return_exceptions=True
        )
    finally:
        await store.close()
        await down.dispose()

    assert all(isinstance(result, ServiceUnavailable) for result in results)


@pytest.mark.parametrize("backend", ["postgres"])  # SQLite writes through the engine
async def test_a_turn_connection_the_server_dropped_is_replaced(world: World) -> None:
    """On PostgreSQL the store writes on connections of its own: one the server ended between
    two batches (a restart ends them all) is dropped with every other one kept, and the batch
    goes on a new connection: no submit fails once the server is back."""
    first = await world.submit("first", "dropped-0")
    (u1, r1), (u2, r2) = (_turn(first, f"dropped-{n}") for n in (1, 2))
    assert await world.turns.store(u1, r1)
    [connection] = world.turns._idle
    async with world.engine.connect() as admin:
        await admin.execute(
            sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": connection.info.backend_pid}
        )

    assert await world.turns.store(u2, r2) is True

    stored = await _stored_client_ids(world, "dropped-")
    assert stored == ["dropped-0", "dropped-1", "dropped-2"]


def _turn(reply: Message, client_message_id: str) -> tuple[Message, Message]:
    """A new user message (in ``reply``'s session) and its pending reply."""
    user = attrs.evolve(
        reply, id=new_id(), role=Role.USER, client_message_id=client_message_id, reply_to=None
    )
    return user, attrs.evolve(reply, id=new_id(), reply_to=user.id)


async def _stored_client_ids(world: World, prefix: str) -> list[str]:
    async with world.request() as (chats, _):
        session = await chats.session_for_page(PAGE)
        assert session is not None
        listed = await chats.list_messages(session.id, limit=100)
    ids = [m.client_message_id or "" for m in listed if m.role is Role.USER]
    return sorted(i for i in ids if i.startswith(prefix))
