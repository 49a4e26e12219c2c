"""Uploaded files: what is stored about them and how their storage keys are made."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

import attrs

# The accepted kinds, by content type, with the extension their storage keys end in.
EXTENSIONS: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/heic": "heic",
    "application/pdf": "pdf",
}
VARIANT_CONTENT_TYPE = "image/webp"
SHARE_IMAGE_CONTENT_TYPE = "image/jpeg"
SHARE_IMAGE_SIZE = (1200, 600)
"""The link-preview image: 2:1, what KakaoTalk crops to (800 x 400 and up) and wide enough for
the 1.91:1 cards of other messengers; JPEG, the one format every scraper takes."""
DISPLAY_NAME_MAX = 255
_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


@attrs.frozen
class ImageInfo:
    """What the bytes turned out to be; width and height are None for a PDF, pages is its page
    count (None for an image)."""

    content_type: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


@attrs.define
class FileRecord:
    id: str
    owner_id: str
    page_id: str | None
    content_type: str
    size: int
    width: int | None
    height: int | None
    key: str
    original_name: str | None
    created_at: datetime
    variants: dict[int, str] = attrs.field(factory=dict)
    """Storage keys of the resized WebP copies by the width they were made for."""
    pages: int | None = None
    """A PDF's page count."""

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


@attrs.frozen
class FileView:
    """A file as its owner sees it: the record with signed, expiring download URLs."""

    record: FileRecord
    url: str
    variant_urls: dict[int, str]


def original_key(owner_id: str, file_id: str, content_type: str) -> str:
    # Keys come from ids and the detected type only: a client's file name never reaches a path.
    return f"u/{owner_id}/{file_id}/original.{EXTENSIONS[content_type]}"


def variant_key(owner_id: str, file_id: str, width: int) -> str:
    return f"u/{owner_id}/{file_id}/w{width}.webp"


def share_image_key(owner_id: str, file_id: str) -> str:
    width, height = SHARE_IMAGE_SIZE
    return f"u/{owner_id}/{file_id}/share-{width}x{height}.jpg"


def display_name(name: str | None) -> str | None:
    """A client's file name made safe to show: no folders, no control or bidi characters."""
    if not name:
        return None
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name))[-1]
    # Control, format (bidi overrides, zero-width), private and line-separator characters.
    clean = "".join(ch for ch in base if unicodedata.category(ch) not in _HIDDEN)
    return clean.strip()[:DISPLAY_NAME_MAX].strip() or None
