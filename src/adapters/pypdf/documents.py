"""PDF inspection with pypdf: a PDF is accepted when its structure parses and it has pages.

Sniffing ``%PDF-`` alone accepted a 13-byte file that no reader could open; here the
cross-reference table, the trailer and the page tree must be read, and the page count goes
into the file's metadata.
"""

from __future__ import annotations

import logging
from typing import IO

from pypdf import PdfReader

from mocheong_core.files.errors import UnsupportedMediaType
from mocheong_core.files.model import ImageInfo

PDF_MAGIC = b"%PDF-"

# pypdf logs what it repairs at WARNING for every odd file a guest's phone produces.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def is_pdf(data: IO[bytes]) -> bool:
    start = data.tell()
    head = data.read(len(PDF_MAGIC))
    data.seek(start)
    return head == PDF_MAGIC


def pdf_info(data: IO[bytes], refusal: str) -> ImageInfo:
    """The PDF's metadata; raises ``UnsupportedMediaType(refusal)`` when it is not one."""
    try:
        pages = len(PdfReader(data, strict=False).pages)
    # Untrusted bytes reach deep into pypdf, whose malformed-input errors are not one family
    # (PdfReadError, but also KeyError, ValueError, TypeError, RecursionError ...).
    except Exception:
        raise UnsupportedMediaType(refusal) from None
    if pages < 1:
        raise UnsupportedMediaType(refusal)
    return ImageInfo("application/pdf", pages=pages)
