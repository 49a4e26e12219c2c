"""The link-preview image guests' messengers show (KakaoTalk first): the Open Graph tags that
name it, and the JPEG itself, fetched anonymously as a scraper would, made by the worker's job
or, before the job ran, by the route; a new cover is a new address."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings
from entrypoints.runtime.tasks import run_task
from entrypoints.worker.tasks import load_tasks
from mocheong_core.files.usecases import MAKE_SHARE_IMAGE
from tests.files_support import RecordingJobQueue, image_bytes
from tests.integration.accounts_http import Client
from tests.integration.pages_helpers import container_of
from tests.integration.test_public_page_http import (
    Page,
    RecordingQueueProvider,
    published,
    settings,
)

__all__ = ["settings"]  # a fixture, used by name

FOREVER = "public, max-age=31536000, immutable"


@pytest.fixture
async def jobs_client(settings: Settings) -> AsyncIterator[tuple[Client, RecordingJobQueue]]:
    queue = RecordingJobQueue()
    async with AsyncTestClient(create_app(settings, RecordingQueueProvider(queue))) as client:
        yield client, queue


async def preview_of(client: Client, slug: str) -> dict[str, str]:
    response = await client.get(f"/i/{slug}")
    assert response.status_code == 200
    return Page(response.text).meta


async def fetched_jpeg(client: Client, url: str) -> tuple[Image.Image, Any]:
    """The image at ``url``, fetched without credentials or cookies, as a scraper would."""
    assert url.startswith("https://mocheong.example/i/")
    response = await client.get(urlsplit(url).path, headers={"User-Agent": "kakaotalk-scrap"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "JPEG"
    return image, response.headers


async def test_a_page_without_photos_previews_the_default_jpeg(client: Client) -> None:
    page, _ = await published(client)
    meta = await preview_of(client, page["slug"])

    assert meta["og:site_name"] == "모청"
    assert meta["og:image:type"] == "image/jpeg"
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "600")
    assert meta["og:image:alt"] == "김민준 ♥ 이서연 결혼합니다"
    assert meta["twitter:card"] == "summary_large_image"
    url = meta["og:image"]
    assert url.startswith(f"https://mocheong.example/i/{page['slug']}/share-")
    assert url.endswith(".jpg")
    image, headers = await fetched_jpeg(client, url)
    assert image.size == (1200, 600)
    assert headers["cache-control"] == FOREVER
    assert "set-cookie" not in headers


async def test_the_cover_becomes_the_preview_and_a_new_cover_a_new_address(
    jobs_client: tuple[Client, RecordingJobQueue], settings: Settings
) -> None:
    client, queue = jobs_client
    page, owner = await published(client)
    default = (await preview_of(client, page["slug"]))["og:image"]
    ids = []
    for size in ((1600, 1200), (900, 1600)):
        uploaded = await client.post(
            "/api/files",
            files={"file": ("p.png", image_bytes("PNG", size), "image/png")},
            data={"page_id": page["id"]},
            headers=owner,
        )
        assert uploaded.status_code == 201, uploaded.text
        ids.append(uploaded.json()["id"])
    changed = await client.patch(
        f"/api/pages/{page['id']}", json={"cover_file_id": ids[0]}, headers=owner
    )
    assert changed.status_code == 200, changed.text

    # The change queued the worker's job for the new cover; it makes and keeps the JPEG.
    [job] = [job for job in queue.jobs if job.task == MAKE_SHARE_IMAGE]
    assert job.payload == {"file_id": ids[0]}
    load_tasks()
    await run_task(container_of(client), job.task, job.payload)
    stored = list((settings.app.data_dir / "files").rglob("share-1200x600.jpg"))
    assert [path.parent.name for path in stored] == [ids[0]]

    cover_url = (await preview_of(client, page["slug"]))["og:image"]
    assert cover_url != default
    image, headers = await fetched_jpeg(client, cover_url)
    assert image.size == (1200, 600)
    assert image.getpixel((600, 300)) == pytest.approx((254, 0, 0), abs=2)  # the red photo
    assert headers["cache-control"] == FOREVER

    # Another cover: another address, its image made by the route before any job ran.
    changed = await client.patch(
        f"/api/pages/{page['id']}", json={"cover_file_id": ids[1]}, headers=owner
    )
    assert changed.status_code == 200
    second_url = (await preview_of(client, page["slug"]))["og:image"]
    assert second_url not in (cover_url, default)
    image, _ = await fetched_jpeg(client, second_url)
    assert image.size == (1200, 600)
    # An older address leads to the current one; an unknown name is the 404 page.
    old = await client.get(urlsplit(cover_url).path, follow_redirects=False)
    assert old.status_code == 302
    assert old.headers["location"] == urlsplit(second_url).path
    assert (await client.get(f"/i/{page['slug']}/share-zz.jpg")).status_code == 404
    unpublished = await client.post(f"/api/pages/{page['id']}/unpublish", headers=owner)
    assert unpublished.status_code == 200
    assert (await client.get(urlsplit(second_url).path)).status_code == 404
