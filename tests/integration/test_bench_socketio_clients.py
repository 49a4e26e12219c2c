"""The benchmarks' Socket.IO clients (``bench/ws_load.py``'s, ``bench/chat_client.py``'s) see
at once that the server ended a connection during a join, rather than waiting out their
timeouts (30 s and 15 s) for an answer that cannot come."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from entrypoints.bootstrap.settings import Settings, evolve
from tests.integration.chat_helpers import owner
from tests.integration.socketio_helpers import http, serving

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import ws_load
from chat_client import ConnectionLost, SocketIORoomClient, close_socketio_http


async def test_the_load_client_fails_at_once_when_the_server_ends_its_join(
    settings: Settings,
) -> None:
    # The namespace connect with its token is over the size limit: the server ends it.
    async with serving(evolve(settings, chat_sio_max_message_bytes=64)) as url:
        async with http(url) as api:
            who = await owner(api)
        sio_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        with pytest.raises(ws_load.HandshakeFailed, match="closed"):
            await ws_load.join_socketio(sio_url, who.token, who.room)


async def test_the_chaos_client_fails_at_once_when_the_server_ends_its_join(
    settings: Settings,
) -> None:
    # Room to sign in, none for a ``joinRoom`` naming a room this long: the server ends it.
    limit = 1000
    async with serving(evolve(settings, chat_sio_max_message_bytes=limit)) as url:
        async with http(url) as api:
            who = await owner(api)
        client = SocketIORoomClient([url.replace("http", "ws", 1) + "/ws/chat"], who.token, "p")
        client.room = "page-" + "x" * limit
        try:
            with pytest.raises(ConnectionLost):
                await client.open(0)
        finally:
            await client.close()
            await close_socketio_http()
