"""The served JavaScript client (``/static/mocheong-client.js``) under node against the app
served by uvicorn, over the raw WebSocket and over Socket.IO: a streamed turn assembled in
order, a connection dropped mid-reply and resumed with no gap or duplicate (signing in again
with a fresh token), a refused message, cancel."""

from __future__ import annotations

from typing import Any

import pytest

from entrypoints.bootstrap.settings import Settings
from tests.integration.chat_helpers import TalkingModelProvider, owner
from tests.integration.socketio_helpers import http, node, serving, streaming_url
from tests.integration.test_chat_socketio_node import run

__all__ = ["node", "streaming_url"]
pytestmark = [pytest.mark.node, pytest.mark.xdist_group("node")]
MODULE = "mocheong-client.js"


@pytest.fixture(params=["websocket", "socketio"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def served_module(streaming_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The module as the app serves it, saved for node to import."""
    async with http(streaming_url) as api:
        response = await api.get(f"/static/{MODULE}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    path = tmp_path_factory.mktemp("client") / MODULE
    path.write_bytes(response.content)
    return str(path)


async def scenario(
    node: str, streaming_url: str, module: str, name: str, transport: str
) -> dict[str, Any]:
    async with http(streaming_url) as api:
        who = await owner(api)
    [result] = await run(
        node, "client_scenarios.mjs", module, name, streaming_url, who.token, who.room, transport
    )
    assert "error" not in result, result
    return result


@pytest.mark.parametrize("name", ["turn", "resume"])
async def test_a_turn_is_assembled_in_order_also_across_a_reconnect(
    node: str,
    streaming_url: str,
    transport: str,
    name: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    module = await served_module(streaming_url, tmp_path_factory)
    result = await scenario(node, streaming_url, module, name, transport)
    assert result["status"] == "completed"
    assert result["streamed"] == result["text"] == result["content"] != ""
    assert result["stats"] == {"duplicates": 0, "gaps": 0, "reconnects": int(name == "resume")}
    assert result["tokens"] == 1 + int(name == "resume")  # a fresh token for the new connection
    assert result["refused"] == []


async def test_a_refused_token_is_replaced_by_a_fresh_one_and_the_turn_goes_on(
    node: str, streaming_url: str, transport: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A login that expired: the server refuses the first token (a close 4401 after the
    socket opened, or Socket.IO's ``connect_error``), the client asks ``getToken`` again
    saying so, joins with the fresh one and runs the turn."""
    module = await served_module(streaming_url, tmp_path_factory)
    result = await scenario(node, streaming_url, module, "expired", transport)
    assert result["refused"] == [2]
    assert result["tokens"] == 2
    assert result["session"]["room"].startswith("page-")
    assert result["status"] == "completed"
    assert result["streamed"] == result["text"] == result["content"] != ""
    assert (result["stats"]["duplicates"], result["stats"]["gaps"]) == (0, 0)


async def test_a_refused_message_rejects_the_promise(
    node: str, streaming_url: str, transport: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    module = await served_module(streaming_url, tmp_path_factory)
    result = await scenario(node, streaming_url, module, "refused", transport)
    assert result["code"] == "validation_error"


async def test_a_refused_cancel_is_not_taken_for_the_answer_to_a_message_in_flight(
    node: str, streaming_url: str, transport: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    module = await served_module(streaming_url, tmp_path_factory)
    result = await scenario(node, streaming_url, module, "crossed", transport)
    assert result["answer"] == {"client_message_id": "crossed-1"}
    assert [(e["event"], e["code"], e["message_id"]) for e in result["errors"]] == [
        ("cancel", "not_found", "no-such-message")
    ]


async def test_cancel(
    node: str, settings: Settings, transport: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with serving(settings, TalkingModelProvider()) as url:
        module = await served_module(url, tmp_path_factory)
        result = await scenario(node, url, module, "cancel", transport)
    assert result["status"] == "cancelled"
    assert result["streamed"] == result["content"] != ""
