"""``LocalSessionCache``: pages' chat sessions with their owner, kept by this process so that a
submit or a join does not read them again. Neither changes while the page exists; deleting the
page forgets it in every process (see ``TicketedCache``)."""

from __future__ import annotations

from adapters.memory.ticketed_cache import TicketedCache
from mocheong_core.chat.model import ChatSession


class LocalSessionCache(TicketedCache[ChatSession]):
    def get(self, page_id: str) -> ChatSession | None:
        return self.lookup(page_id)

    def put(self, session: ChatSession, ticket: int) -> None:
        self.keep(session.page_id, session, ticket)
