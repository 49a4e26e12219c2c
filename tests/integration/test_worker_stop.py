"""A real ``mocheong worker`` whose Redis stops answering while it stops (SIGTERM) exits 0
instead of starting over: a worker that lost Redis starts again by itself (``keep_running``),
but not once it was asked to stop, else it runs on until its SIGKILL (quality target R9).
Neither a lost Redis nor a stop leaves a task of the worker's to asyncio, which logged it as an
error of its own ("Task was destroyed but it is pending", "Task exception was never
retrieved"; the chaos run R6R saw both at each freeze of its Redis).

The worker reaches Redis through ``BlackholeProxy``: its open connections are silenced right
after the SIGTERM, as a Redis too slow to answer within ``MOCHEONG_REDIS_SOCKET_TIMEOUT`` is to
it; connections opened later pass, so a worker that started over would run on for good.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
import httpx

from tests import services
from tests.integration.redis_faults import BlackholeProxy
from tests.integration.test_drain import GUARD, chat_message, start_worker, stop, wait_for
from tests.live_server import START_TIMEOUT, cli_environ, served


@contextmanager
def proxied(redis_url: str) -> Iterator[tuple[str, BlackholeProxy, asyncio.AbstractEventLoop]]:
    """``BlackholeProxy`` in front of ``redis_url``, on an event loop of its own thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    proxy = BlackholeProxy(redis_url)
    asyncio.run_coroutine_threadsafe(proxy.start(), loop).result(GUARD)
    try:
        yield proxy.url, proxy, loop
    finally:
        asyncio.run_coroutine_threadsafe(proxy.close(), loop).result(GUARD)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(GUARD)
        loop.close()


@attrs.frozen
class Streaming:
    """A worker behind ``BlackholeProxy`` with a chat reply streaming in it."""

    worker: subprocess.Popen[bytes]
    log: Path
    proxy: BlackholeProxy
    loop: asyncio.AbstractEventLoop

    def freeze(self) -> None:
        """Silences the worker's open connections; the ones it opens later pass."""
        self.loop.call_soon_threadsafe(self.proxy.freeze)


@contextmanager
def streaming(tmp_path: Path, settings: dict[str, str]) -> Iterator[Streaming]:
    """An API on the machine's Redis and a worker (with ``settings``) reaching it through
    ``BlackholeProxy``, running a chat reply; the worker is killed if still running after."""
    services.require_redis()
    shared = {
        "MOCHEONG_REDIS_URL": services.REDIS_URL,
        "MOCHEONG_REDIS_PREFIX": services.unique_redis_prefix(),
        "MOCHEONG_OFFLINE_MODEL_DELAY_MS": "500",
    }
    with (
        served(tmp_path, tmp_path / "server.log", shared) as (_api, base),
        proxied(services.REDIS_URL) as (url, proxy, loop),
        httpx.Client(base_url=base, timeout=GUARD) as http,
    ):
        worker_env = {
            **shared,
            "MOCHEONG_REDIS_URL": url,
            "MOCHEONG_REDIS_SOCKET_TIMEOUT": "1",
            "MOCHEONG_JOBS_HEALTH_CHECK_INTERVAL": "1",
            "MOCHEONG_WORKER_HEALTH_PATH": str(tmp_path / "worker.health"),
            **settings,
        }
        log = tmp_path / "worker.log"
        worker = start_worker(cli_environ(tmp_path, worker_env), log)
        try:
            started(tmp_path / "worker.health")
            message = chat_message(http)
            wait_for(lambda: message.status(http) == "streaming")
            yield Streaming(worker, log, proxy, loop)
        finally:
            stop(worker)


def test_a_worker_whose_redis_goes_silent_while_it_stops_exits_0(tmp_path: Path) -> None:
    # The reply outlasts the grace: the worker is still polling when Redis goes silent.
    with streaming(tmp_path, {"MOCHEONG_JOBS_SHUTDOWN_GRACE": "10"}) as run:
        run.worker.send_signal(signal.SIGTERM)
        run.freeze()
        try:
            code: int | None = run.worker.wait(timeout=GUARD)
        except subprocess.TimeoutExpired:
            code = None  # still running: it started over instead of stopping

    log = run.log.read_text()
    assert code == 0, log
    assert "worker_stopped_without_redis" in log
    assert not leaked(log), log


def test_a_worker_whose_redis_goes_silent_leaves_no_task_to_asyncio(tmp_path: Path) -> None:
    with streaming(tmp_path, {"MOCHEONG_JOBS_HAND_BACK_WAIT": "0.5"}) as run:
        run.freeze()  # with the reply in flight: the worker starts over
        wait_for(lambda: "worker_redis_lost" in run.log.read_text())
        run.worker.send_signal(signal.SIGTERM)
        code = run.worker.wait(timeout=GUARD)

    log = run.log.read_text()
    assert code == 0, log
    assert not leaked(log), log


def leaked(log: str) -> list[str]:
    """asyncio's errors about tasks nobody awaited, in a worker's log."""
    errors = ("Task was destroyed but it is pending", "Task exception was never retrieved")
    return [line for line in log.splitlines() if any(error in line for error in errors)]


def started(health: Path) -> None:
    """Waits for the worker's first health beat (its poll loop runs)."""
    deadline = time.monotonic() + START_TIMEOUT
    while not health.exists():
        assert time.monotonic() < deadline, "hang guard: the worker never beat"
        time.sleep(0.1)
