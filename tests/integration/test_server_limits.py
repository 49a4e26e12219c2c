"""The real `mocheong serve` (uvicorn, the default) drops sockets that send nothing, drip half
a request or sit idle after an answer, answers a body that does not arrive in time with 408,
and closes an oversized first WebSocket frame with 1009.
`nox -s attack` runs the same on both servers with a table."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from tests.live_server import live_server

GUARD = 20.0
"""Hang guard only: a socket the server never drops fails the test instead of blocking it."""
DEADLINE = "0.5"


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    folder: Path = tmp_path_factory.mktemp("limits")
    env = {
        "MOCHEONG_SERVER_HEADER_TIMEOUT": DEADLINE,
        "MOCHEONG_SERVER_KEEP_ALIVE_TIMEOUT": "1",
        "MOCHEONG_WS_AUTH_FRAME_BYTES": "1024",
        "MOCHEONG_SERVER_BODY_TIMEOUT": DEADLINE,
    }
    with live_server(folder, folder / "server.log", env) as base_url:
        yield int(base_url.rsplit(":", 1)[1])


def dropped(sock: socket.socket, drip: bytes = b"") -> bool:
    """Whether the server closes ``sock`` before the hang guard, sending ``drip`` meanwhile."""
    sock.settimeout(0.1)
    started = time.monotonic()
    while time.monotonic() - started < GUARD:
        try:
            if drip:
                sock.sendall(drip)
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def test_a_socket_that_sends_nothing_is_dropped(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        assert dropped(sock)


def test_a_socket_dripping_half_a_request_is_dropped(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        assert dropped(sock, drip=b"X")


def test_an_idle_keep_alive_connection_is_dropped_after_its_answer(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(GUARD)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        assert dropped(sock)


def test_a_body_dripped_past_its_deadline_is_answered_408_and_dropped(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        sock.settimeout(GUARD)
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 408")
        assert dropped(sock)


def test_a_big_first_frame_is_refused_with_1009(port: int) -> None:
    with ws_connect(f"ws://127.0.0.1:{port}/ws/chat", max_size=None) as ws:
        ws.send('{"event":"auth","data":{"token":"' + "x" * 100_000 + '"}}')
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=GUARD)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009
