"""What a process does when it starts and stops, beyond what dishka opens lazily."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

Hook = Callable[[], Awaitable[None]]
log = structlog.get_logger("mocheong.lifecycle")


class LifecycleHooks:
    """Start hooks run in order; stop hooks run in reverse, each even if another failed."""

    def __init__(self) -> None:
        self._starts: list[Hook] = []
        self._stops: list[Hook] = []

    def on_start(self, hook: Hook) -> None:
        self._starts.append(hook)

    def on_stop(self, hook: Hook) -> None:
        self._stops.append(hook)

    async def start(self) -> None:
        for hook in self._starts:
            await hook()

    async def stop(self) -> None:
        for hook in reversed(self._stops):
            try:
                await hook()
            except Exception as exc:  # a failing stop must not keep the others from running
                log.warning(
                    "stop_hook_failed", hook=getattr(hook, "__name__", "?"), error=repr(exc)
                )
