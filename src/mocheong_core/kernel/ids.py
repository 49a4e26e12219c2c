"""Identifiers: time-ordered UUIDv7 text, unique and increasing within a process."""

from __future__ import annotations

import os
import threading
import time

_RANDOM_74 = (1 << 74) - 1
_RANDOM_POOL_BYTES = 4000  # 400 ids per read of the system's random source


def new_id() -> str:
    """A new identifier: a time-ordered UUIDv7 as text, so ids sort by creation.

    The 48-bit millisecond time and the 74 random bits, taken together, only grow within a
    process (RFC 9562, 6.2 method 2): ids made in the same millisecond still sort in creation
    order. The random bits come from ``os.urandom``, read a pool at a time."""
    global _last_stamp
    ms = time.time_ns() // 1_000_000
    with _lock:
        stamp = max(((ms & ((1 << 48) - 1)) << 74) | _random_74(), _last_stamp + 1)
        _last_stamp = stamp
    ms, rand = stamp >> 74, stamp & _RANDOM_74
    value = (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62)
    text = f"{value | (rand & ((1 << 62) - 1)):032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_last_stamp = 0
_lock = threading.Lock()
_pool = b""
_pool_at = 0


def _random_74() -> int:
    """74 random bits from the pool (the caller holds ``_lock``)."""
    global _pool, _pool_at
    if _pool_at + 10 > len(_pool):
        _pool, _pool_at = os.urandom(_RANDOM_POOL_BYTES), 0
    chunk = _pool[_pool_at : _pool_at + 10]
    _pool_at += 10
    return int.from_bytes(chunk) & _RANDOM_74


def _forget_pool() -> None:
    """A forked child must not hand out its parent's random bits again."""
    global _pool, _pool_at
    _pool, _pool_at = b"", 0


os.register_at_fork(after_in_child=_forget_pool)
