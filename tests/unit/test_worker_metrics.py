"""The worker's metrics listener: off at port 0; on, it serves this process's registry and
is gone once the worker ends."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

from entrypoints.bootstrap.settings import SettingsError, load_settings
from entrypoints.worker.metrics import metrics_listener


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_port_zero_serves_nothing() -> None:
    with metrics_listener(0) as port:
        assert port is None


def test_the_listener_serves_the_registry_until_the_block_ends() -> None:
    with metrics_listener(free_port(), host="127.0.0.1") as port:
        assert port is not None
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
    assert "# TYPE mocheong_model_tokens_total counter" in text
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5)


def test_a_port_out_of_range_is_refused() -> None:
    with pytest.raises(SettingsError, match="WORKER_METRICS_PORT must be a port"):
        load_settings({"MOCHEONG_WORKER_METRICS_PORT": "70000"}, env_file=None)
