"""The log events a module emits, captured where it logs.

``structlog.testing.capture_logs`` swaps the processors of the configuration in force; a
module logger already used under an earlier configuration (``cache_logger_on_first_use``, as
every process configures it, and another test in the same process may have configured it
anew) keeps that one's processors and is not captured. Replacing the module's ``log`` is
what reaches it whatever ran before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import ModuleType
from unittest import mock

import structlog
from structlog.testing import LogCapture
from structlog.typing import EventDict


@contextmanager
def captured_logs(*modules: ModuleType) -> Iterator[list[EventDict]]:
    """The events logged through each module's ``log`` while the block runs."""
    capture = LogCapture()
    with ExitStack() as patches:
        for module in modules:
            logger = structlog.wrap_logger(None, processors=[capture])
            patches.enter_context(mock.patch.object(module, "log", logger))
        yield capture.entries
