"""Chat sessions and messages.

One session per page; its room is ``page-{page_id}``. A turn is a user message and the
assistant message that answers it. The assistant message starts ``pending`` at attempt 0; a
runner claims it (attempt + 1, a lease), streams it and ends it ``completed``, ``failed`` or
``cancelled``. Only the attempt that holds the message may write it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from mocheong_core.errors import Validator

ROOM_PREFIX = "page-"
CLIENT_MESSAGE_ID_MAX = 64


class Role(enum.StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    STREAMING = "streaming"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self not in (MessageStatus.PENDING, MessageStatus.STREAMING)


IN_FLIGHT = frozenset({MessageStatus.PENDING, MessageStatus.STREAMING})


def room_of(page_id: str) -> str:
    return f"{ROOM_PREFIX}{page_id}"


def page_of_room(room: str) -> str | None:
    """The page id a room name stands for, or None when it is not a room name."""
    if not room.startswith(ROOM_PREFIX):
        return None
    page_id = room.removeprefix(ROOM_PREFIX)
    return page_id if 0 < len(page_id) <= 36 else None


@attrs.frozen
class ChatSession:
    id: str
    page_id: str
    created_at: datetime
    owner_id: str | None = None
    """The page's owner, read with the session; None when the page is gone."""

    @property
    def room(self) -> str:
        return room_of(self.page_id)


@attrs.define
class Message:
    id: str
    session_id: str
    role: Role
    status: MessageStatus
    content: str
    created_at: datetime
    updated_at: datetime
    components: list[dict[str, Any]] = attrs.Factory(list)
    attempt: int = 0
    lease_until: datetime | None = None
    client_message_id: str | None = None
    reply_to: str | None = None
    metadata: dict[str, Any] = attrs.Factory(dict)
    cancel_requested_at: datetime | None = None

    def wire(self) -> dict[str, Any]:
        """The ``newMessage`` data clients receive (the broker adds the cursor)."""
        data: dict[str, Any] = {
            "message_id": self.id,
            "session_id": self.session_id,
            "role": self.role.value,
            "content": self.content,
            "components": list(self.components),
            "status": self.status.value,
            "attempt": self.attempt,
            "metadata": dict(self.metadata),
            "created_at": self.created_at.isoformat(),
        }
        if self.client_message_id is not None:
            data["client_message_id"] = self.client_message_id
        if self.reply_to is not None:
            data["reply_to"] = self.reply_to
        return data


@attrs.frozen
class Turn:
    """A user message and the assistant message that answers it."""

    session: ChatSession
    user: Message
    assistant: Message


def validate_submission(text: str, client_message_id: str | None, max_chars: int) -> str:
    """The message text as stored (trimmed), or ``ValidationFailed`` naming each bad field."""
    v = Validator()
    stripped = text.strip()
    v.check(bool(stripped), "message", "must not be empty")
    v.check(len(stripped) <= max_chars, "message", f"must be at most {max_chars} characters")
    if client_message_id is not None:
        v.check(
            0 < len(client_message_id) <= CLIENT_MESSAGE_ID_MAX and client_message_id.isprintable(),
            "client_message_id",
            f"must be 1 to {CLIENT_MESSAGE_ID_MAX} printable characters",
        )
    v.raise_if_any()
    return stripped
