"""Tracked-job use cases and the in-process queue, driven with the in-memory adapters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory.jobs import InMemoryJobRepository, InProcessJobQueue
from adapters.memory.stream import InMemoryStreamBroker
from adapters.memory.uow import InMemoryUnitOfWork
from mocheong_core.accounts.model import Role, User
from mocheong_core.chat.jobs import JobNotices
from mocheong_core.chat.model import room_of
from mocheong_core.errors import NotFound, ServiceUnavailable
from mocheong_core.jobs.model import Job, JobStatus
from mocheong_core.jobs.usecases import (
    JOB_ID_KEY,
    AbandonUnfinishedJobs,
    GetJob,
    JobProgress,
    StartJob,
)
from mocheong_core.kernel.clock import SystemClock
from mocheong_core.kernel.ids import new_id


def user(name: str = "a") -> User:
    return User(
        id=new_id(),
        email=f"{name}@example.com",
        name=name,
        password_hash="x",
        role=Role.USER,
        disabled=False,
        created_at=datetime.now(UTC),
    )


class RecordingQueue:
    """A JobQueue that keeps what it was given, or refuses everything when ``down``."""

    def __init__(self, down: bool = False) -> None:
        self.queued: list[tuple[str, dict[str, Any], str]] = []
        self.down = down

    async def enqueue(
        self, task: str, payload: dict[str, Any], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        if self.down:
            raise ServiceUnavailable("down")
        self.queued.append((task, payload, job_id))
        return True


class Harness:
    def __init__(self, queue: RecordingQueue | None = None) -> None:
        self.jobs = InMemoryJobRepository()
        self.uow = InMemoryUnitOfWork(self.jobs)
        self.queue = queue or RecordingQueue()
        clock = SystemClock()
        self.start = StartJob(self.jobs, self.queue, self.uow, clock)
        self.get = GetJob(self.jobs)
        self.broker = InMemoryStreamBroker()
        self.progress = JobProgress(self.jobs, self.uow, clock, JobNotices(self.broker))
        self.abandon = AbandonUnfinishedJobs(self.jobs, self.uow, clock)


# --- tracked jobs -------------------------------------------------------------------------


async def test_start_job_stores_a_queued_job_and_queues_its_task_with_the_job_id() -> None:
    h = Harness()
    owner = user()
    job = await h.start(owner.id, "ai.inspire", {"page_id": "p1"}, page_id="p1")

    stored = await h.get(owner, job.id)
    assert stored.status is JobStatus.QUEUED
    assert (stored.kind, stored.page_id, stored.owner_id) == ("ai.inspire", "p1", owner.id)
    assert h.queue.queued == [("ai.inspire", {"page_id": "p1", JOB_ID_KEY: job.id}, job.id)]
    assert h.uow.commits == 1


async def test_a_job_the_queue_refuses_is_stored_failed_and_the_error_raised() -> None:
    h = Harness(RecordingQueue(down=True))
    owner = user()
    with pytest.raises(ServiceUnavailable):
        await h.start(owner.id, "ai.inspire", {})
    await h.uow.rollback()  # nothing uncommitted may hide the outcome
    (job,) = cast(dict[str, Job], h.jobs.snapshot()).values()
    assert job.status is JobStatus.FAILED
    assert job.error == "The job could not be queued"


async def test_get_job_answers_only_its_owner() -> None:
    h = Harness()
    owner, other = user("owner"), user("other")
    job = await h.start(owner.id, "k", {})

    assert (await h.get(owner, job.id)).id == job.id
    with pytest.raises(NotFound):
        await h.get(other, job.id)
    with pytest.raises(NotFound):
        await h.get(owner, "no-such-job")


async def test_progress_marks_running_then_succeeded_with_the_result() -> None:
    h = Harness()
    owner = user()
    job = await h.start(owner.id, "k", {})

    assert await h.progress.running(job.id)
    assert (await h.get(owner, job.id)).status is JobStatus.RUNNING
    await h.progress.succeeded(job.id, {"ideas": ["a", "b"]})
    await h.uow.rollback()
    done = await h.get(owner, job.id)
    assert done.status is JobStatus.SUCCEEDED
    assert done.result == {"ideas": ["a", "b"]}
    assert done.error is None
    assert done.updated_at >= done.created_at


async def test_a_failure_drops_the_uncommitted_work_and_keeps_the_error() -> None:
    h = Harness()
    owner = user()
    job = await h.start(owner.id, "k", {})
    await h.progress.running(job.id)
    half_done = Job(
        id="half",
        kind="k",
        owner_id=owner.id,
        page_id=None,
        status=JobStatus.QUEUED,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )
    await h.jobs.add(half_done)  # written by the task, never committed

    await h.progress.failed(job.id, "x" * 1000)

    failed = await h.get(owner, job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.error == "x" * 500
    assert await h.jobs.get("half") is None


async def test_a_finished_job_of_a_page_is_announced_in_its_room() -> None:
    h = Harness()
    owner = user()
    done = await h.start(owner.id, "ai.inspire", {}, page_id="p1")
    failed = await h.start(owner.id, "ai.inspire", {}, page_id="p1")
    pageless = await h.start(owner.id, "k", {})
    for job in (done, failed, pageless):
        await h.progress.running(job.id)
    await h.progress.succeeded(done.id, {"ideas": []})
    await h.progress.failed(failed.id, "no")
    await h.progress.succeeded(pageless.id, None)

    events = (await h.broker.history(room_of("p1"), None)).events
    assert [e.wire()["event"] for e in events] == ["job-completed", "job-completed"]
    assert [e.data for e in events] == [
        {"job_id": done.id, "kind": "ai.inspire", "status": "succeeded"},
        {"job_id": failed.id, "kind": "ai.inspire", "status": "failed"},
    ]


async def test_a_finished_or_unknown_job_is_not_run_again() -> None:
    h = Harness()
    owner = user()
    job = await h.start(owner.id, "k", {})
    await h.progress.running(job.id)
    await h.progress.succeeded(job.id, None)

    assert not await h.progress.running(job.id)
    assert not await h.progress.running("unknown")
    assert (await h.get(owner, job.id)).status is JobStatus.SUCCEEDED


async def test_abandon_fails_only_unfinished_jobs() -> None:
    h = Harness()
    owner = user()
    queued = await h.start(owner.id, "k", {})
    running = await h.start(owner.id, "k", {})
    done = await h.start(owner.id, "k", {})
    await h.progress.running(running.id)
    await h.progress.succeeded(done.id, {"ok": True})

    assert await h.abandon() == 2
    await h.uow.rollback()
    for job_id in (queued.id, running.id):
        job = await h.get(owner, job_id)
        assert (job.status, job.error) == (JobStatus.FAILED, "Interrupted by a restart")
    assert (await h.get(owner, done.id)).status is JobStatus.SUCCEEDED


# --- the in-process queue -----------------------------------------------------------------


class Gate:
    """A runner whose jobs wait until released, recording what ran and how many at once."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.started: list[tuple[str, dict[str, Any]]] = []
        self.finished: list[str] = []
        self.running = 0
        self.most = 0
        self.cancelled = 0

    async def __call__(self, task: str, payload: dict[str, Any]) -> None:
        self.started.append((task, payload))
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.open.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.running -= 1
        if payload.get("fail"):
            raise RuntimeError("boom")
        self.finished.append(payload["n"])


