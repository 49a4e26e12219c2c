"""``LocalSessionCache``: pages' chat sessions with their owner, kept by this process so that a
submit, a join or a resume does not read them again. Neither changes while the page exists;
deleting the page forgets it in every process (see ``TicketedCache``).

A session is found by its page or by its own id. The id only leads to the page's entry, so
whatever drops the page's entry (its deletion here or in another process, its time, the
bound) drops the session for both ways in.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import cached_property

from adapters.memory.ticketed_cache import TicketedCache
from mocheong_core.chat.model import ChatSession


class LocalSessionCache(TicketedCache[ChatSession]):
    @cached_property
    def _pages(self) -> OrderedDict[str, str]:
        """Session id → page id, as bounded as the entries themselves."""
        return OrderedDict()

    def get(self, page_id: str) -> ChatSession | None:
        return self.lookup(page_id)

    def get_by_id(self, session_id: str) -> ChatSession | None:
        page_id = self._pages.get(session_id)
        session = None if page_id is None else self.lookup(page_id)
        if session is None or session.id != session_id:
            self._pages.pop(session_id, None)
            return None
        return session

    def put(self, session: ChatSession, ticket: int) -> None:
        if not self.keep(session.page_id, session, ticket):
            return
        self._pages[session.id] = session.page_id
        self._pages.move_to_end(session.id)
        while len(self._pages) > self._max_entries:
            self._pages.popitem(last=False)
