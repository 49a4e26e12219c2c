"""``/api/files`` and the signed ``/files/...`` route over HTTP with local-disk storage, on
SQLite and PostgreSQL. Background jobs are recorded, then run by the test through the task
registry, so variants exist exactly when a test expects them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import attrs
import pytest
from dishka import AsyncContainer, Provider, Scope, provide
from litestar.testing import AsyncTestClient
from PIL import Image

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from entrypoints.runtime.tasks import run_task
from entrypoints.worker.tasks import load_tasks
from mocheong_core.jobs.ports import JobQueue
from mocheong_core.kernel.clock import Clock
from tests.files_support import (
    FAKE_PDF,
    PDF,
    RecordingJobQueue,
    declared_png,
    image_bytes,
    noise_png,
)
from tests.integration.accounts_http import assert_problem, bearer, register
from tests.unit.accounts_harness import ManualClock

Client = AsyncTestClient[Any]


class FilesTestProvider(Provider):
    def __init__(self, queue: RecordingJobQueue, clock: ManualClock) -> None:
        super().__init__()
        self._queue, self._clock = queue, clock

    @provide(scope=Scope.APP, override=True)
    def job_queue(self) -> JobQueue:
        return self._queue

    @provide(scope=Scope.APP, override=True)
    def clock(self) -> Clock:
        return self._clock


@attrs.define
class Harness:
    client: Client
    queue: RecordingJobQueue
    clock: ManualClock

    def run_jobs(self) -> None:
        run_recorded_jobs(self.client, self.queue)


def run_recorded_jobs(client: Client, queue: RecordingJobQueue) -> None:
    """Runs the queued jobs on the app's own event loop, where its connections live."""
    load_tasks()
    container: AsyncContainer = client.app.state.dishka_container
    for job in queue.jobs:
        client.blocking_portal.call(run_task, container, job.task, job.payload)
    queue.jobs.clear()


@asynccontextmanager
async def harness_for(settings: Settings) -> AsyncIterator[Harness]:
    queue, clock = RecordingJobQueue(), ManualClock()
    app = create_app(settings, FilesTestProvider(queue, clock))
    async with AsyncTestClient(app) as client:
        yield Harness(client, queue, clock)


