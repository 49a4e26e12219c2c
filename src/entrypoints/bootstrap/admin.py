"""Administrative actions run from the command line, through the same use cases as the API."""

from __future__ import annotations

from dishka import Scope, make_async_container

from adapters.sqla.migrate import revision, upgrade, upgrade_async
from entrypoints.bootstrap.providers import build_providers
from entrypoints.bootstrap.settings import Settings
from mocheong_core.accounts.model import User
from mocheong_core.accounts.usecases import CreateAdmin
from mocheong_core.payments.usecases import Reconcile


def upgrade_database(settings: Settings, revision: str) -> None:
    """``mocheong db upgrade``: the schema migrated to ``revision``."""
    if settings.uses_sqlite:
        settings.app.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url, revision)


def new_revision(settings: Settings, message: str) -> None:
    """``mocheong db revision``: a new, empty migration."""
    revision(settings.effective_database_url, message)


async def create_admin(settings: Settings, email: str, password: str, name: str) -> User:
    if settings.uses_sqlite:
        settings.app.data_dir.mkdir(parents=True, exist_ok=True)
        await upgrade_async(settings.effective_database_url)
    container = make_async_container(*build_providers(settings), context={Settings: settings})
    try:
        async with container(scope=Scope.REQUEST) as request:
            usecase = await request.get(CreateAdmin)
            return await usecase(email, password, name)
    finally:
        await container.close()


async def reconcile_payments(settings: Settings) -> int:
    """``mocheong payments reconcile``: one reconciliation run; how many orders changed."""
    container = make_async_container(*build_providers(settings), context={Settings: settings})
    try:
        async with container(scope=Scope.REQUEST) as request:
            return await (await request.get(Reconcile))()
    finally:
        await container.close()
