"""``mocheong serve`` runs the ASGI server ``MOCHEONG_SERVER`` names, with the product's
options; the servers are replaced by recorders, so nothing listens."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from entrypoints import cli
from entrypoints.bootstrap.settings import DEFAULT_SERVER, SettingsError, load_settings
from entrypoints.runtime.header_timeout import HEADER_TIMEOUT_ENV, HeaderTimeoutHttpToolsProtocol


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A clean ``MOCHEONG_*`` environment (no ``.env`` either) with Redis, so that
    ``--workers`` above 1 is allowed."""
    monkeypatch.chdir(tmp_path)
    for name in [name for name in os.environ if name.startswith("MOCHEONG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MOCHEONG_ENV", "test")
    monkeypatch.setenv("MOCHEONG_REDIS_URL", "redis://127.0.0.1:6379/0")
    # ``serve`` hands the header deadline to uvicorn's workers here; undone after the test.
    monkeypatch.setenv(HEADER_TIMEOUT_ENV, "10")
    return monkeypatch


@pytest.fixture
def uvicorn_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    import uvicorn

    runs: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: runs.append((target, options)))
    return runs


class FakeGranian:
    made: list[tuple[str, dict[str, Any]]] = []  # noqa: RUF012
    served = 0

    def __init__(self, target: str, **options: Any) -> None:
        FakeGranian.made.append((target, options))

    def serve(self) -> None:
        FakeGranian.served += 1


@pytest.fixture
def granian_servers(monkeypatch: pytest.MonkeyPatch) -> type[FakeGranian]:
    import granian.server

    FakeGranian.made, FakeGranian.served = [], 0
    monkeypatch.setattr(granian.server, "Server", FakeGranian)
    return FakeGranian


def test_the_server_setting_defaults_to_uvicorn_and_names_itself_when_wrong(
    environment: pytest.MonkeyPatch,
) -> None:
    assert load_settings(env_file=None).server.name == DEFAULT_SERVER == "uvicorn"
    environment.setenv("MOCHEONG_SERVER", "granian")
    assert load_settings(env_file=None).server.name == "granian"
    environment.setenv("MOCHEONG_SERVER", "hypercorn")
    with pytest.raises(SettingsError, match="MOCHEONG_SERVER must be uvicorn or granian"):
        load_settings(env_file=None)


def test_serve_runs_uvicorn_with_the_product_options(
    environment: pytest.MonkeyPatch,
    uvicorn_runs: list[tuple[str, dict[str, Any]]],
    granian_servers: type[FakeGranian],
) -> None:
    environment.setenv("MOCHEONG_SERVER", "uvicorn")

    assert cli.main(["serve", "--port", "8123", "--workers", "3"]) == 0

    assert granian_servers.made == []
    [(target, options)] = uvicorn_runs
    assert target == cli.APP
    assert options["factory"] is True
    assert (options["host"], options["port"], options["workers"]) == ("127.0.0.1", 8123, 3)
    assert (options["loop"], options["http"], options["ws"]) == (
        "uvloop",
        HeaderTimeoutHttpToolsProtocol,
        "websockets-sansio",
    )
    assert options["proxy_headers"] is False  # TRUSTED_PROXY_HOPS decides, not the server
    assert options["ws_per_message_deflate"] is False
    assert (options["ws_max_size"], options["limit_concurrency"]) == (65_536, 10_000)
    assert options["timeout_keep_alive"] == 5
    assert os.environ[HEADER_TIMEOUT_ENV] == "10.0"


def test_the_server_limits_are_settings(
    environment: pytest.MonkeyPatch,
    uvicorn_runs: list[tuple[str, dict[str, Any]]],
    granian_servers: type[FakeGranian],
) -> None:
    environment.setenv("MOCHEONG_SERVER_HEADER_TIMEOUT", "2.5")
    environment.setenv("MOCHEONG_SERVER_KEEP_ALIVE_TIMEOUT", "3")
    environment.setenv("MOCHEONG_SERVER_MAX_CONNECTIONS", "50")
    environment.setenv("MOCHEONG_WS_MAX_FRAME_BYTES", "20000")

    assert cli.main(["serve"]) == 0
    environment.setenv("MOCHEONG_SERVER", "granian")
    assert cli.main(["serve"]) == 0

    [(_, options)] = uvicorn_runs
    assert (options["ws_max_size"], options["limit_concurrency"]) == (20_000, 50)
    assert options["timeout_keep_alive"] == 3
    assert os.environ[HEADER_TIMEOUT_ENV] == "2.5"
    [(_, granian)] = granian_servers.made
    assert granian["http1_settings"].header_read_timeout == 2500
    assert granian["backpressure"] == 50


def test_serve_runs_granian_when_asked(
    environment: pytest.MonkeyPatch,
    uvicorn_runs: list[tuple[str, dict[str, Any]]],
    granian_servers: type[FakeGranian],
) -> None:
    from granian.constants import Interfaces

    environment.setenv("MOCHEONG_SERVER", "granian")
    environment.setenv("MOCHEONG_WORKERS", "2")

    assert cli.main(["serve"]) == 0

    assert uvicorn_runs == []
    [(target, options)] = granian_servers.made
    assert granian_servers.served == 1
    assert target == cli.APP
    assert options["interface"] is Interfaces.ASGI
    assert (options["address"], options["port"], options["workers"]) == ("127.0.0.1", 8000, 2)
    assert options["factory"] is True
    assert options["websockets"] is True


def test_a_bad_server_stops_serve_before_anything_starts(
    environment: pytest.MonkeyPatch,
    uvicorn_runs: list[tuple[str, dict[str, Any]]],
    granian_servers: type[FakeGranian],
    capsys: pytest.CaptureFixture[str],
) -> None:
    environment.setenv("MOCHEONG_SERVER", "gunicorn")

    assert cli.main(["serve"]) == 2

    assert "MOCHEONG_SERVER must be uvicorn or granian" in capsys.readouterr().err
    assert (uvicorn_runs, granian_servers.made) == ([], [])
