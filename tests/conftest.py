from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from adapters.sqla.migrate import upgrade
from adapters.sqla.schema import metadata, table_modules
from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from tests import services

table_modules()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test so every test starts empty."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    upgrade(f"sqlite+aiosqlite:///{folder / 'mocheong.db'}")
    return folder / "mocheong.db"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name, url = services.create_database()
    upgrade(url)
    yield url
    services.drop_database(name)


def _truncate_postgres(url: str) -> None:
    sync_url = url.replace("+psycopg", "+psycopg")
    engine = sa.create_engine(sync_url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} CASCADE"))
    engine.dispose()


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "jwt_secret": services.TEST_JWT_SECRET,
        "data_dir": tmp_path,
        "log_json": True,
        "log_level": "WARNING",
        "rate_login_per_ip": 1000,
        "rate_login_per_account": 1000,
        "rate_register_per_ip": 1000,
    }
    values.update(overrides)
    return evolve(Settings(), **values)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for one test on the backend it is parametrised with, the database empty."""
    if backend == "postgres":
        url = request.getfixturevalue("postgres_url")
        _truncate_postgres(url)
        return make_settings(tmp_path, database_url=url)
    template = request.getfixturevalue("sqlite_template")
    shutil.copy(template, tmp_path / "mocheong.db")
    return make_settings(tmp_path)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
async def redis_client() -> AsyncIterator[Redis]:
    """A client of the machine's Redis (the run fails, never skips, without one)."""
    services.require_redis()
    client = Redis.from_url(services.REDIS_URL)
    yield client
    await client.aclose()
