"""Files over HTTP: streamed multipart upload, owner-only metadata and delete, and the signed
download route of the local-disk storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import msgspec
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, Request, delete, get, post
from litestar.openapi.spec import OpenAPIType, Operation, Schema
from litestar.params import FromPath, FromQuery
from litestar.response import File
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.auth import BEARER, CurrentUser
from entrypoints.http.fast.public_page import public_origin
from entrypoints.http.uploads import ID_PATTERN, multipart_body, receive_upload
from mocheong_core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from mocheong_core.files.model import FileView
from mocheong_core.files.ports import ObjectStorage
from mocheong_core.files.usecases import DeleteFile, GetFile, UploadFile
from mocheong_core.kernel.clock import Clock


@runtime_checkable
class SignedDiskFiles(Protocol):
    """A storage that keeps its objects on this machine and signs its own download links (the
    local disk); one that serves its own links (S3) has no such methods."""

    def verify(self, key: str, expires: str | None, sig: str | None) -> bool: ...

    def path_of(self, key: str) -> Path: ...

    def media_type(self, key: str) -> str: ...


class FileOut(msgspec.Struct):
    id: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    pages: int | None
    """A PDF's page count; null for an image."""
    url: str
    variants: dict[str, str]
    """Signed URLs of the resized WebP copies by width; empty until the background job ran."""
    page_id: str | None
    original_name: str | None
    created_at: datetime


def _absolute(url: str, base: str) -> str:
    # The local storage signs paths on this API's own origin; S3 URLs are already absolute.
    return base + url if url.startswith("/") else url


def file_out(view: FileView, base: str) -> FileOut:
    record = view.record
    return FileOut(
        id=record.id,
        content_type=record.content_type,
        size=record.size,
        width=record.width,
        height=record.height,
        pages=record.pages,
        url=_absolute(view.url, base),
        variants={str(w): _absolute(u, base) for w, u in view.variant_urls.items()},
        page_id=record.page_id,
        original_name=record.original_name,
        created_at=record.created_at,
    )


@dataclass
class UploadOperation(Operation):
    """The handler reads the body itself, so the schema of the multipart form is stated here."""

    def __post_init__(self) -> None:
        page_id = Schema(type=OpenAPIType.STRING, max_length=36)
        self.request_body = multipart_body(page_id=page_id)


class FilesController(Controller):
    path = "/api/files"
    tags = ["files"]  # noqa: RUF012
    security = BEARER

    # No framework cap here: ``receive_upload`` enforces MOCHEONG_MAX_UPLOAD_BYTES while the
    # body streams in, and the app-wide default stays the small JSON limit.
    @post(
        "/",
        status_code=HTTP_201_CREATED,
        request_max_body_size=None,
        operation_class=UploadOperation,
    )
    @inject
    async def upload(
        self,
        request: Request[Any, Any, Any],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[UploadFile],
        settings: FromDishka[Settings],
    ) -> FileOut:
        async with receive_upload(
            request.stream(),
            request.headers.get("content-type"),
            request.content_length,
            max_file_bytes=settings.http.max_upload_bytes,
            text_fields=("page_id",),
        ) as upload:
            page_id = upload.fields.get("page_id") or None
            if page_id is not None and not ID_PATTERN.match(page_id):
                raise ValidationFailed([FieldError("page_id", "must be a page id")])
            view = await usecase(
                user.id, upload.file, page_id=page_id, original_name=upload.filename
            )
        return file_out(view, public_origin(settings, request.scope))

    @get("/{file_id:str}")
    @inject
    async def get_file(
        self,
        file_id: FromPath[str],
        request: Request[Any, Any, Any],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[GetFile],
        settings: FromDishka[Settings],
    ) -> FileOut:
        return file_out(await usecase(user.id, file_id), public_origin(settings, request.scope))

    @delete("/{file_id:str}", status_code=HTTP_204_NO_CONTENT)
    @inject
    async def delete_file(
        self, file_id: FromPath[str], user: FromDishka[CurrentUser], usecase: FromDishka[DeleteFile]
    ) -> None:
        await usecase(user.id, file_id)


@get("/files/{key:path}", tags=["files"], include_in_schema=False)
@inject
async def download(
    key: FromPath[str],
    storage: FromDishka[ObjectStorage],
    clock: FromDishka[Clock],
    expires: FromQuery[str | None] = None,
    sig: FromQuery[str | None] = None,
) -> File:
    """Serves a local-disk object to whoever holds a valid signed URL (S3 serves its own)."""
    if not isinstance(storage, SignedDiskFiles):
        raise NotFound
    key = key.lstrip("/")
    if not storage.verify(key, expires, sig):
        raise Forbidden("The link is not valid or has expired")
    path = storage.path_of(key)
    if not path.is_file():
        raise NotFound("No such file")
    remaining = max(0, int(expires or 0) - int(clock.now().timestamp()))
    return File(
        path=path,
        filename=path.name,
        media_type=storage.media_type(key),
        content_disposition_type="inline",
        headers={"Cache-Control": f"private, max-age={remaining}"},
    )
