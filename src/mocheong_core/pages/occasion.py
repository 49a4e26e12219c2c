"""How the page reads and moves, and what it becomes after the wedding, as page options.

- ``text``: the typeface (the product's own Korean web fonts) and a text scale, for guests of
  every age;
- ``after_wedding``: from the ceremony plus ``hours`` the page thanks the guests (a message
  with chosen photos), closes, or stays as it was;
- ``effects``: falling petals or snow and an opening line on the cover, off by default;
- ``calendar_view``: the live countdown beside the D-day.

The RSVP prompt on opening and the sticky RSVP button are ``rsvp.prompt`` and ``rsvp.button``.
``document.py`` reads each part with ``read_*`` below.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

import attrs

from mocheong_core.pages.reader import DocumentReader, at

TEXT_SCALES = (1.0, 1.15, 1.3)
AFTER_HOURS_DEFAULT = 6
AFTER_HOURS_MAX = 24 * 14
OPENING_MAX = 60


class Font(enum.StrEnum):
    SYSTEM = "system"
    """The phone's own sans-serif."""
    MYEONGJO = "myeongjo"
    """Nanum Myeongjo, a serif (명조체)."""
    GOTHIC = "gothic"
    """Nanum Gothic, a sans-serif (고딕체)."""


class AfterMode(enum.StrEnum):
    STAY = "stay"
    THANKS = "thanks"
    LOCK = "lock"


class Falling(enum.StrEnum):
    NONE = "none"
    PETALS = "petals"
    SNOW = "snow"


@attrs.frozen
class TextStyle:
    font: Font = Font.SYSTEM
    scale: float = 1.0

    def dump(self) -> dict[str, Any]:
        return {"font": self.font.value, "scale": self.scale}


@attrs.frozen
class AfterWedding:
    mode: AfterMode = AfterMode.STAY
    hours: int = AFTER_HOURS_DEFAULT
    """Hours after the ceremony's start when the page switches."""
    message: str | None = None
    """The thank-you message; None shows a default one."""
    photos: tuple[str, ...] = ()

    def switches_at(self, starts_at: datetime | None) -> datetime | None:
        """When the page changes, or None when it never does."""
        if self.mode is AfterMode.STAY or starts_at is None:
            return None
        return starts_at + timedelta(hours=self.hours)

    def locks_at(self, starts_at: datetime | None) -> datetime | None:
        """When the page closes to its guests, or None when it never does."""
        return self.switches_at(starts_at) if self.mode is AfterMode.LOCK else None

    def mode_at(self, starts_at: datetime | None, now: datetime) -> AfterMode:
        switch = self.switches_at(starts_at)
        return self.mode if switch is not None and now >= switch else AfterMode.STAY

    def dump(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "hours": self.hours,
            "message": self.message,
            "photos": list(self.photos),
        }


@attrs.frozen
class Effects:
    falling: Falling = Falling.NONE
    opening: str | None = None
    """A line shown over the cover as the page opens."""

    def dump(self) -> dict[str, Any]:
        return {"falling": self.falling.value, "opening": self.opening}


@attrs.frozen
class CalendarView:
    countdown: bool = True
    """Days, hours and minutes to the ceremony beside the D-day, ticking with script."""

    def dump(self) -> dict[str, Any]:
        return {"countdown": self.countdown}


def read_text_style(r: DocumentReader, value: Any) -> TextStyle:
    doc = r.fields(value, "text", ("font", "scale")) or {}
    scale = r.number(doc.get("scale"), "text.scale", low=TEXT_SCALES[0], high=TEXT_SCALES[-1])
    if scale is not None and scale not in TEXT_SCALES:
        r.fail("text.scale", "must be one of: " + ", ".join(f"{s:g}" for s in TEXT_SCALES))
        scale = None
    return TextStyle(
        font=r.choice(doc.get("font"), "text.font", Font) or Font.SYSTEM,
        scale=scale or 1.0,
    )


def read_after_wedding(
    r: DocumentReader, value: Any, *, message_max: int, photos_max: int
) -> AfterWedding:
    path = "after_wedding"
    doc = r.fields(value, path, ("mode", "hours", "message", "photos")) or {}
    photos: list[str] = []
    items = r.items(doc.get("photos"), at(path, "photos"), max_items=photos_max)
    for index, item in enumerate(items):
        item_path = at(at(path, "photos"), index)
        file_id = r.file_id(item, item_path) if item is not None else None
        if item is None:
            r.fail(item_path, "must be a file id")
        elif file_id in photos:
            r.fail(item_path, "appears twice")
        elif file_id is not None:
            photos.append(file_id)
    hours = r.integer(doc.get("hours"), at(path, "hours"), low=0, high=AFTER_HOURS_MAX)
    return AfterWedding(
        mode=r.choice(doc.get("mode"), at(path, "mode"), AfterMode) or AfterMode.STAY,
        hours=AFTER_HOURS_DEFAULT if hours is None else hours,
        message=r.text(
            doc.get("message"), at(path, "message"), max_len=message_max, multiline=True
        ),
        photos=tuple(photos),
    )


def read_effects(r: DocumentReader, value: Any) -> Effects:
    doc = r.fields(value, "effects", ("falling", "opening")) or {}
    return Effects(
        falling=r.choice(doc.get("falling"), "effects.falling", Falling) or Falling.NONE,
        opening=r.text(doc.get("opening"), "effects.opening", max_len=OPENING_MAX),
    )


def read_calendar_view(r: DocumentReader, value: Any) -> CalendarView:
    doc = r.fields(value, "calendar_view", ("countdown",)) or {}
    return CalendarView(r.boolean(doc.get("countdown"), "calendar_view.countdown", True))
