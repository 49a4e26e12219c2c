from __future__ import annotations

from typing import Protocol

from mocheong_core.guests.model import Guest, GuestbookEntry, GuestPhoto, PhotoState, Rsvp
from mocheong_core.pages.model import Page


class GuestRepository(Protocol):
    async def add(self, guest: Guest) -> None: ...

    async def get(self, guest_id: str) -> Guest | None: ...

    async def by_token(self, page_id: str, token: str) -> Guest | None: ...

    async def update(self, guest: Guest) -> None: ...

    async def delete(self, guest_id: str) -> None:
        """Removes the guest; their answer stays, no longer linked to anyone."""

    async def list(self, page_id: str, *, limit: int, before: str | None) -> list[Guest]:
        """The page's guests newest first, those with an id below ``before`` when given."""
        ...

    async def count(self, page_id: str) -> int: ...


class RsvpRepository(Protocol):
    async def add(self, rsvp: Rsvp) -> None:
        """Stores a new answer; raises ``AnswerRaced`` when the guest already has one."""

    async def update(self, rsvp: Rsvp) -> None: ...

    async def by_guest(self, guest_id: str) -> Rsvp | None: ...

    async def all(self, page_id: str) -> list[Rsvp]:
        """Every answer of the page, oldest first (for totals and the export)."""
        ...

    async def list(self, page_id: str, *, limit: int, before: str | None) -> list[Rsvp]:
        """The page's answers newest first, those with an id below ``before`` when given."""
        ...


class GuestbookRepository(Protocol):
    async def add(self, entry: GuestbookEntry) -> None: ...

    async def get(self, entry_id: str) -> GuestbookEntry | None: ...

    async def delete(self, entry_id: str) -> None: ...

    async def list(self, page_id: str, *, limit: int, before: str | None) -> list[GuestbookEntry]:
        """The page's entries newest first, those with an id below ``before`` when given."""
        ...


class GuestbookEvents(Protocol):
    """Told after an entry is added or removed and committed: the public page shows the newest
    entries, so its cached copy must go. A listener must not raise."""

    async def guestbook_changed(self, page: Page) -> None: ...


class GuestPhotoRepository(Protocol):
    async def add(self, photo: GuestPhoto) -> None: ...

    async def get(self, photo_id: str) -> GuestPhoto | None: ...

    async def update(self, photo: GuestPhoto) -> None:
        """Stores the photo's state and decision time."""

    async def list(
        self, page_id: str, *, state: PhotoState | None, limit: int, before: str | None
    ) -> list[GuestPhoto]:
        """The page's photos (in ``state`` when given) newest first, those with an id below
        ``before`` when given."""
        ...

    async def count_kept(self, page_id: str) -> int:
        """The page's photos that are pending or approved."""
        ...


class AlbumEvents(Protocol):
    """Told after a photo is approved or removed and committed: the public page shows the
    approved photos, so its cached copy must go. A listener must not raise."""

    async def album_changed(self, page: Page) -> None: ...
