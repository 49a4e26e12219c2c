"""The shared kernel: ids, the clock, money and the unit of work every context uses."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

import attrs


def new_id() -> str:
    """A new identifier: a time-ordered UUIDv7 as text, so ids sort by creation."""
    return str(uuid7())


_last_uuid7 = 0
_uuid7_lock = threading.Lock()


def uuid7() -> uuid.UUID:
    """A UUIDv7 whose 48-bit millisecond time and 74 random bits only grow within a process
    (RFC 9562, 6.2 method 2): ids made in the same millisecond still sort in creation order."""
    global _last_uuid7
    ms = time.time_ns() // 1_000_000
    stamp = ((ms & ((1 << 48) - 1)) << 74) | (uuid.uuid4().int & ((1 << 74) - 1))
    with _uuid7_lock:
        stamp = max(stamp, _last_uuid7 + 1)
        _last_uuid7 = stamp
    ms, rand = stamp >> 74, stamp & ((1 << 74) - 1)
    value = ms << 80
    value |= 0x7 << 76
    value |= (rand >> 62) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UnitOfWork(Protocol):
    """One transaction across the repositories of a request or job."""

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


@attrs.frozen
class Money:
    """An amount in the smallest unit of its currency (KRW has no minor unit)."""

    amount: int
    currency: str = "KRW"


T = TypeVar("T")


@attrs.frozen
class CursorPage(Generic[T]):
    """One page of a cursor-paginated list; ``next_cursor`` is None on the last page."""

    items: list[T]
    next_cursor: str | None
