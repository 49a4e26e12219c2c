"""A stopping worker's close runs its stop hooks and closes its Redis pool even when Redis does
not answer the deletion of arq's health key (that key expires by itself)."""

from __future__ import annotations

import asyncio
from typing import Any

import arq.worker
from redis.exceptions import TimeoutError as RedisTimeoutError

from entrypoints.worker.app import PrefilteringWorker


class SilentPool:
    def __init__(self) -> None:
        self.closed = False

    async def delete(self, *_keys: str) -> int:
        raise RedisTimeoutError("Timeout reading from 127.0.0.1:6379")

    async def aclose(self, close_connection_pool: bool = False) -> None:
        self.closed = close_connection_pool


async def nothing(_ctx: dict[str, Any]) -> None:
    return None


def test_the_stop_hooks_run_and_the_pool_closes_when_redis_does_not_answer() -> None:
    stopped: list[bool] = []

    async def on_shutdown(_ctx: dict[str, Any]) -> None:
        stopped.append(True)

    async def close() -> SilentPool:
        pool = SilentPool()
        worker = PrefilteringWorker(
            functions=[arq.worker.func(nothing, name="nothing")],
            redis_pool=pool,  # type: ignore[arg-type]
            handle_signals=False,
            on_shutdown=on_shutdown,
        )
        await worker.close()
        return pool

    pool = asyncio.run(close())

    assert stopped == [True]
    assert pool.closed
