"""The Kakao Local and Nominatim geocoders against local servers speaking their JSON."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.geocoding.cache import CachedGeocoder
from adapters.geocoding.kakao import KakaoGeocoder
from adapters.geocoding.nominatim import NominatimGeocoder
from mocheong_core.agents.ports import Place
from mocheong_core.errors import ServiceUnavailable
from mocheong_core.pages.maplinks import Attribution
from tests.fakes import kakao_local, nominatim

AGENT = "mocheong-test/1 (ops@example.com)"
KAKAO_CREDIT = Attribution("© Kakao", "https://map.kakao.com")


@pytest.fixture
async def kakao() -> AsyncIterator[kakao_local.FakeKakaoLocal]:
    async with kakao_local.FakeKakaoLocal() as server:
        yield server


@pytest.fixture
async def osm() -> AsyncIterator[nominatim.FakeNominatim]:
    async with nominatim.FakeNominatim() as server:
        yield server


async def _kakao_search(
    server: kakao_local.FakeKakaoLocal, query: str, key: str = kakao_local.KEY
) -> list[Place]:
    geocoder = KakaoGeocoder.connect(server.url, key, timeout=5.0)
    try:
        return await geocoder.search(query, 5)
    finally:
        await geocoder.aclose()


async def test_kakao_keyword_search_gives_candidates_with_x_as_longitude(
    kakao: kakao_local.FakeKakaoLocal,
) -> None:
    places = await _kakao_search(kakao, "더채플앳")

    assert places[0] == Place(
        name="더채플앳청담",
        address="서울 강남구 청담동 4-1",
        road_address="서울 강남구 선릉로158길 11",
        lat=37.5243234,
        lng=127.0423451,
        attribution=KAKAO_CREDIT,
    )
    assert len(places) == 2
    assert kakao.requests[0].headers["authorization"] == f"KakaoAK {kakao_local.KEY}"


async def test_kakao_falls_back_to_an_address_search(kakao: kakao_local.FakeKakaoLocal) -> None:
    places = await _kakao_search(kakao, "서울 중구 세종대로 110")

    assert places == [
        Place(
            "서울시청",
            "서울 중구 세종대로 110",
            "서울 중구 세종대로 110",
            37.5662952,
            126.9779692,
            KAKAO_CREDIT,
        )
    ]
    assert [r.path.split("?")[0] for r in kakao.requests] == [
        "/v2/local/search/keyword.json",
        "/v2/local/search/address.json",
    ]


async def test_kakao_finding_nothing_is_an_empty_list(kakao: kakao_local.FakeKakaoLocal) -> None:
    assert await _kakao_search(kakao, "없는 예식장") == []


async def test_a_bad_kakao_key_is_explained_without_the_key(
    kakao: kakao_local.FakeKakaoLocal,
) -> None:
    with pytest.raises(ServiceUnavailable) as refused:
        await _kakao_search(kakao, "더채플앳", key="not-the-secret-key")

    assert "MOCHEONG_KAKAO_REST_KEY" in refused.value.detail
    assert "wrong appKey format" in refused.value.detail
    assert "not-the-secret" not in refused.value.detail


async def test_a_key_whose_app_lacks_kakao_map_is_explained(
    kakao: kakao_local.FakeKakaoLocal,
) -> None:
    kakao.refusal = kakao_local.disabled()

    with pytest.raises(ServiceUnavailable) as refused:
        await _kakao_search(kakao, "더채플앳")

    assert "enable 카카오맵" in refused.value.detail
    assert "disabled OPEN_MAP_AND_LOCAL" in refused.value.detail


async def test_an_unreachable_kakao_is_a_clear_failure() -> None:
    async with kakao_local.FakeKakaoLocal() as server:
        url = server.url
    with pytest.raises(ServiceUnavailable, match="could not be reached"):
        await KakaoGeocoder.connect(url, kakao_local.KEY, timeout=5.0).search("x", 5)


async def test_nominatim_sends_its_user_agent_and_paces_its_requests(
    osm: nominatim.FakeNominatim, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [100.0]
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds
        await real_sleep(0)

    monkeypatch.setattr("adapters.geocoding.nominatim.asyncio.sleep", sleep)
    client = httpx.AsyncClient(base_url=osm.url, headers={"User-Agent": AGENT})
    geocoder = NominatimGeocoder(client, interval=1.0, clock=lambda: now[0])

    places = await geocoder.search("westminster abbey", 5)
    now[0] += 0.25
    await geocoder.search("westminster abbey", 5)
    await geocoder.aclose()

    assert places[0].name == "Westminster Abbey"
    assert (places[0].lat, places[0].lng) == (51.5007292, -0.1246254)
    assert places[0].attribution == geocoder.attribution
    assert geocoder.attribution is not None
    assert geocoder.attribution.text == "© OpenStreetMap contributors"
    assert geocoder.attribution.url == "https://www.openstreetmap.org/copyright"
    assert [r.headers["user-agent"] for r in osm.requests] == [AGENT, AGENT]
    assert slept == [pytest.approx(0.75)]


async def test_cached_answers_cost_no_second_request(osm: nominatim.FakeNominatim) -> None:
    inner = NominatimGeocoder.connect(osm.url, AGENT, 5.0, 0.001)
    geocoder = CachedGeocoder(inner, max_entries=10, ttl_seconds=60)

    first = await geocoder.search("Westminster  Abbey", 5)
    again = await geocoder.search("westminster abbey", 5)
    await inner.aclose()

    assert first == again
    assert len(osm.requests) == 1
