"""Alembic, driven from code: ``mocheong db upgrade`` and the embedded start-up call this."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "heads") -> None:
    # Alembic's env runs its own event loop for the async engine, so it needs a thread.
    await asyncio.to_thread(upgrade, url, revision)


def revision(url: str, message: str) -> None:
    """Writes a new migration by comparing the models with the database at ``url``."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
