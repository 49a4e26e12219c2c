"""Background tasks of the files context."""

from __future__ import annotations

from typing import Any

from dishka import AsyncContainer

from entrypoints.runtime.tasks import task
from mocheong_core.files.usecases import (
    MAKE_SHARE_IMAGE,
    MAKE_VARIANTS,
    MakeShareImage,
    MakeVariants,
)


@task(MAKE_VARIANTS)
async def make_variants(container: AsyncContainer, payload: dict[str, Any]) -> None:
    usecase = await container.get(MakeVariants)
    await usecase(str(payload["file_id"]))


@task(MAKE_SHARE_IMAGE)
async def make_share_image(container: AsyncContainer, payload: dict[str, Any]) -> None:
    usecase = await container.get(MakeShareImage)
    await usecase(str(payload["file_id"]))
