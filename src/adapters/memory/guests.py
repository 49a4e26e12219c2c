"""In-memory twins of the guest, RSVP, guestbook and guest photo repositories (copies in,
copies out)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar, cast

from mocheong_core.guests.errors import AnswerRaced
from mocheong_core.guests.model import Guest, GuestbookEntry, GuestPhoto, PhotoState, Rsvp
from mocheong_core.pages.model import Page


class _Row(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def page_id(self) -> str: ...


R = TypeVar("R", bound=_Row)


class _Store(Generic[R]):
    def __init__(self) -> None:
        self._rows: dict[str, R] = {}

    def snapshot(self) -> object:
        return {key: copy.copy(row) for key, row in self._rows.items()}

    def restore(self, state: object) -> None:
        self._rows = {k: copy.copy(r) for k, r in cast(dict[str, R], state).items()}

    def _put(self, row: R) -> None:
        self._rows[row.id] = copy.copy(row)

    def _find(self, match: Callable[[R], bool]) -> R | None:
        for row in self._rows.values():
            if match(row):
                return copy.copy(row)
        return None

    def _newest(self, page_id: str, limit: int, before: str | None) -> list[R]:
        ids = sorted(
            (
                key
                for key, row in self._rows.items()
                if row.page_id == page_id and (before is None or key < before)
            ),
            reverse=True,
        )
        return [copy.copy(self._rows[key]) for key in ids[:limit]]

    async def get(self, row_id: str) -> R | None:
        return self._find(lambda row: row.id == row_id)

    async def delete(self, row_id: str) -> None:
        self._rows.pop(row_id, None)


class InMemoryGuestRepository(_Store[Guest]):
    async def add(self, guest: Guest) -> None:
        self._put(guest)

    async def by_token(self, page_id: str, token: str) -> Guest | None:
        return self._find(lambda g: g.page_id == page_id and g.token == token)

    async def update(self, guest: Guest) -> None:
        if guest.id in self._rows:
            self._put(guest)

    async def list(self, page_id: str, *, limit: int, before: str | None) -> list[Guest]:
        return self._newest(page_id, limit, before)

    async def count(self, page_id: str) -> int:
        return sum(1 for guest in self._rows.values() if guest.page_id == page_id)


class InMemoryRsvpRepository(_Store[Rsvp]):
    async def add(self, rsvp: Rsvp) -> None:
        if rsvp.guest_id is not None and await self.by_guest(rsvp.guest_id) is not None:
            raise AnswerRaced
        self._put(rsvp)

    async def update(self, rsvp: Rsvp) -> None:
        if rsvp.id in self._rows:
            self._put(rsvp)

    async def by_guest(self, guest_id: str) -> Rsvp | None:
        return self._find(lambda rsvp: rsvp.guest_id == guest_id)

    async def all(self, page_id: str) -> list[Rsvp]:
        return list(reversed(self._newest(page_id, len(self._rows), None)))

    async def list(self, page_id: str, *, limit: int, before: str | None) -> list[Rsvp]:
        return self._newest(page_id, limit, before)


class InMemoryGuestbookRepository(_Store[GuestbookEntry]):
    async def add(self, entry: GuestbookEntry) -> None:
        self._put(entry)

    async def list(self, page_id: str, *, limit: int, before: str | None) -> list[GuestbookEntry]:
        return self._newest(page_id, limit, before)


class InMemoryGuestPhotoRepository(_Store[GuestPhoto]):
    async def add(self, photo: GuestPhoto) -> None:
        self._put(photo)

    async def update(self, photo: GuestPhoto) -> None:
        if photo.id in self._rows:
            self._put(photo)

    async def list(
        self, page_id: str, *, state: PhotoState | None, limit: int, before: str | None
    ) -> list[GuestPhoto]:
        found = self._newest(page_id, len(self._rows), before)
        return [photo for photo in found if state is None or photo.state is state][:limit]

    async def count_kept(self, page_id: str) -> int:
        return sum(
            1
            for photo in self._rows.values()
            if photo.page_id == page_id and photo.state is not PhotoState.REMOVED
        )


class InMemoryAlbumEvents:
    """Remembers the slugs of the pages whose album changed, for tests to read."""

    def __init__(self) -> None:
        self.slugs: list[str] = []

    async def album_changed(self, page: Page) -> None:
        self.slugs.append(page.slug)


class InMemoryGuestbookEvents:
    """Remembers the slugs of the pages whose guestbook changed, for tests to read."""

    def __init__(self) -> None:
        self.slugs: list[str] = []

    async def guestbook_changed(self, page: Page) -> None:
        self.slugs.append(page.slug)
