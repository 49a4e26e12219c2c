"""Chat use cases on the in-memory twins: submit, run, cancel, sweep, access."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from adapters.memory.uow import InMemoryUnitOfWork
from mocheong_core.chat.ending import MessageEnder
from mocheong_core.chat.model import MessageStatus, Role
from mocheong_core.chat.policy import RUN_TURN, ChatPolicy
from mocheong_core.chat.ports import ComponentPart, ModelPart, ModelTurn, TextDelta
from mocheong_core.chat.runner import RunTurn
from mocheong_core.chat.stream import EventKind, StreamEvent
from mocheong_core.chat.sweeper import WORKER_LOST
from mocheong_core.errors import NotFound, RateLimited, ServiceUnavailable, ValidationFailed
from tests.unit.chat_harness import OWNER, PAGE, STRANGER, Chat, FedModel, ListModel


def texts_of(events: list[StreamEvent], message_id: str, attempt: int | None = None) -> str:
    return "".join(
        e.data["delta"]
        for e in events
        if e.kind is EventKind.CHUNK
        and e.message_id == message_id
        and (attempt is None or e.attempt == attempt)
    )


def finals(events: list[StreamEvent], message_id: str) -> list[StreamEvent]:
    return [e for e in events if e.kind is EventKind.MESSAGE and e.message_id == message_id]


async def until(chat: Chat, done: Callable[[list[StreamEvent]], bool]) -> None:
    """Waits until the room's events satisfy ``done``."""
    async with chat.broker.listen(f"page-{PAGE}") as live:
        if done(await chat.events()):
            return
        async for _ in live:
            if done(await chat.events()):
                return


async def wait_for_text(chat: Chat, message_id: str, text: str) -> None:
    """Waits until the chunks appended for the message spell ``text``."""
    await until(chat, lambda events: texts_of(events, message_id) == text)


async def test_submit_stores_the_turn_tells_the_room_and_queues_the_run() -> None:
    chat = Chat()
    accepted = await chat.submit()(OWNER, "  안녕하세요  ", page_id=PAGE, client_message_id="c1")

    user, reply = accepted.turn.user, accepted.turn.assistant
    assert accepted.created
    assert (user.role, user.status) == (Role.USER, MessageStatus.COMPLETED)
    assert user.content == "안녕하세요"
    assert (reply.role, reply.status, reply.attempt) == (Role.ASSISTANT, MessageStatus.PENDING, 0)
    assert reply.reply_to == user.id
    assert [(j.task, j.payload, j.job_id) for j in chat.queue.jobs] == [
        (RUN_TURN, {"message_id": reply.id, "attempt": 1}, reply.id)
    ]
    [event] = await chat.events()
    assert (event.kind, event.message_id, event.data["content"]) == (
        EventKind.MESSAGE,
        user.id,
        "안녕하세요",
    )


async def test_the_same_client_message_id_returns_the_first_turn_and_starts_nothing() -> None:
    chat = Chat()
    first = await chat.submit()(OWNER, "hello", page_id=PAGE, client_message_id="c1")
    again = await chat.submit()(
        OWNER, "hello", session_id=first.turn.session.id, client_message_id="c1"
    )

    assert not again.created
    assert again.turn.assistant.id == first.turn.assistant.id
    assert again.turn.user.id == first.turn.user.id
    assert len(chat.queue.jobs) == 1
    assert len(await chat.events()) == 1
    other = await chat.submit()(OWNER, "hello", page_id=PAGE, client_message_id="c2")
    assert other.created
    assert other.turn.assistant.id != first.turn.assistant.id


async def test_someone_elses_page_session_or_message_is_not_found() -> None:
    chat = Chat()
    reply = await chat.say()
    session = (await chat.message(reply.id)).session_id
    with pytest.raises(NotFound):
        await chat.submit()(STRANGER, "hi", page_id=PAGE)
    with pytest.raises(NotFound):
        await chat.submit()(STRANGER, "hi", session_id=session)
    with pytest.raises(NotFound):
        await chat.open_session()(STRANGER, room=f"page-{PAGE}")
    with pytest.raises(NotFound):
        await chat.open_session()(OWNER, room="not-a-room")
    with pytest.raises(NotFound):
        await chat.cancel()(STRANGER, reply.id)
    with pytest.raises(NotFound):
        await chat.list_messages()(STRANGER, session, limit=10, cursor=None)
    with pytest.raises(NotFound):
        await chat.open_session()(OWNER, page_id="no-such-page")


