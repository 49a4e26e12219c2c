"""Every setting can come from a file named by ``<VAR>_FILE`` (Docker and Kubernetes secrets):
read whole, without its trailing newline, never shown, and refused with a clear message when
the value is given twice, the file is empty or unreadable, or production lacks a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.bootstrap.settings import SettingsError, load_settings

KEY = "a-jwt-key-of-more-than-thirty-two-characters-0123"
DATABASE_URL = "postgresql+psycopg://mocheong:db-password-42@db.internal:5432/mocheong"
REDIS_URL = "redis://:redis-password-42@redis.internal:6379/0"
S3_SECRET = "s3-secret-access-key-42"


def secret(folder: Path, name: str, content: str) -> str:
    path = folder / name
    path.write_text(content + "\n")  # as `echo` and most secret stores write them
    return str(path)


def load(folder: Path, **env: str) -> object:
    return load_settings({"MOCHEONG_DATA_DIR": str(folder / "data"), **env}, env_file=None)


def test_secrets_and_urls_come_from_files(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "MOCHEONG_ENV": "production",
            "MOCHEONG_DATA_DIR": str(tmp_path / "data"),
            "MOCHEONG_JWT_SECRET_FILE": secret(tmp_path, "jwt", KEY),
            "MOCHEONG_DATABASE_URL_FILE": secret(tmp_path, "db", DATABASE_URL),
            "MOCHEONG_REDIS_URL_FILE": secret(tmp_path, "redis", REDIS_URL),
            "MOCHEONG_STORAGE": "s3",
            "MOCHEONG_S3_BUCKET": "files",
            "MOCHEONG_S3_SECRET_ACCESS_KEY_FILE": secret(tmp_path, "s3", S3_SECRET),
            "MOCHEONG_PORT_FILE": secret(tmp_path, "port", "9000"),  # any setting, converted
        },
        env_file=None,
    )

    assert settings.auth.jwt_secret == KEY
    assert settings.database.url == DATABASE_URL
    assert settings.broker.redis_url == REDIS_URL
    assert settings.files.s3_secret_access_key == S3_SECRET
    assert settings.server.port == 9000
    # Never shown: not in the settings' repr (what a traceback or a debug log would print).
    shown = repr(settings)
    for value in (KEY, "db-password-42", "redis-password-42", S3_SECRET):
        assert value not in shown


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MOCHEONG_JWT_SECRET", KEY),
        ("MOCHEONG_DATABASE_URL", DATABASE_URL),
        ("MOCHEONG_S3_SECRET_ACCESS_KEY", S3_SECRET),
        ("MOCHEONG_PORT", "9000"),
    ],
)
def test_a_setting_given_both_ways_is_refused(tmp_path: Path, variable: str, value: str) -> None:
    env = {variable: value, f"{variable}_FILE": secret(tmp_path, "value", value)}

    with pytest.raises(SettingsError, match=f"set {variable} or {variable}_FILE, not both") as e:
        load(tmp_path, **env)
    assert value not in str(e.value)


def test_production_without_a_signing_key_names_both_ways_to_give_one(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load(tmp_path, MOCHEONG_ENV="production")

    assert "MOCHEONG_JWT_SECRET or MOCHEONG_JWT_SECRET_FILE must be set in production" in str(
        error.value
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "MOCHEONG_JWT_SECRET_FILE names an empty file"), (None, "cannot be read")],
)
def test_an_empty_or_missing_file_is_refused(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "jwt"
    if content is not None:
        path.write_text(content)

    with pytest.raises(SettingsError, match=message):
        load(tmp_path, MOCHEONG_ENV="production", MOCHEONG_JWT_SECRET_FILE=str(path))


def test_a_bad_value_in_a_file_is_reported_without_it(tmp_path: Path) -> None:
    """A secret's content never reaches an error message, even a conversion's."""
    with pytest.raises(SettingsError, match="MOCHEONG_DB_POOL_SIZE must be a number") as error:
        load(tmp_path, MOCHEONG_DB_POOL_SIZE_FILE=secret(tmp_path, "pool", "not-a-number-42"))
    assert "not-a-number-42" not in str(error.value)
