from __future__ import annotations

import enum
from datetime import datetime

import attrs

GUEST_NAME_MAX = 30
GUEST_GROUP_MAX = 30
RSVP_NAME_MAX = 30
RSVP_NOTE_MAX = 500
GUESTBOOK_NAME_MAX = 20
GUESTBOOK_MESSAGE_MAX = 200
GUESTBOOK_PASSWORD_MIN = 4
GUESTBOOK_PASSWORD_MAX = 64
GUEST_PHOTO_NAME_MAX = 20


class Side(enum.StrEnum):
    GROOM = "groom"
    BRIDE = "bride"


class Meal(enum.StrEnum):
    """Korean receptions serve one meal: the question is whether the guest will eat."""

    YES = "yes"
    NO = "no"
    UNDECIDED = "undecided"


class PhotoState(enum.StrEnum):
    """A guest's photo waits for the couple, who approve it (the page shows it) or remove it
    (its bytes are deleted, the row stays so the decision is kept)."""

    PENDING = "pending"
    APPROVED = "approved"
    REMOVED = "removed"


@attrs.frozen
class AlbumPolicy:
    max_bytes: int = 10 * 1_048_576
    """Largest photo a guest may send (the couple's own uploads have their own cap)."""
    photos_max: int = 300
    """Most photos one page's album holds, pending and approved together."""


@attrs.frozen
class GuestsPolicy:
    party_size_max: int = 10
    guests_max: int = 2000


@attrs.define
class Guest:
    id: str
    page_id: str
    name: str
    side: Side
    group: str | None
    phone: str | None
    token: str
    """The secret in the guest's personal link ``/i/{slug}?g={token}``."""
    created_at: datetime
    opened_at: datetime | None = None
    """When the guest first opened their personal link."""
    responded_at: datetime | None = None
    """When the guest last answered the RSVP through their link."""


@attrs.define
class Rsvp:
    id: str
    page_id: str
    guest_id: str | None
    name: str
    side: Side
    attending: bool
    party_size: int
    meal: Meal | None
    note: str | None
    created_at: datetime
    updated_at: datetime


@attrs.define
class GuestbookEntry:
    id: str
    page_id: str
    name: str
    message: str
    password_hash: str
    created_at: datetime


@attrs.define
class GuestPhoto:
    id: str
    page_id: str
    file_id: str
    """The photo as a file of the page's owner (``mocheong_core.files``): its bytes, type,
    size and web variants."""
    guest_name: str | None
    """Who sent it, as they typed it; None when they left it out."""
    state: PhotoState
    created_at: datetime
    decided_at: datetime | None = None
    """When the couple approved or removed it."""


@attrs.define
class Tally:
    """Answers of one side (or all): headcount and meals count only those who come."""

    responses: int = 0
    attending: int = 0
    declined: int = 0
    headcount: int = 0
    meals: dict[str, int] = attrs.Factory(
        lambda: {meal.value: 0 for meal in Meal} | {"unspecified": 0}
    )

    def count(self, rsvp: Rsvp) -> None:
        self.responses += 1
        if not rsvp.attending:
            self.declined += 1
            return
        self.attending += 1
        self.headcount += rsvp.party_size
        self.meals[rsvp.meal.value if rsvp.meal else "unspecified"] += rsvp.party_size


@attrs.frozen
class RsvpSummary:
    total: Tally
    by_side: dict[Side, Tally]

    @classmethod
    def of(cls, rsvps: list[Rsvp]) -> RsvpSummary:
        total, by_side = Tally(), {side: Tally() for side in Side}
        for rsvp in rsvps:
            total.count(rsvp)
            by_side[rsvp.side].count(rsvp)
        return cls(total, by_side)
