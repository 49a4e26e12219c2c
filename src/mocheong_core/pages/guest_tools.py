"""What guests use most on their phones, as page options: how the gallery is laid out and
opened, the interactive map, the links that send money to a gift account, and the album of
the guests' own photos.

Each is its own part of the document (``gallery_view``, ``map_view``, ``guest_photos``, and
on each gift account ``kakaopay_url`` and ``toss``); ``document.py`` reads them with these
helpers.
"""

from __future__ import annotations

import enum
import re
from typing import Any
from urllib.parse import quote, urlsplit

import attrs

KAKAOPAY_URL_MAX = 200
KAKAOPAY_HOSTS = frozenset({"qr.kakaopay.com"})
"""KakaoPay's money-transfer links (송금 코드) are ``https://qr.kakaopay.com/{code}``."""
KAKAOPAY_PROBLEM = "must be a KakaoPay transfer link: https://qr.kakaopay.com/…"
_KAKAOPAY_CODE = re.compile(r"/[A-Za-z0-9_-]{4,100}/?")


class GalleryLayout(enum.StrEnum):
    GRID = "grid"
    """Three thumbnails a row."""
    SLIDE = "slide"
    """One photo at a time, swiped sideways."""


@attrs.frozen
class GalleryView:
    layout: GalleryLayout = GalleryLayout.GRID
    viewer: bool = True
    """A tap opens the photo large, to swipe through and pinch-zoom (without script, the
    photo itself opens)."""

    def dump(self) -> dict[str, Any]:
        return {"layout": self.layout.value, "viewer": self.viewer}


@attrs.frozen
class MapView:
    interactive: bool = True
    """Kakao Map's own map on the page, where the service has a Kakao JavaScript key; the link
    card and 주소 복사 are always there."""

    def dump(self) -> dict[str, Any]:
        return {"interactive": self.interactive}


@attrs.frozen
class GuestPhotos:
    enabled: bool = False
    """The guests' album (a premium feature): guests add photos from the day, the couple
    approves each before the page shows it (``mocheong_core.guests.photos``). Off hides the
    album and takes no more photos; nothing is deleted."""

    def dump(self) -> dict[str, Any]:
        return {"enabled": self.enabled}


def kakaopay_link(url: str) -> str | None:
    """``url`` when it is a KakaoPay transfer link, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme != "https" or (parts.hostname or "") not in KAKAOPAY_HOSTS:
        return None
    if parts.port is not None or parts.username or parts.password or parts.fragment:
        return None
    return url if _KAKAOPAY_CODE.fullmatch(parts.path) else None


def toss_link(bank: str, number: str) -> str:
    """Toss's transfer screen with the bank and account filled in (the app's URL scheme)."""
    digits = re.sub(r"[^0-9]", "", number)
    return f"supertoss://send?bank={quote(bank, safe='')}&accountNo={digits}&origin=qr"
