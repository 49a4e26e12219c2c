"""The Pillow adapters on real images made in memory: type detection, bombs, resizing."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from adapters.pillow.images import PillowImageInspector, PillowImageResizer
from mocheong_core.files.errors import ImageTooLarge, UnsupportedMediaType
from mocheong_core.files.model import ImageInfo
from tests.files_support import PDF, declared_png, image_bytes

LIMIT = 1_000_000


@pytest.fixture
def inspector(monkeypatch: pytest.MonkeyPatch) -> PillowImageInspector:
    # The inspector sets Pillow's process-wide pixel limit; put it back after each test.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    return PillowImageInspector(LIMIT)


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("JPEG", "image/jpeg"),
        ("PNG", "image/png"),
        ("WEBP", "image/webp"),
        ("GIF", "image/gif"),
        ("HEIF", "image/heic"),
    ],
)
async def test_each_accepted_image_kind_is_recognised_with_its_size(
    inspector: PillowImageInspector, fmt: str, content_type: str
) -> None:
    info = await inspector.inspect(io.BytesIO(image_bytes(fmt, (64, 48))))
    assert info == ImageInfo(content_type, 64, 48)


async def test_a_pdf_is_read_with_its_page_count(inspector: PillowImageInspector) -> None:
    assert await inspector.inspect(io.BytesIO(PDF)) == ImageInfo("application/pdf", pages=2)


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is a text file renamed photo.jpg",
        b"",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        image_bytes("BMP"),
        image_bytes("TIFF"),
        image_bytes("JPEG")[:40],
        b"%PD",
    ],
    ids=["text", "empty", "svg", "bmp", "tiff", "truncated-jpeg", "almost-pdf"],
)
async def test_anything_else_is_an_unsupported_media_type(
    inspector: PillowImageInspector, data: bytes
) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        await inspector.inspect(io.BytesIO(data))
    assert caught.value.code == "unsupported_media_type"


# The adapter module makes this warning an error for the process; pytest resets warning
# filters around each test, so the test states the same filter.
@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(
    "size",
    [(1001, 1000), (1500, 1000), (50_000, 50_000)],
    ids=["just-over", "between-limit-and-twice", "far-over"],
)
async def test_an_image_declaring_too_many_pixels_is_refused(
    inspector: PillowImageInspector, size: tuple[int, int]
) -> None:
    bomb = declared_png(*size)
    assert len(bomb) < 100
    with pytest.raises(ImageTooLarge) as caught:
        await inspector.inspect(io.BytesIO(bomb))
    assert caught.value.code == "image_too_large"


async def test_an_image_at_the_limit_is_accepted(inspector: PillowImageInspector) -> None:
    data = image_bytes("PNG", (1000, 1000), mode="1")
    assert await inspector.inspect(io.BytesIO(data)) == ImageInfo("image/png", 1000, 1000)


def webp_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "WEBP"
        return image.size


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "HEIF"])
async def test_variants_are_webp_at_each_width(fmt: str) -> None:
    made = await PillowImageResizer().webp_variants(image_bytes(fmt, (2000, 1500)), [480, 1280])
    assert {w: webp_size(d) for w, d in made.items()} == {480: (480, 360), 1280: (1280, 960)}


async def test_variants_never_upscale() -> None:
    made = await PillowImageResizer().webp_variants(image_bytes("PNG", (600, 300)), [480, 1280])
    assert {w: webp_size(d) for w, d in made.items()} == {480: (480, 240), 1280: (600, 300)}


async def test_variants_keep_transparency() -> None:
    made = await PillowImageResizer().webp_variants(
        image_bytes("PNG", (100, 100), mode="RGBA"), [480]
    )
    with Image.open(io.BytesIO(made[480])) as image:
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0  # type: ignore[index]


async def test_variants_follow_the_exif_orientation() -> None:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: shown turned 90 degrees clockwise
    Image.new("RGB", (800, 400), "green").save(out, format="JPEG", exif=exif)
    made = await PillowImageResizer().webp_variants(out.getvalue(), [480])
    assert webp_size(made[480]) == (400, 800)
