"""``CachedGeocoder``: the answers of a geocoder kept in this process for a while, so a venue
the couple names again (or the same hall on many pages) costs no request — Nominatim's usage
policy asks for it, and Kakao's daily quota is finite."""

from __future__ import annotations

from adapters.memory.ticketed_cache import TicketedCache
from mocheong_core.agents.ports import Geocoder, Place


class CachedGeocoder:
    def __init__(self, inner: Geocoder, max_entries: int, ttl_seconds: float) -> None:
        self._inner = inner
        self._answers: TicketedCache[list[Place]] = TicketedCache(max_entries, ttl_seconds)
        self.searches, self.attribution = inner.searches, inner.attribution

    async def search(self, query: str, limit: int) -> list[Place]:
        key = f"{limit}:{' '.join(query.split()).casefold()}"
        ticket = self._answers.ticket()
        found = self._answers.lookup(key)
        if found is None:
            found = await self._inner.search(query, limit)
            self._answers.keep(key, found, ticket)
        return list(found)
