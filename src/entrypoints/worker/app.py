"""The arq worker (``mocheong worker``): one arq function per registered task.

Each arq function has the task's own name, so ``JobQueue.enqueue("files.make_variants", ...)``
queues a job arq runs as ``files.make_variants``; the job opens a dishka REQUEST scope from
the worker's APP container (built from the same ``build_providers`` as the API) and calls the
task. The container opens on start-up and closes on shutdown.

The speed settings (poll delay, jobs at once, ids read per poll, kept results, health checks)
come from the settings, and ``PrefilteringWorker`` drops ids already running before arq looks
at them one by one; ``tuned=False`` gives arq's own worker and defaults, the P5 baseline.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from functools import partial
from typing import Any, cast

import arq.worker
import structlog
from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix
from arq.typing import WorkerCoroutine
from dishka import AsyncContainer, Provider, make_async_container
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from entrypoints.bootstrap.jobs import arq_queue
from entrypoints.bootstrap.lifecycle import LifecycleHooks
from entrypoints.bootstrap.logging import configure_logging
from entrypoints.bootstrap.nats import run_nats_jobs
from entrypoints.bootstrap.providers import build_providers, redis_options
from entrypoints.bootstrap.settings import PREFIX, Settings, SettingsError
from entrypoints.bootstrap.tracing import install_exporter, tracing_on
from entrypoints.runtime.reconciler import PaymentsReconciler
from entrypoints.runtime.sweeper import ChatSweeper
from entrypoints.runtime.tasks import run_task
from entrypoints.worker.metrics import metrics_listener
from entrypoints.worker.tasks import load_tasks

log = structlog.get_logger("mocheong.worker")


def _arq_job(container: AsyncContainer, name: str) -> WorkerCoroutine:
    async def run(_ctx: dict[str, Any], payload: dict[str, Any]) -> None:
        await run_task(container, name, payload)

    # arq's protocol is variadic; every job of ours is queued with the payload alone.
    return cast(WorkerCoroutine, run)


class PrefilteringWorker(arq.worker.Worker):
    """arq's worker, minus most of its work on jobs that are already running.

    Each poll arq reads the oldest queued ids, which are mostly jobs already running here or
    in another worker, and spends three round trips on each to learn that. With a short poll
    delay and long jobs (a chat turn) that was most of the worker's CPU and delayed pickups
    to ~100 ms. Here ids running in this process are dropped without a round trip and the
    rest are checked in one pipeline; arq's own check still guards against races.
    """

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        waiting = [job_id for job_id in job_ids if job_id.decode() not in self.tasks]
        if waiting:
            async with self.pool.pipeline(transaction=False) as pipe:
                for job_id in waiting:
                    pipe.exists(in_progress_key_prefix + job_id.decode())
                running = await pipe.execute()
            waiting = [job_id for job_id, busy in zip(waiting, running, strict=True) if not busy]
        await super().start_jobs(waiting)


def tuning(settings: Settings) -> dict[str, Any]:
    """The arq options that set the worker's speed (quality target P5)."""
    read_limit = settings.jobs.queue_read_limit or max(settings.jobs.max_concurrency * 5, 100)
    return {
        "max_jobs": settings.jobs.max_concurrency,
        "poll_delay": settings.jobs.poll_delay,
        "queue_read_limit": read_limit,
        "keep_result": settings.jobs.keep_result,
        "health_check_interval": settings.jobs.health_check_interval,
    }


async def serve_nats_worker(
    settings: Settings, *overrides: Provider, stop: asyncio.Event | None = None
) -> None:
    """The worker on NATS JetStream: runs jobs until ``stop`` is set (SIGINT or SIGTERM when
    it is not given), then lets running ones finish for ``JOBS_SHUTDOWN_GRACE`` seconds."""
    container = make_async_container(
        *build_providers(settings), *overrides, context={Settings: settings}
    )
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
    try:
        await (await container.get(LifecycleHooks)).start()
        await (await container.get(ChatSweeper)).start()
        log.info("worker_started", broker="nats", tasks=sorted(load_tasks()))
        await run_nats_jobs(container, stop)
    finally:
        try:
            await (await container.get(ChatSweeper)).stop()
            await (await container.get(LifecycleHooks)).stop()
        finally:
            await container.close()


