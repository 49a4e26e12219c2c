"""Settings of the agents: the chat models, the agents' limits and the venue search."""

from __future__ import annotations

import attrs

from entrypoints.bootstrap.settings.fields import (
    PREFIX,
    SettingsError,
    choice,
    not_negative,
    positive,
    setting,
)

LLM_PROVIDERS = ("offline", "openai", "anthropic")


@attrs.frozen(kw_only=True)
class LlmSettings:
    offline_model_delay_ms: int = setting(
        "OFFLINE_MODEL_DELAY_MS",
        default=20,
        doc="Milliseconds between the offline chat model's chunks",
        check=not_negative,
    )
    provider: str = setting(
        "LLM_PROVIDER",
        default="offline",
        doc=(
            "Chat model: `offline` (no network), `openai` (any Chat Completions server) or "
            "`anthropic` (Messages API)"
        ),
        check=choice(*LLM_PROVIDERS, show=True),
    )
    openai_base_url: str = setting(
        "OPENAI_BASE_URL",
        default="",
        doc=(
            "Empty: OpenAI's API. Else a compatible server's `/v1` URL, e.g. "
            "`http://localhost:11434/v1` for Ollama (vLLM and llama.cpp alike)"
        ),
    )
    openai_api_key: str = setting(
        "OPENAI_API_KEY",
        default="",
        doc="Key for `openai` (or `OPENAI_API_KEY_FILE`); optional with a `OPENAI_BASE_URL`",
        secret=True,
    )
    openai_model: str = setting("OPENAI_MODEL", default="", doc="Model name for `openai`")
    anthropic_base_url: str = setting(
        "ANTHROPIC_BASE_URL",
        default="",
        doc="Empty: Anthropic's API. Else a compatible server's URL",
    )
    anthropic_api_key: str = setting(
        "ANTHROPIC_API_KEY",
        default="",
        doc="Key for `anthropic` (or `ANTHROPIC_API_KEY_FILE`)",
        secret=True,
    )
    anthropic_model: str = setting("ANTHROPIC_MODEL", default="", doc="Model name for `anthropic`")
    anthropic_auth_header: str = setting(
        "ANTHROPIC_AUTH_HEADER",
        default="bearer",
        doc=(
            "How the key is sent: `bearer` (`Authorization: Bearer`, the anthropic 2.x SDK's "
            "way) or `x-api-key` (for servers and proxies that only read that header)"
        ),
        check=choice("bearer", "x-api-key"),
    )
    max_tokens: int = setting(
        "LLM_MAX_TOKENS", default=1024, doc="Most tokens one model call may write", check=positive
    )
    connect_timeout: float = setting(
        "LLM_CONNECT_TIMEOUT",
        default=5.0,
        doc="Seconds to connect to the model provider",
        check=positive,
    )
    read_timeout: float = setting(
        "LLM_READ_TIMEOUT",
        default=60.0,
        doc=(
            "Seconds the model provider may stay silent: before its first event (retries "
            "included) and between two events; then the reply ends `failed`"
        ),
        check=positive,
    )
    max_tries: int = setting(
        "LLM_MAX_TRIES",
        default=3,
        doc=(
            "Tries of one model call answered 408, 409, 429, 5xx or overloaded, before its "
            "first delta; never after"
        ),
        check=positive,
    )
    retry_wait_max: float = setting(
        "LLM_RETRY_WAIT_MAX",
        default=10.0,
        doc=(
            "Longest wait before a model call is retried, s, even when the provider's "
            "`retry-after` asks for more"
        ),
        check=not_negative,
    )

    def __attrs_post_init__(self) -> None:
        provider = self.provider
        if provider == "offline":
            return
        chosen = provider.upper()
        if not getattr(self, f"{provider}_model"):
            raise SettingsError(
                f"{PREFIX}{chosen}_MODEL must be set when {PREFIX}LLM_PROVIDER is {provider}"
            )
        keyless = provider == "openai" and self.openai_base_url
        if not keyless and not getattr(self, f"{provider}_api_key"):
            raise SettingsError(
                f"{PREFIX}{chosen}_API_KEY (or {PREFIX}{chosen}_API_KEY_FILE) must be set "
                f"when {PREFIX}LLM_PROVIDER is {provider}"
            )


@attrs.frozen(kw_only=True)
class GeocodingSettings:
    kakao_rest_key: str = setting(
        "KAKAO_REST_KEY",
        default="",
        doc=(
            "Kakao Local REST key (or `KAKAO_REST_KEY_FILE`); set, venues are found through Kakao"
        ),
        secret=True,
    )
    kakao_base_url: str = setting(
        "KAKAO_BASE_URL", default="https://dapi.kakao.com", doc="Kakao Local API's URL"
    )
    nominatim_url: str = setting(
        "NOMINATIM_URL",
        default="",
        doc="A Nominatim server's URL; set (and no Kakao key), venues are found through it",
    )
    nominatim_user_agent: str = setting(
        "NOMINATIM_USER_AGENT",
        default="mocheong-wedding-invitations",
        doc=(
            "User-Agent sent to Nominatim, naming this deployment (its usage policy asks for one; "
            "add a contact)"
        ),
    )
    nominatim_interval: float = setting(
        "NOMINATIM_INTERVAL",
        default=1.0,
        doc="Seconds between two Nominatim requests of one process (its policy: ≥ 1)",
        check=positive,
    )
    cache_size: int = setting(
        "GEOCODER_CACHE_SIZE",
        default=1000,
        doc="Venue searches each process keeps answered",
        check=not_negative,
    )
    cache_seconds: float = setting(
        "GEOCODER_CACHE_SECONDS",
        default=24 * 3600.0,
        doc="How long a venue search's answer is kept, s",
        check=not_negative,
    )
    timeout: float = setting(
        "GEOCODER_TIMEOUT", default=5.0, doc="Seconds one venue search may take", check=positive
    )

    def __attrs_post_init__(self) -> None:
        if self.nominatim_url and not self.nominatim_user_agent.strip():
            raise SettingsError(
                f"{PREFIX}NOMINATIM_USER_AGENT must name this deployment: Nominatim refuses "
                "anonymous clients"
            )


@attrs.frozen(kw_only=True)
class AgentsSettings:
    max_model_calls: int = setting(
        "AGENT_MAX_MODEL_CALLS",
        default=8,
        doc="Model calls one chat turn may make, all agents together",
        check=positive,
    )
    max_tool_calls: int = setting(
        "AGENT_MAX_TOOL_CALLS",
        default=16,
        doc="Tool calls one chat turn may make, all agents together",
        check=positive,
    )
    history_chars: int = setting(
        "AGENT_HISTORY_CHARS",
        default=8000,
        doc="Characters of earlier chat messages an agent is shown (the newest, whole ones)",
        check=positive,
    )
