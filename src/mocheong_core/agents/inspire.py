"""Greeting ideas as a tracked job: ``StartInspire`` queues it for the page's owner, the worker
runs ``Inspire``; the drafts come from a ``GreetingWriter`` (offline templates, or a model)."""

from __future__ import annotations

from typing import Any

from mocheong_core.accounts.model import User
from mocheong_core.agents.ports import GreetingWriter
from mocheong_core.errors import NotFound, Validator
from mocheong_core.jobs.model import Job
from mocheong_core.jobs.usecases import StartJob
from mocheong_core.pages.ports import PageRepository
from mocheong_core.pages.usecases import owned_page

INSPIRE = "ai.inspire"
TONES = ("warm", "formal", "modern", "playful", "faith")
DEFAULT_TONE = "warm"
DEFAULT_COUNT = 3
COUNT_MAX = 5


def read_request(tone: Any, count: Any) -> tuple[str, int]:
    """The tone and count asked for (defaults filled in); ``ValidationFailed`` otherwise."""
    v = Validator()
    tone = DEFAULT_TONE if tone is None else tone
    count = DEFAULT_COUNT if count is None else count
    v.check(tone in TONES, "tone", f"must be one of {', '.join(TONES)}")
    v.check(
        isinstance(count, int) and not isinstance(count, bool) and 1 <= count <= COUNT_MAX,
        "count",
        f"must be a whole number from 1 to {COUNT_MAX}",
    )
    v.raise_if_any()
    return str(tone), int(count)


class StartInspire:
    def __init__(self, pages: PageRepository, start: StartJob) -> None:
        self._pages, self._start = pages, start

    async def __call__(self, actor: User, page_id: str, tone: Any, count: Any) -> Job:
        tone, count = read_request(tone, count)
        page = await owned_page(self._pages, actor, page_id)
        payload = {"page_id": page.id, "tone": tone, "count": count}
        return await self._start(actor.id, INSPIRE, payload, page_id=page.id)


class Inspire:
    def __init__(self, pages: PageRepository, writer: GreetingWriter) -> None:
        self._pages, self._writer = pages, writer

    async def __call__(self, page_id: str, tone: str, count: int) -> dict[str, Any]:
        page = await self._pages.get(page_id)
        if page is None:
            raise NotFound("The page no longer exists")
        tone, count = read_request(tone, count)
        return {"suggestions": await self._writer.drafts(page.content, tone, count)}
