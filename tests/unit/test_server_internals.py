"""What the product relies on inside its ASGI servers, beyond their public options. These
fail loudly when an upgrade (pyproject.toml bounds both) moves one of them:

- the header deadline (``runtime/header_timeout.py``) subclasses uvicorn's httptools protocol:
  it overrides four of its methods and reads ``pipeline``, ``transport`` and ``loop``;
- the drain (``runtime/drain.py``) chains uvicorn's Python-level SIGTERM handler, and lets
  ``mocheong serve`` exit 0 because uvicorn raises the signal again with the handlers it found
  once it stopped;
- on granian the drain stops the worker with SIGINT, which granian's worker handles as SIGTERM.
"""

from __future__ import annotations

import asyncio
import inspect
import signal
from typing import Any

import granian._signals
import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import Server, ServerState

from entrypoints.runtime.header_timeout import HeaderTimeoutHttpToolsProtocol

OVERRIDDEN = {
    "connection_made": ["self", "transport"],
    "on_headers_complete": ["self"],
    "on_response_complete": ["self"],
    "connection_lost": ["self", "exc"],
}


@pytest.mark.parametrize(("name", "parameters"), OVERRIDDEN.items())
def test_the_httptools_methods_the_header_deadline_overrides_are_unchanged(
    name: str, parameters: list[str]
) -> None:
    method = getattr(HttpToolsProtocol, name)
    assert list(inspect.signature(method).parameters) == parameters
    assert getattr(HeaderTimeoutHttpToolsProtocol, name) is not method


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1), "sockname": ("127.0.0.1", 2)}.get(name, default)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


async def test_the_httptools_attributes_the_header_deadline_reads_exist() -> None:
    config = Config(app=lambda *_: None, http=HeaderTimeoutHttpToolsProtocol, lifespan="off")
    config.load()
    protocol = HeaderTimeoutHttpToolsProtocol(
        config=config, server_state=ServerState(), app_state={}
    )
    transport = Transport()
    protocol.connection_made(transport)
    try:
        assert protocol.transport is transport
        assert protocol.loop is asyncio.get_running_loop()
        assert len(protocol.pipeline) == 0
        assert protocol._header_timer is not None  # armed at once: a silent socket is dropped
    finally:
        protocol.connection_lost(None)


def test_uvicorn_handles_sigterm_in_python_and_raises_it_again_once_stopped() -> None:
    assert list(inspect.signature(Server.handle_exit).parameters) == ["self", "sig", "frame"]
    source = inspect.getsource(Server.capture_signals)
    assert "signal.signal(sig, self.handle_exit)" in source
    assert "signal.raise_signal(captured_signal)" in source


def test_granian_workers_stop_on_sigint_as_on_sigterm() -> None:
    assert {signal.SIGINT, signal.SIGTERM} <= set(granian._signals._get_signals())
