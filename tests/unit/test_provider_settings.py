"""The provider and geocoder settings: a provider chosen without its key or model stops
start-up with a message naming the variable; keys may come from files."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.bootstrap.model_providers import model_providers, provider_config
from entrypoints.bootstrap.settings import SettingsError, load_settings


def _load(**env: str) -> object:
    return load_settings({f"MOCHEONG_{k}": v for k, v in env.items()}, env_file=None)


def test_offline_needs_nothing_and_adds_no_provider() -> None:
    settings = load_settings({}, env_file=None)

    assert settings.llm.provider == "offline"
    assert model_providers(settings) == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LLM_PROVIDER": "gemini"}, "MOCHEONG_LLM_PROVIDER must be offline, openai or anthropic"),
        ({"LLM_PROVIDER": "openai", "OPENAI_API_KEY": "k"}, "MOCHEONG_OPENAI_MODEL must be set"),
        ({"LLM_PROVIDER": "openai", "OPENAI_MODEL": "m"}, "MOCHEONG_OPENAI_API_KEY"),
        ({"LLM_PROVIDER": "anthropic", "ANTHROPIC_MODEL": "m"}, "MOCHEONG_ANTHROPIC_API_KEY"),
        (
            {"LLM_PROVIDER": "anthropic", "ANTHROPIC_API_KEY": "k"},
            "MOCHEONG_ANTHROPIC_MODEL must be set",
        ),
        ({"ANTHROPIC_AUTH_HEADER": "basic"}, "MOCHEONG_ANTHROPIC_AUTH_HEADER"),
        ({"LLM_READ_TIMEOUT": "0"}, "MOCHEONG_LLM_READ_TIMEOUT must be positive"),
        (
            {"NOMINATIM_URL": "http://osm", "NOMINATIM_USER_AGENT": " "},
            "MOCHEONG_NOMINATIM_USER_AGENT",
        ),
    ],
)
def test_a_provider_chosen_without_what_it_needs_stops_start_up(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        _load(**env)


def test_a_local_openai_compatible_server_needs_no_key() -> None:
    settings = load_settings(
        {
            "MOCHEONG_LLM_PROVIDER": "openai",
            "MOCHEONG_OPENAI_BASE_URL": "http://localhost:11434/v1",
            "MOCHEONG_OPENAI_MODEL": "qwen3:8b",
        },
        env_file=None,
    )

    config = provider_config(settings)
    assert (config.base_url, config.model, config.api_key) == (
        "http://localhost:11434/v1",
        "qwen3:8b",
        "",
    )
    assert len(model_providers(settings)) == 1


def test_keys_come_from_files(tmp_path: Path) -> None:
    (tmp_path / "anthropic").write_text("sk-ant-from-file\n")
    (tmp_path / "kakao").write_text("kakao-from-file")

    settings = load_settings(
        {
            "MOCHEONG_LLM_PROVIDER": "anthropic",
            "MOCHEONG_ANTHROPIC_MODEL": "claude-x",
            "MOCHEONG_ANTHROPIC_API_KEY_FILE": str(tmp_path / "anthropic"),
            "MOCHEONG_KAKAO_REST_KEY_FILE": str(tmp_path / "kakao"),
        },
        env_file=None,
    )

    assert settings.llm.anthropic_api_key == "sk-ant-from-file"
    assert settings.geocoding.kakao_rest_key == "kakao-from-file"
    assert "sk-ant-from-file" not in repr(settings)
    assert len(model_providers(settings)) == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"MOCHEONG_OPENAI_API_KEY": "k"}, "set MOCHEONG_OPENAI_API_KEY or .*_FILE, not both"),
        ({}, "MOCHEONG_OPENAI_API_KEY_FILE cannot be read"),
    ],
)
def test_a_bad_key_file_is_named(tmp_path: Path, extra: dict[str, str], message: str) -> None:
    env = {"MOCHEONG_OPENAI_API_KEY_FILE": str(tmp_path / "missing"), **extra}

    with pytest.raises(SettingsError, match=message):
        load_settings(env, env_file=None)
