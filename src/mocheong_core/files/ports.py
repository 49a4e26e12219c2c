from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Protocol

from mocheong_core.files.model import FileRecord, ImageInfo


class ObjectStorage(Protocol):
    """Bytes by key: S3 or any S3-compatible server, or a folder on local disk."""

    async def put(self, key: str, data: bytes | IO[bytes], content_type: str) -> None:
        """Stores the bytes (a file object is read from its current position) under ``key``."""
        ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None:
        """Removes the object; a missing one is not an error."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def signed_url(self, key: str, expires_in: int) -> str:
        """A URL that downloads the object without credentials for ``expires_in`` seconds.

        It may be relative to the API's own origin (``/files/...``).
        """
        ...

    async def ping(self) -> None:
        """Raises when the storage cannot be used (readiness)."""
        ...


class FileRepository(Protocol):
    async def add(self, record: FileRecord) -> None: ...

    async def get(self, file_id: str) -> FileRecord | None: ...

    async def get_many(self, file_ids: Sequence[str]) -> list[FileRecord]: ...

    async def set_variants(self, file_id: str, variants: dict[int, str]) -> bool:
        """Records the variants; False when the file no longer exists."""
        ...

    async def delete(self, file_id: str) -> bool: ...


class ImageInspector(Protocol):
    async def inspect(self, data: IO[bytes]) -> ImageInfo:
        """Decides the type from the bytes and reads the image's size.

        Raises ``UnsupportedMediaType`` for anything but the accepted kinds and
        ``ImageTooLarge`` for an image with more pixels than allowed.
        """
        ...


class ImageResizer(Protocol):
    async def webp_variants(self, data: bytes, widths: Sequence[int]) -> dict[int, bytes]:
        """A WebP copy per width, each at most that wide; never wider than the original."""
        ...

    async def share_jpeg(self, data: bytes, size: tuple[int, int]) -> bytes:
        """A JPEG of exactly ``size``: the image scaled to cover it and cropped to its middle."""
        ...


class PageOwnership(Protocol):
    """The one thing files need to know about pages: who owns one."""

    async def owner_of(self, page_id: str) -> str | None: ...
