"""Resuming from any cursor gives a client exactly the stored text: from the stream when it
still holds the cursor, else from a database snapshot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mocheong_core.chat.model import MessageStatus
from mocheong_core.chat.ports import Changes, ComponentPart, Guard, ModelPart, TextDelta
from mocheong_core.chat.replay import RESYNC_CURSOR, SNAPSHOT, LiveFilter
from mocheong_core.chat.stream import EventDraft, EventKind, Fence, StreamEvent
from tests.chat_ledger import Ledger
from tests.unit.chat_harness import OWNER, PAGE, Chat, ListModel

ROOM = f"page-{PAGE}"


class Client(Ledger):
    """The shared ledger, also knowing that a snapshot's ``newMessage`` replaces whatever the
    client had of that message: inside a snapshot there are no chunks to compare it with."""

    in_snapshot = False

    def apply(self, frame: dict[str, Any]) -> None:
        data = frame.get("data") or {}
        if frame["event"] == "stream-reset" and "message_id" not in data:
            self.in_snapshot = data.get("reason") == SNAPSHOT
        if self.in_snapshot and frame["event"] == "newMessage":
            self.view(data["message_id"]).muted = True
        super().apply(frame)
        if data.get("cursor") != RESYNC_CURSOR:
            self.in_snapshot = False


def stored_view(message: object) -> dict[str, object]:
    return {"content": message.content, "status": message.status.value}  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=25),
    retention=st.integers(2, 80),
    cut=st.floats(0, 1),
)
async def test_resuming_from_any_cut_ends_with_the_stored_text(
    words: list[str], retention: int, cut: float
) -> None:
    parts: list[ModelPart] = [TextDelta(w) for w in words]
    parts.insert(len(parts) // 2, ComponentPart({"type": "choice_list"}))
    chat = Chat(ListModel(parts), retention=retention)
    start = await chat.broker.head(ROOM)
    reply = await chat.say("질문")
    await chat.run_queued()
    session = await chat.open_session()(OWNER, page_id=PAGE)
    everything = (await chat.broker.history(ROOM, start, 100_000)).events
    frames = [e.wire() for e in everything]
    k = round(cut * len(frames))

    client = Client()
    for frame in frames[:k]:
        client.apply(frame)
    cursor = client.cursor or start
    replay = await chat.replay()(session, cursor)
    for event in replay.events:
        client.apply(event.wire())

    stored = await chat.message(reply.id)
    assert stored.status is MessageStatus.COMPLETED
    assert client.check_against({reply.id: stored_view(stored)}) == []
    assert (client.gaps, client.duplicates) == (0, 0)
    if not replay.snapshot:
        assert [e.cursor for e in replay.events] == [e.cursor for e in everything[k:]]


async def start_streaming(chat: Chat, message_id: str, *deltas: str) -> None:
    """Claims the message and appends ``deltas``, as a runner half-way through would."""
    now = chat.clock.now()
    claimed = await chat.chats.update_if(
        message_id,
        Guard(frozenset({MessageStatus.PENDING}), 0),
        Changes(
            updated_at=now,
            status=MessageStatus.STREAMING,
            attempt=1,
            lease_until=now + timedelta(seconds=10),
        ),
    )
    assert claimed
    await chat.broker.claim(message_id, 1, 10)
    for delta in deltas:
        draft = EventDraft(EventKind.CHUNK, {"message_id": message_id, "delta": delta}, message_id)
        await chat.broker.append(ROOM, draft, Fence(message_id, 1))


async def test_a_snapshot_rebuilds_a_streaming_message_from_its_first_chunk() -> None:
    chat = Chat()
    session = await chat.open_session()(OWNER, page_id=PAGE)
    done = await chat.say("first")
    await chat.run_queued()
    streaming = await chat.say("second")
    await start_streaming(chat, streaming.id, "반", "쯤")

    replay = await chat.replay()(session, "old-epoch.1-0")

    first_question = done.reply_to
    assert [(e.kind, e.message_id) for e in replay.events] == [
        (EventKind.RESET, None),
        (EventKind.MESSAGE, first_question),
        (EventKind.MESSAGE, done.id),
        (EventKind.MESSAGE, streaming.reply_to),
        (EventKind.RESET, streaming.id),
        (EventKind.CHUNK, streaming.id),
        (EventKind.CHUNK, streaming.id),
    ]
    assert [e.cursor for e in replay.events[:-1]] == [RESYNC_CURSOR] * 6
    assert replay.events[-1].cursor == replay.head == await chat.broker.head(ROOM)
    assert replay.settled == {first_question, done.id, streaming.reply_to}
    assert replay.muted == frozenset()


async def test_a_snapshot_mutes_a_message_whose_start_is_no_longer_held() -> None:
    chat = Chat(retention=2)
    session = await chat.open_session()(OWNER, page_id=PAGE)
    streaming = await chat.say("question")
    await start_streaming(chat, streaming.id, "a", "b", "c")

    replay = await chat.replay()(session, None)

    assert [e.kind for e in replay.events] == [EventKind.RESET, EventKind.MESSAGE, EventKind.RESET]
    assert replay.muted == {streaming.id}


def event(kind: EventKind, message_id: str | None, seq: int = 0) -> StreamEvent:
    return StreamEvent(kind, {}, "e.1-0", message_id, 1, seq)


def test_the_live_filter_drops_what_a_snapshot_covered_and_unmutes_on_a_restart() -> None:
    live = LiveFilter(frozenset({"done"}), frozenset({"muted"}))

    assert not live.admits(event(EventKind.MESSAGE, "done"))
    assert not live.admits(event(EventKind.CHUNK, "done", 3))
    assert not live.admits(event(EventKind.CHUNK, "muted", 7))
    assert live.admits(event(EventKind.CHUNK, "muted", 1))
    assert live.admits(event(EventKind.CHUNK, "muted", 2))
    assert live.admits(event(EventKind.PAGE_UPDATED, None))
    other = LiveFilter(frozenset(), frozenset({"muted"}))
    assert other.admits(event(EventKind.RESET, "muted"))
    assert other.admits(event(EventKind.CHUNK, "muted", 5))