@pytest.mark.parametrize(
    ("text", "client_id", "fields"),
    [
        ("   ", None, ["message"]),
        ("x" * 4001, None, ["message"]),
        ("hi", "", ["client_message_id"]),
        ("", "x" * 65, ["message", "client_message_id"]),
    ],
)
async def test_submit_names_each_bad_field(
    text: str, client_id: str | None, fields: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await Chat().submit()(OWNER, text, page_id=PAGE, client_message_id=client_id)
    assert [e.field for e in caught.value.errors] == fields


async def test_submit_needs_a_page_or_a_session() -> None:
    with pytest.raises(ValidationFailed):
        await Chat().submit()(OWNER, "hi")


async def test_submits_are_rate_limited_per_user() -> None:
    chat = Chat(policy=ChatPolicy(submits_per_minute=2))
    await chat.say()
    await chat.say()
    with pytest.raises(RateLimited):
        await chat.say()


async def test_a_run_streams_numbered_chunks_and_stores_the_text_before_the_final_event() -> None:
    parts: list[ModelPart] = [
        TextDelta("신랑 "),
        TextDelta("김민준"),
        ComponentPart({"type": "choice_list"}),
        TextDelta("!"),
    ]
    chat = Chat(ListModel(parts))
    reply = await chat.say()

    assert await chat.run_queued() == [MessageStatus.COMPLETED]

    stored = await chat.message(reply.id)
    events = await chat.events()
    assert stored.status is MessageStatus.COMPLETED
    assert stored.attempt == 1
    assert stored.content == texts_of(events, reply.id) == "신랑 김민준!"
    assert stored.components == [{"type": "choice_list"}]
    assert stored.metadata == {"model": "list"}
    numbered = [e for e in events if e.message_id == reply.id and e.seq]
    assert [e.seq for e in numbered] == list(range(1, len(numbered) + 1))
    [final] = finals(events, reply.id)
    assert final is events[-1]
    assert final.data["content"] == stored.content
    assert final.data["status"] == "completed"


async def test_deltas_are_coalesced_into_fewer_chunks() -> None:
    model = FedModel()
    chat = Chat(model, policy=ChatPolicy(coalesce_seconds=60))
    reply = await chat.say()
    run = asyncio.create_task(chat.run_queued())
    model.say("a")
    await wait_for_text(chat, reply.id, "a")
    model.say("b", "c", "d")
    model.end()
    await run

    chunks = [e.data["delta"] for e in await chat.events() if e.kind is EventKind.CHUNK]
    assert chunks == ["a", "bcd"]


async def test_a_duplicate_job_for_the_same_attempt_does_nothing() -> None:
    chat = Chat()
    reply = await chat.say()
    await chat.run_queued()
    before = await chat.events()

    assert await chat.run_turn()(reply.id, 1) is None
    assert await chat.events() == before


class CommitsSeen:
    """Answers at once, after noting how many commits its run had made by then."""

    label: dict[str, Any] = {"model": "commits"}  # noqa: RUF012

    def __init__(self) -> None:
        self.uow: InMemoryUnitOfWork | None = None
        self.seen: list[int] = []

    async def stream(self, turn: ModelTurn) -> AsyncIterator[ModelPart]:
        assert self.uow is not None
        self.seen.append(self.uow.commits)
        yield TextDelta("안녕")


async def test_a_run_claims_and_reads_its_turn_in_one_transaction_before_the_model() -> None:
    model = CommitsSeen()
    chat = Chat(model)
    reply = await chat.say()
    uow = model.uow = InMemoryUnitOfWork(chat.chats)
    ender = MessageEnder(chat.chats, chat.broker, uow, chat.clock)
    run = RunTurn(
        chat.chats,
        chat.page_store,
        chat.sessions,
        model,
        chat.broker,
        ender,
        uow,
        chat.clock,
        chat.policy,
    )

    assert await run(reply.id, 1) is MessageStatus.COMPLETED
    # The claim, the message, its session and the history: one commit before the model starts
    # (three before, each a transaction's round trips on the worker's path to the first chunk).
    assert model.seen == [1]
    ended = uow.commits
    assert await run(reply.id, 1) is None  # claimed already: nothing is read or written
    assert uow.commits == ended


async def test_a_model_error_ends_the_message_failed_with_the_text_so_far() -> None:
    model = FedModel()
    chat = Chat(model)
    reply = await chat.say()
    run = asyncio.create_task(chat.run_queued())
    model.say("부분")
    model.feed.put_nowait(RuntimeError("provider down"))

    assert await run == [MessageStatus.FAILED]
    stored = await chat.message(reply.id)
    assert (stored.status, stored.content) == (MessageStatus.FAILED, "부분")
    assert stored.metadata["error"] == "The model failed to answer"
    assert finals(await chat.events(), reply.id)[0].data["status"] == "failed"


async def test_a_failure_the_domain_describes_reaches_the_message_in_its_own_words() -> None:
    model = FedModel()
    chat = Chat(model)
    reply = await chat.say()
    run = asyncio.create_task(chat.run_queued())
    model.feed.put_nowait(ServiceUnavailable("The model provider is overloaded; try again"))

    assert await run == [MessageStatus.FAILED]
    stored = await chat.message(reply.id)
    assert stored.metadata["error"] == "The model provider is overloaded; try again"


async def test_cancelling_a_pending_message_ends_it_at_once_and_no_run_starts() -> None:
    chat = Chat()
    reply = await chat.say()

    cancelled = await chat.cancel()(OWNER, reply.id)

    assert cancelled.status is MessageStatus.CANCELLED
    kinds = [e.kind for e in await chat.events() if e.message_id == reply.id]
    assert kinds == [EventKind.CANCELLED, EventKind.MESSAGE]
    assert await chat.run_queued() == [None]
    assert (await chat.message(reply.id)).status is MessageStatus.CANCELLED


async def test_cancelling_a_streaming_message_keeps_the_partial_text() -> None:
    model = FedModel()
    chat = Chat(model)
    reply = await chat.say()
    run = asyncio.create_task(chat.run_queued())
    model.say("첫 ", "문장")
    await wait_for_text(chat, reply.id, "첫 문장")

    assert (await chat.cancel()(OWNER, reply.id)).status is MessageStatus.STREAMING
    model.say("안 보일 말")

    assert await run == [MessageStatus.CANCELLED]
    stored = await chat.message(reply.id)
    events = await chat.events()
    assert (stored.status, stored.content) == (MessageStatus.CANCELLED, "첫 문장")
    assert texts_of(events, reply.id) == "첫 문장"
    assert [e.kind for e in events if e.message_id == reply.id][-2:] == [
        EventKind.CANCELLED,
        EventKind.MESSAGE,
    ]
    assert model.closed == 1  # the model call was stopped


async def test_cancelling_a_finished_message_changes_nothing() -> None:
    chat = Chat()
    reply = await chat.say()
    await chat.run_queued()
    before = await chat.events()

    assert (await chat.cancel()(OWNER, reply.id)).status is MessageStatus.COMPLETED
    assert await chat.events() == before


async def abandon_mid_stream(chat: Chat, model: FedModel, text: str) -> str:
    """Starts the queued run, lets it append ``text``, then kills it like a dead worker."""
    reply = chat.queue.jobs[-1].payload["message_id"]
    run = asyncio.create_task(chat.run_queued())
    model.say(text)
    await until(chat, lambda events: any(e.data.get("delta") == text for e in events))
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    return str(reply)


async def test_the_sweeper_retries_a_run_whose_worker_died() -> None:
    model = FedModel()
    chat = Chat(model)
    await chat.say()
    reply = await abandon_mid_stream(chat, model, "반쯤 ")
    assert (await chat.message(reply)).status is MessageStatus.STREAMING

    assert await chat.sweep()() == 0  # the lease has not ended yet
    chat.clock.advance(chat.policy.lease_seconds + 1)
    assert await chat.sweep()() == 1

    [reset] = [e for e in await chat.events() if e.kind is EventKind.RESET]
    assert reset.data == {"message_id": reply, "reason": WORKER_LOST}
    assert chat.queue.jobs[-1].payload == {"message_id": reply, "attempt": 2}
    assert chat.queue.jobs[-1].job_id == f"{reply}.2"
    model.say("다시 ", "처음부터")
    model.end()
    assert await chat.run_queued() == [MessageStatus.COMPLETED]
    stored = await chat.message(reply)
    events = await chat.events()
    assert (stored.attempt, stored.content) == (2, "다시 처음부터")
    assert texts_of(events, reply, attempt=2) == stored.content
    seqs = [e.seq for e in events if e.message_id == reply and e.attempt == 2 and e.seq]
    assert seqs == list(range(1, len(seqs) + 1))


async def test_a_superseded_attempt_can_write_nothing() -> None:
    model = FedModel()
    chat = Chat(model)
    reply = await chat.say()
    first = asyncio.create_task(chat.run_turn()(reply.id, 1))
    model.say("one")
    await wait_for_text(chat, reply.id, "one")
    chat.clock.advance(chat.policy.lease_seconds + 1)
    await chat.sweep()()  # attempt 1 looks dead and is superseded while it still runs

    model.say("stale")
    model.end()
    assert await first is None
    stored = await chat.message(reply.id)
    assert (stored.status, stored.attempt, stored.content) == (MessageStatus.PENDING, 1, "")
    assert "stale" not in texts_of(await chat.events(), reply.id)


async def test_after_max_attempts_the_sweeper_ends_the_message_failed() -> None:
    model = FedModel()
    chat = Chat(model, policy=ChatPolicy(coalesce_seconds=0, max_attempts=2))
    await chat.say()
    reply = await abandon_mid_stream(chat, model, "a")
    chat.clock.advance(11)
    await chat.sweep()()
    await abandon_mid_stream(chat, model, "b")
    chat.clock.advance(11)
    await chat.sweep()()

    stored = await chat.message(reply)
    assert stored.status is MessageStatus.FAILED
    assert finals(await chat.events(), reply)[0].data["status"] == "failed"
    assert await chat.sweep()() == 0


async def test_a_run_whose_job_never_started_is_queued_again() -> None:
    chat = Chat()
    reply = await chat.say()
    chat.queue.jobs.clear()  # the job was lost
    chat.clock.advance(chat.policy.pending_timeout_seconds + 1)

    assert await chat.sweep()() == 1
    assert chat.queue.jobs[-1].payload == {"message_id": reply.id, "attempt": 2}
    assert not [e for e in await chat.events() if e.kind is EventKind.RESET]
    assert await chat.run_turn()(reply.id, 1) is None  # the lost job, arriving late
    assert await chat.run_turn()(reply.id, 2) is MessageStatus.COMPLETED


async def test_a_cancel_on_a_dead_run_is_finished_by_the_sweeper() -> None:
    model = FedModel()
    chat = Chat(model)
    await chat.say()
    reply = await abandon_mid_stream(chat, model, "x")
    await chat.cancel()(OWNER, reply)
    chat.clock.advance(chat.policy.lease_seconds + 1)

    assert await chat.sweep()() == 1
    assert (await chat.message(reply)).status is MessageStatus.CANCELLED
    kinds = [e.kind for e in await chat.events() if e.message_id == reply]
    assert kinds[-2:] == [EventKind.CANCELLED, EventKind.MESSAGE]


async def test_history_lists_messages_newest_first_by_pages() -> None:
    chat = Chat()
    for n in range(3):
        await chat.say(f"m{n}")
    session = (await chat.open_session()(OWNER, page_id=PAGE)).id

    first = await chat.list_messages()(OWNER, session, limit=4, cursor=None)
    rest = await chat.list_messages()(OWNER, session, limit=4, cursor=first.next_cursor)

    contents = [m.content for m in first.items + rest.items if m.role is Role.USER]
    assert contents == ["m2", "m1", "m0"]
    assert (len(first.items), len(rest.items), rest.next_cursor) == (4, 2, None)
