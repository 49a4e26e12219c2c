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
import contextlib
import signal
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any, cast

import arq.worker
import structlog
from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix
from arq.typing import WorkerCoroutine
from dishka import AsyncContainer, Provider, make_async_container
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from entrypoints.bootstrap.jobs import arq_queue
from entrypoints.bootstrap.lifecycle import LifecycleHooks
from entrypoints.bootstrap.logging import configure_logging
from entrypoints.bootstrap.nats import run_nats_jobs
from entrypoints.bootstrap.providers import build_providers, redis_pool
from entrypoints.bootstrap.settings import PREFIX, Settings, SettingsError
from entrypoints.bootstrap.tracing import install_exporter, tracing_on
from entrypoints.runtime.probes import ReadinessProbes
from entrypoints.runtime.reconciler import PaymentsReconciler
from entrypoints.runtime.sweeper import ChatSweeper
from entrypoints.runtime.tasks import run_task
from entrypoints.worker.health import HealthFile
from entrypoints.worker.metrics import metrics_listener
from entrypoints.worker.tasks import load_tasks
from entrypoints.worker.wakeup import QueueWakeup

log = structlog.get_logger("mocheong.worker")
CONTAINER = "mocheong.container"
"""The key of the worker's APP container in arq's ``ctx``."""


