"""The migrations build exactly the schema the table modules declare, on SQLite and Postgres.

This guards every context's migration: a table, column, index or constraint added to a tables
module without a migration (or the other way round) shows up as a difference here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from adapters.sqla.migrate import alembic_config, upgrade
from adapters.sqla.schema import metadata, table_modules
from tests import services

table_modules()


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The SQLAlchemy (async driver) URL of a database nothing has touched."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    name, url = services.create_database()
    yield url
    services.drop_database(name)


def _sync_url(url: str) -> str:
    return url.replace("sqlite+aiosqlite", "sqlite")


def _differences(url: str) -> list[object]:
    engine = sa.create_engine(_sync_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(_sync_url(url))
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrading_to_heads_gives_the_declared_schema(empty_database: str) -> None:
    upgrade(empty_database)

    assert _differences(empty_database) == []
    assert _tables(empty_database) == set(metadata.tables)


def test_every_migration_downgrades_and_upgrades_again(empty_database: str) -> None:
    upgrade(empty_database)

    downgrade(alembic_config(empty_database), "base")
    assert _tables(empty_database) == set()

    upgrade(empty_database)
    assert _differences(empty_database) == []


def test_every_branch_grows_from_the_accounts_revision() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))

    assert scripts.get_bases() == ["0001"]
    for head in scripts.get_heads():
        chain = {revision.revision for revision in scripts.iterate_revisions(head, "base")}
        assert "0001" in chain
