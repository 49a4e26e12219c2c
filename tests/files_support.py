"""Test material for the files context: real images made in memory and a recording queue."""

from __future__ import annotations

import io
import random
import struct
import zlib
from typing import Any

import attrs
from PIL import Image
from pypdf import PdfWriter


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else 0).save(out, format=fmt)
    return out.getvalue()


def noise_png(width: int, height: int, seed: int = 7) -> bytes:
    """A PNG that does not compress: its size on disk is about width x height x 3 bytes."""
    raw = random.Random(seed).randbytes(width * height * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), raw).save(out, format="PNG", compress_level=0)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def declared_png(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header declares ``width`` x ``height`` pixels: a bomb
    needs no real pixel data to be refused, only a header that promises too many."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grayscale
    pixels = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def noise_jpeg(size: tuple[int, int] = (256, 256)) -> bytes:
    """A JPEG of random pixels: its entropy-coded data is long enough to cut into."""
    out = io.BytesIO()
    Image.frombytes("RGB", size, random.Random(5).randbytes(size[0] * size[1] * 3)).save(
        out, format="JPEG", quality=95
    )
    return out.getvalue()


def pdf_bytes(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = pdf_bytes()
# Starts like a PDF and is nothing else: what sniffing the first bytes used to accept.
FAKE_PDF = b"%PDF-1.4\nhi!\n"


@attrs.frozen
class QueuedJob:
    task: str
    payload: dict[str, Any]
    job_id: str


class RecordingJobQueue:
    """Keeps what was queued instead of running it, so a test runs the job when it chooses."""

    def __init__(self) -> None:
        self.jobs: list[QueuedJob] = []

    async def enqueue(
        self, task: str, payload: dict[str, Any], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        if any(job.job_id == job_id for job in self.jobs):
            return False
        self.jobs.append(QueuedJob(task, payload, job_id))
        return True
