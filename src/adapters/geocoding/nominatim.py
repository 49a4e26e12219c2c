"""``NominatimGeocoder``: venues through a Nominatim server (OpenStreetMap's geocoder), for
deployments without a Kakao key.

Nominatim's usage policy (https://operations.osmfoundation.org/policies/nominatim/): at most
one request per second, an identifying User-Agent, results cached, and the attribution
"© OpenStreetMap contributors" shown wherever its results are. The pace is kept per process
here (one instance per process); the cache is ``CachedGeocoder``'s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx

from mocheong_core.agents.ports import Place
from mocheong_core.errors import ServiceUnavailable
from mocheong_core.pages.maplinks import Attribution

ATTRIBUTION = Attribution("© OpenStreetMap contributors", "https://www.openstreetmap.org/copyright")
MAX_LIMIT = 40  # Nominatim's largest ``limit``


class NominatimGeocoder:
    searches = True
    attribution: Attribution | None = ATTRIBUTION

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        interval: float = 1.0,
        language: str = "ko,en",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client, self._interval, self._language, self._clock = (
            client,
            interval,
            language,
            clock,
        )
        self._turn = asyncio.Lock()
        self._last = float("-inf")

    @classmethod
    def connect(
        cls, base_url: str, user_agent: str, timeout: float, interval: float
    ) -> NominatimGeocoder:
        client = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, headers={"User-Agent": user_agent}
        )
        return cls(client, interval=interval)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def search(self, query: str, limit: int) -> list[Place]:
        params: dict[str, str | int] = {
            "q": query,
            "format": "jsonv2",
            "limit": max(1, min(limit, MAX_LIMIT)),
            "accept-language": self._language,
        }
        async with self._turn:
            wait = self._last + self._interval - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last = self._clock()
            try:
                response = await self._client.get("/search", params=params)
            except httpx.TimeoutException:
                raise ServiceUnavailable("Nominatim did not answer in time") from None
            except httpx.TransportError:
                raise ServiceUnavailable("Nominatim could not be reached") from None
        if response.status_code != 200:
            raise ServiceUnavailable(f"Nominatim refused the search ({response.status_code})")
        try:
            results = response.json()
            return [_place(r) for r in results if isinstance(r, dict)][:limit]
        except (ValueError, KeyError, TypeError):
            raise ServiceUnavailable("Nominatim sent an answer that could not be read") from None


def _place(result: dict[str, Any]) -> Place:
    display = str(result["display_name"])
    return Place(
        name=str(result.get("name") or display.split(",")[0]),
        address=display,
        road_address=None,
        lat=float(result["lat"]),
        lng=float(result["lon"]),
        attribution=ATTRIBUTION,
    )
