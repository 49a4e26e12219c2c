"""How an assistant message ends, whoever ends it (its runner, a cancel, the sweeper).

The final state is written to the database, fenced, BEFORE the final event is appended: a
client that sees ``newMessage`` can always read the same message back, and of two enders only
the one whose conditional write won appends anything.
"""

from __future__ import annotations

import contextlib
from typing import Any

import attrs

from mocheong_core.chat.errors import StaleAttempt
from mocheong_core.chat.model import Message, MessageStatus
from mocheong_core.chat.ports import Changes, ChatRepository, Guard, StreamBroker
from mocheong_core.chat.stream import EventDraft, EventKind
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.uow import UnitOfWork


class MessageEnder:
    def __init__(
        self, chats: ChatRepository, broker: StreamBroker, uow: UnitOfWork, clock: Clock
    ) -> None:
        self._chats, self._broker, self._uow, self._clock = chats, broker, uow, clock

    async def end(
        self,
        room: str,
        message: Message,
        guard: Guard,
        status: MessageStatus,
        *,
        content: str,
        components: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        fence_out: int | None = None,
        lease_seconds: float = 0,
    ) -> Message | None:
        """Ends ``message`` with ``status`` if ``guard`` still holds; None when it did not.

        ``fence_out``: an attempt number the broker is claimed for first, so a runner that
        lost the message (it may still be alive) can append nothing after the final event.
        """
        now = self._clock.now()
        ended = attrs.evolve(
            message,
            status=status,
            content=content,
            components=list(message.components if components is None else components),
            metadata=dict(message.metadata if metadata is None else metadata),
            lease_until=None,
            updated_at=now,
        )
        changes = Changes(
            updated_at=now,
            status=status,
            lease_until=None,
            content=ended.content,
            components=ended.components,
            metadata=ended.metadata,
        )
        won = await self._chats.update_if(message.id, guard, changes)
        await self._uow.commit()
        if not won:
            return None
        if fence_out is not None:
            # A newer attempt holding the fence already keeps the lost one out just as well.
            with contextlib.suppress(StaleAttempt):
                await self._broker.claim(message.id, fence_out, lease_seconds)
        if status is MessageStatus.CANCELLED:
            await self._broker.append(
                room,
                EventDraft(EventKind.CANCELLED, {"message_id": message.id}, message.id),
            )
        await self._broker.append(room, EventDraft(EventKind.MESSAGE, ended.wire(), message.id))
        return ended
