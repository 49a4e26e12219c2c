"""With a Kakao key (pointed at a local Kakao Local server) the offline agent's map agent
finds the venue: its candidates' coordinates reach the page and the map component."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from tests.fakes import kakao_local
from tests.integration.accounts_http import Client
from tests.integration.chat_helpers import owner, stored, submit
from tests.integration.pages_helpers import create_complete_page, user_headers


@pytest.fixture
def backend() -> str:
    """SQLite only: the geocoder's side is under test here, not the database's."""
    return "sqlite"


@pytest.fixture
async def kakao() -> AsyncIterator[kakao_local.FakeKakaoLocal]:
    async with kakao_local.FakeKakaoLocal() as server:
        yield server


@pytest.fixture
async def client(kakao: kakao_local.FakeKakaoLocal, settings: Settings) -> AsyncIterator[Client]:
    configured = evolve(
        settings,
        offline_model_delay_ms=0,
        chat_coalesce_ms=0,
        kakao_rest_key=kakao_local.KEY,
        kakao_base_url=kakao.url,
    )
    async with AsyncTestClient(create_app(configured)) as test_client:
        yield test_client


async def test_the_map_agent_finds_the_venue_through_kakao(
    client: Client, kakao: kakao_local.FakeKakaoLocal
) -> None:
    who = await owner(client)

    accepted = await submit(client, who, "예식장은 더채플앳청담이에요")
    reply = await stored(client, who, accepted["session_id"], accepted["message_id"])

    assert reply["status"] == "completed", reply
    assert "map" in reply["metadata"]["agents"]
    assert kakao.requests, "Kakao Local was not asked"
    page = (await client.get(f"/api/pages/{who.page_id}", headers=who.headers)).json()
    venue = page["venue"]
    assert venue["name"] == "더채플앳청담"
    assert (venue["lat"], venue["lng"]) == (37.5243234, 127.0423451)
    maps = [c for c in reply["components"] if c["type"] == "map"]
    assert maps
    assert (maps[0]["lat"], maps[0]["lng"]) == (37.5243234, 127.0423451)
    assert maps[0]["attribution"] == {"text": "© Kakao", "url": "https://map.kakao.com"}
    # The studio's preview of the page, as guests will see it, credits the map source.
    token = who.headers["Authorization"].removeprefix("Bearer ")
    preview = await client.get(f"/studio/preview/{who.page_id}", params={"token": token})
    assert preview.status_code == 200, preview.text
    assert '<a href="https://map.kakao.com" rel="noopener noreferrer">© Kakao</a>' in preview.text


async def test_the_public_page_credits_the_geocoder_of_a_placed_venue(client: Client) -> None:
    headers = await user_headers(client)
    page = await create_complete_page(
        client, headers, venue={"name": "더채플앳청담", "address": "서울 강남구 선릉로 757"}
    )
    unplaced = (await client.get(f"/i/{page['slug']}")).text
    assert "data-map-credit" not in unplaced
    placed = await client.patch(
        f"/api/pages/{page['id']}",
        json={"venue": {"lat": 37.5243234, "lng": 127.0423451}},
        headers={**headers, "If-Match": f'"{page["version"]}"'},
    )
    assert placed.status_code == 200, placed.text
    shown = (await client.get(f"/i/{page['slug']}")).text
    assert '<a href="https://map.kakao.com" rel="noopener noreferrer">© Kakao</a>' in shown
