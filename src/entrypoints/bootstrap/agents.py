"""dishka wiring of the agents context: the model behind the agents (the offline agent unless
a provider is configured), the geocoder, the greeting writer, the page desk the tools use,
and the chat runner's model, which is the agent turn."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dishka import AsyncContainer, Provider, Scope, provide, provide_all

from adapters.geocoding.none import NoGeocoder
from adapters.llm.offline.agent import OfflineAgentModel
from adapters.llm.offline.greetings import OfflineGreetingWriter
from entrypoints.bootstrap.settings import Settings
from mocheong_core.agents.desk import UseCasePageDesk
from mocheong_core.agents.inspire import Inspire, StartInspire
from mocheong_core.agents.loop import AgentTurn
from mocheong_core.agents.policy import AgentPolicy
from mocheong_core.agents.ports import AgentModel, Geocoder, GreetingWriter
from mocheong_core.chat.ports import ChatModel
from mocheong_core.pages.model import Page


class ScopedPageDesk:
    """The page desk of a running turn: each call in a REQUEST scope of its own (its own
    database session), beside the runner's, whose writes it must not interleave with."""

    def __init__(self, container: AsyncContainer) -> None:
        self._container = container

    async def read(self, owner_id: str, page_id: str) -> Page:
        async with self._container() as request:
            return await (await request.get(UseCasePageDesk)).read(owner_id, page_id)

    async def update(
        self,
        owner_id: str,
        page_id: str,
        patch: Mapping[str, Any],
        *,
        expected_version: int,
        agent: str,
    ) -> Page:
        async with self._container() as request:
            desk = await request.get(UseCasePageDesk)
            return await desk.update(
                owner_id, page_id, patch, expected_version=expected_version, agent=agent
            )

    async def undo(self, owner_id: str, page_id: str, *, agent: str) -> Page:
        async with self._container() as request:
            return await (await request.get(UseCasePageDesk)).undo(owner_id, page_id, agent=agent)


class AgentsProvider(Provider):
    @provide(scope=Scope.APP)
    def policy(self, settings: Settings) -> AgentPolicy:
        return AgentPolicy(
            max_model_calls=settings.agents.max_model_calls,
            max_tool_calls=settings.agents.max_tool_calls,
            history_chars=settings.agents.history_chars,
            map_app_name=settings.web.public_base_url or "mocheong",
        )

    @provide(scope=Scope.APP)
    def geocoder(self) -> Geocoder:
        return NoGeocoder()

    @provide(scope=Scope.APP)
    def greetings(self) -> GreetingWriter:
        return OfflineGreetingWriter()

    @provide(scope=Scope.APP)
    def agent_model(self, settings: Settings, geocoder: Geocoder) -> AgentModel:
        return OfflineAgentModel(
            delay_seconds=settings.llm.offline_model_delay_ms / 1000, geocoding=geocoder.searches
        )

    @provide(scope=Scope.APP)
    def chat_model(
        self,
        model: AgentModel,
        geocoder: Geocoder,
        policy: AgentPolicy,
        container: AsyncContainer,
    ) -> ChatModel:
        return AgentTurn(model, ScopedPageDesk(container), geocoder, policy)

    usecases = provide_all(UseCasePageDesk, StartInspire, Inspire, scope=Scope.REQUEST)
