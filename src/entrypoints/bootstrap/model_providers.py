"""dishka wiring of the hosted (or self-hosted) model and geocoder the settings choose. Added
after the agents' provider, whose offline model and ``none`` geocoder these override; with
``LLM_PROVIDER=offline`` and no geocoder configured, nothing is added."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from dishka import Provider, Scope, provide

from adapters.geocoding.cache import CachedGeocoder
from adapters.geocoding.kakao import KakaoGeocoder
from adapters.geocoding.nominatim import NominatimGeocoder
from adapters.llm import anthropic as anthropic_llm
from adapters.llm import openai_chat
from adapters.llm.provider_call import ProviderConfig
from entrypoints.bootstrap.settings import Settings
from mocheong_core.agents.ports import AgentModel, Geocoder


def provider_config(settings: Settings) -> ProviderConfig:
    """The chosen provider's ``ProviderConfig`` (``LLM_PROVIDER`` is openai or anthropic)."""
    name = settings.llm.provider
    return ProviderConfig(
        model=getattr(settings.llm, f"{name}_model"),
        api_key=getattr(settings.llm, f"{name}_api_key"),
        base_url=getattr(settings.llm, f"{name}_base_url") or None,
        connect_timeout=settings.llm.connect_timeout,
        read_timeout=settings.llm.read_timeout,
        max_tries=settings.llm.max_tries,
        retry_wait_max=settings.llm.retry_wait_max,
        max_tokens=settings.llm.max_tokens,
    )


def hosted_model(settings: Settings) -> tuple[AgentModel, Callable[[], Awaitable[None]]]:
    """The model ``LLM_PROVIDER`` names, and what closes its client's connections."""
    config = provider_config(settings)
    if settings.llm.provider == "anthropic":
        client = anthropic_llm.make_client(config, auth_header=settings.llm.anthropic_auth_header)
        return anthropic_llm.AnthropicChatModel(client, config), client.close
    openai_client = openai_chat.make_client(config)
    return openai_chat.OpenAIChatModel(openai_client, config), openai_client.close


class HostedModelProvider(Provider):
    @provide(scope=Scope.APP, override=True)
    async def agent_model(self, settings: Settings) -> AsyncIterator[AgentModel]:
        model, close = hosted_model(settings)
        yield model
        await close()


class SearchingGeocoderProvider(Provider):
    @provide(scope=Scope.APP, override=True)
    async def geocoder(self, settings: Settings) -> AsyncIterator[Geocoder]:
        inner: KakaoGeocoder | NominatimGeocoder
        if settings.geocoding.kakao_rest_key:
            inner = KakaoGeocoder.connect(
                settings.geocoding.kakao_base_url,
                settings.geocoding.kakao_rest_key,
                settings.geocoding.timeout,
            )
        else:
            inner = NominatimGeocoder.connect(
                settings.geocoding.nominatim_url,
                settings.geocoding.nominatim_user_agent,
                settings.geocoding.timeout,
                settings.geocoding.nominatim_interval,
            )
        yield CachedGeocoder(inner, settings.geocoding.cache_size, settings.geocoding.cache_seconds)
        await inner.aclose()


def model_providers(settings: Settings) -> list[Provider]:
    providers: list[Provider] = []
    if settings.llm.provider != "offline":
        providers.append(HostedModelProvider())
    if settings.geocoding.kakao_rest_key or settings.geocoding.nominatim_url:
        providers.append(SearchingGeocoderProvider())
    return providers
