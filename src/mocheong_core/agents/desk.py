"""``UseCasePageDesk``: the page use cases a turn's tools call, acting as the page's owner.

The owner is read again for each change, so a user disabled mid-turn stops the agents' edits.
A read only compares the page's owner, and is one query (the tools' ``read_page``; a turn's
first look at the page comes with the runner's claim, ``ModelTurn.page``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mocheong_core.accounts.model import User
from mocheong_core.accounts.ports import UserRepository
from mocheong_core.errors import NotFound
from mocheong_core.pages.model import Page
from mocheong_core.pages.ports import PageRepository
from mocheong_core.pages.revert import UndoAgentChange
from mocheong_core.pages.usecases import UpdatePage


class UseCasePageDesk:
    def __init__(
        self,
        users: UserRepository,
        pages: PageRepository,
        update_page: UpdatePage,
        undo: UndoAgentChange,
    ) -> None:
        self._users, self._pages, self._update, self._undo = users, pages, update_page, undo

    async def _actor(self, owner_id: str) -> User:
        user = await self._users.get(owner_id)
        if user is None or user.disabled:
            raise NotFound("No such page")
        return user

    async def read(self, owner_id: str, page_id: str) -> Page:
        page = await self._pages.get(page_id)
        if page is None or page.owner_id != owner_id:
            raise NotFound("No such page")
        return page

    async def update(
        self,
        owner_id: str,
        page_id: str,
        patch: Mapping[str, Any],
        *,
        expected_version: int,
        agent: str,
    ) -> Page:
        actor = await self._actor(owner_id)
        return await self._update(actor, page_id, patch, expected_version, by="agent", agent=agent)

    async def undo(self, owner_id: str, page_id: str, *, agent: str) -> Page:
        return await self._undo(await self._actor(owner_id), page_id, agent=agent)
