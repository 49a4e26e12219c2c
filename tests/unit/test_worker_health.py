"""The worker's health beat and ``mocheong worker check``: a fresh beat passes, a stale or
missing one fails both probes, a dependency that did not answer fails readiness only."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from dishka import Provider, Scope, make_async_container

from entrypoints import cli
from entrypoints.runtime.probes import ReadinessProbes
from entrypoints.worker.app import beat
from entrypoints.worker.health import Beat, HealthFile, verdict

NOW = 1_000_000.0


def test_a_fresh_beat_with_nothing_failing_passes_both_probes() -> None:
    fresh = Beat(at=NOW - 5)
    assert verdict(fresh, max_age=30, live=True, now=NOW) is None
    assert verdict(fresh, max_age=30, live=False, now=NOW) is None


def test_a_stale_beat_is_a_stuck_worker_for_both_probes() -> None:
    stale = Beat(at=NOW - 31)
    for live in (True, False):
        problem = verdict(stale, max_age=30, live=live, now=NOW)
        assert problem is not None
        assert "31 s old" in problem
        assert "stuck" in problem


def test_no_beat_fails_both_probes() -> None:
    for live in (True, False):
        problem = verdict(None, max_age=30, live=live, now=NOW)
        assert problem is not None
        assert "not running" in problem


def test_an_unreachable_dependency_fails_readiness_but_not_liveness() -> None:
    waiting = Beat(at=NOW - 1, failing=("database", "redis"))
    assert verdict(waiting, max_age=30, live=True, now=NOW) is None
    assert verdict(waiting, max_age=30, live=False, now=NOW) == (
        "the worker cannot reach: database, redis"
    )


def test_the_file_keeps_the_beat_and_is_gone_once_removed(tmp_path: Path) -> None:
    health = HealthFile(tmp_path / "deeper" / "worker.health")
    before = time.time()

    health.write(["storage"])
    read = health.read()

    assert read is not None
    assert read.failing == ("storage",)
    assert read.pid == os.getpid()
    assert read.at >= before
    assert [p.name for p in health.path.parent.iterdir()] == ["worker.health"]  # no leftovers
    health.remove()
    assert health.read() is None
    health.remove()  # removing twice is fine


@pytest.mark.parametrize("text", ["", "{", '{"at": "soon"}', '["at"]', '{"at": 1, "pid": 2}'])
def test_a_damaged_file_reads_as_no_beat(tmp_path: Path, text: str) -> None:
    path = tmp_path / "worker.health"
    path.write_text(text)
    assert HealthFile(path).read() is None


async def test_a_beat_names_the_dependencies_that_did_not_answer(tmp_path: Path) -> None:
    async def answers() -> None:
        return None

    async def refuses() -> None:
        raise ConnectionRefusedError("database down")

    provider = Provider(scope=Scope.APP)
    probes = ReadinessProbes({"database": refuses, "redis": answers, "storage": refuses})
    provider.provide(lambda: probes, provides=ReadinessProbes)
    container = make_async_container(provider)
    health = HealthFile(tmp_path / "worker.health")
    try:
        await beat(container, health)
    finally:
        await container.close()

    read = health.read()
    assert read is not None
    assert read.failing == ("database", "storage")


@pytest.fixture
def health_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in [name for name in os.environ if name.startswith("MOCHEONG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MOCHEONG_ENV", "test")
    path = tmp_path / "worker.health"
    monkeypatch.setenv("MOCHEONG_WORKER_HEALTH_FILE", str(path))
    monkeypatch.setenv("MOCHEONG_WORKER_HEALTH_MAX_AGE", "30")
    return path


def test_the_check_command_exits_0_on_a_fresh_beat(health_path: Path) -> None:
    HealthFile(health_path).write()
    assert cli.main(["worker", "check"]) == 0
    assert cli.main(["worker", "check", "--live"]) == 0


def test_the_check_command_exits_1_and_says_why(
    health_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["worker", "check", "--live"]) == 1
    assert "no health beat" in capsys.readouterr().err

    health_path.write_text(json.dumps({"at": time.time() - 60, "failing": [], "pid": 1}))
    assert cli.main(["worker", "check", "--live"]) == 1
    assert "stuck" in capsys.readouterr().err

    HealthFile(health_path).write(["redis"])
    assert cli.main(["worker", "check", "--live"]) == 0
    assert cli.main(["worker", "check"]) == 1
    assert "cannot reach: redis" in capsys.readouterr().err
