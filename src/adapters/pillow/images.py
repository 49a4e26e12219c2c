"""Image inspection and resizing with Pillow (and pillow-heif for HEIC); PDFs are handed to
pypdf. An upload is accepted for what it decodes as, never for its first bytes.

Pillow decodes on the CPU without releasing the event loop, so all of its work runs in a
thread. ``Image.MAX_IMAGE_PIXELS`` is process-wide; the inspector sets it and also checks
its own limit, so a different global value cannot let a bomb through.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from collections.abc import Sequence
from typing import IO

import pillow_heif
from PIL import Image, ImageOps

from adapters.pypdf.documents import is_pdf, pdf_info
from mocheong_core.files.errors import ImageTooLarge, UnsupportedMediaType
from mocheong_core.files.model import ImageInfo

CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "HEIF": "image/heic",
}
WEBP_QUALITY = 82
JPEG_QUALITY = 85

pillow_heif.register_heif_opener()
# A bomb warning is a refusal here, never a line in the log followed by decoding anyway.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


class PillowImageInspector:
    def __init__(self, max_pixels: int) -> None:
        self.max_pixels = max_pixels
        Image.MAX_IMAGE_PIXELS = max_pixels

    async def inspect(self, data: IO[bytes]) -> ImageInfo:
        return await asyncio.to_thread(self._inspect, data)

    def _inspect(self, data: IO[bytes]) -> ImageInfo:
        if is_pdf(data):
            return pdf_info(data, _ACCEPTED)
        start = data.tell()
        try:
            # Only the openers of the accepted formats run: no other parser sees the bytes.
            with Image.open(data, formats=list(CONTENT_TYPES)) as image:
                width, height = image.size
                kind = image.format or ""
                self._refuse_bomb(width, height)
                image.verify()
            # verify() checks the container (PNG checksums) but decodes no pixel, so a JPEG
            # cut short still passes it: the first frame is decoded whole as well.
            data.seek(start)
            with Image.open(data, formats=list(CONTENT_TYPES)) as image:
                image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageTooLarge(self._bomb_detail()) from None
        except (OSError, ValueError, SyntaxError, EOFError):
            raise UnsupportedMediaType(_ACCEPTED) from None
        if kind not in CONTENT_TYPES:
            raise UnsupportedMediaType(_ACCEPTED)
        return ImageInfo(CONTENT_TYPES[kind], width, height)

    def _refuse_bomb(self, width: int, height: int) -> None:
        if width * height > self.max_pixels:
            raise ImageTooLarge(self._bomb_detail())

    def _bomb_detail(self) -> str:
        return f"Images may have at most {self.max_pixels} pixels"


_ACCEPTED = "Upload a JPEG, PNG, WebP, GIF or HEIC image, or a PDF"


class PillowImageResizer:
    async def webp_variants(self, data: bytes, widths: Sequence[int]) -> dict[int, bytes]:
        return await asyncio.to_thread(self._variants, data, widths)

    def _variants(self, data: bytes, widths: Sequence[int]) -> dict[int, bytes]:
        largest = max(widths)
        with Image.open(io.BytesIO(data), formats=list(CONTENT_TYPES)) as opened:
            # A JPEG can decode at 1/2, 1/4 or 1/8 scale straight away; a square request keeps
            # enough pixels whichever way EXIF turns the picture.
            opened.draft("RGB", (largest, largest))
            # Phones store rotation in EXIF; browsers showing the WebP would ignore it otherwise.
            image = ImageOps.exif_transpose(opened)
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        made: dict[int, bytes] = {}
        # Largest first, each from the previous one: fewer pixels to go through each time.
        for width in sorted(set(widths), reverse=True):
            if image.width > width:
                height = max(1, round(image.height * width / image.width))
                image = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            out = io.BytesIO()
            image.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
            made[width] = out.getvalue()
        return made

    async def share_jpeg(self, data: bytes, size: tuple[int, int]) -> bytes:
        return await asyncio.to_thread(self._share_jpeg, data, size)

    def _share_jpeg(self, data: bytes, size: tuple[int, int]) -> bytes:
        with Image.open(io.BytesIO(data), formats=list(CONTENT_TYPES)) as opened:
            opened.draft("RGB", (size[0], size[0]))
            image = ImageOps.exif_transpose(opened)
            if _has_alpha(image):
                # JPEG has no transparency: a transparent photo is shown on white, not black.
                backdrop = Image.new("RGBA", image.size, "white")
                image = Image.alpha_composite(backdrop, image.convert("RGBA"))
            image = image.convert("RGB")
        # Scaled to cover the frame and cropped to the middle; a small photo is enlarged,
        # since previews are shown at their stated size.
        fitted = ImageOps.fit(image, size, Image.Resampling.LANCZOS, centering=(0.5, 0.4))
        out = io.BytesIO()
        # Baseline (not progressive) JPEG without metadata: what every preview scraper reads.
        fitted.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        return out.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
