"""What the chat context needs from outside: storage, page ownership and a model.

The stream broker port lives in ``stream.py`` and the job queue in ``jobs/ports.py``.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

import attrs

from mocheong_core.chat.model import ChatSession, Message, MessageStatus
from mocheong_core.chat.stream import EventDraft, Fence, History, StreamEvent
from mocheong_core.pages.model import Page


class Keep(enum.Enum):
    """Leave the field as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


@attrs.frozen
class Guard:
    """What a conditional write expects to find. The write happens only while the message
    still has this ``attempt`` (any, when None) and one of ``statuses``, and, with
    ``lease_ended_by``, a lease that ended before that time."""

    statuses: frozenset[MessageStatus]
    attempt: int | None = None
    lease_ended_by: datetime | None = None


@attrs.frozen
class Changes:
    updated_at: datetime
    status: MessageStatus | Keep = KEEP
    attempt: int | Keep = KEEP
    lease_until: datetime | Keep | None = KEEP
    content: str | Keep = KEEP
    components: list[dict[str, Any]] | Keep = KEEP
    metadata: dict[str, Any] | Keep = KEEP
    cancel_requested_at: datetime | Keep = KEEP


class ChatRepository(Protocol):
    async def session_for_page(self, page_id: str) -> ChatSession | None: ...

    async def get_session(self, session_id: str) -> ChatSession | None: ...

    async def add_session(self, session: ChatSession) -> ChatSession:
        """Stores ``session`` unless its page has one already; returns the page's session."""
        ...

    async def add_turn(self, user: Message, assistant: Message) -> bool:
        """Stores both messages; False (storing nothing) when the session already has a
        message with the user message's ``client_message_id``. After False the unit of work
        must be rolled back before it is used again."""
        ...

    async def find_turn(
        self, session_id: str, client_message_id: str
    ) -> tuple[Message, Message] | None:
        """The user message with that client id and the assistant message answering it."""
        ...

    async def get_message(self, message_id: str) -> Message | None: ...

    async def list_messages(
        self, session_id: str, *, limit: int, before: str | None = None
    ) -> list[Message]:
        """Messages newest first, those with an id below ``before`` when it is given."""
        ...

    async def update_if(self, message_id: str, guard: Guard, changes: Changes) -> bool:
        """Applies ``changes`` in one conditional write; False when ``guard`` did not hold."""
        ...

    async def update_returning(
        self, message_id: str, guard: Guard, changes: Changes
    ) -> Message | None:
        """``update_if`` that also returns the message as written (None when ``guard`` did
        not hold), in the same round trip where the store can (``UPDATE … RETURNING``)."""
        ...

    async def expired(self, now: datetime, limit: int) -> list[Message]:
        """In-flight (pending or streaming) messages whose lease ended before ``now``."""
        ...


class SessionCache(Protocol):
    """Pages' chat sessions (with their owner) as this process last read them. A session and
    its page's owner never change; a deleted page is forgotten by every process."""

    def ticket(self) -> int:
        """Taken before reading a session from the store and handed to ``put``."""
        ...

    def get(self, page_id: str) -> ChatSession | None: ...

    def get_by_id(self, session_id: str) -> ChatSession | None:
        """The session of that id when its page's session is kept (a page has one session)."""
        ...

    def put(self, session: ChatSession, ticket: int) -> None: ...

    async def forget(self, page_id: str) -> None:
        """Drops the page's session here and in every other process; never raises."""
        ...


class TurnStore(Protocol):
    async def store(self, user: Message, assistant: Message) -> bool:
        """Stores both messages and commits them (an implementation may commit the turns of
        several submits together); False, storing nothing, when the session already has a
        message with the user message's ``client_message_id``."""
        ...


class StreamBroker(Protocol):
    async def claim(self, message_id: str, attempt: int, lease_seconds: float) -> None:
        """Makes ``attempt`` the only one allowed to append for ``message_id``; calling it
        again renews it. Raises ``StaleAttempt`` if a newer attempt already claimed it."""
        ...

    async def append(self, room: str, draft: EventDraft, fence: Fence | None = None) -> StreamEvent:
        """Appends to the room's stream and rings its doorbell, in one round trip.

        With a fence: raises ``StaleAttempt`` if another attempt owns the message (or the
        broker lost the fence) and, for ``CANCELLABLE_KINDS``, ``RunCancelled`` if a cancel
        was requested; chunks and components get the next ``seq`` of (message, attempt),
        starting at 1.
        """
        ...

    async def history(self, room: str, after: str | None, limit: int = 1000) -> History:
        """Events after ``after`` (from the start when None), oldest first."""
        ...

    async def head(self, room: str) -> str:
        """The cursor of the room's newest event, or of its empty start (giving the room an
        epoch if it has none): resuming from it yields exactly the events appended later."""
        ...

    def listen(self, room: str) -> AbstractAsyncContextManager[AsyncIterator[StreamEvent]]:
        """Live events of a room in stream order with no gap: an adapter that notices a gap
        (a lost notice, a reconnect) fills it from the stream before going on.

        Once the context is entered, every event appended afterwards is delivered (so a caller
        may listen first, then read ``history`` and drop what it already sent). When history
        is gone for good, a ``stream-reset`` with ``reason`` ``HISTORY_LOST`` comes instead.
        """
        ...

    async def request_cancel(self, message_id: str) -> None:
        """Seen by the fenced ``append`` of whichever process runs the message."""
        ...

    async def cancel_requested(self, message_id: str) -> bool: ...


class PageAccess(Protocol):
    async def owner_of(self, page_id: str) -> str | None:
        """The id of the page's owner, or None when there is no such page."""
        ...


@attrs.frozen
class TextDelta:
    text: str


@attrs.frozen
class ComponentPart:
    """A UI component (``{"type": ..., ...}``) the model produced."""

    component: dict[str, Any]


@attrs.frozen
class MetadataPart:
    """Facts about the answer (usage, the agents that ran) that the runner stores in the
    message's metadata beside the model's label; nothing is shown."""

    metadata: dict[str, Any]


ModelPart = TextDelta | ComponentPart | MetadataPart


@attrs.frozen
class ModelTurn:
    """What a model answers: the session and its finished messages, oldest first, ending
    with the user message of this turn; and the session's page as the runner's claim read
    it, in the same transaction (None when the page is gone)."""

    session: ChatSession
    history: list[Message]
    page: Page | None = None

    @property
    def question(self) -> str:
        return self.history[-1].content if self.history else ""


class ChatModel(Protocol):
    label: dict[str, Any]
    """Stored in the message metadata, e.g. ``{"model": "offline", "offline": true}``."""

    def stream(self, turn: ModelTurn) -> AsyncIterator[ModelPart]:
        """The answer as it is produced. The runner stops a call by cancelling the task that
        iterates it; an implementation releases its provider request in a ``finally``."""
        ...
