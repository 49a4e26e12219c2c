"""The product with ``LLM_PROVIDER`` set to openai or anthropic, pointed at a local server
that speaks the provider's protocol: a Korean turn fills the page through the real SDK; a
provider failing mid-answer ends the reply ``failed`` with a readable reason; a cancel closes
the provider's connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from tests.fakes.providers import (
    NAMES_TURN,
    NAMES_TURN_REPLY,
    PROVIDERS,
    FakeProvider,
    fake_provider,
)
from tests.fakes.script import Ending, Stream
from tests.integration.accounts_http import Client
from tests.integration.chat_helpers import Owner, owner, stored, submit

GUARD = 10.0  # hang guard only


@pytest.fixture(params=PROVIDERS)
async def provider(request: pytest.FixtureRequest) -> AsyncIterator[FakeProvider]:
    async with fake_provider(request.param) as fake:
        yield fake


@pytest.fixture
def backend() -> str:
    """SQLite only: the provider's side is under test here, not the database's."""
    return "sqlite"


@pytest.fixture
async def client(provider: FakeProvider, settings: Settings) -> AsyncIterator[Client]:
    fast = evolve(
        settings,
        chat_coalesce_ms=0,
        chat_lease_seconds=0.6,  # the runner looks for a cancel every third of it
        llm_read_timeout=5.0,
        llm_retry_wait_max=0.01,
        **provider.settings(),
    )
    async with AsyncTestClient(create_app(fast)) as test_client:
        yield test_client


async def _page(client: Client, who: Owner) -> dict[str, object]:
    response = await client.get(f"/api/pages/{who.page_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_korean_turn_fills_the_page_through_the_provider(
    client: Client, provider: FakeProvider
) -> None:
    provider.script_turn(NAMES_TURN)
    who = await owner(client)

    accepted = await submit(client, who, "신랑은 김도윤, 신부는 박하은이에요.")
    reply = await stored(client, who, accepted["session_id"], accepted["message_id"])

    assert reply["status"] == "completed"
    assert reply["content"] == NAMES_TURN_REPLY
    assert reply["metadata"]["provider"] == provider.name
    assert reply["metadata"]["usage"]["output_tokens"] == 4 * 30
    page = await _page(client, who)
    assert page["couple"]["groom"]["name"] == "김도윤"  # type: ignore[index]
    assert len(provider.server.requests) == 4


async def test_an_error_mid_answer_ends_the_reply_failed(
    client: Client, provider: FakeProvider
) -> None:
    events = [*provider.partial("잠시만요"), provider.error_event()]
    provider.server.script(
        provider.reply((), [("c1", "transfer_to_output", {})]), Stream(events, Ending.HANG)
    )
    who = await owner(client)

    accepted = await submit(client, who, "인사말 써줘")
    reply = await stored(client, who, accepted["session_id"], accepted["message_id"])

    assert reply["status"] == "failed"
    assert reply["metadata"]["error"].startswith("The model provider")
    assert "Traceback" not in str(reply["metadata"])
    assert len(provider.server.requests) == 2


async def test_a_cancel_closes_the_provider_connection(
    client: Client, provider: FakeProvider
) -> None:
    events = provider.partial("길게 말할게요")
    provider.server.script(
        provider.reply((), [("c1", "transfer_to_output", {})]), Stream(events, Ending.HANG)
    )
    who = await owner(client)
    accepted = await submit(client, who, "인사말 써줘")
    async with asyncio.timeout(GUARD):
        await provider.server.wait_for(lambda: len(provider.server.requests) == 2)

    cancelled = await client.post(
        f"/api/chat/messages/{accepted['message_id']}/cancel", headers=who.headers
    )

    assert cancelled.status_code == 202, cancelled.text
    await provider.server.wait_for(lambda: provider.server.disconnects == 1)
    reply = await stored(client, who, accepted["session_id"], accepted["message_id"])
    assert reply["status"] == "cancelled"
