"""The job queue on NATS JetStream: a work-queue stream, one durable pull consumer shared by
every worker process, and a dead-letter stream.

``<PREFIX>_JOBS`` (work-queue retention) holds ``<prefix>.jobs.run.<task>``; a job is removed
when a worker acknowledges it. The job id is the ``Nats-Msg-Id``, so a second enqueue with the
same id inside ``MOCHEONG_NATS_JOB_DEDUP_SECONDS`` is refused (``enqueue`` returns False), as
arq refuses a job id it already holds. Workers pull through ``<PREFIX>_WORKERS``: a running
job reports progress to keep its acknowledgement window open, so a worker that dies leaves
its jobs to be delivered again once that window (``ack_wait``) passes. A job that raises is
delivered again after a doubling pause; after ``max_tries`` deliveries it goes, with its
error, to ``<prefix>.jobs.dead.<task>`` in ``<PREFIX>_JOBS_DEAD`` (kept a week) and is
removed from the queue.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

import msgspec
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import api
from nats.js.errors import BadRequestError, NotFoundError

from adapters.nats.connection import NatsNames, unavailable_without_nats

log = structlog.get_logger("mocheong.jobs.nats")

TASK_HEADER = "Mocheong-Task"
NOT_BEFORE_HEADER = "Mocheong-Not-Before"
ERROR_HEADER = "Mocheong-Error"
DEAD_LETTER_AGE = 7 * 24 * 3600.0
ACK_WAIT = 30.0  # a running job reports progress every third of it
_STREAM_IN_USE = 10058

Runner = Callable[[str, dict[str, Any]], Awaitable[None]]


async def ensure_job_streams(
    client: Client, names: NatsNames, *, dedup_seconds: float, storage: api.StorageType
) -> None:
    js = client.jetstream()
    configs = [
        api.StreamConfig(
            name=names.jobs_stream,
            subjects=[f"{names.prefix}.jobs.run.>"],
            retention=api.RetentionPolicy.WORK_QUEUE,
            storage=storage,
            duplicate_window=dedup_seconds,
            num_replicas=1,
        ),
        api.StreamConfig(
            name=names.dead_stream,
            subjects=[f"{names.prefix}.jobs.dead.>"],
            retention=api.RetentionPolicy.LIMITS,
            storage=storage,
            max_age=DEAD_LETTER_AGE,
            num_replicas=1,
        ),
    ]
    for config in configs:
        try:
            await js.stream_info(config.name or "")
        except NotFoundError:
            try:
                await js.add_stream(config)
            except BadRequestError as exc:
                if exc.err_code != _STREAM_IN_USE:  # another process made it first
                    raise


class NatsJobQueue:
    """The ``JobQueue`` port on JetStream."""

    def __init__(
        self,
        client: Client,
        *,
        prefix: str,
        dedup_seconds: float,
        storage: api.StorageType = api.StorageType.FILE,
    ) -> None:
        self._client = client
        self._js = client.jetstream()
        self._names = NatsNames(prefix)
        self._dedup = dedup_seconds
        self._storage = storage
        self._ready = False

    async def enqueue(
        self, task: str, payload: dict[str, Any], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        """False when a job with this id was queued within the deduplication window."""
        headers = {api.Header.MSG_ID.value: job_id, TASK_HEADER: task}
        if delay_seconds > 0:
            headers[NOT_BEFORE_HEADER] = f"{time.time() + delay_seconds:.3f}"
        with unavailable_without_nats("The job queue"):
            if not self._ready:
                await ensure_job_streams(
                    self._client, self._names, dedup_seconds=self._dedup, storage=self._storage
                )
                self._ready = True
            ack = await self._js.publish(
                self._names.job(task), msgspec.json.encode(payload), headers=headers
            )
        return not ack.duplicate


class NatsJobWorker:
    """Pulls jobs and runs them, at most ``max_jobs`` at once, until ``stop`` is set."""

    def __init__(
        self,
        client: Client,
        runner: Runner,
        *,
        prefix: str,
        dedup_seconds: float,
        max_jobs: int,
        timeout: float,
        max_tries: int,
        backoff: float,
        grace: float,
        storage: api.StorageType = api.StorageType.FILE,
        poll: float = 1.0,
    ) -> None:
        self._client = client
        self._js = client.jetstream()
        self._runner = runner
        self._names = NatsNames(prefix)
        self._dedup = dedup_seconds
        self._max_jobs = max_jobs
        self._timeout = timeout
        self._max_tries = max_tries
        self._backoff = backoff
        self._grace = grace
        self._storage = storage
        self._poll = poll
        self._running: set[asyncio.Task[None]] = set()
        self.done = 0  # jobs finished (acknowledged or dead-lettered); tests watch it

    async def run(self, stop: asyncio.Event) -> None:
        await ensure_job_streams(
            self._client, self._names, dedup_seconds=self._dedup, storage=self._storage
        )
        config = api.ConsumerConfig(
            durable_name=self._names.workers,
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT,
            max_ack_pending=max(self._max_jobs * 50, 1000),
            filter_subject=f"{self._names.prefix}.jobs.run.>",
        )
        sub = await self._js.pull_subscribe(
            f"{self._names.prefix}.jobs.run.>",
            durable=self._names.workers,
            stream=self._names.jobs_stream,
            config=config,
        )
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                free = self._max_jobs - len(self._running)
                if free <= 0:
                    await asyncio.wait(
                        {*self._running, stopping}, return_when=asyncio.FIRST_COMPLETED
                    )
                    continue
                try:
                    msgs = await sub.fetch(free, timeout=self._poll)
                except (TimeoutError, NatsTimeout):
                    continue
                except Exception as exc:  # a lost connection: the client reconnects
                    log.warning("jobs_fetch_failed", error=repr(exc))
                    await asyncio.sleep(self._poll)
                    continue
                for msg in msgs:
                    job = asyncio.create_task(self._handle(msg))
                    self._running.add(job)
                    job.add_done_callback(self._ended)
        finally:
            stopping.cancel()
            await self._drain()
            with suppress(Exception):
                await sub.unsubscribe()

    async def _drain(self) -> None:
        """Lets running jobs finish for ``grace`` seconds, then cancels them (each is given
        back to the queue for another worker)."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=self._grace)
        for job in list(self._running):
            job.cancel()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    def _ended(self, job: asyncio.Task[None]) -> None:
        """A job's task is done. Its error, an acknowledgement that did not reach NATS (the
        connection lost), is taken here: nobody awaits the task, so asyncio logged it as
        "Task exception was never retrieved" whenever it was collected."""
        self._running.discard(job)
        if not job.cancelled() and (error := job.exception()) is not None:
            # JetStream delivers the job again once its acknowledgement window passes.
            log.warning("job_not_settled", error=repr(error), redelivered_in=ACK_WAIT)

    async def _handle(self, msg: Msg) -> None:
        headers = msg.headers or {}
        task = headers.get(TASK_HEADER, "")
        keeper = asyncio.create_task(self._keep_alive(msg))
        try:
            due = float(headers.get(NOT_BEFORE_HEADER, "0") or 0)
            if due > time.time():
                await asyncio.sleep(due - time.time())
            payload: dict[str, Any] = msgspec.json.decode(msg.data)
            async with asyncio.timeout(self._timeout):
                await self._runner(task, payload)
        except asyncio.CancelledError:
            with suppress(Exception):
                await msg.nak()  # shutting down: another worker takes it now
            raise
        except Exception as exc:
            await self._failed(msg, task, exc)
        else:
            await msg.ack()
        finally:
            keeper.cancel()
        self.done += 1

    async def _failed(self, msg: Msg, task: str, exc: Exception) -> None:
        tries = msg.metadata.num_delivered or 1
        log.warning("job_failed", task=task, tries=tries, error=repr(exc))
        if tries < self._max_tries:
            await msg.nak(delay=min(self._backoff * 2 ** (tries - 1), 60.0))
            return
        headers = dict(msg.headers or {})
        headers.pop(api.Header.MSG_ID.value, None)
        headers[ERROR_HEADER] = repr(exc)[:500]
        await self._js.publish(self._names.dead_job(task), msg.data, headers=headers)
        await msg.term()

    async def _keep_alive(self, msg: Msg) -> None:
        while True:
            await asyncio.sleep(ACK_WAIT / 3)
            with suppress(Exception):
                await msg.in_progress()
