"""`mocheong serve` in a child process on a free port, for tests that need the real process:
its log output, or a client speaking real HTTP (the schemathesis fuzz run)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 180.0
"""A hang guard, not a timed assertion: on a loaded shared machine importing the app alone
has taken a minute."""
CLI = [sys.executable, "-m", "entrypoints.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_server(
    data_dir: Path, output: Path, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Serves the product on SQLite in ``data_dir``, writing stdout and stderr to ``output``;
    yields the base URL once ``/health`` answers."""
    with served(data_dir, output, env) as (_process, base_url):
        yield base_url


@contextmanager
def served(
    data_dir: Path, output: Path, env: Mapping[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``live_server``, yielding the server's process too (to signal it)."""
    port = free_port()
    environ = cli_environ(data_dir, env)
    command = [*CLI, "serve", "--host", "127.0.0.1"]
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=environ, stdout=sink, stderr=subprocess.STDOUT
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(process, base_url, output)
            yield process, base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cli_environ(data_dir: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a ``mocheong`` command on ``data_dir`` (``CLI``)."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "MOCHEONG_ENV": "test",
        "MOCHEONG_DATA_DIR": str(data_dir),
        **(env or {}),
    }


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, output: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited at start:\n{output.read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {START_TIMEOUT} s:\n{output.read_text()}")
