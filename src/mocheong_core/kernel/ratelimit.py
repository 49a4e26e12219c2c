"""The rate-limit port, shared by every context that limits callers."""

from __future__ import annotations

import math
from typing import Protocol

import attrs

from mocheong_core.errors import RateLimited


@attrs.frozen
class Limit:
    """At most ``count`` hits per ``window_seconds`` for one key."""

    count: int
    window_seconds: int

    def window(self, now: float) -> int:
        """The fixed window ``now`` (seconds since the epoch) falls in; windows start at
        multiples of their length, so every process that shares counters agrees on them."""
        return int(now // self.window_seconds)

    def wait(self, now: float) -> int:
        """Whole seconds from ``now`` until the next window opens (at least 1): the
        Retry-After of a refused hit."""
        return max(1, math.ceil((self.window(now) + 1) * self.window_seconds - now))


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: Limit) -> int:
        """Counts one hit; returns 0 when allowed, else the seconds until the next is allowed."""
        ...


async def enforce(limiter: RateLimiter, key: str, limit: Limit) -> None:
    retry_after = await limiter.hit(key, limit)
    if retry_after:
        raise RateLimited(retry_after)
