from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sqla.tables.pages import guest_photos, guestbook_entries, guests, rsvps
from mocheong_core.guests.errors import AnswerRaced
from mocheong_core.guests.model import (
    Guest,
    GuestbookEntry,
    GuestPhoto,
    Meal,
    PhotoState,
    Rsvp,
    Side,
)


async def _newest(
    session: AsyncSession, table: sa.Table, page_id: str, limit: int, before: str | None
) -> list[sa.Row[Any]]:
    query = table.select().where(table.c.page_id == page_id).order_by(table.c.id.desc())
    if before:
        query = query.where(table.c.id < before)
    return list(await session.execute(query.limit(limit)))


def _guest(row: sa.Row[Any]) -> Guest:
    return Guest(
        id=row.id,
        page_id=row.page_id,
        name=row.name,
        side=Side(row.side),
        group=row.group_name,
        phone=row.phone,
        token=row.token,
        created_at=row.created_at,
        opened_at=row.opened_at,
        responded_at=row.responded_at,
    )


class SqlaGuestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, guest: Guest) -> None:
        await self._session.execute(
            guests.insert().values(
                id=guest.id,
                page_id=guest.page_id,
                token=guest.token,
                created_at=guest.created_at,
                **self._changeable(guest),
            )
        )

    async def get(self, guest_id: str) -> Guest | None:
        row = (await self._session.execute(guests.select().where(guests.c.id == guest_id))).first()
        return _guest(row) if row else None

    async def by_token(self, page_id: str, token: str) -> Guest | None:
        query = guests.select().where(guests.c.token == token, guests.c.page_id == page_id)
        row = (await self._session.execute(query)).first()
        return _guest(row) if row else None

    async def update(self, guest: Guest) -> None:
        await self._session.execute(
            guests.update().where(guests.c.id == guest.id).values(**self._changeable(guest))
        )

    async def delete(self, guest_id: str) -> None:
        await self._session.execute(guests.delete().where(guests.c.id == guest_id))

    async def list(self, page_id: str, *, limit: int, before: str | None) -> list[Guest]:
        return [_guest(row) for row in await _newest(self._session, guests, page_id, limit, before)]

    async def count(self, page_id: str) -> int:
        query = sa.select(sa.func.count()).select_from(guests).where(guests.c.page_id == page_id)
        return int((await self._session.execute(query)).scalar_one())

    @staticmethod
    def _changeable(guest: Guest) -> dict[str, Any]:
        return {
            "name": guest.name,
            "side": guest.side.value,
            "group_name": guest.group,
            "phone": guest.phone,
            "opened_at": guest.opened_at,
            "responded_at": guest.responded_at,
        }


def _rsvp(row: sa.Row[Any]) -> Rsvp:
    return Rsvp(
        id=row.id,
        page_id=row.page_id,
        guest_id=row.guest_id,
        name=row.name,
        side=Side(row.side),
        attending=row.attending,
        party_size=row.party_size,
        meal=Meal(row.meal) if row.meal else None,
        note=row.note,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlaRsvpRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, rsvp: Rsvp) -> None:
        try:
            async with self._session.begin_nested():
                await self._session.execute(
                    rsvps.insert().values(
                        id=rsvp.id,
                        page_id=rsvp.page_id,
                        guest_id=rsvp.guest_id,
                        created_at=rsvp.created_at,
                        **self._answer(rsvp),
                    )
                )
        except IntegrityError:
            raise AnswerRaced from None

    async def update(self, rsvp: Rsvp) -> None:
        await self._session.execute(
            rsvps.update().where(rsvps.c.id == rsvp.id).values(**self._answer(rsvp))
        )

    async def by_guest(self, guest_id: str) -> Rsvp | None:
        row = (
            await self._session.execute(rsvps.select().where(rsvps.c.guest_id == guest_id))
        ).first()
        return _rsvp(row) if row else None

    async def all(self, page_id: str) -> list[Rsvp]:
        query = rsvps.select().where(rsvps.c.page_id == page_id).order_by(rsvps.c.id)
        return [_rsvp(row) for row in await self._session.execute(query)]

    async def list(self, page_id: str, *, limit: int, before: str | None) -> list[Rsvp]:
        return [_rsvp(row) for row in await _newest(self._session, rsvps, page_id, limit, before)]

    @staticmethod
    def _answer(rsvp: Rsvp) -> dict[str, Any]:
        return {
            "name": rsvp.name,
            "side": rsvp.side.value,
            "attending": rsvp.attending,
            "party_size": rsvp.party_size,
            "meal": rsvp.meal.value if rsvp.meal else None,
            "note": rsvp.note,
            "updated_at": rsvp.updated_at,
        }


