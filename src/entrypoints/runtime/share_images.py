"""Queues the link-preview JPEG of a published page's photo as soon as the page takes it, so
that it is ready before a messenger fetches it (``http/public/share_image.py``)."""

from __future__ import annotations

import structlog

from mocheong_core.files.usecases import MAKE_SHARE_IMAGE, share_image_job_id
from mocheong_core.jobs.ports import JobQueue
from mocheong_core.pages.model import Page, PageStatus
from mocheong_core.pages.ports import ChangedBy

log = structlog.get_logger("mocheong.public")

# What can change the photo a published page's preview is made from.
_CHANGES = frozenset({"cover_file_id", "share", "status"})


class ShareImageJobs:
    """A ``PageEventListener``: on a change of a published page's cover or share image (or its
    publication), queues ``files.make_share_image`` for the photo its preview is made from."""

    def __init__(self, queue: JobQueue) -> None:
        self._queue = queue

    async def page_changed(
        self, page: Page, changed: list[str], by: ChangedBy, *, previous_slug: str | None
    ) -> None:
        if page.status is not PageStatus.PUBLISHED or not _CHANGES.intersection(changed):
            return
        file_id = page.content.share.image_file_id or page.content.cover_file_id
        if file_id is None:
            return
        try:
            await self._queue.enqueue(
                MAKE_SHARE_IMAGE, {"file_id": file_id}, job_id=share_image_job_id(file_id)
            )
        except Exception as exc:  # the change is stored; the public route makes it then
            log.warning("share_image_not_queued", file_id=file_id, error=repr(exc))

    async def page_deleted(self, page: Page, by: ChangedBy) -> None:
        """The photos' preview images go with the photos (``DeleteFile``)."""
