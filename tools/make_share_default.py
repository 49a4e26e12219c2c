"""Draws the product's default link-preview image, ``share-default.jpg`` beside the guests'
templates: shown by KakaoTalk and other messengers for a page without a cover or share photo.

Shapes only (two rings on the classic theme's colours), no text, so it needs no font and
suits every page. Run it again after changing the drawing: ``python tools/make_share_default.py``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).parent.parent / "src/entrypoints/http/public/share-default.jpg"
SIZE = (1200, 600)
BACKGROUND = (251, 246, 240)
ACCENT = (158, 100, 84)
LINE = (236, 230, 225)
SCALE = 4  # drawn large and reduced: smooth edges without an anti-aliasing drawer


def draw() -> Image.Image:
    width, height = SIZE[0] * SCALE, SIZE[1] * SCALE
    image = Image.new("RGB", (width, height), BACKGROUND)
    pen = ImageDraw.Draw(image)
    inset = 36 * SCALE
    pen.rectangle((inset, inset, width - inset, height - inset), outline=LINE, width=4 * SCALE)
    radius, ring = 110 * SCALE, 14 * SCALE
    cx, cy = width // 2, height // 2
    for dx in (-70 * SCALE, 70 * SCALE):
        box = (cx + dx - radius, cy - radius, cx + dx + radius, cy + radius)
        pen.ellipse(box, outline=ACCENT, width=ring)
    return image.resize(SIZE, Image.Resampling.LANCZOS)


if __name__ == "__main__":
    draw().save(OUT, format="JPEG", quality=88, optimize=True)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
