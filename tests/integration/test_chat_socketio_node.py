"""The chat with node's ``socket.io-client`` (pinned in ``tests/js/package.json``, installed with
``npm ci`` from the npm registry when missing) against the app served by uvicorn: the seed's
own front-end code (seed 000) runs a whole chat turn, over polling upgraded to WebSocket (its
default); then sign-in refused, someone else's room, resume after a dropped
connection, cancel."""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

import pytest

from entrypoints.bootstrap.settings import Settings
from tests.integration.chat_helpers import TalkingModelProvider, owner, text_of
from tests.integration.socketio_helpers import JS, http, node, serving, streaming_url

__all__ = ["node", "streaming_url"]
pytestmark = [pytest.mark.node, pytest.mark.xdist_group("node")]
RUN_TIMEOUT = 60.0  # a hang guard for a loaded machine, not a timed assertion


async def run(node: str, script: str, *args: str) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        node, script, *args, cwd=JS, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    async with asyncio.timeout(RUN_TIMEOUT):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


async def test_the_seeds_front_end_code_runs_a_chat_turn(node: str, streaming_url: str) -> None:
    """Polling first, then the upgrade to WebSocket: the seed's client as it comes."""
    async with http(streaming_url) as api:
        who = await owner(api)
    *frames, done = await run(node, "seed_client.mjs", streaming_url, who.token, who.room)

    assert done == {"done": True, "transport": "websocket", "status": "completed"}
    events = [f["event"] for f in frames]
    assert events[:1] == ["session-info"]
    assert "message-accepted" in events
    reply = next(f["data"]["message_id"] for f in frames if f["event"] == "message-accepted")
    final = frames[-1]["data"]
    assert (frames[-1]["event"], final["message_id"]) == ("newMessage", reply)
    assert text_of(frames, reply) == final["content"] != ""


@pytest.mark.parametrize("token", ["forged", ""])
async def test_a_bad_token_is_a_connect_error(node: str, streaming_url: str, token: str) -> None:
    [result] = await run(node, "chat_scenarios.mjs", "refused", streaming_url, token, "page-1")
    assert result["message"] == "invalid or missing token"
    assert result["data"] == {"code": "unauthorized"}


async def test_someone_elses_room_is_refused(node: str, streaming_url: str) -> None:
    async with http(streaming_url) as api:
        who = await owner(api)
        stranger = await owner(api, "타인")
    [result] = await run(
        node, "chat_scenarios.mjs", "stranger", streaming_url, who.token, stranger.room
    )
    refused = {"code": "not_found", "message": "No such page", "event": "joinRoom"}
    error = {"event": "error", "data": {**refused, "room": stranger.room}}
    assert result["ack"] == error
    assert result["events"] == [error]


@pytest.mark.parametrize("transport", ["polling", "websocket"])
async def test_resume_after_a_dropped_connection(
    node: str, streaming_url: str, transport: str
) -> None:
    async with http(streaming_url) as api:
        who = await owner(api)
    [result] = await run(
        node, "chat_scenarios.mjs", "resume", streaming_url, who.token, who.room, transport
    )
    reply, events, mark = result["reply"], result["events"], result["mark"]
    first = events[:mark]
    cut = next(i for i, f in enumerate(first) if f["data"].get("cursor") == result["cursor"])
    kept = [f for f in first[: cut + 1] if "cursor" in f["data"]]
    missed = [f for f in events[mark:] if f["event"] != "session-info"]
    frames = kept + missed

    assert result["resumed"]["event"] == "session-info"
    assert frames[-1]["data"] == result["final"]
    assert text_of(frames, reply) == result["final"]["content"] != ""
    chunks = [f["data"]["seq"] for f in frames if f["event"] == "message-chunk"]
    assert chunks == sorted(set(chunks))
    assert len({f["data"]["cursor"] for f in frames}) == len(frames)


async def test_cancel(node: str, settings: Settings) -> None:
    async with serving(settings, TalkingModelProvider()) as url:
        async with http(url) as api:
            who = await owner(api)
        [result] = await run(node, "chat_scenarios.mjs", "cancel", url, who.token, who.room)

    reply = result["reply"]
    assert result["ack"] is None
    assert result["final"]["status"] == "cancelled"
    mine = [f["event"] for f in result["events"] if f["data"].get("message_id") == reply]
    assert mine[-2:] == ["message-cancelled", "newMessage"]
    assert text_of(result["events"], reply) == result["final"]["content"] != ""
