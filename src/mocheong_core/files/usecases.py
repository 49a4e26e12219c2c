"""File use cases: upload, read, delete, and the background job that makes web variants."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import IO

import attrs

from mocheong_core.errors import NotFound, ServiceUnavailable
from mocheong_core.files.errors import FileNotFound, FileTooLarge, UnsupportedMediaType
from mocheong_core.files.model import (
    SHARE_IMAGE_CONTENT_TYPE,
    SHARE_IMAGE_SIZE,
    VARIANT_CONTENT_TYPE,
    FileRecord,
    FileView,
    display_name,
    original_key,
    share_image_key,
    variant_key,
)
from mocheong_core.files.ports import (
    FileRepository,
    ImageInspector,
    ImageResizer,
    ObjectStorage,
    PageOwnership,
)
from mocheong_core.jobs.ports import JobQueue
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ids import new_id
from mocheong_core.kernel.uow import UnitOfWork

MAKE_VARIANTS = "files.make_variants"
MAKE_SHARE_IMAGE = "files.make_share_image"


@attrs.frozen
class FilesPolicy:
    max_upload_bytes: int = 20 * 1_048_576
    url_ttl_seconds: int = 3600
    variant_widths: tuple[int, ...] = (480, 1280)


def variants_job_id(file_id: str) -> str:
    return f"variants:{file_id}"


def share_image_job_id(file_id: str) -> str:
    return f"share-image:{file_id}"


class FileLinks:
    """Signs the download URLs of a file and of its variants."""

    def __init__(self, storage: ObjectStorage, policy: FilesPolicy) -> None:
        self._storage, self._policy = storage, policy

    async def view(self, record: FileRecord) -> FileView:
        ttl = self._policy.url_ttl_seconds
        url = await self._storage.signed_url(record.key, ttl)
        variant_urls = {
            width: await self._storage.signed_url(key, ttl)
            for width, key in sorted(record.variants.items())
        }
        return FileView(record, url, variant_urls)


class UploadFile:
    def __init__(
        self,
        files: FileRepository,
        storage: ObjectStorage,
        inspector: ImageInspector,
        pages: PageOwnership,
        queue: JobQueue,
        links: FileLinks,
        uow: UnitOfWork,
        clock: Clock,
        policy: FilesPolicy,
    ) -> None:
        self._files, self._storage, self._inspector = files, storage, inspector
        self._pages, self._queue, self._links = pages, queue, links
        self._uow, self._clock, self._policy = uow, clock, policy

    async def __call__(
        self,
        owner_id: str,
        source: IO[bytes],
        *,
        page_id: str | None = None,
        original_name: str | None = None,
        max_bytes: int | None = None,
        images_only: bool = False,
    ) -> FileView:
        """Stores ``source`` (a seekable file) for ``owner_id``, maybe on one of their pages.

        ``max_bytes`` lowers the size cap for this upload; ``images_only`` refuses a PDF (the
        guests' album takes photos only)."""
        if page_id is not None and await self._pages.owner_of(page_id) != owner_id:
            raise NotFound("No such page")
        cap = min(self._policy.max_upload_bytes, max_bytes or self._policy.max_upload_bytes)
        size = source.seek(0, os.SEEK_END)
        if size > cap:
            raise FileTooLarge(f"Files may be at most {cap} bytes")
        source.seek(0)
        info = await self._inspector.inspect(source)
        if images_only and not info.is_image:
            raise UnsupportedMediaType("Only photos are accepted: JPEG, PNG, WebP, GIF or HEIC")
        file_id = new_id()
        record = FileRecord(
            id=file_id,
            owner_id=owner_id,
            page_id=page_id,
            content_type=info.content_type,
            size=size,
            width=info.width,
            height=info.height,
            pages=info.pages,
            key=original_key(owner_id, file_id, info.content_type),
            original_name=display_name(original_name),
            created_at=self._clock.now(),
        )
        source.seek(0)
        await self._storage.put(record.key, source, record.content_type)
        try:
            await self._files.add(record)
            await self._uow.commit()
        except BaseException:
            # Without its row nobody can reach or delete these bytes, so they go too.
            await self._storage.delete(record.key)
            raise
        if record.is_image:
            # The upload itself succeeded; a file without variants is shown as the original.
            with contextlib.suppress(ServiceUnavailable):
                await self._queue.enqueue(
                    MAKE_VARIANTS, {"file_id": file_id}, job_id=variants_job_id(file_id)
                )
        return await self._links.view(record)


class GetFile:
    def __init__(self, files: FileRepository, links: FileLinks) -> None:
        self._files, self._links = files, links

    async def __call__(self, owner_id: str, file_id: str) -> FileView:
        record = await self._files.get(file_id)
        if record is None or record.owner_id != owner_id:
            raise FileNotFound
        return await self._links.view(record)


class ResolveFiles:
    """Download links for the files a page refers to, for showing the page to its guests.

    Ids that name no file (deleted since) are left out; callers check ownership when the
    reference is made, not when it is shown.
    """

    def __init__(self, files: FileRepository, links: FileLinks) -> None:
        self._files, self._links = files, links

    async def __call__(self, file_ids: Sequence[str]) -> dict[str, FileView]:
        records = await self._files.get_many(list(dict.fromkeys(file_ids)))
        return {record.id: await self._links.view(record) for record in records}


class DeleteFile:
    def __init__(
        self,
        files: FileRepository,
        storage: ObjectStorage,
        uow: UnitOfWork,
        policy: FilesPolicy,
    ) -> None:
        self._files, self._storage, self._uow, self._policy = files, storage, uow, policy

    async def __call__(self, owner_id: str, file_id: str) -> None:
        record = await self._files.get(file_id)
        if record is None or record.owner_id != owner_id:
            raise FileNotFound
        await self._files.delete(file_id)
        await self._uow.commit()
        # Bytes go after the commit: a failed commit must not leave a row without its bytes.
        # Variants a running job has not recorded yet are removed by their predictable keys.
        keys = {record.key, *record.variants.values(), share_image_key(owner_id, file_id)}
        keys.update(variant_key(owner_id, file_id, w) for w in self._policy.variant_widths)
        for key in sorted(keys):
            await self._storage.delete(key)


class MakeVariants:
    """The background job: resized WebP copies of an uploaded image, for the web."""

    def __init__(
        self,
        files: FileRepository,
        storage: ObjectStorage,
        resizer: ImageResizer,
        uow: UnitOfWork,
        policy: FilesPolicy,
    ) -> None:
        self._files, self._storage, self._resizer = files, storage, resizer
        self._uow, self._policy = uow, policy

    async def __call__(self, file_id: str) -> dict[int, str]:
        """Returns the variants' keys by width; empty when there is nothing to make."""
        record = await self._files.get(file_id)
        if record is None or not record.is_image:
            return {}
        if record.variants:
            return record.variants
        data = await self._storage.get(record.key)
        if data is None:
            return {}
        made = await self._resizer.webp_variants(data, self._policy.variant_widths)
        keys: dict[int, str] = {}
        for width, webp in sorted(made.items()):
            keys[width] = variant_key(record.owner_id, record.id, width)
            await self._storage.put(keys[width], webp, VARIANT_CONTENT_TYPE)
        if not await self._files.set_variants(file_id, keys):
            # The file was deleted while the job ran: its variants must not outlive it.
            for key in keys.values():
                await self._storage.delete(key)
            return {}
        await self._uow.commit()
        return keys


class MakeShareImage:
    """The link-preview JPEG of an image (``SHARE_IMAGE_SIZE``, cropped to its middle), made
    once and kept beside the file's variants; deleting the file deletes it.

    The worker makes it when a page takes the image as its cover or share image; the public
    route asks for it too and makes it then if the job has not run yet, so a preview fetched
    in between is never empty.
    """

    def __init__(
        self, files: FileRepository, storage: ObjectStorage, resizer: ImageResizer
    ) -> None:
        self._files, self._storage, self._resizer = files, storage, resizer

    async def __call__(self, file_id: str) -> bytes | None:
        """The JPEG; None when the file is gone or is not an image."""
        record = await self._files.get(file_id)
        if record is None or not record.is_image:
            return None
        key = share_image_key(record.owner_id, record.id)
        made = await self._storage.get(key)
        if made is not None:
            return made
        # The largest web copy is already turned upright and small; the original may be a
        # 48 MP HEIC.
        source_key = record.variants[max(record.variants)] if record.variants else record.key
        source = await self._storage.get(source_key)
        if source is None:
            return None
        made = await self._resizer.share_jpeg(source, SHARE_IMAGE_SIZE)
        await self._storage.put(key, made, SHARE_IMAGE_CONTENT_TYPE)
        if await self._files.get(file_id) is None:
            # Deleted while the image was made: it must not outlive its file.
            await self._storage.delete(key)
            return None
        return made
