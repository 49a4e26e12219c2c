"""Who owns a page, the one thing the chat (``PageAccess``) and the files (``PageOwnership``)
read about pages. ``pages.owner_id`` is read by name, without importing the pages tables."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

_pages = sa.table("pages", sa.column("id", sa.String), sa.column("owner_id", sa.String))


class SqlaPageOwners:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def owner_of(self, page_id: str) -> str | None:
        query = sa.select(_pages.c.owner_id).where(_pages.c.id == page_id)
        owner = (await self._session.execute(query)).scalar_one_or_none()
        return str(owner) if owner is not None else None
