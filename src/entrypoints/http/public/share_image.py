"""The page's link-preview image: a stable, public JPEG for KakaoTalk and other messengers.

The page's ``og:image`` is ``/i/{slug}/share-{version}.jpg``. The version is a hash of the
photo it is made from (the share image, else the cover), so a new photo is a new address:
KakaoTalk's scraper, which caches images by address, shows it at its next visit, and every
version can be cached for a year. The JPEG itself is made by the worker
(``files.make_share_image``, queued by ``ShareImageJobs`` when a published page's photo
changes) and kept beside the photo's web copies; the route makes it itself when the job has
not run yet. A page without a photo gets the product's default image, under its own version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from mocheong_core.files.model import SHARE_IMAGE_SIZE, FileView
from mocheong_core.pages.content import PageContent

DEFAULT_IMAGE = Path(__file__).parent / "share-default.jpg"
"""Drawn by ``tools/make_share_default.py``; the same size as the made ones."""
RENDITION = "{}x{}-1".format(*SHARE_IMAGE_SIZE)
"""Changes, and so changes every address, when the images are made differently."""


def share_file_ids(content: PageContent) -> list[str]:
    """The photos the preview may be made from, in order of preference."""
    return [i for i in (content.share.image_file_id, content.cover_file_id) if i]


def share_source(content: PageContent, files: Mapping[str, FileView]) -> str | None:
    """The id of the photo the preview is made from: the first one that still exists."""
    for file_id in share_file_ids(content):
        found = files.get(file_id)
        if found is not None and found.record.is_image:
            return file_id
    return None


def share_image_name(file_id: str | None) -> str:
    digest = hashlib.blake2b(f"{file_id or ''}:{RENDITION}".encode(), digest_size=8)
    return f"share-{digest.hexdigest()}.jpg"