async def settle() -> None:
    """Lets every ready task run until it blocks (no clock involved)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_in_process_queue_runs_jobs_with_their_payload() -> None:
    gate = Gate()
    gate.open.set()
    queue = InProcessJobQueue(gate, max_concurrency=4)

    assert await queue.enqueue("t", {"n": "1"}, job_id="j1")
    await queue.stop()

    assert gate.started == [("t", {"n": "1"})]
    assert gate.finished == ["1"]
    assert queue.pending == 0


async def test_in_process_queue_refuses_an_id_while_it_is_queued_or_running() -> None:
    gate = Gate()
    queue = InProcessJobQueue(gate, max_concurrency=1)

    assert await queue.enqueue("t", {"n": "1"}, job_id="a")
    assert await queue.enqueue("t", {"n": "2"}, job_id="b")
    await settle()  # "a" runs, "b" waits for the one slot
    assert not await queue.enqueue("t", {"n": "dup-running"}, job_id="a")
    assert not await queue.enqueue("t", {"n": "dup-queued"}, job_id="b")

    gate.open.set()
    await queue.stop()
    assert sorted(gate.finished) == ["1", "2"]


async def test_in_process_queue_accepts_an_id_again_once_its_job_finished() -> None:
    gate = Gate()
    gate.open.set()
    queue = InProcessJobQueue(gate, max_concurrency=1)
    assert await queue.enqueue("t", {"n": "1"}, job_id="a")
    await settle()
    assert queue.pending == 0
    assert await queue.enqueue("t", {"n": "2"}, job_id="a")
    await queue.stop()
    assert gate.finished == ["1", "2"]


async def test_in_process_queue_runs_at_most_max_concurrency_at_once() -> None:
    gate = Gate()
    queue = InProcessJobQueue(gate, max_concurrency=3)
    for n in range(10):
        await queue.enqueue("t", {"n": str(n)}, job_id=str(n))
    await settle()
    assert gate.running == 3
    assert len(gate.started) == 3

    gate.open.set()
    await queue.stop()
    assert gate.most == 3
    assert sorted(gate.finished, key=int) == [str(n) for n in range(10)]


async def test_a_failing_job_does_not_stop_the_others() -> None:
    gate = Gate()
    gate.open.set()
    queue = InProcessJobQueue(gate, max_concurrency=1)
    await queue.enqueue("t", {"n": "1", "fail": True}, job_id="a")
    await queue.enqueue("t", {"n": "2"}, job_id="b")
    await queue.stop()
    assert gate.finished == ["2"]
    assert queue.pending == 0


async def test_stop_lets_jobs_finish_within_the_grace_period() -> None:
    gate = Gate()
    queue = InProcessJobQueue(gate, max_concurrency=2)
    await queue.enqueue("t", {"n": "1"}, job_id="a")
    await settle()

    stopping = asyncio.create_task(queue.stop(grace_seconds=60))
    await settle()
    assert not stopping.done()  # still waiting for the running job
    gate.open.set()
    await stopping
    assert gate.finished == ["1"]
    assert gate.cancelled == 0


async def test_stop_cancels_what_outlives_the_grace_period_and_refuses_new_jobs() -> None:
    gate = Gate()
    queue = InProcessJobQueue(gate, max_concurrency=1)
    await queue.enqueue("t", {"n": "1"}, job_id="a")
    await queue.enqueue("t", {"n": "2"}, job_id="b")
    await settle()

    await queue.stop(grace_seconds=0)

    assert gate.cancelled == 1  # the running one; the waiting one never started
    assert gate.finished == []
    assert queue.pending == 0
    with pytest.raises(ServiceUnavailable):
        await queue.enqueue("t", {"n": "3"}, job_id="c")


async def test_a_delayed_job_waits_for_its_delay() -> None:
    ran: list[str] = []
    soon_done = asyncio.Event()

    async def runner(task: str, payload: dict[str, Any]) -> None:
        ran.append(payload["n"])
        soon_done.set()

    queue = InProcessJobQueue(runner, max_concurrency=1)
    await queue.enqueue("t", {"n": "soon"}, job_id="a", delay_seconds=0.001)
    await soon_done.wait()
    await queue.enqueue("t", {"n": "later"}, job_id="b", delay_seconds=3600)
    await settle()
    await queue.stop(grace_seconds=0)
    assert ran == ["soon"]  # "later" was still waiting when the queue stopped


@given(st.lists(st.sampled_from("abcdef"), max_size=30))
def test_each_distinct_id_is_accepted_once_while_pending(ids: list[str]) -> None:
    async def scenario() -> None:
        gate = Gate()
        queue = InProcessJobQueue(gate, max_concurrency=2)
        accepted = [await queue.enqueue("t", {"n": i}, job_id=i) for i in ids]
        assert sum(accepted) == len(set(ids))
        gate.open.set()
        await queue.stop(grace_seconds=60)
        assert sorted(gate.finished) == sorted(set(ids))

    asyncio.run(scenario())
