"""The served JavaScript client (``/static/mocheong-client.js``) in headless Chromium against
the app served by uvicorn: the page imports the module as it is served (no build step), runs a
turn, drops its connection after the first chunk and gets the rest with no gap or duplicate;
over the browser's own WebSocket and over Socket.IO (socket.io-client's ES module build from
``tests/js``, served to the page by the test)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Route

from tests.integration.browser_support import chromium, launched
from tests.integration.chat_helpers import owner
from tests.integration.socketio_helpers import JS, http, node, streaming_url

__all__ = ["chromium", "node", "streaming_url"]
pytestmark = [pytest.mark.browser, pytest.mark.node, pytest.mark.xdist_group("node")]
SOCKET_IO = JS / "node_modules/socket.io-client/dist/socket.io.esm.min.js"


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """The test serves the page itself (an address Chromium does not know): its calls to the
    app on 127.0.0.1 must not be held back as a public page reaching a local network."""
    async with launched(chromium, "--disable-features=LocalNetworkAccessChecks") as running:
        yield running


SCENARIO = """async ([token, room, transport]) => {
  const { connectChat } = await import("/static/mocheong-client.js");
  const { io } = transport === "socketio" ? await import("/vendor/socket.io.esm.min.js") : {};
  const chat = connectChat({ url: location.origin, transport, io, getToken: async () => token });
  const firstChunk = new Promise((resolve) => {
    const stop = chat.on("message-chunk", (data) => { stop(); resolve(data); });
  });
  await chat.join(room);
  const { message_id } = await chat.send("2027년 5월 15일 오후 1시");
  const final = new Promise((resolve) => {
    chat.on("newMessage", (data) => data.message_id === message_id && resolve(data));
  });
  await firstChunk;
  await chat.reconnect();
  const message = await final;
  chat.close();
  const { streamed, text } = chat.messages.get(message_id);
  return { streamed, text, content: message.content, stats: chat.stats };
}"""


@pytest.mark.parametrize("transport", ["websocket", "socketio"])
async def test_the_client_in_chromium_resumes_a_reply_with_no_gap_or_duplicate(
    browser: Browser, node: str, streaming_url: str, transport: str
) -> None:
    async with http(streaming_url) as api:
        who = await owner(api)
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    async def vendor(route: Route) -> None:
        await route.fulfill(path=SOCKET_IO, content_type="text/javascript")

    async def blank(route: Route) -> None:  # a page of the app's origin, of no CSP of ours
        await route.fulfill(body="<!doctype html><title>chat</title>", content_type="text/html")

    await page.route("**/vendor/socket.io.esm.min.js", vendor)
    await page.route("**/chat-test", blank)
    await page.goto(f"{streaming_url}/chat-test")
    result: dict[str, Any] = await page.evaluate(SCENARIO, [who.token, who.room, transport])
    await page.close()

    assert errors == []
    assert result["streamed"] == result["text"] == result["content"] != ""
    assert result["stats"] == {"duplicates": 0, "gaps": 0, "reconnects": 1}
