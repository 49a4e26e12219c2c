"""Administrative actions run from the command line, through the same use cases as the API."""

from __future__ import annotations

from dishka import Scope

from adapters.sqla.migrate import upgrade_async
from entrypoints.http.app import make_container
from entrypoints.settings import Settings
from mocheong_core.accounts.model import User
from mocheong_core.accounts.usecases import CreateAdmin


async def create_admin(settings: Settings, email: str, password: str, name: str) -> User:
    if settings.uses_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        await upgrade_async(settings.effective_database_url)
    container = make_container(settings)
    try:
        async with container(scope=Scope.REQUEST) as request:
            usecase = await request.get(CreateAdmin)
            return await usecase(email, password, name)
    finally:
        await container.close()
