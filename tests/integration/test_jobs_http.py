"""``GET /api/jobs/{id}`` and tracked jobs end to end, on both databases and both queues:
the in-process queue of the embedded mode and arq on the machine's Redis (a worker run here)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dishka import AsyncContainer, Scope, make_async_container
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from entrypoints.app import create_app
from entrypoints.bootstrap.lifecycle import LifecycleHooks
from entrypoints.bootstrap.providers import build_providers
from entrypoints.bootstrap.settings import Settings, evolve
from entrypoints.runtime.tasks import GENERIC_ERROR, tracked_task
from entrypoints.worker.app import build_worker
from mocheong_core.chat.model import room_of
from mocheong_core.chat.ports import StreamBroker
from mocheong_core.chat.stream import EventKind
from mocheong_core.errors import Conflict
from mocheong_core.jobs.usecases import StartJob
from tests import services

ECHO = "test.jobs_http.echo"
REFUSE = "test.jobs_http.refuse"
CRASH = "test.jobs_http.crash"
HANG = "test.jobs_http.hang"


@tracked_task(ECHO)
async def echo(container: AsyncContainer, payload: dict[str, Any]) -> dict[str, Any]:
    await container.get(AsyncSession)  # the job's own scope has its own session
    return {"echo": payload["text"], "scope": container.scope.name}


@tracked_task(REFUSE)
async def refuse(container: AsyncContainer, payload: dict[str, Any]) -> dict[str, Any]:
    raise Conflict("The page changed meanwhile")


@tracked_task(CRASH)
async def crash(container: AsyncContainer, payload: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("secret internals")


hanging: list[asyncio.Event] = []
"""Set when the hanging task started (a fresh event per test: events bind to one loop)."""


@tracked_task(HANG)
async def hang(container: AsyncContainer, payload: dict[str, Any]) -> dict[str, Any]:
    hanging[-1].set()
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


@pytest.fixture(params=["in-process", "arq"])
def job_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "in-process":
        return settings
    services.require_redis()
    return evolve(
        settings, redis_url=services.REDIS_URL, redis_prefix=services.unique_redis_prefix()
    )


@pytest.fixture
async def jobs_client(job_settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(create_app(job_settings)) as test_client:
        yield test_client


@pytest.fixture
async def container(job_settings: Settings) -> AsyncIterator[AsyncContainer]:
    """The same providers as the app, on the test's own event loop (the test client runs the
    app on another): it starts jobs, and in the embedded mode its in-process queue runs them."""
    app_container = make_async_container(
        *build_providers(job_settings), context={Settings: job_settings}
    )
    hooks = await app_container.get(LifecycleHooks)
    await hooks.start()
    yield app_container
    await hooks.stop()
    await app_container.close()


async def register(client: AsyncTestClient[Any], name: str) -> tuple[str, dict[str, str]]:
    response = await client.post(
        "/api/auth/register",
        json={"email": f"{name}@example.com", "password": "correct horse", "name": name},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["user"]["id"], {"Authorization": f"Bearer {body['access_token']}"}


async def start_job(container: AsyncContainer, owner_id: str, kind: str) -> str:
    async with container(scope=Scope.REQUEST) as request:
        start = await request.get(StartJob)
        job = await start(owner_id, kind, {"text": "hi"}, page_id="page-1")
    return job.id


async def run_arq_jobs(settings: Settings) -> None:
    """With Redis, runs what is queued with an arq worker in burst mode (the in-process queue
    runs jobs by itself)."""
    if settings.broker.uses_redis:
        worker = build_worker(settings, burst=True, handle_signals=False)
        try:
            await worker.async_run()
        finally:
            await worker.close()


async def finished(client: AsyncTestClient[Any], job_id: str, headers: dict[str, str]) -> Any:
    async with asyncio.timeout(30):
        while True:
            body = (await client.get(f"/api/jobs/{job_id}", headers=headers)).json()
            if body["status"] in ("succeeded", "failed"):
                return body
            await asyncio.sleep(0.01)


async def test_only_the_owner_reads_a_job(
    jobs_client: AsyncTestClient[Any], container: AsyncContainer, job_settings: Settings
) -> None:
    owner_id, owner = await register(jobs_client, "owner")
    _, other = await register(jobs_client, "other")
    job_id = await start_job(container, owner_id, ECHO)

    mine = await jobs_client.get(f"/api/jobs/{job_id}", headers=owner)
    assert mine.status_code == 200
    assert mine.json()["id"] == job_id
    assert mine.json()["kind"] == ECHO

    theirs = await jobs_client.get(f"/api/jobs/{job_id}", headers=other)
    assert theirs.status_code == 404
    assert theirs.headers["content-type"].startswith("application/problem+json")
    assert theirs.json()["code"] == "not_found"

    anonymous = await jobs_client.get(f"/api/jobs/{job_id}")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthorized"

    unknown = await jobs_client.get("/api/jobs/no-such-job", headers=owner)
    assert unknown.status_code == 404
    await run_arq_jobs(job_settings)  # leaves nothing queued in the shared Redis


async def test_a_tracked_job_runs_in_its_own_scope_and_succeeds(
    jobs_client: AsyncTestClient[Any], container: AsyncContainer, job_settings: Settings
) -> None:
    owner_id, owner = await register(jobs_client, "owner")
    job_id = await start_job(container, owner_id, ECHO)

    await run_arq_jobs(job_settings)
    body = await finished(jobs_client, job_id, owner)

    assert body["status"] == "succeeded"
    assert body["result"] == {"echo": "hi", "scope": "REQUEST"}
    assert "error" not in body
    assert body["updated_at"] >= body["created_at"]
    # The room is told right after the job's row is committed, so the notice may trail the poll.
    broker = await container.get(StreamBroker)
    async with asyncio.timeout(10):
        while True:
            events = (await broker.history(room_of("page-1"), None)).events
            if events:
                break
            await asyncio.sleep(0.01)
    assert [(e.kind, e.data) for e in events] == [
        (EventKind.JOB_COMPLETED, {"job_id": job_id, "kind": ECHO, "status": "succeeded"})
    ]


async def test_a_failed_job_says_why_without_internals(
    jobs_client: AsyncTestClient[Any], container: AsyncContainer, job_settings: Settings
) -> None:
    owner_id, owner = await register(jobs_client, "owner")
    refused = await start_job(container, owner_id, REFUSE)
    crashed = await start_job(container, owner_id, CRASH)

    await run_arq_jobs(job_settings)

    refused_body = await finished(jobs_client, refused, owner)
    assert refused_body["status"] == "failed"
    assert refused_body["error"] == "The page changed meanwhile"
    assert "result" not in refused_body
    crashed_body = await finished(jobs_client, crashed, owner)
    assert crashed_body["status"] == "failed"
    assert crashed_body["error"] == GENERIC_ERROR


async def test_embedded_restart_fails_the_jobs_it_interrupted(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    owner_id, owner = await register(client, "owner")
    settings = evolve(settings, jobs_shutdown_grace=0)
    first = make_async_container(*build_providers(settings), context={Settings: settings})
    hooks = await first.get(LifecycleHooks)
    await hooks.start()
    hanging.append(asyncio.Event())
    job_id = await start_job(first, owner_id, HANG)
    await hanging[-1].wait()
    await hooks.stop()  # no grace: the hanging job is cancelled, still marked running
    await first.close()
    interrupted = (await client.get(f"/api/jobs/{job_id}", headers=owner)).json()
    assert interrupted["status"] == "running"

    second = make_async_container(*build_providers(settings), context={Settings: settings})
    await (await second.get(LifecycleHooks)).start()
    await second.close()

    body = (await client.get(f"/api/jobs/{job_id}", headers=owner)).json()
    assert body["status"] == "failed"
    assert body["error"] == "Interrupted by a restart"
