"""A worker whose Redis stops answering leaves no task of its own to asyncio: the job in flight
and arq's shielded bookkeeping of it are awaited (or cancelled) by the close, their errors are
named in one warning, and nothing is logged later as "Task exception was never retrieved" or
"Task was destroyed but it is pending" (what the chaos run R6R saw each time its Redis froze).
The job still takes arq's retry path: its bookkeeping hands it back to the queue (finish=False)."""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import arq.worker
import pytest
from arq.jobs import serialize_job
from redis.exceptions import TimeoutError as RedisTimeoutError
from structlog.testing import capture_logs

from entrypoints.worker.app import PrefilteringWorker, close_loop

JOB = "job-1"
ANSWER = 0.4
"""Seconds the frozen Redis takes to time a command out (the socket timeout)."""
HAND_BACK = 0.3


def timed_out() -> RedisTimeoutError:
    return RedisTimeoutError("Timeout reading from 127.0.0.1:6379")


class Pipeline:
    """Records its commands; ``execute`` answers as ``FrozenRedis`` says."""

    def __init__(self, redis: FrozenRedis, transaction: bool) -> None:
        self.redis = redis
        self.transaction = transaction
        self.commands: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Callable[..., Pipeline]:
        def queue(*args: Any, **_kwargs: Any) -> Pipeline:
            self.commands.append((name, args))
            return self

        return queue

    async def __aenter__(self) -> Pipeline:
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        return None

    async def execute(self) -> list[Any]:
        return await self.redis.execute(self)


class FrozenRedis:
    """arq's pool on a Redis that froze after the job was read: the poll loop's next read
    fails at once (the loop ends), each later command times out after ``ANSWER`` seconds."""

    def __init__(self, function: str) -> None:
        self.job = serialize_job(function, (), {}, 1, 0)
        self.sent: list[list[tuple[str, tuple[Any, ...]]]] = []
        self.closed = False

    def pipeline(self, transaction: bool = True) -> Pipeline:
        return Pipeline(self, transaction)

    async def execute(self, pipe: Pipeline) -> list[Any]:
        if not pipe.transaction:
            raise timed_out()  # the poll loop's read: the worker restarts
        if pipe.commands[0][0] == "get":
            return [self.job, 1, 1]  # run_job's read of its job, before the freeze
        self.sent.append(pipe.commands)
        await asyncio.sleep(ANSWER)
        raise timed_out()

    async def delete(self, *_keys: str) -> int:
        await asyncio.sleep(ANSWER)
        raise timed_out()

    async def aclose(self, close_connection_pool: bool = False) -> None:
        self.closed = close_connection_pool


async def runs_on(_ctx: dict[str, Any]) -> None:
    await asyncio.Event().wait()  # a chat turn, still streaming


async def fails(_ctx: dict[str, Any]) -> None:
    raise timed_out()  # a chat turn whose own write to the frozen Redis timed out


def run_until_redis_is_lost(
    job: Callable[[dict[str, Any]], Awaitable[None]], *, signal_first: bool = False
) -> tuple[list[str], list[dict[str, Any]], FrozenRedis]:
    """Runs a worker as ``mocheong worker`` does (its own event loop, closed after the run)
    with one job in flight when Redis freezes; returns what asyncio's exception handler was
    given, the worker's log and the pool."""
    asyncio_errors: list[str] = []
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda _loop, context: asyncio_errors.append(context["message"]))
    asyncio.set_event_loop(loop)
    redis = FrozenRedis(job.__name__)
    with capture_logs() as logs:
        try:
            worker = PrefilteringWorker(
                functions=[arq.worker.func(job, name=job.__name__)],
                redis_pool=redis,  # type: ignore[arg-type]
                job_completion_wait=10,
                hand_back_wait=HAND_BACK,
            )
            worker.tasks[JOB] = loop.create_task(worker.run_job(JOB, 0))
            if signal_first:  # a SIGTERM, then the loss of Redis within the grace
                loop.call_soon(worker.handle_sig_wait_for_completion, signal.SIGTERM)
            with pytest.raises(RedisTimeoutError):
                worker.run()
        finally:
            close_loop(loop, HAND_BACK)
            asyncio.set_event_loop(None)
            del worker
            gc.collect()  # a task left pending or failed is reported when it is collected
    return asyncio_errors, logs, redis


def handed_back(redis: FrozenRedis) -> bool:
    """arq's bookkeeping of a job cancelled by a stop: the in-progress mark is dropped, the
    job left in the queue (no ``zrem``), so it runs again."""
    return any(
        ("delete", (f"arq:in-progress:{JOB}",)) in commands
        and not any(name == "zrem" for name, _ in commands)
        for commands in redis.sent
    )


@pytest.mark.parametrize(
    ("job", "error"),
    [
        # Cancelled after the close's wait, the job's hand-back outlasts the next one too.
        (runs_on, "cancelled"),
        # Its bookkeeping was under way (shielded) when the close cancelled the job's task.
        (fails, repr(timed_out())),
    ],
)
def test_a_job_in_flight_when_redis_is_lost_leaves_no_task_to_asyncio(
    job: Callable[[dict[str, Any]], Awaitable[None]], error: str
) -> None:
    asyncio_errors, logs, redis = run_until_redis_is_lost(job)

    assert asyncio_errors == []
    assert not any(entry["event"] == "worker_tasks_left" for entry in logs)
    [warning] = [entry for entry in logs if entry["event"] == "worker_jobs_not_recorded"]
    assert warning["jobs"] == [JOB]
    assert warning["errors"] == [error]
    assert redis.closed


def test_the_job_still_hands_itself_back_when_redis_is_lost() -> None:
    _, _, redis = run_until_redis_is_lost(runs_on)

    assert handed_back(redis)


def test_a_redis_lost_within_a_stops_grace_leaves_no_task_to_asyncio() -> None:
    asyncio_errors, logs, redis = run_until_redis_is_lost(runs_on, signal_first=True)

    assert asyncio_errors == []
    assert not any(entry["event"] == "worker_tasks_left" for entry in logs)
    assert handed_back(redis)
