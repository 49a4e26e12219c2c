"""P5: jobs enqueue to done, a no-op task, one worker process, on arq (Redis) and on the
JetStream work queue (NATS).

In every round, starts a worker process running ``run_worker`` (what ``mocheong worker`` runs)
with the tuned settings, then one with arq's own worker and defaults (``tuned=False``, the
baseline of every row), each on the machine's Redis under a unique prefix and with its own
SQLite file; with ``--broker nats`` (``redis,nats`` is the default) also one with
``MOCHEONG_BROKER=nats`` on the machine's NATS under a unique prefix (its streams deleted
afterwards). All take the real path: the queue adapter, dishka REQUEST scope, the registered
task. Against each:

1. throughput: ``--jobs`` no-op jobs enqueued through ``ArqJobQueue`` as fast as 32
   concurrent callers can, timed from the first enqueue until the queue is empty;
2. pickup latency: ``--paced-jobs`` jobs enqueued at a steady ``--rate`` per second (the
   target throughput); each job notes how long after its enqueue it started.

``python bench/jobs_p5.py [--rounds 3] [--jobs N] [--paced-jobs N] [--rate R]
[--broker redis,nats] [--json PATH]`` (Redis from ``MOCHEONG_BENCH_REDIS``, default
``redis://127.0.0.1:6379/0``; NATS from ``MOCHEONG_BENCH_NATS``, default
``nats://127.0.0.1:4222``). The arq rows run whatever ``--broker`` says: they are the
baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import nats
import uvloop
from chat_report import Table, add_broker_option, base_parser, median, percentile
from nats.js.errors import NotFoundError
from redis.asyncio import Redis

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "src"))

from adapters.arq.queue import ArqJobQueue, arq_client, queue_name  # noqa: E402
from adapters.nats.connection import NatsNames  # noqa: E402
from adapters.nats.queue import NatsJobQueue  # noqa: E402
from entrypoints.bootstrap.settings import PREFIX, Settings, evolve, load_settings  # noqa: E402
from entrypoints.worker.app import tuning  # noqa: E402

REDIS_URL = os.environ.get("MOCHEONG_BENCH_REDIS", "redis://127.0.0.1:6379/0")
NATS_URL = os.environ.get("MOCHEONG_BENCH_NATS", "nats://127.0.0.1:4222")
NOOP = "bench.noop"
REPORT = "bench.report"
CALLERS = 32


def product_settings() -> Settings:
    """The product's settings, defaults unless ``MOCHEONG_JOBS_*`` variables change them."""
    jobs = {k: v for k, v in os.environ.items() if k.startswith(f"{PREFIX}JOBS_")}
    return load_settings(jobs, env_file=None)


def worker_settings_for(prefix: str, data_dir: Path) -> Settings:
    """On NATS when ``prefix`` is a NATS prefix (no ``:``), else on Redis."""
    on_nats = ":" not in prefix
    broker = (
        {"broker": "nats", "nats_url": NATS_URL, "nats_prefix": prefix}
        if on_nats
        else {"redis_url": REDIS_URL, "redis_prefix": prefix}
    )
    return evolve(product_settings(), env="test", data_dir=data_dir, log_level="WARNING", **broker)


# --- the worker process -----------------------------------------------------------------


def serve_worker(prefix: str, data_dir: Path, tuned: bool) -> None:
    from dishka import AsyncContainer

    from entrypoints.runtime.tasks import task
    from entrypoints.worker.app import run_worker

    pickups: list[float] = []

    @task(NOOP)
    async def noop(_: AsyncContainer, payload: dict[str, Any]) -> None:
        pickups.append(time.time() - payload["t"])

    @task(REPORT)
    async def report(_: AsyncContainer, payload: dict[str, Any]) -> None:
        data = json.dumps(pickups)
        pickups.clear()
        await asyncio.to_thread(Path(payload["path"]).write_text, data)

    run_worker(worker_settings_for(prefix, data_dir), tuned=tuned)


# --- the load ---------------------------------------------------------------------------


async def until(check: Callable[[], Awaitable[Any]], interval: float) -> None:
    # The state lives in Redis, in another process: there is nothing to wait on but a poll.
    while not await check():  # noqa: ASYNC110
        await asyncio.sleep(interval)