def _entry(row: sa.Row[Any]) -> GuestbookEntry:
    return GuestbookEntry(
        id=row.id,
        page_id=row.page_id,
        name=row.name,
        message=row.message,
        password_hash=row.password_hash,
        created_at=row.created_at,
    )


class SqlaGuestbookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, entry: GuestbookEntry) -> None:
        await self._session.execute(
            guestbook_entries.insert().values(
                id=entry.id,
                page_id=entry.page_id,
                name=entry.name,
                message=entry.message,
                password_hash=entry.password_hash,
                created_at=entry.created_at,
            )
        )

    async def get(self, entry_id: str) -> GuestbookEntry | None:
        query = guestbook_entries.select().where(guestbook_entries.c.id == entry_id)
        row = (await self._session.execute(query)).first()
        return _entry(row) if row else None

    async def delete(self, entry_id: str) -> None:
        await self._session.execute(
            guestbook_entries.delete().where(guestbook_entries.c.id == entry_id)
        )

    async def list(self, page_id: str, *, limit: int, before: str | None) -> list[GuestbookEntry]:
        rows = await _newest(self._session, guestbook_entries, page_id, limit, before)
        return [_entry(row) for row in rows]


def _photo(row: sa.Row[Any]) -> GuestPhoto:
    return GuestPhoto(
        id=row.id,
        page_id=row.page_id,
        file_id=row.file_id,
        guest_name=row.guest_name,
        state=PhotoState(row.state),
        created_at=row.created_at,
        decided_at=row.decided_at,
    )


class SqlaGuestPhotoRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, photo: GuestPhoto) -> None:
        await self._session.execute(
            guest_photos.insert().values(
                id=photo.id,
                page_id=photo.page_id,
                file_id=photo.file_id,
                guest_name=photo.guest_name,
                state=photo.state.value,
                created_at=photo.created_at,
                decided_at=photo.decided_at,
            )
        )

    async def get(self, photo_id: str) -> GuestPhoto | None:
        query = guest_photos.select().where(guest_photos.c.id == photo_id)
        row = (await self._session.execute(query)).first()
        return _photo(row) if row else None

    async def update(self, photo: GuestPhoto) -> None:
        await self._session.execute(
            guest_photos.update()
            .where(guest_photos.c.id == photo.id)
            .values(state=photo.state.value, decided_at=photo.decided_at)
        )

    async def list(
        self, page_id: str, *, state: PhotoState | None, limit: int, before: str | None
    ) -> list[GuestPhoto]:
        query = guest_photos.select().where(guest_photos.c.page_id == page_id)
        if state is not None:
            query = query.where(guest_photos.c.state == state.value)
        if before:
            query = query.where(guest_photos.c.id < before)
        rows = await self._session.execute(query.order_by(guest_photos.c.id.desc()).limit(limit))
        return [_photo(row) for row in rows]

    async def count_kept(self, page_id: str) -> int:
        query = sa.select(sa.func.count()).where(
            guest_photos.c.page_id == page_id,
            guest_photos.c.state != PhotoState.REMOVED.value,
        )
        return int((await self._session.execute(query)).scalar_one())
