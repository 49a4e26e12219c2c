"""A ``nats-server`` of the test's own on a free port, for a test that stops, freezes or
misconfigures its server (the machine's on 4222 is never touched)."""

from __future__ import annotations

import asyncio
import shutil
import socket
from asyncio.subprocess import DEVNULL, Process
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

GUARD = 20.0
"""Hang guard only: a server that never listens fails the test instead of blocking it."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def private_nats_server(*options: str) -> AsyncIterator[tuple[str, Process]]:
    """Its URL and process, once it accepts connections; ``options`` as ``-js``."""
    binary = shutil.which("nats-server")
    if binary is None:
        pytest.fail("nats-server is not on PATH: the NATS tests need it", pytrace=False)
    port = _free_port()
    server = await asyncio.create_subprocess_exec(
        binary, "-a", "127.0.0.1", "-p", str(port), *options, stdout=DEVNULL, stderr=DEVNULL
    )
    try:
        async with asyncio.timeout(GUARD):
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    await asyncio.sleep(0.02)
        yield f"nats://127.0.0.1:{port}", server
    finally:
        if server.returncode is None:
            server.kill()
        await server.wait()
