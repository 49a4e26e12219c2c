"""The rate-limit port, shared by every context that limits callers."""

from __future__ import annotations

from typing import Protocol

import attrs

from mocheong_core.errors import RateLimited


@attrs.frozen
class Limit:
    """At most ``count`` hits per ``window_seconds`` for one key."""

    count: int
    window_seconds: int


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: Limit) -> int:
        """Counts one hit; returns 0 when allowed, else the seconds until the next is allowed."""
        ...


async def enforce(limiter: RateLimiter, key: str, limit: Limit) -> None:
    retry_after = await limiter.hit(key, limit)
    if retry_after:
        raise RateLimited(retry_after)