async def beat(container: AsyncContainer, health: HealthFile) -> None:
    """One health beat: the checks of the API's ``/ready`` on this process's dependencies,
    written to its health file (``worker/health.py``)."""
    health.write(await (await container.get(ReadinessProbes)).failing())


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

    def __init__(
        self,
        *args: Any,
        hand_back_wait: float = 3.0,
        health: HealthFile | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.hand_back_wait = hand_back_wait
        self.health = health
        # The pause between polls is taken here, cut short by a queued job when the last poll
        # found nothing (``wakeup.py``); arq's own loop then goes straight on.
        self.wakeup = QueueWakeup(self.queue_name)
        self._pause, self.poll_delay_s = self.poll_delay_s, 0.0
        self._found_jobs = False
        self._beating: asyncio.Task[None] | None = None
        self._stopping: set[asyncio.Task[None]] = set()
        self._finishing: set[asyncio.Task[Any]] = set()
        self._not_written: dict[str, str] = {}
        """Jobs whose outcome (or hand-back) Redis did not take, with the error: ``close``
        names them once. They stay queued and run again when their in-progress mark expires."""
        self.stop_asked = False
        """Set by SIGINT or SIGTERM: a Redis lost from then on ends the process."""

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        waiting = [job_id for job_id in job_ids if job_id.decode() not in self.tasks]
        if waiting:
            async with self.pool.pipeline(transaction=False) as pipe:
                for job_id in waiting:
                    pipe.exists(in_progress_key_prefix + job_id.decode())
                running = await pipe.execute()
            waiting = [job_id for job_id, busy in zip(waiting, running, strict=True) if not busy]
        self._found_jobs = bool(waiting)
        # One at a time, so a stop ends the batch: arq's loop goes on starting the ids it read
        # before the SIGTERM as slots free up. In a rolling restart at 200 streams a worker
        # went from 41 jobs at its SIGTERM to 81 at the end of its grace that way.
        for job_id in waiting:
            if not self.allow_pick_jobs or self.stop_asked:
                return
            await super().start_jobs([job_id])

    async def _poll_iteration(self) -> None:
        self.wakeup.start(self.pool)
        self.wakeup.clear()
        self._found_jobs = False
        await super()._poll_iteration()
        if self._found_jobs:
            await asyncio.sleep(self._pause)
        else:
            await self.wakeup.wait(self._pause)

    async def record_health(self) -> None:
        """arq's health record (every ``health_check_interval`` seconds, from the poll loop),
        and this process's own beat beside it: a loop that stops polling stops beating. The
        dependency checks run beside the loop, so a slow database does not hold the polls."""
        due = time.time() - self._last_health_check >= self.health_check_interval
        await super().record_health()
        idle = self._beating is None or self._beating.done()
        if due and idle and self.health is not None and CONTAINER in self.ctx:
            self._beating = asyncio.create_task(beat(self.ctx[CONTAINER], self.health))

    # -- a clean stop (quality target R9) ---------------------------------------------------
    #
    # arq's stop cancels each job's whole ``run_job`` task once ``job_completion_wait`` is
    # over. A job that is in its bookkeeping at that moment (the shielded ``finish_job``
    # pipeline) ends cancelled, ``close`` re-raises that from its ``gather``, the process exits
    # 1 and the shielded writes are dropped with the event loop ("Task was destroyed but it is
    # pending"). Under 200 conversations a rolling restart hit this on every worker.

    def handle_sig_wait_for_completion(self, signum: signal.Signals) -> None:
        """arq's, except that the task waiting out the grace is kept: arq's was left to the
        event loop, which a Redis lost during the grace closed with it still pending."""
        self.stop_asked = True
        self.allow_pick_jobs = False
        log.info("worker_stop_asked", signal=signal.Signals(signum).name, running=len(self.tasks))
        stopping = self.loop.create_task(self._wait_for_tasks_to_complete(signal.Signals(signum)))
        self._stopping.add(stopping)

    def handle_sig(self, signum: signal.Signals) -> None:
        self.stop_asked = True
        super().handle_sig(signum)

    async def _wait_for_tasks_to_complete(self, signum: signal.Signals) -> None:
        """After the grace, cancels the jobs' own coroutines first: each ``run_job`` then
        takes arq's retry path and hands its job back through ``finish_job`` (the job stays
        queued for the next worker); only what has not ended ``hand_back_wait`` later is
        cancelled as arq does."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._sleep_until_tasks_complete(), self._job_completion_wait)
        for job in list(self.job_tasks.values()):
            job.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._sleep_until_tasks_complete(), self.hand_back_wait)
        log.info("worker_stopping", signal=signum.name, left=len(self.tasks))
        for task in self.tasks.values():
            task.cancel()
        # Cancelled again until it ends: in a rolling restart at 200 streams the poll loop
        # outlived a single cancel (still in arq's ``run`` 23 s after the SIGTERM, py-spy) and
        # the worker never exited.
        main, waited = self.main_task, 0.0
        while main is not None and not main.done() and waited <= self.hand_back_wait:
            main.cancel()
            await asyncio.sleep(0.1)
            waited += 0.1
        if main is not None and not main.done():
            log.warning("worker_poll_loop_not_ending", waited=waited)

    async def finish_job(self, *args: Any, **kwargs: Any) -> None:
        """arq's bookkeeping of a job, remembered while it runs so ``close`` waits for it
        even when the job's own task was cancelled around it."""
        task = asyncio.current_task()
        if task is not None:
            self._finishing.add(task)
            # arq awaits it through ``asyncio.shield``: once the job's task is cancelled
            # around it nobody else would see its error ("Task exception was never retrieved").
            task.add_done_callback(partial(self._finished, str(kwargs.get("job_id", args[0]))))
        try:
            await super().finish_job(*args, **kwargs)
        finally:
            self._finishing.discard(task)

    async def _reap(self, pending: set[asyncio.Task[Any]]) -> None:
        """Waits ``hand_back_wait`` for ``pending``; cancels what is left, which gives a job
        another ``hand_back_wait`` to hand itself back (arq's retry path, through a shielded
        ``finish_job`` of its own), then cancels that too and waits for the cancellations."""
        pending = {task for task in pending if not task.done()}
        if not pending:
            return
        # Bounded: a job that swallows its cancellation must not hold the stop past the
        # grace period (the chat sweeper retries what it leaves behind).
        _, late = await asyncio.wait(pending, timeout=self.hand_back_wait)
        if not late:
            return
        log.warning("worker_jobs_abandoned", tasks=len(late))
        for task in late:
            task.cancel()
        _, late = await asyncio.wait({*late, *self._finishing}, timeout=self.hand_back_wait)
        late |= {task for task in self._finishing if not task.done()}
        for task in late:
            task.cancel()
        if late:
            _, late = await asyncio.wait(late, timeout=self.hand_back_wait)
        if late:
            log.warning("worker_tasks_not_ending", tasks=names(late))

    def _report(self, jobs: dict[str, asyncio.Task[Any]]) -> None:
        """Takes the errors of the jobs' tasks and of the worker's own (asyncio would log each
        as "never retrieved") into one warning."""
        for job_id, task in jobs.items():
            if task.done() and not task.cancelled() and task.exception() is not None:
                self._not_written.setdefault(job_id, repr(task.exception()))
        own = [*self._stopping, *([self._beating] if self._beating is not None else [])]
        errors = [
            repr(t.exception()) for t in own if t.done() and not t.cancelled() and t.exception()
        ]
        if errors:
            log.warning("worker_task_failed", errors=sorted(set(errors)))
        if self._not_written:
            log.warning(
                "worker_jobs_not_recorded",
                jobs=sorted(self._not_written),
                errors=sorted(set(self._not_written.values())),
                runs_again_in=self.in_progress_timeout_s,
            )
            self._not_written.clear()

    def _finished(self, job_id: str, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            self._not_written[job_id] = "cancelled"
        elif (error := task.exception()) is not None:
            self._not_written[job_id] = repr(error)

    async def close(self) -> None:
        """arq's close, after waiting (``hand_back_wait`` at most) for every job and its
        bookkeeping without letting a cancelled one abort it, and with the stop hooks and the
        pool close run even when Redis does not answer. Every task the worker started is done
        (or named in a warning) when it returns, and their errors are logged here once."""
        if not self._handle_signals:
            self.handle_sig(signal.SIGUSR1)
        # The poll loop has ended: what is left of a stop's grace is this wait's.
        for stopping in self._stopping:
            stopping.cancel()
        jobs = dict(self.tasks)
        beating = [self._beating] if self._beating is not None else []
        await self._reap({*jobs.values(), *self._finishing, *beating, *self._stopping})
        self._report(jobs)
        self.tasks.clear()
        await self.wakeup.close()
        if self._pool is None:
            return
        # arq's close from here, except that a Redis that does not answer in time (under a
        # loaded event loop too) skips only the health key, which expires by itself: in arq's
        # the error ended the close before the stop hooks and the container's.
        try:
            await self.pool.delete(self.health_check_key)
        except (RedisError, OSError) as exc:
            log.warning("worker_health_key_left", error=repr(exc))
        try:
            if self.on_shutdown is not None:
                await self.on_shutdown(self.ctx)
        finally:
            await self.pool.aclose(close_connection_pool=True)
            self._pool = None


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
    beats = asyncio.create_task(_beat_every(container, settings))
    try:
        await (await container.get(LifecycleHooks)).start()
        await (await container.get(ChatSweeper)).start()
        log.info("worker_started", broker="nats", tasks=sorted(load_tasks()))
        await run_nats_jobs(container, stop)
    finally:
        beats.cancel()
        await asyncio.gather(beats, return_exceptions=True)
        try:
            await (await container.get(ChatSweeper)).stop()
            await (await container.get(LifecycleHooks)).stop()
        finally:
            await container.close()


async def _beat_every(container: AsyncContainer, settings: Settings) -> None:
    """The NATS worker's health beats, from its event loop."""
    health = HealthFile(Path(settings.observability.worker_health_path))
    while True:
        await beat(container, health)
        await asyncio.sleep(settings.jobs.health_check_interval)


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
        "redis_pool": ArqRedis.from_pool(redis_pool(settings)),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "ctx": {CONTAINER: container},
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
    arq_options = {**worker_settings(settings, *overrides, tuned=tuned), **options}
    if not tuned:
        return arq.worker.Worker(**arq_options)
    return PrefilteringWorker(
        hand_back_wait=settings.jobs.hand_back_wait,
        health=HealthFile(Path(settings.observability.worker_health_path)),
        **arq_options,
    )


FIRST_PAUSE = 0.5
LONGEST_PAUSE = 10.0


def run_worker(settings: Settings, *, tuned: bool = True) -> None:
    """Runs the worker until SIGINT or SIGTERM (blocking), again after each lost Redis."""
    configure_logging(settings.log.level, settings.log.json)
    if tracing_on(settings):
        install_exporter("mocheong-worker")
    health = HealthFile(Path(settings.observability.worker_health_path))
    health.remove()  # a beat of an earlier run in this container is not this one's
    with metrics_listener(settings.observability.worker_metrics_port):
        try:
            if settings.broker.uses_nats:
                # The NATS client reconnects by itself: a server restart does not end this loop.
                loop = _new_event_loop()
                try:
                    loop.run_until_complete(serve_nats_worker(settings))
                finally:
                    close_loop(loop, settings.jobs.hand_back_wait)
                return
            keep_running(
                lambda connected: _run_once(settings, connected, tuned=tuned),
                lost=lambda: health.write(["redis"]),
            )
        finally:
            health.remove()


def keep_running(
    run_once: Callable[[Callable[[], None]], None],
    sleep: Callable[[float], None] = time.sleep,
    lost: Callable[[], None] = lambda: None,
) -> None:
    """Runs ``run_once(connected)`` until it returns. arq's poll loop ends on a lost Redis
    connection; a Redis restart must not end the worker (runs would wait for an outside
    supervisor), so it starts again, after a pause that doubles while Redis stays away and
    starts over from ``FIRST_PAUSE`` once a run had connected (it calls ``connected``).
    ``lost`` is called at each loss (a health beat naming Redis: waiting is not stuck)."""
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
            lost()
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
        try:
            worker.run()
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            if not isinstance(worker, PrefilteringWorker) or not worker.stop_asked:
                raise
            # Asked to stop: starting over would run a new worker that no signal stops (the
            # SIGTERM was this one's) until its SIGKILL. A worker whose Redis read timed out
            # during its grace did just that (tests/integration/test_worker_stop.py).
            log.warning("worker_stopped_without_redis", error=repr(exc))
    finally:
        close_loop(loop, settings.jobs.hand_back_wait)
        asyncio.set_event_loop(None)
        # arq's signal handlers belonged to the closed loop: a SIGTERM during the pause before
        # the next run would go nowhere, and the process would wait for its SIGKILL.
        for signal_number in STOP_SIGNALS:
            signal.signal(signal_number, _stop_while_waiting)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop_while_waiting(signum: int, _frame: FrameType | None) -> None:
    log.info("worker_stopped", signal=signal.Signals(signum).name, reason="waiting for Redis")
    raise SystemExit(0)


def close_loop(loop: asyncio.AbstractEventLoop, wait: float) -> None:
    """Closes a worker's event loop once no task is left on it: what is still running is
    named in one warning, cancelled and given ``wait`` seconds to end, and its error taken.
    Closed with tasks on it, the loop left asyncio to log each one later, at random, as
    "Task was destroyed but it is pending" or "Task exception was never retrieved"."""
    left = asyncio.all_tasks(loop)
    if left:
        log.warning("worker_tasks_left", tasks=names(left))
        for task in left:
            task.cancel()
        loop.run_until_complete(asyncio.wait(left, timeout=wait))
        for task in left:
            if task.done() and not task.cancelled():
                task.exception()
    loop.close()


def names(tasks: Iterable[asyncio.Task[Any]]) -> list[str]:
    """The coroutines of ``tasks``, for a log line."""
    return sorted(getattr(task.get_coro(), "__qualname__", task.get_name()) for task in tasks)


def _new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # uvloop is optional (not built for every platform)
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
