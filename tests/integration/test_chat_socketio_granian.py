"""Socket.IO on the real ``mocheong serve --server granian`` (granian's own ASGI WebSocket and
HTTP, not uvicorn's): python-socketio's client runs a streamed turn over WebSocket only and
over polling upgraded to WebSocket."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.chat_helpers import final_of, owner, text_of
from tests.integration.socketio_helpers import SioClient, http
from tests.integration.test_chat_socketio import TRANSPORTS, seqs_of
from tests.live_server import live_server


@pytest.fixture(scope="module")
def granian_url(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("granian")
    shutil.copy(sqlite_template, folder / "mocheong.db")
    env = {"MOCHEONG_SERVER": "granian", "MOCHEONG_OFFLINE_MODEL_DELAY_MS": "5"}
    with live_server(folder, folder / "server.log", env) as base_url:
        yield base_url


@pytest.mark.parametrize("transport", list(TRANSPORTS))
async def test_a_streamed_turn_over_socketio_on_granian(granian_url: str, transport: str) -> None:
    async with http(granian_url) as api:
        who = await owner(api)
    client = SioClient()
    await client.connect(granian_url, who.token, TRANSPORTS[transport])
    try:
        info = await client.call("joinRoom", room=who.room)
        assert info["event"] == "session-info"
        assert info["data"]["room"] == who.room
        accepted = await client.call(
            "chat-message", text="신랑 김민준 신부 이서연", client_message_id="g1"
        )
        assert accepted["event"] == "message-accepted"
        reply = accepted["data"]["message_id"]
        frames = await client.until(final_of(reply))
        assert client.sio.transport() == "websocket"  # polling was upgraded
    finally:
        await client.close()

    final = frames[-1]["data"]
    assert final["status"] == "completed"
    assert text_of(frames, reply) == final["content"] != ""
    assert seqs_of(frames, reply) == list(range(1, len(seqs_of(frames, reply)) + 1))
