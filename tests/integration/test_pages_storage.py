"""The SQL page and guest repositories on SQLite and Postgres: the version guard holds between
two sessions (as between two processes), and deleting a page deletes what hangs off it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sqla.database import make_engine, make_session_factory
from adapters.sqla.repos.accounts import SqlaUserRepository
from adapters.sqla.repos.guests import (
    SqlaGuestbookRepository,
    SqlaGuestRepository,
    SqlaRsvpRepository,
)
from adapters.sqla.repos.pages import SqlaPageHistory, SqlaPageRepository
from adapters.sqla.tables.pages import guestbook_entries, guests, page_versions, rsvps
from entrypoints.settings import Settings
from mocheong_core.accounts.model import Role, User
from mocheong_core.guests.model import Guest, GuestbookEntry, Rsvp, Side
from mocheong_core.pages.content import PageContent
from mocheong_core.pages.errors import SlugTaken, VersionConflict
from mocheong_core.pages.model import Page, PageStatus, Plan
from mocheong_core.pages.ports import PageVersion
from mocheong_core.shared import new_id

NOW = datetime(2027, 5, 1, 3, 0, tzinfo=UTC)
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[Sessions]:
    engine = make_engine(settings.effective_database_url)
    yield make_session_factory(engine)
    await engine.dispose()


async def stored_page(sessions: Sessions, slug: str = "minjun-seoyeon") -> Page:
    owner = User(new_id(), f"{new_id()}@example.com", "민준", "x", Role.USER, False, NOW)
    page = Page(new_id(), owner.id, slug, PageStatus.DRAFT, Plan.FREE, 1, PageContent(), NOW, NOW)
    async with sessions() as session:
        await SqlaUserRepository(session).add(owner)
        await SqlaPageRepository(session).add(page)
        await session.commit()
    return page


async def test_of_two_saves_from_the_same_version_the_second_is_refused(
    sessions: Sessions,
) -> None:
    page = await stored_page(sessions)
    async with sessions() as first, sessions() as second:
        mine = await SqlaPageRepository(first).get(page.id)
        theirs = await SqlaPageRepository(second).get(page.id)
        assert mine is not None
        assert theirs is not None
        mine.slug, theirs.slug = "first-writer", "second-writer"
        mine.touch(NOW)
        theirs.touch(NOW)

        await SqlaPageRepository(first).save(mine, expected_version=1)
        # On Postgres the second update waits for the first's row lock, then re-checks the
        # version; on SQLite it waits for the write lock. Either way it must match no row.
        late = asyncio.ensure_future(SqlaPageRepository(second).save(theirs, expected_version=1))
        await first.commit()
        with pytest.raises(VersionConflict):
            await late

    async with sessions() as session:
        stored = await SqlaPageRepository(session).get(page.id)
    assert stored is not None
    assert (stored.version, stored.slug) == (2, "first-writer")


async def test_the_database_keeps_slugs_unique(sessions: Sessions) -> None:
    await stored_page(sessions, "taken-slug")
    with pytest.raises(SlugTaken):
        await stored_page(sessions, "taken-slug")

    page = await stored_page(sessions, "free-slug")
    async with sessions() as session:
        page.slug = "taken-slug"
        page.touch(NOW)
        with pytest.raises(SlugTaken):
            await SqlaPageRepository(session).save(page, expected_version=1)


async def test_deleting_a_page_deletes_its_guests_answers_and_entries(sessions: Sessions) -> None:
    page = await stored_page(sessions)
    async with sessions() as session:
        guest = Guest(new_id(), page.id, "홍길동", Side.GROOM, None, None, new_id(), NOW)
        await SqlaGuestRepository(session).add(guest)
        await SqlaRsvpRepository(session).add(
            Rsvp(new_id(), page.id, guest.id, "홍길동", Side.GROOM, True, 2, None, None, NOW, NOW)
        )
        await SqlaGuestbookRepository(session).add(
            GuestbookEntry(new_id(), page.id, "철수", "축하해요", "hash", NOW)
        )
        await session.commit()

    async with sessions() as session:
        await SqlaPageRepository(session).delete(page.id)
        await session.commit()
        for table in (guests, rsvps, guestbook_entries):
            count = sa.select(sa.func.count()).select_from(table).where(table.c.page_id == page.id)
            assert (await session.execute(count)).scalar_one() == 0


async def test_the_history_reads_newest_first_keeps_its_limit_and_goes_with_the_page(
    sessions: Sessions,
) -> None:
    page = await stored_page(sessions)
    document = PageContent().dump()
    async with sessions() as session:
        history = SqlaPageHistory(session, keep=3)
        for number in range(1, 6):
            await history.append(
                PageVersion(page.id, number, "agent", "context", ("greeting",), NOW, document)
            )
        await session.commit()

    async with sessions() as session:
        history = SqlaPageHistory(session, keep=3)
        assert [v.version for v in await history.newest(page.id, limit=10, before=None)] == [
            5,
            4,
            3,
        ]
        assert [v.version for v in await history.newest(page.id, limit=1, before=5)] == [4]
        assert await history.get(page.id, 2) is None
        kept = await history.get(page.id, 4)
        assert kept == PageVersion(page.id, 4, "agent", "context", ("greeting",), NOW, document)
        await SqlaPageRepository(session).delete(page.id)
        await session.commit()
        left = await session.scalar(sa.select(sa.func.count()).select_from(page_versions))
    assert left == 0
