"""The worker's health, for a container's probes (``mocheong worker check``).

The worker process writes a beat to a file of its own (``MOCHEONG_WORKER_HEALTH_FILE``) from
its poll loop, every ``MOCHEONG_JOBS_HEALTH_CHECK_INTERVAL`` seconds: the time, and which of
its dependencies (the database, Redis, the file store: the checks of the API's ``/ready``)
did not answer. While Redis is lost and the worker waits to connect again, it writes a beat
naming Redis. ``mocheong worker check`` reads the file, without importing the worker or
touching the network, and exits 0 or 1:

- ``--live`` (liveness): a beat younger than ``MOCHEONG_WORKER_HEALTH_MAX_AGE``. A worker
  whose loop is stuck (a blocked event loop, a poll that never returns) stops beating and
  fails; one that is only waiting for Redis or the database keeps beating and passes, so an
  outage does not restart every worker.
- without it (readiness, start-up): a fresh beat with nothing failing.

arq's own health key (``<queue>:health-check``) is one key per queue: any worker of the queue
refreshes it, so it cannot tell which worker is stuck, and reading it needs Redis.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

import attrs


@attrs.frozen
class Beat:
    at: float
    """Wall-clock time of the beat (``time.time()``)."""
    failing: tuple[str, ...] = ()
    """The dependencies that did not answer."""
    pid: int = 0


class HealthFile:
    """The beat file of one worker process."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, failing: list[str] | tuple[str, ...] = ()) -> None:
        """Replaces the beat at once (a probe never reads half a file)."""
        beat = {"at": time.time(), "failing": list(failing), "pid": os.getpid()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        partial.write_text(json.dumps(beat))
        partial.replace(self.path)

    def read(self) -> Beat | None:
        try:
            data = json.loads(self.path.read_text())
            return Beat(
                at=float(data["at"]),
                failing=tuple(str(name) for name in data["failing"]),
                pid=int(data["pid"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def remove(self) -> None:
        """A worker that stopped leaves no beat behind to be mistaken for a live one."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def verdict(beat: Beat | None, *, max_age: float, live: bool, now: float) -> str | None:
    """None when healthy, else why not (one line for the probe's output)."""
    if beat is None:
        return "no health beat: the worker is not running or has not started yet"
    age = now - beat.at
    if age > max_age:
        return f"the last health beat is {age:.0f} s old (limit {max_age:g} s): the worker is stuck"
    if not live and beat.failing:
        return f"the worker cannot reach: {', '.join(beat.failing)}"
    return None
