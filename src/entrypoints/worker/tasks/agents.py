"""Background tasks of the agents context."""

from __future__ import annotations

from typing import Any

from dishka import AsyncContainer

from entrypoints.runtime.tasks import tracked_task
from mocheong_core.agents.inspire import INSPIRE, Inspire


@tracked_task(INSPIRE)
async def inspire(container: AsyncContainer, payload: dict[str, Any]) -> dict[str, Any]:
    usecase = await container.get(Inspire)
    return await usecase(str(payload["page_id"]), payload["tone"], payload["count"])
