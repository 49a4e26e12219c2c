"""``POST /api/ai/inspire``: greeting drafts for a page, made by a tracked job."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED

from entrypoints.http.auth import BEARER, CurrentUser
from mocheong_core.agents.inspire import StartInspire


class InspireIn(msgspec.Struct):
    page_id: Annotated[str, msgspec.Meta(max_length=64)]
    tone: Any = None
    """warm (default), formal, modern, playful or faith."""
    count: Any = None
    """1 to 5 drafts; 3 by default."""


class JobStarted(msgspec.Struct):
    job_id: str


class AiController(Controller):
    path = "/api/ai"
    tags = ["ai"]  # noqa: RUF012
    security = BEARER

    @post("/inspire", status_code=HTTP_202_ACCEPTED)
    @inject
    async def inspire(
        self,
        data: JSONBody[InspireIn],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[StartInspire],
    ) -> JobStarted:
        """Queues greeting drafts in a tone; follow ``GET /api/jobs/{job_id}`` or the room's
        ``job-completed`` event."""
        job = await usecase(user, data.page_id, data.tone, data.count)
        return JobStarted(job.id)
