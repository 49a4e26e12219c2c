from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sqla.tables.pages import page_versions, pages
from mocheong_core.pages.document import stored_content
from mocheong_core.pages.errors import SlugTaken, VersionConflict
from mocheong_core.pages.model import Page, PageStatus, Plan
from mocheong_core.pages.ports import PageVersion


def _page(row: sa.Row[Any]) -> Page:
    return Page(
        id=row.id,
        owner_id=row.owner_id,
        slug=row.slug,
        status=PageStatus(row.status),
        plan=Plan(row.plan),
        version=row.version,
        content=stored_content(row.document),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _values(page: Page) -> dict[str, Any]:
    return {
        "slug": page.slug,
        "status": page.status.value,
        "plan": page.plan.value,
        "version": page.version,
        "document": page.content.dump(),
        "updated_at": page.updated_at,
    }


class SqlaPageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, page: Page) -> None:
        try:
            async with self._session.begin_nested():
                await self._session.execute(
                    pages.insert().values(
                        id=page.id,
                        owner_id=page.owner_id,
                        created_at=page.created_at,
                        **_values(page),
                    )
                )
        except IntegrityError:
            raise SlugTaken from None

    async def get(self, page_id: str) -> Page | None:
        row = (await self._session.execute(pages.select().where(pages.c.id == page_id))).first()
        return _page(row) if row else None

    async def by_slug(self, slug: str) -> Page | None:
        row = (await self._session.execute(pages.select().where(pages.c.slug == slug))).first()
        return _page(row) if row else None

    async def save(self, page: Page, expected_version: int) -> None:
        # The version condition is the guard between processes: of two writers that read the
        # same version, the second matches no row (Postgres re-checks it after the row lock).
        try:
            async with self._session.begin_nested():
                result = await self._session.execute(
                    pages.update()
                    .where(pages.c.id == page.id, pages.c.version == expected_version)
                    .values(**_values(page))
                )
        except IntegrityError:
            raise SlugTaken from None
        if not result.rowcount:  # type: ignore[attr-defined]
            raise VersionConflict

    async def delete(self, page_id: str) -> None:
        await self._session.execute(pages.delete().where(pages.c.id == page_id))

    async def list_by_owner(self, owner_id: str, *, limit: int, before: str | None) -> list[Page]:
        return await self._newest(limit, before, pages.c.owner_id == owner_id)

    async def list_all(
        self, *, limit: int, before: str | None, status: PageStatus | None
    ) -> list[Page]:
        return await self._newest(
            limit, before, sa.true() if status is None else pages.c.status == status.value
        )

    async def _newest(
        self, limit: int, before: str | None, condition: sa.ColumnElement[bool]
    ) -> list[Page]:
        query = pages.select().where(condition).order_by(pages.c.id.desc()).limit(limit)
        if before:
            query = query.where(pages.c.id < before)
        return [_page(row) for row in await self._session.execute(query)]


def _version(row: sa.Row[Any]) -> PageVersion:
    return PageVersion(
        page_id=row.page_id,
        version=row.version,
        by=row.by,
        agent=row.agent,
        changed=tuple(row.changed),
        at=row.at,
        document=row.document,
        reverts_to=row.reverts_to,
        undoes=row.undoes,
    )


class SqlaPageHistory:
    """A page's versions in ``page_versions``; at most ``keep`` per page, the oldest dropped
    on write (versions are consecutive, so the cut is one range delete on the primary key)."""

    def __init__(self, session: AsyncSession, keep: int) -> None:
        self._session, self._keep = session, keep

    async def append(self, version: PageVersion) -> None:
        await self._session.execute(
            page_versions.insert().values(
                page_id=version.page_id,
                version=version.version,
                by=version.by,
                agent=version.agent,
                changed=list(version.changed),
                document=version.document,
                at=version.at,
                reverts_to=version.reverts_to,
                undoes=version.undoes,
            )
        )
        await self._session.execute(
            page_versions.delete().where(
                page_versions.c.page_id == version.page_id,
                page_versions.c.version <= version.version - self._keep,
            )
        )

    async def newest(self, page_id: str, *, limit: int, before: int | None) -> list[PageVersion]:
        query = (
            page_versions.select()
            .where(page_versions.c.page_id == page_id)
            .order_by(page_versions.c.version.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(page_versions.c.version < before)
        return [_version(row) for row in await self._session.execute(query)]

    async def get(self, page_id: str, version: int) -> PageVersion | None:
        row = (
            await self._session.execute(
                page_versions.select().where(
                    page_versions.c.page_id == page_id, page_versions.c.version == version
                )
            )
        ).first()
        return _version(row) if row else None
