"""dishka wiring of the files context: the storage the settings pick (local disk or S3), the
Pillow adapters, the repositories and the use cases."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator

from dishka import Provider, Scope, alias, provide, provide_all

from adapters.disk.storage import LocalDiskObjectStorage
from adapters.pillow.images import PillowImageInspector, PillowImageResizer
from adapters.s3.storage import S3ObjectStorage, open_s3_client
from adapters.sqla.repos.files import SqlaFileRepository
from adapters.sqla.repos.page_owners import SqlaPageOwners
from entrypoints.bootstrap.settings import Settings
from mocheong_core.files.ports import (
    FileRepository,
    ImageInspector,
    ImageResizer,
    ObjectStorage,
    PageOwnership,
)
from mocheong_core.files.usecases import (
    DeleteFile,
    FileLinks,
    FilesPolicy,
    GetFile,
    MakeVariants,
    ResolveFiles,
    UploadFile,
)
from mocheong_core.kernel.clock import Clock


class FilesProvider(Provider):
    @provide(scope=Scope.APP)
    def policy(self, settings: Settings) -> FilesPolicy:
        return FilesPolicy(
            max_upload_bytes=settings.http.max_upload_bytes,
            url_ttl_seconds=settings.files.url_ttl,
            variant_widths=settings.files.image_variant_widths,
        )

    @provide(scope=Scope.APP)
    def inspector(self, settings: Settings) -> ImageInspector:
        return PillowImageInspector(settings.files.image_max_pixels)

    @provide(scope=Scope.APP)
    def resizer(self) -> ImageResizer:
        return PillowImageResizer()

    links = provide(FileLinks, scope=Scope.APP)
    files = provide(SqlaFileRepository, scope=Scope.REQUEST, provides=FileRepository)
    pages = provide(SqlaPageOwners, scope=Scope.REQUEST, provides=PageOwnership)
    usecases = provide_all(
        UploadFile, GetFile, ResolveFiles, DeleteFile, MakeVariants, scope=Scope.REQUEST
    )


def url_signing_key(settings: Settings) -> bytes:
    # A key of its own, derived from the one secret, so a file URL can never pass as a token.
    return hmac.new(
        settings.auth.jwt_secret.encode(), b"mocheong:file-urls", hashlib.sha256
    ).digest()


class LocalStorageProvider(Provider):
    @provide(scope=Scope.APP)
    def local_storage(self, settings: Settings, clock: Clock) -> LocalDiskObjectStorage:
        return LocalDiskObjectStorage(
            settings.app.data_dir / "files", url_signing_key(settings), clock
        )

    storage = alias(source=LocalDiskObjectStorage, provides=ObjectStorage)


class S3StorageProvider(Provider):
    @provide(scope=Scope.APP)
    async def s3_storage(self, settings: Settings) -> AsyncIterator[ObjectStorage]:
        async with open_s3_client(
            region=settings.files.s3_region,
            endpoint_url=settings.files.s3_endpoint_url or None,
            access_key_id=settings.files.s3_access_key_id or None,
            secret_access_key=settings.files.s3_secret_access_key or None,
        ) as client:
            yield S3ObjectStorage(client, settings.files.s3_bucket)


def files_providers(settings: Settings) -> list[Provider]:
    storage = S3StorageProvider() if settings.files.storage == "s3" else LocalStorageProvider()
    return [FilesProvider(), storage]