def worker_settings(settings: Settings, *overrides: Provider, tuned: bool = True) -> dict[str, Any]:
    """arq ``WorkerSettings`` as a dict (``arq.worker.create_worker`` takes it as is)."""
    if not settings.broker.uses_redis:
        raise SettingsError(f"the arq worker needs {PREFIX}REDIS_URL: arq runs on Redis")
    container = make_async_container(
        *build_providers(settings), *overrides, context={Settings: settings}
    )

    async def on_startup(_ctx: dict[str, Any]) -> None:
        await (await container.get(LifecycleHooks)).start()
        log.info("worker_started", queue=name_of_queue, tasks=sorted(tasks), tuned=tuned)
        # The worker runs the chat jobs, so it sweeps the ones whose runner vanished.
        await (await container.get(ChatSweeper)).start()
        # It also asks the gateway about orders whose webhook never came.
        await (await container.get(PaymentsReconciler)).start()

    async def on_shutdown(_ctx: dict[str, Any]) -> None:
        try:
            await (await container.get(ChatSweeper)).stop()
            await (await container.get(PaymentsReconciler)).stop()
            await (await container.get(LifecycleHooks)).stop()
        finally:
            await container.close()

    tasks = load_tasks()
    queue = arq_queue(settings)
    name_of_queue = queue["queue_name"]
    functions = [arq.worker.func(_arq_job(container, name), name=name) for name in tasks]
    return {
        "functions": functions,
        **queue,
        "redis_settings": RedisSettings.from_dsn(settings.broker.redis_url),
        # arq's own pool has no read timeout: a Redis that stops answering would hold the
        # worker's poll for good. This one fails it, and ``keep_running`` starts over.
        "redis_pool": ArqRedis.from_url(settings.broker.redis_url, **redis_options(settings)),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "job_timeout": settings.jobs.timeout,
        "max_tries": settings.jobs.max_tries,
        # On SIGTERM: stop picking jobs, let running ones finish for this long, then cancel
        # them (arq queues a cancelled job again for the next worker).
        "job_completion_wait": settings.jobs.shutdown_grace,
        **(tuning(settings) if tuned else {}),
    }


def build_worker(
    settings: Settings, *overrides: Provider, tuned: bool = True, **options: Any
) -> arq.worker.Worker:
    """The worker, not yet running; ``options`` override arq's (``burst=True`` in tests)."""
    worker_class = PrefilteringWorker if tuned else arq.worker.Worker
    return worker_class(**{**worker_settings(settings, *overrides, tuned=tuned), **options})


FIRST_PAUSE = 0.5
LONGEST_PAUSE = 10.0


def run_worker(settings: Settings, *, tuned: bool = True) -> None:
    """Runs the worker until SIGINT or SIGTERM (blocking), again after each lost Redis."""
    configure_logging(settings.log.level, settings.log.json)
    if tracing_on(settings):
        install_exporter("mocheong-worker")
    with metrics_listener(settings.observability.worker_metrics_port):
        if settings.broker.uses_nats:
            # The NATS client reconnects by itself: a server restart does not end this loop.
            loop = _new_event_loop()
            try:
                loop.run_until_complete(serve_nats_worker(settings))
            finally:
                loop.close()
            return
        keep_running(lambda connected: _run_once(settings, connected, tuned=tuned))


def keep_running(
    run_once: Callable[[Callable[[], None]], None], sleep: Callable[[float], None] = time.sleep
) -> None:
    """Runs ``run_once(connected)`` until it returns. arq's poll loop ends on a lost Redis
    connection; a Redis restart must not end the worker (runs would wait for an outside
    supervisor), so it starts again, after a pause that doubles while Redis stays away and
    starts over from ``FIRST_PAUSE`` once a run had connected (it calls ``connected``)."""
    pause = FIRST_PAUSE
    while True:
        reached: list[bool] = []
        try:
            run_once(partial(reached.append, True))
            return
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            if reached:
                pause = FIRST_PAUSE
            log.warning("worker_redis_lost", error=repr(exc), restart_in=pause)
            sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)


def _run_once(settings: Settings, connected: Callable[[], None], *, tuned: bool) -> None:
    loop = _new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        # arq's Worker takes the current event loop when it is built.
        worker = build_worker(settings, tuned=tuned)
        started = worker.on_startup

        async def on_startup(ctx: dict[Any, Any]) -> None:
            connected()  # arq calls it once its Redis pool is up
            if started is not None:
                await started(ctx)

        worker.on_startup = on_startup
        worker.run()
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # uvloop is optional (not built for every platform)
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
