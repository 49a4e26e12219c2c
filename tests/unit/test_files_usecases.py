"""Files use cases driven with the in-memory twins and the real Pillow adapters."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from adapters.memory.files import (
    InMemoryFileRepository,
    InMemoryObjectStorage,
    InMemoryPageOwnership,
)
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.pillow.images import PillowImageInspector, PillowImageResizer
from mocheong_core.errors import NotFound, ServiceUnavailable
from mocheong_core.files.errors import FileNotFound, FileTooLarge, UnsupportedMediaType
from mocheong_core.files.model import (
    SHARE_IMAGE_SIZE,
    FileView,
    display_name,
    share_image_key,
    variant_key,
)
from mocheong_core.files.usecases import (
    MAKE_VARIANTS,
    DeleteFile,
    FileLinks,
    FilesPolicy,
    GetFile,
    MakeShareImage,
    MakeVariants,
    ResolveFiles,
    UploadFile,
)
from mocheong_core.jobs.ports import JobQueue
from tests.files_support import FAKE_PDF, PDF, RecordingJobQueue, image_bytes, noise_jpeg
from tests.unit.accounts_harness import ManualClock

OWNER = "owner-1"
OTHER = "owner-2"


class FailingCommit(InMemoryUnitOfWork):
    async def commit(self) -> None:
        raise RuntimeError("database went away")


class ClosedQueue:
    async def enqueue(
        self, task: str, payload: dict[str, object], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        raise ServiceUnavailable("The job queue is shutting down")


class Files:
    """The files context of one process, each call run like a request."""

    def __init__(
        self,
        policy: FilesPolicy | None = None,
        queue: JobQueue | None = None,
        uow: InMemoryUnitOfWork | None = None,
    ) -> None:
        self.storage = InMemoryObjectStorage()
        self.repo = InMemoryFileRepository()
        self.pages = InMemoryPageOwnership({"page-of-owner": OWNER, "page-of-other": OTHER})
        self.queue = RecordingJobQueue()
        self.uow = uow or InMemoryUnitOfWork(self.repo)
        self.clock = ManualClock()
        self.policy = policy or FilesPolicy()
        self.links = FileLinks(self.storage, self.policy)
        self.upload = UploadFile(
            self.repo,
            self.storage,
            PillowImageInspector(50_000_000),
            self.pages,
            queue or self.queue,
            self.links,
            self.uow,
            self.clock,
            self.policy,
        )
        self.get = GetFile(self.repo, self.links)
        self.resolve = ResolveFiles(self.repo, self.links)
        self.delete = DeleteFile(self.repo, self.storage, self.uow, self.policy)
        self.make_variants = MakeVariants(
            self.repo, self.storage, PillowImageResizer(), self.uow, self.policy
        )
        self.make_share_image = MakeShareImage(self.repo, self.storage, PillowImageResizer())

    async def put(self, data: bytes, owner: str = OWNER, **kw: str | None) -> FileView:
        return await self.upload(owner, io.BytesIO(data), **kw)


@pytest.fixture
def files(monkeypatch: pytest.MonkeyPatch) -> Files:
    # The inspector sets Pillow's process-wide pixel limit; put it back after each test.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    return Files()


async def test_upload_stores_bytes_under_a_key_made_of_ids_and_the_detected_type(
    files: Files,
) -> None:
    data = image_bytes("JPEG", (64, 48))
    view = await files.put(data, original_name="../../etc/passwd.png")
    record = view.record
    assert (record.owner_id, record.content_type, record.size) == (OWNER, "image/jpeg", len(data))
    assert (record.width, record.height) == (64, 48)
    assert record.key == f"u/{OWNER}/{record.id}/original.jpg"
    assert record.original_name == "passwd.png"
    assert files.storage.objects[record.key] == (data, "image/jpeg")
    assert files.uow.commits == 1
    assert await files.repo.get(record.id) == record
    assert view.url == f"memory://{record.key}?expires_in=3600"
    assert view.variant_urls == {}


async def test_an_uploaded_image_queues_its_variants_once(files: Files) -> None:
    view = await files.put(image_bytes("PNG"))
    [job] = files.queue.jobs
    assert job.task == MAKE_VARIANTS == "files.make_variants"
    assert job.payload == {"file_id": view.record.id}
    assert job.job_id == f"variants:{view.record.id}"


async def test_a_pdf_is_stored_without_size_or_variants(files: Files) -> None:
    view = await files.put(PDF)
    record = view.record
    assert (record.content_type, record.width, record.height, record.pages) == (
        "application/pdf",
        None,
        None,
        2,
    )
    assert view.record.key.endswith("/original.pdf")
    assert files.queue.jobs == []


async def test_a_file_may_belong_to_one_of_the_callers_pages(files: Files) -> None:
    view = await files.put(image_bytes("GIF"), page_id="page-of-owner")
    assert view.record.page_id == "page-of-owner"


@pytest.mark.parametrize("page_id", ["page-of-other", "no-such-page"])
async def test_someone_elses_or_an_unknown_page_is_not_found(files: Files, page_id: str) -> None:
    with pytest.raises(NotFound):
        await files.put(image_bytes("PNG"), page_id=page_id)
    assert files.storage.objects == {}
    assert files.repo.records == {}


async def test_the_size_cap_is_checked_before_anything_is_stored() -> None:
    files = Files(FilesPolicy(max_upload_bytes=100))
    with pytest.raises(FileTooLarge) as caught:
        await files.put(image_bytes("PNG", (200, 200)))
    assert caught.value.code == "file_too_large"
    assert files.storage.objects == {}


async def test_the_type_comes_from_the_bytes_not_the_name(files: Files) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        await files.put(b"just some text, called photo.jpg", original_name="photo.jpg")
    assert caught.value.code == "unsupported_media_type"
    assert files.storage.objects == {}


def cut_short(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


@pytest.mark.parametrize(
    "data",
    [
        FAKE_PDF,  # 13 bytes that start like a PDF
        cut_short(PDF),  # no cross-reference table, no trailer
        cut_short(noise_jpeg()),  # a JPEG whose header is fine and whose pixels stop
        cut_short(image_bytes("PNG", (64, 48))),
        b"GIF89a" + bytes(7),
    ],
)
async def test_a_file_is_what_it_decodes_as_not_what_it_starts_with(
    files: Files, data: bytes
) -> None:
    with pytest.raises(UnsupportedMediaType):
        await files.put(data)
    assert files.storage.objects == {}


async def test_bytes_are_removed_when_the_record_cannot_be_committed() -> None:
    repo_uow = FailingCommit()
    files = Files(uow=repo_uow)
    with pytest.raises(RuntimeError):
        await files.put(image_bytes("PNG"))
    assert files.storage.objects == {}
    assert files.queue.jobs == []


async def test_a_closed_queue_does_not_fail_an_upload_that_was_stored() -> None:
    files = Files(queue=ClosedQueue())
    view = await files.put(image_bytes("PNG"))
    assert await files.repo.get(view.record.id) is not None


async def test_only_the_owner_gets_a_file(files: Files) -> None:
    view = await files.put(image_bytes("WEBP"))
    got = await files.get(OWNER, view.record.id)
    assert got.record == view.record
    assert got.url == view.url
    with pytest.raises(FileNotFound):
        await files.get(OTHER, view.record.id)
    with pytest.raises(FileNotFound):
        await files.get(OWNER, "no-such-file")


async def test_variants_are_webp_copies_no_wider_than_asked_and_never_upscaled(
    files: Files,
) -> None:
    view = await files.put(image_bytes("JPEG", (1600, 900)))
    keys = await files.make_variants(view.record.id)
    file_id = view.record.id
    assert keys == {w: variant_key(OWNER, file_id, w) for w in (480, 1280)}
    sizes = {}
    for width, key in keys.items():
        data, content_type = files.storage.objects[key]
        assert content_type == "image/webp"
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "WEBP"
            sizes[width] = image.size
    assert sizes == {480: (480, 270), 1280: (1280, 720)}
    got = await files.get(OWNER, file_id)
    assert got.record.variants == keys
    assert set(got.variant_urls) == {480, 1280}


async def test_a_small_image_keeps_its_size_in_every_variant(files: Files) -> None:
    view = await files.put(image_bytes("PNG", (300, 200)))
    keys = await files.make_variants(view.record.id)
    for key in keys.values():
        with Image.open(io.BytesIO(files.storage.objects[key][0])) as image:
            assert image.size == (300, 200)


async def test_making_variants_twice_changes_nothing(files: Files) -> None:
    view = await files.put(image_bytes("PNG", (600, 400)))
    first = await files.make_variants(view.record.id)
    stored = dict(files.storage.objects)
    commits = files.uow.commits
    assert await files.make_variants(view.record.id) == first
    assert files.storage.objects == stored
    assert files.uow.commits == commits


async def test_no_variants_for_a_pdf_or_a_deleted_file(files: Files) -> None:
    pdf = await files.put(PDF)
    assert await files.make_variants(pdf.record.id) == {}
    assert await files.make_variants("no-such-file") == {}
    assert list(files.storage.objects) == [pdf.record.key]


class DeletingResizer(PillowImageResizer):
    """Deletes the file while its variants are being made, as a concurrent request could."""

    def __init__(self, files: Files, file_id: str) -> None:
        self._files, self._file_id = files, file_id

    async def webp_variants(self, data: bytes, widths: Sequence[int]) -> dict[int, bytes]:
        made = await super().webp_variants(data, widths)
        await self._files.delete(OWNER, self._file_id)
        return made


async def test_variants_of_a_file_deleted_meanwhile_do_not_outlive_it(files: Files) -> None:
    view = await files.put(image_bytes("PNG", (600, 400)))
    job = MakeVariants(
        files.repo,
        files.storage,
        DeletingResizer(files, view.record.id),
        files.uow,
        files.policy,
    )
    assert await job(view.record.id) == {}
    assert files.storage.objects == {}


async def test_delete_removes_the_record_the_original_and_the_variants(files: Files) -> None:
    view = await files.put(image_bytes("PNG", (600, 400)))
    await files.make_variants(view.record.id)
    assert len(files.storage.objects) == 3
    await files.delete(OWNER, view.record.id)
    assert files.storage.objects == {}
    with pytest.raises(FileNotFound):
        await files.get(OWNER, view.record.id)


async def test_another_user_cannot_delete_a_file(files: Files) -> None:
    view = await files.put(image_bytes("PNG"))
    with pytest.raises(FileNotFound):
        await files.delete(OTHER, view.record.id)
    assert view.record.key in files.storage.objects
    assert await files.repo.get(view.record.id) is not None


async def test_resolve_gives_links_for_the_files_that_exist(files: Files) -> None:
    one = await files.put(image_bytes("PNG"))
    two = await files.put(PDF, owner=OTHER)
    found = await files.resolve([two.record.id, "gone", one.record.id, two.record.id])
    assert list(found) == [two.record.id, one.record.id]
    assert found[one.record.id].url == one.url


@given(
    st.text(max_size=400) | st.text(st.sampled_from("a /\\\u202e\u200b\x00\u2028"), max_size=300)
)
def test_display_names_never_carry_folders_or_control_characters(name: str) -> None:
    shown = display_name(name)
    if shown is None:
        return
    assert 0 < len(shown) <= 255
    assert "/" not in shown
    assert "\\" not in shown
    assert all(unicodedata.category(ch)[0] != "C" for ch in shown)
    assert "\u202e" not in shown
    assert "\u2028" not in shown
    assert shown == shown.strip()


async def test_the_share_image_is_a_2_to_1_jpeg_made_once_and_deleted_with_its_file(
    files: Files,
) -> None:
    # A tall, transparent photo: cropped to 2:1, shown on white, with no alpha in the JPEG.
    view = await files.put(image_bytes("PNG", (300, 900), mode="RGBA"))
    await files.make_variants(view.record.id)
    made = await files.make_share_image(view.record.id)
    assert made is not None
    image = Image.open(io.BytesIO(made))
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", SHARE_IMAGE_SIZE)
    assert image.getpixel((600, 300)) == pytest.approx((255, 255, 255), abs=2)
    key = share_image_key(OWNER, view.record.id)
    assert files.storage.objects[key] == (made, "image/jpeg")
    # Kept: asked again, the stored bytes are returned without decoding anything.
    files.storage.objects[key] = (b"kept", "image/jpeg")
    assert await files.make_share_image(view.record.id) == b"kept"

    await files.delete(OWNER, view.record.id)
    assert files.storage.objects == {}
    assert await files.make_share_image(view.record.id) is None


async def test_no_share_image_of_a_pdf(files: Files) -> None:
    pdf = await files.put(PDF)
    assert await files.make_share_image(pdf.record.id) is None
