"""uvicorn's HTTP protocol with a deadline for a request's headers.

uvicorn (0.55) closes a keep-alive connection that stays idle after an answer, but nothing
closes one that sends nothing, or drips a request's headers a byte at a time: a few hundred
such sockets held a process's connections for as long as their clients liked (slowloris).
Here a connection has ``MOCHEONG_SERVER_HEADER_TIMEOUT`` seconds to complete a request's
headers, counted from when it opened or its last answer ended; then it is closed. The value
comes through the environment because uvicorn rebuilds this class by name in each worker
process (``mocheong serve`` puts it there).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT_ENV = "MOCHEONG_SERVER_HEADER_TIMEOUT"
DEFAULT_HEADER_TIMEOUT = 10.0


class HeaderTimeoutHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = float(os.environ.get(HEADER_TIMEOUT_ENV, DEFAULT_HEADER_TIMEOUT))
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def on_headers_complete(self) -> None:
        self._stop_waiting()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        # A pipelined request waiting behind this answer has its headers already.
        waiting = not self.pipeline
        super().on_response_complete()
        if waiting and not self.transport.is_closing():
            self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        self._stop_waiting()
        self._header_timer = self.loop.call_later(self._header_timeout, self._headers_late)

    def _stop_waiting(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()