@pytest.fixture
async def files(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    async with harness_for(settings) as harness:
        yield harness


async def user(client: Client, email: str = "couple@example.com") -> dict[str, str]:
    return bearer(await register(client, email))


async def upload(
    client: Client,
    headers: dict[str, str],
    data: bytes,
    name: str = "photo.jpg",
    declared: str = "image/jpeg",
    **fields: str,
) -> Any:
    return await client.post(
        "/api/files", files={"file": (name, data, declared)}, data=fields, headers=headers
    )


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_upload_then_download_get_and_delete(files: Harness) -> None:
    client = files.client
    headers = await user(client)
    data = image_bytes("JPEG", (640, 480))
    # The declared type and name are ignored: the bytes decide.
    response = await upload(client, headers, data, name="../../../etc/x.png", declared="image/png")
    assert response.status_code == 201, response.text
    body = response.json()
    assert {k: body[k] for k in ("content_type", "size", "width", "height")} == {
        "content_type": "image/jpeg",
        "size": len(data),
        "width": 640,
        "height": 480,
    }
    assert body["original_name"] == "x.png"
    assert body["url"].startswith("http://testserver.local/files/u/")
    assert f"/{body['id']}/original.jpg?" in body["url"]

    download = await client.get(local(body["url"]))
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["cache-control"].startswith("private")
    assert download.headers["x-content-type-options"] == "nosniff"

    got = await client.get(f"/api/files/{body['id']}", headers=headers)
    assert got.status_code == 200
    assert got.json()["id"] == body["id"]
    assert got.json()["variants"] == {}

    deleted = await client.delete(f"/api/files/{body['id']}", headers=headers)
    assert deleted.status_code == 204
    assert_problem(await client.get(f"/api/files/{body['id']}", headers=headers), 404, "not_found")
    assert (await client.get(local(body["url"]))).status_code == 404


async def test_variants_are_made_by_the_queued_job_and_served(files: Harness) -> None:
    client = files.client
    headers = await user(client)
    body = (await upload(client, headers, image_bytes("PNG", (1600, 1200)))).json()
    [job] = files.queue.jobs
    assert (job.task, job.job_id) == ("files.make_variants", f"variants:{body['id']}")
    files.run_jobs()
    got = (await client.get(f"/api/files/{body['id']}", headers=headers)).json()
    assert set(got["variants"]) == {"480", "1280"}
    small = await client.get(local(got["variants"]["480"]))
    assert small.status_code == 200
    assert small.headers["content-type"] == "image/webp"
    assert small.content[:4] == b"RIFF"
    await client.delete(f"/api/files/{body['id']}", headers=headers)
    assert (await client.get(local(got["variants"]["480"]))).status_code == 404


async def test_a_pdf_is_accepted_and_queues_nothing(files: Harness) -> None:
    headers = await user(files.client)
    response = await upload(files.client, headers, PDF, name="invite.pdf", declared="text/plain")
    assert response.status_code == 201
    body = response.json()
    assert (body["content_type"], body["width"], body["pages"]) == ("application/pdf", None, 2)
    assert (await files.client.get(f"/api/files/{body['id']}", headers=headers)).json()[
        "pages"
    ] == 2
    assert files.queue.jobs == []


async def test_a_file_that_only_starts_like_a_pdf_is_refused(files: Harness) -> None:
    headers = await user(files.client)
    response = await upload(
        files.client, headers, FAKE_PDF, name="x.pdf", declared="application/pdf"
    )
    assert_problem(response, 415, "unsupported_media_type")


async def test_a_text_file_named_jpg_is_refused(files: Harness) -> None:
    headers = await user(files.client)
    response = await upload(files.client, headers, b"definitely not a jpeg", name="cat.jpg")
    assert_problem(response, 415, "unsupported_media_type")


async def test_a_decompression_bomb_is_refused(files: Harness) -> None:
    headers = await user(files.client)
    response = await upload(files.client, headers, declared_png(30_000, 30_000), name="b.png")
    assert_problem(response, 422, "image_too_large")


async def test_uploads_may_exceed_the_small_json_body_limit(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    small_json = evolve(settings, max_body_bytes=100_000, max_upload_bytes=2_000_000)
    data = noise_png(400, 400)
    assert 100_000 < len(data) < 2_000_000
    async with harness_for(small_json) as files:
        headers = await user(files.client)
        response = await upload(files.client, headers, data, name="big.png")
        assert response.status_code == 201, response.text
        assert response.json()["size"] == len(data)


async def test_an_upload_over_the_cap_is_refused(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    capped = evolve(settings, max_upload_bytes=50_000)
    async with harness_for(capped) as files:
        headers = await user(files.client)
        response = await upload(files.client, headers, noise_png(200, 200), name="big.png")
        assert_problem(response, 413, "file_too_large")
        assert list((settings.app.data_dir / "files").glob("**/*.png")) == []


async def test_the_cap_is_enforced_while_a_chunked_body_streams_in(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test client sends whole bodies, so this drives the ASGI app with an endless one."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    cap, chunk = 50_000, 16_384
    async with harness_for(evolve(settings, max_upload_bytes=cap)) as files:
        auth = (await user(files.client))["Authorization"]
        head = (
            b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\n'
            b"Content-Type: image/png\r\n\r\n"
        )
        pulled = 0

        async def receive() -> dict[str, Any]:
            nonlocal pulled
            body = head if pulled == 0 else b"\x89" * chunk
            pulled += len(body)
            return {"type": "http.request", "body": body, "more_body": True}

        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/api/files",
            "raw_path": b"/api/files",
            "root_path": "",
            "query_string": b"",
            "headers": [
                (b"host", b"testserver.local"),
                (b"authorization", auth.encode()),
                (b"content-type", b"multipart/form-data; boundary=b0undary"),
                (b"transfer-encoding", b"chunked"),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver.local", 80),
        }
        # On the app's own event loop, as the test client runs every request.
        files.client.blocking_portal.call(files.client.app, scope, receive, send)
        assert sent[0]["status"] == 413
        assert b'"code":"file_too_large"' in b"".join(m.get("body", b"") for m in sent[1:])
        assert cap < pulled <= cap + chunk + len(head)


async def test_wrong_or_missing_fields_are_validation_errors(files: Harness) -> None:
    client = files.client
    headers = await user(client)
    missing = await client.post("/api/files", files={"page_id": (None, "x")}, headers=headers)
    problem = assert_problem(missing, 422, "validation_error")
    assert problem["errors"] == [
        {"field": "file", "message": "is required: a part named `file` holding the file"}
    ]
    bad_page = await upload(client, headers, image_bytes("PNG"), page_id="not a page id!")
    assert assert_problem(bad_page, 422, "validation_error")["errors"][0]["field"] == "page_id"
    unknown = await upload(client, headers, image_bytes("PNG"), caption="hi")
    assert assert_problem(unknown, 422, "validation_error")["errors"][0]["field"] == "caption"
    as_json = await client.post("/api/files", json={"file": "x"}, headers=headers)
    assert_problem(as_json, 415, "unsupported_media_type")


async def test_a_file_may_belong_to_the_callers_page_only(files: Harness) -> None:
    client = files.client
    mine, theirs = await user(client), await user(client, "other@example.com")
    page = await client.post("/api/pages", json={}, headers=mine)
    assert page.status_code == 201, page.text
    page_id = page.json()["id"]
    ok = await upload(client, mine, image_bytes("PNG"), page_id=page_id)
    assert ok.status_code == 201
    assert ok.json()["page_id"] == page_id
    assert_problem(
        await upload(client, theirs, image_bytes("PNG"), page_id=page_id), 404, "not_found"
    )
    assert_problem(await upload(client, mine, image_bytes("PNG"), page_id="nope"), 404, "not_found")


async def test_another_user_gets_404_and_an_anonymous_caller_401(files: Harness) -> None:
    client = files.client
    owner = await user(client)
    other = await user(client, "other@example.com")
    file_id = (await upload(client, owner, image_bytes("PNG"))).json()["id"]
    assert_problem(await client.get(f"/api/files/{file_id}", headers=other), 404, "not_found")
    assert_problem(await client.delete(f"/api/files/{file_id}", headers=other), 404, "not_found")
    assert (await client.get(f"/api/files/{file_id}", headers=owner)).status_code == 200
    assert_problem(await client.get(f"/api/files/{file_id}"), 401, "unauthorized")
    assert_problem(await client.delete(f"/api/files/{file_id}"), 401, "unauthorized")
    assert_problem(await upload(client, {}, image_bytes("PNG")), 401, "unauthorized")


async def test_signed_urls_refuse_tampering_and_expire(files: Harness) -> None:
    client = files.client
    headers = await user(client)
    url = local((await upload(client, headers, image_bytes("PNG"))).json()["url"])
    assert (await client.get(url)).status_code == 200
    path, query = url.split("?")
    assert_problem(await client.get(path), 403, "forbidden")
    assert_problem(await client.get(url.replace("sig=", "sig=A")), 403, "forbidden")
    assert_problem(
        await client.get(path.replace("original", "w480") + "?" + query), 403, "forbidden"
    )
    assert_problem(await client.get("/files/../mocheong.db?expires=1&sig=x"), 404, "not_found")
    files.clock.advance(3601)
    assert_problem(await client.get(url), 403, "forbidden")


async def test_readiness_checks_the_storage(files: Harness) -> None:
    response = await files.client.get("/ready")
    assert response.status_code == 200
    assert "storage" in response.json()["checks"]
