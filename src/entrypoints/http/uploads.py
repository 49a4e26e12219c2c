"""Receiving a multipart upload as it streams in.

The body is parsed chunk by chunk and the file part spooled to a temporary file, so the size
cap applies to the bytes as they arrive: an oversized upload is refused after reading just
past the cap, never after buffering the whole body in memory.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import IO

import attrs
from litestar.exceptions import ClientException
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, RequestBody, Schema
from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

from mocheong_core.errors import FieldError, ValidationFailed
from mocheong_core.files.errors import FileTooLarge, UnsupportedMediaType

MULTIPART_OVERHEAD = 64 * 1024
"""Room for boundaries, part headers and the small text fields beside the file."""
SPOOL_IN_MEMORY = 1 << 20
TEXT_FIELD_MAX = 256
MAX_PARTS = 8
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
FORMS_WITHOUT_FILES = frozenset({"", "application/x-www-form-urlencoded"})
HOW = "the file in a part named `file` (curl -F file=@photo.jpg)"


@attrs.define
class Upload:
    file: IO[bytes]
    filename: str | None
    fields: dict[str, str]


class _Receiver:
    def __init__(
        self, spool: IO[bytes], max_file_bytes: int, file_field: str, text_fields: Collection[str]
    ) -> None:
        self._spool = spool
        self._max_file_bytes = max_file_bytes
        self._file_field = file_field
        self._text_fields = text_fields
        self._segment: MultipartSegment | None = None
        self._name = ""
        self._text = bytearray()
        self.file_seen = False
        self.stray_file: str | None = None
        self.filename: str | None = None
        self.fields: dict[str, str] = {}

    def feed(self, event: MultipartSegment | bytes | None) -> None:
        if isinstance(event, MultipartSegment):
            self._start(event)
        elif event is None:
            self._end()
        elif self._segment is not None and self._name == self._file_field:
            if self._segment.bytes_received > self._max_file_bytes:
                raise FileTooLarge(f"Files may be at most {self._max_file_bytes} bytes")
            self._spool.write(event)
        elif self._segment is not None and self._name == self.stray_file:
            pass  # counted against the body's cap as it arrives, kept nowhere
        else:
            self._text += event
            if len(self._text) > TEXT_FIELD_MAX:
                raise _invalid(self._name, "is too long")

    def _start(self, segment: MultipartSegment) -> None:
        name = segment.name or ""
        if name == self._file_field:
            if self.file_seen:
                raise _invalid(name, "send one file per upload")
            if segment.filename is None:
                raise _invalid(name, "must be a file part (with a filename)")
            self.file_seen = True
            self.filename = segment.filename
        elif segment.filename is not None and name not in self._text_fields:
            # A file under another name (``upload``, ``photo``): its bytes are skipped, and the
            # answer says where the file goes as well as what was not understood.
            self.stray_file = name or "body"
        elif name not in self._text_fields or name in self.fields:
            raise _invalid(name or "body", "is not a known field")
        self._segment, self._name = segment, name
        self._text.clear()

    def missing_file(self) -> ValidationFailed:
        errors = [
            FieldError(
                self._file_field, f"is required: a part named `{self._file_field}` holding the file"
            )
        ]
        if self.stray_file is not None:
            errors.append(FieldError(self.stray_file, "is not a known field"))
        return ValidationFailed(errors)

    def _end(self) -> None:
        if self._segment is not None and self._name not in (self._file_field, self.stray_file):
            try:
                self.fields[self._name] = self._text.decode()
            except UnicodeDecodeError:
                raise _invalid(self._name, "must be UTF-8 text") from None
        self._segment = None


def multipart_body(**text_fields: Schema) -> RequestBody:
    """The OpenAPI request body of an upload: the file in ``file`` and the text fields beside
    it (a handler that reads the body itself states its schema this way)."""
    form = Schema(
        type=OpenAPIType.OBJECT,
        properties={
            "file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY),
            **text_fields,
        },
        required=["file"],
    )
    return RequestBody(
        content={"multipart/form-data": OpenAPIMediaType(schema=form)}, required=True
    )


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, message)])


@asynccontextmanager
async def receive_upload(
    chunks: AsyncIterator[bytes],
    content_type: str | None,
    content_length: int | None,
    *,
    max_file_bytes: int,
    file_field: str = "file",
    text_fields: Collection[str] = (),
) -> AsyncIterator[Upload]:
    """Yields the upload with its file spooled and rewound; the file is gone afterwards."""
    mime, options = parse_options_header(content_type or "")
    boundary = options.get("boundary")
    if mime in FORMS_WITHOUT_FILES or (content_length == 0 and mime != "multipart/form-data"):
        # A form with no file in it (what a client sends when the file was left out), or no
        # body at all: the file is what is missing, not the format.
        raise _invalid(file_field, f"is required: send it as multipart/form-data, {HOW}")
    if mime != "multipart/form-data" or not boundary:
        raise UnsupportedMediaType(f"Send the upload as multipart/form-data, {HOW}")
    max_body = max_file_bytes + MULTIPART_OVERHEAD
    if content_length is not None and content_length > max_body:
        raise FileTooLarge(f"Files may be at most {max_file_bytes} bytes")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        receiver = _Receiver(spool, max_file_bytes, file_field, text_fields)
        received = 0
        try:
            with PushMultipartParser(boundary, max_segment_count=MAX_PARTS) as parser:
                async for chunk in chunks:
                    received += len(chunk)
                    if received > max_body:
                        raise FileTooLarge(f"Files may be at most {max_file_bytes} bytes")
                    for event in parser.parse(chunk):
                        receiver.feed(event)
                    if parser.closed:
                        break
        except MultipartError as exc:
            if received == 0:  # an empty multipart body: nothing was sent, so no file either
                raise receiver.missing_file() from None
            raise ClientException(f"The body is not valid multipart/form-data: {exc}") from None
        if not receiver.file_seen:
            raise receiver.missing_file()
        spool.seek(0)
        yield Upload(spool, receiver.filename, receiver.fields)
