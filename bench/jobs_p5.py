"""P5: jobs through arq, enqueue to done, a no-op task, one worker process.

In every round, starts a worker process running ``run_worker`` (what ``mocheong worker`` runs)
with the tuned settings, then one with arq's own worker and defaults (``tuned=False``), each
on the machine's Redis under a unique prefix and with its own SQLite file. Both take the real
path: arq function, dishka REQUEST scope, the registered task. Against each:

1. throughput: ``--jobs`` no-op jobs enqueued through ``ArqJobQueue`` as fast as 32
   concurrent callers can, timed from the first enqueue until the queue is empty;
2. pickup latency: ``--paced-jobs`` jobs enqueued at a steady ``--rate`` per second (the
   target throughput); each job notes how long after its enqueue it started.

``python bench/jobs_p5.py [--rounds 3] [--jobs N] [--paced-jobs N] [--rate R] [--json PATH]``
(Redis from ``MOCHEONG_BENCH_REDIS``, default ``redis://127.0.0.1:6379/0``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvloop
from chat_report import Table, base_parser, median, percentile
from redis.asyncio import Redis

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "src"))

from adapters.arq.queue import ArqJobQueue, arq_client, queue_name  # noqa: E402
from entrypoints.bootstrap.settings import PREFIX, Settings, evolve, load_settings  # noqa: E402
from entrypoints.worker.app import tuning  # noqa: E402

REDIS_URL = os.environ.get("MOCHEONG_BENCH_REDIS", "redis://127.0.0.1:6379/0")
NOOP = "bench.noop"
REPORT = "bench.report"
CALLERS = 32


def product_settings() -> Settings:
    """The product's settings, defaults unless ``MOCHEONG_JOBS_*`` variables change them."""
    jobs = {k: v for k, v in os.environ.items() if k.startswith(f"{PREFIX}JOBS_")}
    return load_settings(jobs, env_file=None)


def worker_settings_for(prefix: str, data_dir: Path) -> Settings:
    return evolve(
        product_settings(),
        env="test",
        data_dir=data_dir,
        redis_url=REDIS_URL,
        redis_prefix=prefix,
        log_level="WARNING",
    )


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
    """One worker process and the client side of its queue."""

    def __init__(self, label: str, tuned: bool, folder: Path) -> None:
        self.label, self.tuned, self.folder = label, tuned, folder
        self.prefix = f"mcbench:{uuid.uuid4().hex[:10]}:"
        self.queue_name = queue_name(self.prefix)
        self.ids: list[str] = []
        self.redis = Redis.from_url(REDIS_URL)
        self.queue = ArqJobQueue(arq_client(self.redis, self.prefix))
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        args = [sys.executable, __file__, "--serve-worker", self.prefix, str(self.folder)]
        if not self.tuned:
            args.append("--untuned")
        self.process = await asyncio.create_subprocess_exec(*args)
        # The worker records its health on its first poll: then it is taking jobs.
        async with asyncio.timeout(60):
            await until(lambda: self.redis.exists(f"{self.queue_name}:health-check"), 0.05)

    async def enqueue(self, task: str, payload: dict[str, Any]) -> None:
        job_id = str(uuid.uuid4())
        self.ids.append(job_id)
        assert await self.queue.enqueue(task, {**payload, "t": time.time()}, job_id=job_id)

    async def drained(self) -> None:
        """A job leaves arq's queue only when it is done."""
        await until(lambda: self._empty(), 0.001)

    async def _empty(self) -> bool:
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

    async def close(self) -> None:
        if self.process is not None:
            self.process.terminate()
            async with asyncio.timeout(30):
                await self.process.wait()
        # Leave nothing behind in the shared Redis (arq's defaults keep results for an hour).
        keys = [self.queue_name, f"{self.queue_name}:health-check"]
        for job_id in self.ids:
            keys += [f"arq:{kind}:{job_id}" for kind in ("job", "result", "retry", "in-progress")]
        for start in range(0, len(keys), 1000):
            await self.redis.delete(*keys[start : start + 1000])
        await self.redis.aclose()


async def measure(run: Run, jobs: int, paced_jobs: int, rate: float) -> dict[str, float]:
    await run.start()
    try:
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


async def main(args: argparse.Namespace) -> int:
    rounds: list[dict[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="jobs-p5-") as folder:
        for index in range(args.rounds):
            # Both configurations in every round, so a noisy moment hits both alike.
            results: dict[str, dict[str, float]] = {}
            for label, is_tuned in (("tuned", True), ("arq defaults", False)):
                run_folder = Path(folder) / f"{index}-{label.replace(' ', '-')}"
                run_folder.mkdir()
                results[label] = await measure(
                    Run(label, is_tuned, run_folder), args.jobs, args.paced_jobs, args.rate
                )
            rounds.append(results)
    tuned, default = (
        {key: median([r[label][key] for r in rounds]) for key in rounds[0][label]}
        for label in ("tuned", "arq defaults")
    )
    table = Table(
        f"P5: jobs through arq, no-op task, one worker process, median of {args.rounds} "
        "rounds (baseline: arq defaults)"
    )
    table.add(
        f"throughput, {args.jobs} jobs enqueued by {CALLERS} callers",
        tuned["jobs_per_second"],
        "jobs/s",
        baseline=default["jobs_per_second"],
        target=">= 500 jobs/s",
        ok=tuned["jobs_per_second"] >= 500,
    )
    table.add(
        f"pickup p50 at {args.rate:g} jobs/s",
        tuned["pickup_p50_ms"],
        "ms",
        baseline=default["pickup_p50_ms"],
        target="<= 20 ms",
        ok=tuned["pickup_p50_ms"] <= 20,
    )
    table.add(
        f"pickup p99 at {args.rate:g} jobs/s",
        tuned["pickup_p99_ms"],
        "ms",
        baseline=default["pickup_p99_ms"],
    )
    table.add(
        "pickup p50 within the throughput burst",
        tuned["burst_pickup_p50_ms"],
        "ms",
        baseline=default["burst_pickup_p50_ms"],
    )
    options = tuning(product_settings())
    table.note(
        "tuned: PrefilteringWorker on uvloop, "
        + ", ".join(f"{key}={value}" for key, value in options.items())
    )
    table.note(
        "arq defaults: arq's Worker on uvloop, max_jobs=10, poll_delay=0.5, "
        "queue_read_limit=100, keep_result=3600, health_check_interval=3600"
    )
    table.print()
    table.save(args.json, rounds=rounds, tuning=options, cpus=os.cpu_count())
    return 0


def parse() -> argparse.Namespace:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the table shows medians")
    parser.add_argument("--jobs", type=int, default=3000, help="jobs of the throughput phase")
    parser.add_argument("--paced-jobs", type=int, default=1500, help="jobs of the latency phase")
    parser.add_argument("--rate", type=float, default=500, help="jobs/s of the latency phase")
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