class Run:
    """One worker process on Redis (arq) and the client side of its queue."""

    def __init__(self, label: str, tuned: bool, folder: Path) -> None:
        self.label, self.tuned, self.folder = label, tuned, folder
        self.prefix = self.new_prefix()
        self.ids: list[str] = []
        self.process: asyncio.subprocess.Process | None = None

    def new_prefix(self) -> str:
        return f"mcbench:{uuid.uuid4().hex[:10]}:"

    async def connect(self) -> None:
        self.redis = Redis.from_url(REDIS_URL)
        self.queue_name = queue_name(self.prefix)
        self.queue: ArqJobQueue | NatsJobQueue = ArqJobQueue(arq_client(self.redis, self.prefix))

    async def start(self) -> None:
        await self.connect()
        args = [sys.executable, __file__, "--serve-worker", self.prefix, str(self.folder)]
        if not self.tuned:
            args.append("--untuned")
        self.process = await asyncio.create_subprocess_exec(*args)
        # A hang guard: on the shared machine under load, importing the app has taken minutes.
        async with asyncio.timeout(300):
            await until(self.taking_jobs, 0.05)

    async def taking_jobs(self) -> bool:
        """The worker records its health on its first poll: then it is taking jobs."""
        return bool(await self.redis.exists(f"{self.queue_name}:health-check"))

    async def enqueue(self, task: str, payload: dict[str, Any]) -> None:
        job_id = str(uuid.uuid4())
        self.ids.append(job_id)
        assert await self.queue.enqueue(task, {**payload, "t": time.time()}, job_id=job_id)

    async def drained(self) -> None:
        await until(lambda: self._empty(), 0.001)

    async def _empty(self) -> bool:
        """A job leaves arq's queue only when it is done."""
        return not await self.redis.zcard(self.queue_name)

    async def pickups(self) -> list[float]:
        path = self.folder / f"pickups-{uuid.uuid4().hex}.json"
        await self.enqueue(REPORT, {"path": str(path)})
        await self.drained()
        return [seconds * 1000 for seconds in json.loads(path.read_text())]

    async def throughput(self, count: int) -> float:
        remaining = iter(range(count))

        async def caller() -> None:
            for _ in remaining:
                await self.enqueue(NOOP, {})

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(CALLERS)))
        await self.drained()
        return count / (time.perf_counter() - started)

    async def paced(self, count: int, rate: float) -> list[float]:
        started = time.perf_counter()
        pending: set[asyncio.Task[None]] = set()
        for index in range(count):
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            job = asyncio.create_task(self.enqueue(NOOP, {}))
            pending.add(job)
            job.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
        await self.drained()
        return await self.pickups()

    async def stop_worker(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                async with asyncio.timeout(30):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()  # no worker may outlive the run
                await self.process.wait()

    async def close(self) -> None:
        await self.stop_worker()
        # Leave nothing behind in the shared Redis (arq's defaults keep results for an hour).
        keys = [self.queue_name, f"{self.queue_name}:health-check"]
        for job_id in self.ids:
            keys += [f"arq:{kind}:{job_id}" for kind in ("job", "result", "retry", "in-progress")]
        for start in range(0, len(keys), 1000):
            await self.redis.delete(*keys[start : start + 1000])
        await self.redis.aclose()


class NatsRun(Run):
    """One worker process on NATS (``MOCHEONG_BROKER=nats``): the work-queue stream under a
    prefix of its own on the machine's NATS, deleted afterwards."""

    def new_prefix(self) -> str:
        return f"mcbench{uuid.uuid4().hex[:10]}"

    async def connect(self) -> None:
        self.names = NatsNames(self.prefix)
        self.nats = await nats.connect(NATS_URL)
        self.js = self.nats.jetstream()
        self.queue = NatsJobQueue(self.nats, prefix=self.prefix, dedup_seconds=60)

    async def taking_jobs(self) -> bool:
        """The worker's durable consumer exists once it pulls."""
        try:
            await self.js.consumer_info(self.names.jobs_stream, self.names.workers)
        except NotFoundError:
            return False
        return True

    async def _empty(self) -> bool:
        """The work queue drops a job when the worker acknowledges it, after it ran."""
        return (await self.js.stream_info(self.names.jobs_stream)).state.messages == 0

    async def close(self) -> None:
        await self.stop_worker()
        for stream in (self.names.jobs_stream, self.names.dead_stream):
            with contextlib.suppress(NotFoundError):
                await self.js.delete_stream(stream)
        await self.nats.close()


async def measure(run: Run, jobs: int, paced_jobs: int, rate: float) -> dict[str, float]:
    try:
        await run.start()
        await run.throughput(min(200, jobs))  # warm up: connections, imports, first scopes
        await run.pickups()
        jobs_per_second = await run.throughput(jobs)
        burst = await run.pickups()
        pickups = await run.paced(paced_jobs, rate)
    finally:
        await run.close()
    return {
        "jobs_per_second": jobs_per_second,
        "pickup_p50_ms": percentile(pickups, 50),
        "pickup_p99_ms": percentile(pickups, 99),
        "burst_pickup_p50_ms": percentile(burst, 50),
    }


BASELINE = "arq defaults"


def configurations(brokers: list[str]) -> list[tuple[str, type[Run], bool]]:
    """(label, run class, tuned) of each worker a round starts; the baseline always."""
    chosen = [("arq tuned", Run, True)] if "redis" in brokers else []
    chosen.append((BASELINE, Run, False))
    if "nats" in brokers:
        chosen.append(("NATS work queue", NatsRun, True))
    return chosen


async def main(args: argparse.Namespace) -> int:
    rounds: list[dict[str, dict[str, float]]] = []
    chosen = configurations(args.broker)
    with tempfile.TemporaryDirectory(prefix="jobs-p5-") as folder:
        for index in range(args.rounds):
            # Every configuration in every round, so a noisy moment hits them alike.
            results: dict[str, dict[str, float]] = {}
            for label, kind, is_tuned in chosen:
                run_folder = Path(folder) / f"{index}-{label.replace(' ', '-')}"
                run_folder.mkdir()
                results[label] = await measure(
                    kind(label, is_tuned, run_folder), args.jobs, args.paced_jobs, args.rate
                )
            rounds.append(results)
    medians = {
        label: {key: median([r[label][key] for r in rounds]) for key in rounds[0][label]}
        for label, _, _ in chosen
    }
    default = medians[BASELINE]
    table = Table(
        f"P5: jobs enqueue → done, no-op task, one worker process, median of {args.rounds} "
        f"rounds (baseline: {BASELINE}, the same for every row)"
    )
    for label, kind, _ in chosen:
        if label == BASELINE:
            continue
        figures, broker = medians[label], "nats" if kind is NatsRun else "redis"
        table.add(
            f"[{label}] throughput, {args.jobs} jobs enqueued by {CALLERS} callers",
            figures["jobs_per_second"],
            "jobs/s",
            baseline=default["jobs_per_second"],
            target=">= 2,000 jobs/s",
            ok=figures["jobs_per_second"] >= 2_000,
            broker=broker,
        )
        table.add(
            f"[{label}] pickup p50 at {args.rate:g} jobs/s",
            figures["pickup_p50_ms"],
            "ms",
            baseline=default["pickup_p50_ms"],
            target="<= 5 ms",
            ok=figures["pickup_p50_ms"] <= 5,
            broker=broker,
        )
        table.add(
            f"[{label}] pickup p99 at {args.rate:g} jobs/s",
            figures["pickup_p99_ms"],
            "ms",
            baseline=default["pickup_p99_ms"],
            broker=broker,
        )
        table.add(
            f"[{label}] pickup p50 within the throughput burst",
            figures["burst_pickup_p50_ms"],
            "ms",
            baseline=default["burst_pickup_p50_ms"],
            broker=broker,
        )
    options = tuning(product_settings())
    table.note(
        "arq tuned: PrefilteringWorker on uvloop, "
        + ", ".join(f"{key}={value}" for key, value in options.items())
    )
    table.note(
        f"{BASELINE}: arq's Worker on uvloop, max_jobs=10, poll_delay=0.5, "
        "queue_read_limit=100, keep_result=3600, health_check_interval=3600"
    )
    if "nats" in args.broker:
        table.note(
            f"NATS work queue: one durable pull consumer, max_jobs={options['max_jobs']}, "
            "explicit acks; the job is removed from the stream when acknowledged"
        )
    table.print()
    table.save(args.json, rounds=rounds, tuning=options, cpus=os.cpu_count(), brokers=args.broker)
    return 0


def parse() -> argparse.Namespace:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the table shows medians")
    parser.add_argument("--jobs", type=int, default=3000, help="jobs of the throughput phase")
    parser.add_argument("--paced-jobs", type=int, default=1500, help="jobs of the latency phase")
    parser.add_argument("--rate", type=float, default=500, help="jobs/s of the latency phase")
    add_broker_option(parser)
    parser.add_argument(
        "--serve-worker", nargs=2, metavar=("PREFIX", "DIR"), help=argparse.SUPPRESS
    )
    parser.add_argument("--untuned", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.serve_worker:
        serve_worker(
            arguments.serve_worker[0], Path(arguments.serve_worker[1]), not arguments.untuned
        )
        sys.exit(0)
    sys.exit(uvloop.run(main(arguments)))
