"""The access-token key: no built-in one. Without ``MOCHEONG_JWT_SECRET`` an installation makes
its own on first start and keeps it in its data folder; production must be given one."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.security.jwt_tokens import JwtAccessTokens
from entrypoints.bootstrap.settings import JWT_SECRET_FILE, SettingsError, load_settings
from mocheong_core.accounts.errors import InvalidToken
from mocheong_core.accounts.model import Role


def settings_in(folder: Path, **env: str) -> dict[str, str]:
    return {"MOCHEONG_DATA_DIR": str(folder), **env}


def test_an_installation_without_a_key_makes_its_own_and_keeps_it(tmp_path: Path) -> None:
    first = load_settings(settings_in(tmp_path / "a"), env_file=None)
    again = load_settings(settings_in(tmp_path / "a"), env_file=None)
    other = load_settings(settings_in(tmp_path / "b"), env_file=None)

    assert len(first.auth.jwt_secret) >= 32
    assert again.auth.jwt_secret == first.auth.jwt_secret
    assert other.auth.jwt_secret != first.auth.jwt_secret
    kept = tmp_path / "a" / JWT_SECRET_FILE
    assert kept.read_text() == first.auth.jwt_secret
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [JWT_SECRET_FILE]


def test_a_token_signed_by_another_installation_is_refused(tmp_path: Path) -> None:
    ours = load_settings(settings_in(tmp_path / "ours"), env_file=None)
    theirs = load_settings(settings_in(tmp_path / "theirs"), env_file=None)
    now = datetime.now(UTC)
    forged = JwtAccessTokens(theirs.auth.jwt_secret, 900).issue("u-1", Role.ADMIN, now, "f-1")

    with pytest.raises(InvalidToken):
        JwtAccessTokens(ours.auth.jwt_secret, 900).verify(forged, now)


def test_a_given_key_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    key = "k" * 40
    settings = load_settings(settings_in(tmp_path, MOCHEONG_JWT_SECRET=key), env_file=None)

    assert settings.auth.jwt_secret == key
    assert not (tmp_path / JWT_SECRET_FILE).exists()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MOCHEONG_ENV": "production"}, "must be set in production"),
        ({"MOCHEONG_ENV": "production", "MOCHEONG_JWT_SECRET": "short"}, "at least 32"),
        ({"MOCHEONG_JWT_SECRET": "short"}, "at least 32"),
    ],
)
def test_a_missing_or_weak_key_is_refused(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(settings_in(tmp_path, **env), env_file=None)
    assert not (tmp_path / JWT_SECRET_FILE).exists()


def test_a_spoiled_key_file_stops_start_up(tmp_path: Path) -> None:
    (tmp_path / JWT_SECRET_FILE).write_text("")

    with pytest.raises(SettingsError, match="no usable key"):
        load_settings(settings_in(tmp_path), env_file=None)


def test_tokens_are_never_signed_with_a_short_key() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        JwtAccessTokens("", 900)
