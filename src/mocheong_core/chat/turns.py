"""The plain ``TurnStore``: a turn stored and committed in the caller's unit of work."""

from __future__ import annotations

from mocheong_core.chat.model import Message
from mocheong_core.chat.ports import ChatRepository
from mocheong_core.kernel.uow import UnitOfWork


class TurnInTransaction:
    def __init__(self, chats: ChatRepository, uow: UnitOfWork) -> None:
        self._chats, self._uow = chats, uow

    async def store(self, user: Message, assistant: Message) -> bool:
        if await self._chats.add_turn(user, assistant):
            await self._uow.commit()
            return True
        await self._uow.rollback()
        return False
