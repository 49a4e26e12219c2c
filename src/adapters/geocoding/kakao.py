"""``KakaoGeocoder``: venues through Kakao Local (the map most Korean couples and guests use).

A keyword search (``/v2/local/search/keyword.json``) finds halls by name; when it finds
nothing the query is tried as an address (``/v2/local/search/address.json``). The key goes as
``Authorization: KakaoAK <key>``; ``x`` is the longitude and ``y`` the latitude, both strings.
Kakao explains a refused key in the body of its 401 or 403 (``{"errorType", "message"}``, or
``{"code", "msg"}`` on older gateways); that explanation reaches the operator and the agent,
the key never does.
"""

from __future__ import annotations

from typing import Any

import httpx

from mocheong_core.agents.ports import Place
from mocheong_core.errors import ServiceUnavailable
from mocheong_core.pages.maplinks import Attribution

KEYWORD = "/v2/local/search/keyword.json"
ADDRESS = "/v2/local/search/address.json"
MAX_SIZE = 15  # Kakao's largest page for both searches
ATTRIBUTION = Attribution("© Kakao", "https://map.kakao.com")


class KakaoGeocoder:
    searches = True
    attribution: Attribution | None = ATTRIBUTION

    def __init__(self, client: httpx.AsyncClient, key: str) -> None:
        self._client = client
        self._headers = {"Authorization": f"KakaoAK {key}"}

    @classmethod
    def connect(cls, base_url: str, key: str, timeout: float) -> KakaoGeocoder:
        return cls(httpx.AsyncClient(base_url=base_url, timeout=timeout), key)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def search(self, query: str, limit: int) -> list[Place]:
        size = max(1, min(limit, MAX_SIZE))
        found = [_keyword_place(d) for d in await self._documents(KEYWORD, query, size)]
        if not found:
            found = [_address_place(d) for d in await self._documents(ADDRESS, query, size)]
        return found[:limit]

    async def _documents(self, path: str, query: str, size: int) -> list[dict[str, Any]]:
        try:
            response = await self._client.get(
                path, params={"query": query, "size": size}, headers=self._headers
            )
        except httpx.TimeoutException:
            raise ServiceUnavailable("Kakao Local did not answer in time") from None
        except httpx.TransportError:
            raise ServiceUnavailable("Kakao Local could not be reached") from None
        if response.status_code != 200:
            raise ServiceUnavailable(_refusal(response))
        try:
            documents = response.json()["documents"]
        except (ValueError, KeyError, TypeError):
            raise ServiceUnavailable("Kakao Local sent an answer that could not be read") from None
        return [d for d in documents if isinstance(d, dict)]


def _refusal(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = {}
    said = body.get("message") or body.get("msg") if isinstance(body, dict) else None
    kind = body.get("errorType") if isinstance(body, dict) else None
    because = f": {kind + ' — ' if kind else ''}{said}" if said else ""
    status = response.status_code
    if status == 401:
        return f"Kakao Local refused MOCHEONG_KAKAO_REST_KEY (a REST API key is needed){because}"
    if status == 403:
        return (
            "Kakao Local is not allowed for this key's app (enable 카카오맵 in the app's "
            f"settings on developers.kakao.com){because}"
        )
    if status == 429:
        return f"Kakao Local's quota for this key is used up{because}"
    return f"Kakao Local failed ({status}){because}"


def _coordinates(document: dict[str, Any]) -> tuple[float, float]:
    try:
        return float(document["y"]), float(document["x"])
    except (KeyError, TypeError, ValueError):
        raise ServiceUnavailable("Kakao Local sent a place without coordinates") from None


def _keyword_place(document: dict[str, Any]) -> Place:
    lat, lng = _coordinates(document)
    return Place(
        name=str(document.get("place_name") or document.get("address_name") or ""),
        address=str(document.get("address_name") or ""),
        road_address=document.get("road_address_name") or None,
        lat=lat,
        lng=lng,
        attribution=ATTRIBUTION,
    )


def _address_place(document: dict[str, Any]) -> Place:
    lat, lng = _coordinates(document)
    road = document.get("road_address")
    road_name = road.get("address_name") if isinstance(road, dict) else None
    building = road.get("building_name") if isinstance(road, dict) else None
    address = str(document.get("address_name") or "")
    return Place(
        name=str(building or address),
        address=address,
        road_address=road_name or None,
        lat=lat,
        lng=lng,
        attribution=ATTRIBUTION,
    )
