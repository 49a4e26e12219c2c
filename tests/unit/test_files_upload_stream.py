"""The streaming multipart reader behind ``POST /api/files``, fed chunk by chunk."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import pytest
from litestar.exceptions import ClientException

from entrypoints.http.uploads import MULTIPART_OVERHEAD, receive_upload
from mocheong_core.errors import ValidationFailed
from mocheong_core.files.errors import FileTooLarge, UnsupportedMediaType

BOUNDARY = "x-test-boundary-7d1"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def part(name: str, value: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
    if filename is not None:
        head += "Content-Type: application/octet-stream\r\n"
    return head.encode() + b"\r\n" + value + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


class Chunks:
    """An async body that counts how much of it the reader pulled."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self._pieces = iter(pieces)
        self.pulled = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        try:
            piece = next(self._pieces)
        except StopIteration:
            raise StopAsyncIteration from None
        self.pulled += len(piece)
        return piece


def split(data: bytes, size: int = 1000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] + [b""]


async def test_the_file_and_the_page_id_arrive_whatever_the_chunking() -> None:
    payload = bytes(range(256)) * 40
    data = body(part("page_id", b"page-1"), part("file", payload, "photo.jpg"))
    for size in (1, 7, 1000, len(data)):
        async with receive_upload(
            Chunks(split(data, size)),
            CONTENT_TYPE,
            len(data),
            max_file_bytes=len(payload),
            text_fields=("page_id",),
        ) as upload:
            assert upload.file.read() == payload
            assert upload.filename == "photo.jpg"
            assert upload.fields == {"page_id": "page-1"}


def endless_file() -> Iterable[bytes]:
    yield part("file", b"", "big.png")[:-2]  # the headers, then the body never ends
    while True:
        yield b"\xab" * 4096


async def test_the_cap_stops_reading_just_past_the_limit() -> None:
    chunks = Chunks(endless_file())
    with pytest.raises(FileTooLarge) as caught:
        async with receive_upload(chunks, CONTENT_TYPE, None, max_file_bytes=100_000):
            pass
    assert caught.value.code == "file_too_large"
    assert caught.value.code == "file_too_large"
    assert 100_000 < chunks.pulled <= 100_000 + 2 * 4096 + 200


async def test_a_body_announced_too_large_is_refused_before_reading() -> None:
    chunks = Chunks(endless_file())
    with pytest.raises(FileTooLarge):
        async with receive_upload(
            chunks, CONTENT_TYPE, 100_000 + MULTIPART_OVERHEAD + 1, max_file_bytes=100_000
        ):
            pass
    assert chunks.pulled == 0


async def test_bytes_outside_the_file_count_against_the_cap_too() -> None:
    def endless_preamble() -> Iterable[bytes]:
        while True:
            yield b"ignored preamble " * 256

    chunks = Chunks(endless_preamble())
    with pytest.raises(FileTooLarge):
        async with receive_upload(chunks, CONTENT_TYPE, None, max_file_bytes=10):
            pass
    assert chunks.pulled <= 10 + MULTIPART_OVERHEAD + 17 * 256


async def test_a_missing_file_is_a_validation_error_naming_the_field() -> None:
    data = body(part("page_id", b"p"))
    with pytest.raises(ValidationFailed) as caught:
        async with receive_upload(
            Chunks(split(data)), CONTENT_TYPE, None, max_file_bytes=10, text_fields=("page_id",)
        ):
            pass
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("file", "is required: a part named `file` holding the file")
    ]


async def test_a_file_sent_under_another_name_is_answered_with_where_it_goes() -> None:
    data = body(part("upload", b"%PDF-1.4 ...", "invite.pdf"), part("page_id", b"p"))
    with pytest.raises(ValidationFailed) as caught:
        async with receive_upload(
            Chunks(split(data)), CONTENT_TYPE, None, max_file_bytes=10, text_fields=("page_id",)
        ):
            pass
    assert [e.field for e in caught.value.errors] == ["file", "upload"]
    assert caught.value.errors[0].message.startswith("is required")


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        (CONTENT_TYPE, b""),  # multipart announced, nothing sent
        ("application/x-www-form-urlencoded", b"page_id=p"),  # a form without its file
        (None, b""),
    ],
)
async def test_a_body_without_a_file_says_the_file_is_missing(
    content_type: str | None, data: bytes
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        async with receive_upload(
            Chunks([data]), content_type, len(data), max_file_bytes=10, text_fields=("page_id",)
        ):
            pass
    assert [e.field for e in caught.value.errors] == ["file"]
    assert caught.value.errors[0].message.startswith("is required")


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        ((part("file", b"a", "a.png"), part("file", b"b", "b.png")), "file"),
        ((part("other", b"x"), part("file", b"a", "a.png")), "other"),
        ((part("file", b"not a file part"),), "file"),
        ((part("page_id", b"a" * 300), part("file", b"a", "a.png")), "page_id"),
        ((part("page_id", b"\xff\xfe"), part("file", b"a", "a.png")), "page_id"),
    ],
)
async def test_wrong_parts_are_refused_naming_the_field(
    parts: tuple[bytes, ...], field: str
) -> None:
    data = body(*parts)
    with pytest.raises(ValidationFailed) as caught:
        async with receive_upload(
            Chunks(split(data)), CONTENT_TYPE, None, max_file_bytes=10, text_fields=("page_id",)
        ):
            pass
    assert caught.value.errors[0].field == field


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/pdf", "multipart/form-data", "text/plain; boundary=abc"],
)
async def test_anything_but_multipart_form_data_is_refused(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaType):
        async with receive_upload(Chunks([b"{}"]), content_type, None, max_file_bytes=10):
            pass


async def test_a_truncated_body_is_a_bad_request() -> None:
    data = body(part("file", b"abc", "a.png"))[:-20]
    with pytest.raises(ClientException):
        async with receive_upload(Chunks(split(data)), CONTENT_TYPE, None, max_file_bytes=10):
            pass
