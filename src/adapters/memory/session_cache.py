"""``LocalSessionCache``: pages' chat sessions with their owner, kept by this process so that a
submit, a join or a resume does not read them again. Neither changes while the page exists;
deleting the page forgets it in every process (see ``TicketedCache``).

A session is found by its page or by its own id. The id only leads to the page's entry, so
whatever drops the page's entry (its deletion here or in another process, its time, the
bound) drops the session for both ways in.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from adapters.memory.ticketed_cache import CachePeers, TicketedCache
from mocheong_core.chat.model import ChatSession


class LocalSessionCache(TicketedCache[ChatSession]):
    def __init__(
        self,
        max_entries: int,
        ttl_seconds: float,
        peers: CachePeers | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(max_entries, ttl_seconds, peers, clock)
        self._pages: OrderedDict[str, str] = OrderedDict()
        """Session id → page id, as bounded as the entries themselves."""
        self._max_ids = max_entries

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
        while len(self._pages) > self._max_ids:
            self._pages.popitem(last=False)
