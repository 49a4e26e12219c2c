"""An API process that stops without losing a client (quality target R9).

On SIGTERM the process drains: ``/ready`` answers 503, every open chat socket is closed with
1012 ("service restart": the client resumes from its cursor on another process), Socket.IO
clients get Engine.IO's close packet (their client reconnects on its own), SSE streams end
after a last comment (``EventSource`` reconnects with ``Last-Event-ID``), and a socket or stream
opened meanwhile is closed the same way at once. The ASGI server then stops accepting, lets
requests in flight finish within ``MOCHEONG_SERVER_SHUTDOWN_GRACE`` and runs the stop hooks;
the process exits 0.

``drain_on_sigterm`` puts the drain in front of the server's own SIGTERM handling: uvicorn's
Python-level handler is chained after it, granian's worker is stopped with SIGINT (which its
worker handles like SIGTERM) once the streams are closed, since granian drops an upgraded
WebSocket without a close frame when it stops.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Final

import structlog

Closer = Callable[[], Awaitable[None]]
RESTART: Final = 1012
"""The WebSocket close code of a draining process: service restart, connect again."""
CLOSE_TIMEOUT = 5.0
"""Seconds the closing of all streams may take; a client that does not take its close frame
is left to the server's grace period."""

log = structlog.get_logger("mocheong.drain")


class Drain:
    """The open streams of this process, closed together when it stops."""

    def __init__(self) -> None:
        self._closers: set[Closer] = set()
        self._started = asyncio.Event()
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def draining(self) -> bool:
        return self._started.is_set()

    async def wait(self) -> None:
        """Returns once the process drains (SSE streams end on it)."""
        await self._started.wait()

    def add(self, closer: Closer) -> None:
        """Registers an open stream; one opened while draining is closed at once."""
        self._closers.add(closer)
        if self.draining:
            task = asyncio.get_running_loop().create_task(self._close(closer))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def discard(self, closer: Closer) -> None:
        self._closers.discard(closer)

    async def start(self) -> None:
        """Turns unready and closes every open stream (once; later calls return at once)."""
        if self.draining:
            return
        self._started.set()
        closers = list(self._closers)
        log.info("drain_started", streams=len(closers))
        if closers:
            await asyncio.wait(
                [asyncio.create_task(self._close(closer)) for closer in closers],
                timeout=CLOSE_TIMEOUT,
            )
        log.info("drain_streams_closed", streams=len(closers))

    async def _close(self, closer: Closer) -> None:
        try:
            await closer()
        except Exception as exc:  # a client already gone: nothing left to tell it
            log.debug("drain_close_failed", error=repr(exc))


def drain_on_sigterm(drain: Drain, server: str) -> None:
    """Runs ``drain`` when this process gets SIGTERM, before ``server`` stops (call it from
    the running app's start-up, in the process that serves)."""
    loop = asyncio.get_running_loop()
    if server == "granian":
        # granian's worker stops on SIGINT as on SIGTERM; SIGTERM becomes ours.
        def granian_term() -> None:
            task = loop.create_task(_then_stop_granian(drain))
            _running.add(task)

        loop.add_signal_handler(signal.SIGTERM, granian_term)
        return
    previous = signal.getsignal(signal.SIGTERM)

    def uvicorn_term(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(_start_soon, loop, drain)
        if callable(previous):
            previous(signum, frame)  # uvicorn stops accepting, then waits for the streams

    signal.signal(signal.SIGTERM, uvicorn_term)


_running: set[asyncio.Task[None]] = set()


def _start_soon(loop: asyncio.AbstractEventLoop, drain: Drain) -> None:
    task = loop.create_task(drain.start())
    _running.add(task)
    task.add_done_callback(_running.discard)


async def _then_stop_granian(drain: Drain) -> None:
    await drain.start()
    os.kill(os.getpid(), signal.SIGINT)
