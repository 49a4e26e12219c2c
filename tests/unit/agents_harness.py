"""The agents on the in-memory twins: a page owned by the chat harness's owner, the chat
runner driving ``AgentTurn``, and a scripted model that answers each call with the next step."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.memory.accounts import InMemoryUserRepository
from mocheong_core.accounts.model import Role, User
from mocheong_core.agents.desk import UseCasePageDesk
from mocheong_core.agents.loop import AgentTurn
from mocheong_core.agents.policy import AgentPolicy
from mocheong_core.agents.ports import (
    AgentModel,
    FinishEvent,
    ModelEvent,
    ModelRequest,
    Place,
    TextEvent,
    ToolCall,
    ToolCallEvent,
    UsageEvent,
)
from mocheong_core.chat.model import Message
from mocheong_core.pages.content import PageContent
from mocheong_core.pages.maplinks import Attribution
from mocheong_core.pages.model import Page, PageStatus, Plan
from mocheong_core.pages.usecases import version_of
from tests.unit.chat_harness import OWNER, PAGE, Chat
from tests.unit.pages_harness import Pages

OTHER_PAGE = "page-2"


def user(user_id: str) -> User:
    return User(
        id=user_id,
        email=f"{user_id}@example.com",
        name=user_id,
        password_hash="unused",
        role=Role.USER,
        disabled=False,
        created_at=datetime(2027, 1, 1, tzinfo=UTC),
    )


def owner() -> User:
    return user(OWNER)


def call(name: str, arguments: Any = None, *, raw: str | None = None) -> ToolCallEvent:
    text = raw if raw is not None else json.dumps(arguments if arguments is not None else {})
    call.count += 1  # type: ignore[attr-defined]
    return ToolCallEvent(ToolCall(f"call-{call.count}", name, text))  # type: ignore[attr-defined]


call.count = 0  # type: ignore[attr-defined]


def say(*texts: str) -> list[ModelEvent]:
    return [TextEvent(t) for t in texts]


class ScriptedModel:
    """Answers call n with ``steps[n]`` (a ``FinishEvent`` is added unless the step has one);
    keeps every request."""

    label: dict[str, Any] = {"model": "scripted"}  # noqa: RUF012

    def __init__(self, steps: Sequence[Sequence[ModelEvent]]) -> None:
        self.steps = [list(step) for step in steps]
        self.requests: list[ModelRequest] = []

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        self.requests.append(request)
        step = self.steps[len(self.requests) - 1] if len(self.requests) <= len(self.steps) else []
        for event in step:
            await asyncio.sleep(0)
            yield event
        if not any(isinstance(e, FinishEvent) for e in step):
            yield UsageEvent(10, 2, 5, 1, model="scripted", provider="test")
            yield FinishEvent(
                "tool_calls" if any(isinstance(e, ToolCallEvent) for e in step) else "stop"
            )


class Recording:
    """Passes each call to ``inner`` and keeps the requests."""

    def __init__(self, inner: AgentModel) -> None:
        self.inner = inner
        self.label = inner.label
        self.requests: list[ModelRequest] = []

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        self.requests.append(request)
        async for event in self.inner.stream(request):
            yield event


class ListGeocoder:
    searches = True
    attribution: Attribution | None = Attribution("© Test Maps", "https://maps.example/credit")

    def __init__(self, places: Sequence[Place] = ()) -> None:
        self.places = list(places)
        self.queries: list[str] = []

    async def search(self, query: str, limit: int) -> list[Place]:
        self.queries.append(query)
        return self.places[:limit]


class Agents:
    """Pages, users and the chat context of one process, with ``model`` behind the agents."""

    def __init__(
        self,
        model: AgentModel,
        *,
        policy: AgentPolicy | None = None,
        geocoder: ListGeocoder | None = None,
        content: Mapping[str, Any] | None = None,
    ) -> None:
        self.site = Pages()
        self.users = InMemoryUserRepository()
        self.geocoder = geocoder or ListGeocoder()
        self.model = model
        self.desk = UseCasePageDesk(self.users, self.site.pages, self.site.update, self.site.undo)
        self.turn = AgentTurn(model, self.desk, self.geocoder, policy or AgentPolicy())
        self.chat = Chat(self.turn, page_store=self.site.pages)
        self._content = content

    async def start(self) -> Agents:
        await self.users.add(owner())
        stranger = user("user-stranger")
        await self.users.add(stranger)
        now = self.site.clock.now()
        for page_id, who in ((PAGE, OWNER), (OTHER_PAGE, stranger.id)):
            base = Page(
                id=page_id,
                owner_id=who,
                slug=f"slug-{page_id}",
                status=PageStatus.DRAFT,
                plan=Plan.FREE,
                version=1,
                content=PageContent(),
                created_at=now,
                updated_at=now,
            )
            await self.site.pages.add(base)
            await self.site.history.append(version_of(base, [], "user"))
        if self._content:
            await self.site.run(self.site.update(owner(), PAGE, self._content))
        self.site.events.events.clear()
        await self.site.uow.commit()
        return self

    async def page(self, page_id: str = PAGE) -> Page:
        page = await self.site.pages.get(page_id)
        assert page is not None
        return page

    async def turn_of(self, text: str) -> Message:
        """Submits ``text`` and runs the reply to its end."""
        pending = await self.chat.say(text)
        await self.chat.run_queued()
        return await self.chat.message(pending.id)
