"""The invitation as an iCalendar file (RFC 5545), for "add to my calendar".

Times are written in UTC (``...Z``), which every calendar reads without a ``VTIMEZONE``
block; the calendar shows them in the guest's own zone. The ``UID`` is the page's id, so
opening the file again updates the same event, and ``SEQUENCE`` is the page's version.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mocheong_core.pages.model import Page

DURATION = timedelta(hours=2)
"""A Korean wedding: the ceremony and the meal after it."""
LINE_OCTETS = 75


def escape_text(value: str) -> str:
    """TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Splits a content line into pieces of at most 75 octets, never inside a character."""
    pieces: list[str] = []
    current, size = "", 0
    limit = LINE_OCTETS
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            pieces.append(current)
            # Continuation lines start with a space, which counts towards their 75 octets.
            current, size, limit = char, width, LINE_OCTETS - 1
        else:
            current += char
            size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def invitation_ics(page: Page, url: str, title: str) -> bytes:
    """The event of a published page; the ceremony time must be set (publishing requires it)."""
    content = page.content
    starts = content.ceremony.starts_at
    if starts is None:
        raise ValueError("a published page has a ceremony time")
    venue = content.venue
    name = " ".join(part for part in (venue.name, venue.hall) if part)
    place = ", ".join(part for part in (name, venue.address) if part)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Mocheong//Invitation//KO",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:page-{page.id}@mocheong",
        f"DTSTAMP:{utc_stamp(page.updated_at)}",
        f"SEQUENCE:{page.version}",
        f"DTSTART:{utc_stamp(starts)}",
        f"DTEND:{utc_stamp(starts + DURATION)}",
        f"SUMMARY:{escape_text(title)}",
    ]
    if place:
        lines.append(f"LOCATION:{escape_text(place)}")
    if venue.lat is not None and venue.lng is not None:
        lines.append(f"GEO:{venue.lat:.6f};{venue.lng:.6f}")
    lines += [
        f"URL:{url}",
        f"DESCRIPTION:{escape_text(url)}",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{escape_text(title)}",
        "TRIGGER:-P1D",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines).encode()
