"""One log format per process: structlog's lines and the standard library's (Alembic, arq,
httpx) are both JSON, with the request id bound and secrets redacted."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
import structlog

from entrypoints.bootstrap.logging import configure_logging


@pytest.fixture(autouse=True)
def unbind() -> Iterator[None]:
    yield
    structlog.contextvars.clear_contextvars()


def read(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]


# Each test configures logging itself: the handlers write to the stderr of that moment, which
# pytest captures per test phase.


def test_standard_library_lines_are_json_with_the_bound_context(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", json=True)
    structlog.contextvars.bind_contextvars(request_id="req-1")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade %s", "0001")

    [line] = read(capsys)
    assert line["event"] == "Running upgrade 0001"
    assert line["logger"] == "alembic.runtime.migration"
    assert line["level"] == "info"
    assert line["request_id"] == "req-1"


def test_secrets_are_redacted_on_both_paths(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=True)
    structlog.get_logger("mocheong.test").info("login", password="hunter2", email="a@b.c")
    logging.getLogger("some.library").info("call", extra={"token": "abc.def.ghi"})

    first, second = read(capsys)
    assert first["password"] == "[redacted]"
    assert first["email"] == "a@b.c"
    assert second["token"] == "[redacted]"
    assert "hunter2" not in json.dumps([first, second])


def test_lines_below_the_level_are_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("WARNING", json=True)
    logging.getLogger("some.library").info("chatter")
    structlog.get_logger("mocheong.test").info("chatter")
    logging.getLogger("some.library").warning("worth seeing")

    assert [line["event"] for line in read(capsys)] == ["worth seeing"]


def test_configuring_again_keeps_one_handler_of_ours() -> None:
    configure_logging("INFO")
    configure_logging("INFO")
    ours = [h for h in logging.getLogger().handlers if type(h).__name__ == "_StructlogHandler"]
    assert len(ours) == 1


def test_lines_go_to_the_stderr_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Configured while one stream was stderr, logging still writes after it was closed and
    replaced (pytest closes a test's captured stream; a later test logs through the same
    configuration)."""
    earlier = io.StringIO()
    monkeypatch.setattr(sys, "stderr", earlier)
    configure_logging("INFO", json=True)
    earlier.close()
    now = io.StringIO()
    monkeypatch.setattr(sys, "stderr", now)

    structlog.get_logger("mocheong.test").warning("from_structlog")
    logging.getLogger("some.library").warning("from_the_standard_library")

    events = [json.loads(line)["event"] for line in now.getvalue().splitlines()]
    assert events == ["from_structlog", "from_the_standard_library"]
