"""Structured JSON logs: every line carries the request id; secrets are redacted.

Libraries that log through the standard ``logging`` module (Alembic's migrations, arq, httpx)
go through the same processors and renderer, so a process writes one format only.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

SECRET_KEYS = frozenset(
    {"password", "token", "access_token", "refresh_token", "authorization", "secret", "api_key"}
)


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key.lower() in SECRET_KEYS:
            event[key] = "[redacted]"
    return event


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    number = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        logger_factory=_StderrLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.ExtraAdder(),
            *shared,
            structlog.stdlib.add_logger_name,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    root = logging.getLogger()
    # Configured again (each app a test builds): replace our handler, keep everyone else's.
    root.handlers = [h for h in root.handlers if not isinstance(h, _StructlogHandler)]
    handler = _StructlogHandler()
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(number)


class _StderrLogger:
    """structlog's output: each line goes to ``sys.stderr`` as it is when the line is written,
    not as it was when logging was configured (a test's captured stream is closed after it)."""

    def __init__(self, *_: Any) -> None:
        pass

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


class _StructlogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``configure_logging`` installs on the root logger; like ``_StderrLogger``,
    it writes to the ``sys.stderr`` of the moment."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass
