"""``mocheong worker check`` against real ``mocheong worker`` processes on Redis: a running
worker passes both probes; one frozen (SIGSTOP: its loop stuck) fails them once its last beat
is older than ``MOCHEONG_WORKER_HEALTH_MAX_AGE``; a stopped one fails them at once; one that
cannot reach Redis keeps passing liveness, fails readiness and still stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from entrypoints.bootstrap.settings import PREFIX, Settings
from tests import services

GUARD = 180.0  # hang guard only: the worker process imports and connects first
MAX_AGE = 2.0
CLI = [sys.executable, "-c", "import sys; from entrypoints.cli import main; sys.exit(main())"]


@pytest.fixture
def backend() -> str:
    """SQLite (one file the worker and the test share): the probe is under test."""
    return "sqlite"


def environment(settings: Settings, redis_url: str, health: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    env.update(
        {
            f"{PREFIX}ENV": "test",
            f"{PREFIX}DATA_DIR": str(settings.app.data_dir),
            f"{PREFIX}REDIS_URL": redis_url,
            f"{PREFIX}REDIS_PREFIX": services.unique_redis_prefix(),
            f"{PREFIX}WORKER_HEALTH_FILE": str(health),
            f"{PREFIX}WORKER_HEALTH_MAX_AGE": str(MAX_AGE),
            f"{PREFIX}JOBS_HEALTH_CHECK_INTERVAL": "1",
        }
    )
    return env


def check(env: dict[str, str], *flags: str) -> int:
    return subprocess.run([*CLI, "worker", "check", *flags], env=env, check=False).returncode


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.2)


@pytest.fixture
def worker_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    services.require_redis()
    return environment(settings, services.REDIS_URL, tmp_path / "worker.health")


@pytest.fixture
def worker(worker_env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([*CLI, "worker"], env=worker_env)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.kill()
            process.wait(GUARD)


def test_a_running_worker_passes_a_frozen_one_fails_and_a_stopped_one_fails(
    worker: subprocess.Popen[bytes], worker_env: dict[str, str]
) -> None:
    until(lambda: check(worker_env) == 0, "the worker became ready")
    assert check(worker_env, "--live") == 0

    worker.send_signal(signal.SIGSTOP)  # its event loop no longer runs: stuck
    until(lambda: check(worker_env, "--live") != 0, "the frozen worker failed liveness")
    assert check(worker_env, "--live") == 1
    assert check(worker_env) == 1

    worker.send_signal(signal.SIGCONT)
    until(lambda: check(worker_env, "--live") == 0, "the woken worker beat again")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(GUARD) == 0
    assert check(worker_env, "--live") == 1
    assert check(worker_env) == 1
    assert not Path(worker_env[f"{PREFIX}WORKER_HEALTH_FILE"]).exists()


def test_a_worker_without_redis_is_alive_but_not_ready(settings: Settings, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    env = environment(settings, f"redis://127.0.0.1:{port}/0", tmp_path / "worker.health")
    process = subprocess.Popen([*CLI, "worker"], env=env)
    try:
        until(lambda: Path(env[f"{PREFIX}WORKER_HEALTH_FILE"]).exists(), "a beat naming Redis")
        assert check(env, "--live") == 0
        assert check(env) == 1
        # Stopped while it waits to connect again, it still exits at once, and cleanly.
        process.send_signal(signal.SIGTERM)
        assert process.wait(GUARD) == 0
        assert not Path(env[f"{PREFIX}WORKER_HEALTH_FILE"]).exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(GUARD)
