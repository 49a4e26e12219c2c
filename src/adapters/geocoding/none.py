"""``NoGeocoder``: the geocoder when none is configured. It finds nothing, so the venue is what
the couple wrote, and its map links are made from the name and address alone."""

from __future__ import annotations

from mocheong_core.agents.ports import Place
from mocheong_core.pages.maplinks import Attribution


class NoGeocoder:
    searches = False
    attribution: Attribution | None = None

    async def search(self, query: str, limit: int) -> list[Place]:
        return []
