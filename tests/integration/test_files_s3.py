"""``S3ObjectStorage`` against a real S3-compatible HTTP server (moto's, on 127.0.0.1), and an
upload through the app configured with ``MOCHEONG_STORAGE=s3``."""

from __future__ import annotations

import io
import random
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from litestar.testing import AsyncTestClient
from moto.server import ThreadedMotoServer
from PIL import Image

from adapters.s3.storage import S3ObjectStorage, open_s3_client
from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from tests.files_support import RecordingJobQueue, image_bytes
from tests.integration.accounts_http import assert_problem, bearer, register
from tests.integration.test_files_http import FilesTestProvider, run_recorded_jobs, upload
from tests.unit.accounts_harness import ManualClock

KEY_ID, SECRET, REGION = "test-key-id", "test-secret-key", "us-east-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    name = f"mocheong-test-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    ).create_bucket(Bucket=name)
    return name


@pytest.fixture
async def storage(s3_endpoint: str, bucket: str) -> AsyncIterator[S3ObjectStorage]:
    async with open_s3_client(
        region=REGION, endpoint_url=s3_endpoint, access_key_id=KEY_ID, secret_access_key=SECRET
    ) as client:
        yield S3ObjectStorage(client, bucket)


async def test_put_get_exists_delete(storage: S3ObjectStorage) -> None:
    await storage.put("u/a/b/original.png", b"png bytes", "image/png")
    assert await storage.get("u/a/b/original.png") == b"png bytes"
    assert await storage.exists("u/a/b/original.png")
    await storage.delete("u/a/b/original.png")
    assert not await storage.exists("u/a/b/original.png")
    assert await storage.get("u/a/b/original.png") is None
    await storage.delete("u/a/b/original.png")  # deleting what is not there is fine


async def test_a_file_object_is_uploaded_from_its_position(storage: S3ObjectStorage) -> None:
    stream = io.BytesIO(b"skip|" + bytes(range(256)) * 100)
    stream.seek(5)
    await storage.put("k/obj.bin", stream, "application/octet-stream")
    assert await storage.get("k/obj.bin") == bytes(range(256)) * 100


async def test_an_upload_spooled_to_disk_is_stored_whole(storage: S3ObjectStorage) -> None:
    data = random.Random(3).randbytes(1_500_000)
    with tempfile.SpooledTemporaryFile(max_size=1 << 20) as spool:
        spool.write(data)
        spool.seek(0)
        await storage.put("k/big.bin", spool, "application/octet-stream")
    assert await storage.get("k/big.bin") == data


async def test_a_presigned_url_downloads_over_http(storage: S3ObjectStorage) -> None:
    data = image_bytes("JPEG")
    await storage.put("u/a/b/original.jpg", data, "image/jpeg")
    url = await storage.signed_url("u/a/b/original.jpg", 300)
    assert "X-Amz-Signature=" in url
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
        assert response.status_code == 200
        assert response.content == data
        assert response.headers["content-type"] == "image/jpeg"


async def test_ping_answers_for_the_bucket_and_fails_without_it(
    storage: S3ObjectStorage, s3_endpoint: str
) -> None:
    await storage.ping()
    async with open_s3_client(
        region=REGION, endpoint_url=s3_endpoint, access_key_id=KEY_ID, secret_access_key=SECRET
    ) as client:
        with pytest.raises(ClientError):
            await S3ObjectStorage(client, "no-such-bucket-here").ping()


@pytest.fixture
async def s3_app(
    settings: Settings, s3_endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[AsyncTestClient[Any], RecordingJobQueue]]:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    s3_settings = evolve(
        settings,
        storage="s3",
        s3_bucket=bucket,
        s3_endpoint_url=s3_endpoint,
        s3_region=REGION,
        s3_access_key_id=KEY_ID,
        s3_secret_access_key=SECRET,
    )
    queue = RecordingJobQueue()
    app = create_app(s3_settings, FilesTestProvider(queue, ManualClock()))
    async with AsyncTestClient(app) as client:
        yield client, queue


async def test_upload_through_the_app_lands_in_the_bucket(
    s3_app: tuple[AsyncTestClient[Any], RecordingJobQueue], s3_endpoint: str, bucket: str
) -> None:
    client, queue = s3_app
    headers = bearer(await register(client, "s3@example.com"))
    data = image_bytes("PNG", (1400, 700))
    response = await upload(client, headers, data, name="hall.png")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["url"].startswith(f"{s3_endpoint}/{bucket}/u/")
    async with httpx.AsyncClient() as http:
        assert (await http.get(body["url"])).content == data

        run_recorded_jobs(client, queue)
        got = (await client.get(f"/api/files/{body['id']}", headers=headers)).json()
        variant = await http.get(got["variants"]["480"])
        assert variant.status_code == 200
        assert variant.headers["content-type"] == "image/webp"
        with Image.open(io.BytesIO(variant.content)) as image:
            assert image.size == (480, 240)

        # The local download route has nothing to serve when the bytes live in S3.
        assert_problem(
            await client.get("/files/u/x/y/original.png?expires=1&sig=x"), 404, "not_found"
        )

        assert (await client.delete(f"/api/files/{body['id']}", headers=headers)).status_code == 204
        assert (await http.get(body["url"])).status_code == 404
        assert (await http.get(got["variants"]["480"])).status_code == 404


async def test_readiness_names_the_storage_when_the_bucket_is_gone(
    settings: Settings, s3_endpoint: str
) -> None:
    missing = evolve(
        settings,
        storage="s3",
        s3_bucket="bucket-that-was-never-made",
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id=KEY_ID,
        s3_secret_access_key=SECRET,
    )
    async with AsyncTestClient(create_app(missing)) as client:
        response = await client.get("/ready")
        problem = assert_problem(response, 503, "not_ready")
        assert problem["failing"] == ["storage"]
