"""``LocalDiskObjectStorage`` on a real folder: atomic writes, key checks, signed URLs."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.disk.storage import InvalidKey, LocalDiskObjectStorage
from tests.unit.accounts_harness import ManualClock

KEY = "u/owner-1/file-1/original.jpg"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def storage(tmp_path: Path, clock: ManualClock) -> LocalDiskObjectStorage:
    return LocalDiskObjectStorage(tmp_path / "files", b"k" * 32, clock)


async def test_bytes_and_file_objects_round_trip(storage: LocalDiskObjectStorage) -> None:
    await storage.put(KEY, b"first", "image/jpeg")
    assert await storage.get(KEY) == b"first"
    stream = io.BytesIO(b"skipped|second")
    stream.seek(8)
    await storage.put(KEY, stream, "image/jpeg")
    assert await storage.get(KEY) == b"second"
    assert await storage.exists(KEY)


async def test_writes_leave_no_temporary_files(storage: LocalDiskObjectStorage) -> None:
    for n in range(3):
        await storage.put(KEY, b"x" * n, "image/jpeg")
    assert [p.name for p in storage.path_of(KEY).parent.iterdir()] == ["original.jpg"]


async def test_missing_objects(storage: LocalDiskObjectStorage) -> None:
    assert await storage.get(KEY) is None
    assert not await storage.exists(KEY)
    await storage.delete(KEY)  # deleting what is not there is fine
    await storage.put(KEY, b"x", "image/jpeg")
    await storage.delete(KEY)
    assert not await storage.exists(KEY)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../escape.jpg",
        "u/../../escape.jpg",
        "/etc/passwd",
        "u//x.jpg",
        "u/./x.jpg",
        "u/.tmp-abc",
        "u\\x.jpg",
        "u/x.jpg/",
        "%2e%2e/x.jpg",
        "u/" + "a" * 200,
        "u/ü.jpg",
    ],
)
async def test_keys_that_could_leave_the_folder_are_refused(
    storage: LocalDiskObjectStorage, key: str
) -> None:
    with pytest.raises(InvalidKey):
        await storage.put(key, b"x", "image/jpeg")
    with pytest.raises(InvalidKey):
        await storage.get(key)
    assert not storage.verify(key, "9999999999", "anything")


async def test_a_symlink_out_of_the_folder_is_refused(
    storage: LocalDiskObjectStorage, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    storage.root.mkdir(parents=True)
    (storage.root / "u").symlink_to(outside)
    with pytest.raises(InvalidKey):
        await storage.put("u/x.jpg", b"x", "image/jpeg")
    assert list(outside.iterdir()) == []


def signed(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path.removeprefix("/files/"), query["expires"][0], query["sig"][0]


async def test_a_signed_url_verifies_until_it_expires(
    storage: LocalDiskObjectStorage, clock: ManualClock
) -> None:
    url = await storage.signed_url(KEY, 600)
    assert url.startswith(f"/files/{KEY}?")
    key, expires, sig = signed(url)
    assert storage.verify(key, expires, sig)
    clock.advance(600)
    assert storage.verify(key, expires, sig)
    clock.advance(1)
    assert not storage.verify(key, expires, sig)


async def test_any_change_to_a_signed_url_breaks_it(storage: LocalDiskObjectStorage) -> None:
    key, expires, sig = signed(await storage.signed_url(KEY, 600))
    other_key = "u/owner-2/file-1/original.jpg"
    assert not storage.verify(other_key, expires, sig)
    assert not storage.verify(key, str(int(expires) + 1), sig)
    assert not storage.verify(key, expires, sig[:-1] + ("A" if sig[-1] != "A" else "B"))
    assert not storage.verify(key, expires, "ünïcode")
    assert not storage.verify(key, None, sig)
    assert not storage.verify(key, expires, None)
    assert not storage.verify(key, "-5", sig)
    other_secret = LocalDiskObjectStorage(storage.root, b"j" * 32, ManualClock())
    assert not other_secret.verify(key, expires, sig)


async def test_ping_makes_the_folder(storage: LocalDiskObjectStorage) -> None:
    await storage.ping()
    assert storage.root.is_dir()
