"""The invitation's content: frozen value objects, and their JSON document form.

``dump()`` gives the document the API returns and the database stores; ``document.py`` reads
it back. Every field is optional while the page is a draft; publishing asks for the few that
a guest cannot do without (see ``publish_problems``).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from mocheong_core.pages.guest_tools import GalleryView, GuestPhotos, MapView
from mocheong_core.pages.occasion import AfterWedding, CalendarView, Effects, TextStyle

DEFAULT_TIME_ZONE = "Asia/Seoul"


class Theme(enum.StrEnum):
    CLASSIC = "classic"
    MODERN = "modern"
    MINIMAL = "minimal"
    ROMANTIC = "romantic"
    FLORAL = "floral"
    HANOK = "hanok"


class Relation(enum.StrEnum):
    """Whose gift account: Korean invitations list the couple's and each parent's."""

    GROOM = "groom"
    BRIDE = "bride"
    GROOM_FATHER = "groom_father"
    GROOM_MOTHER = "groom_mother"
    BRIDE_FATHER = "bride_father"
    BRIDE_MOTHER = "bride_mother"


class SectionKind(enum.StrEnum):
    """The sections of the page, in their default order."""

    COVER = "cover"
    GREETING = "greeting"
    COUPLE = "couple"
    INTERVIEW = "interview"
    CALENDAR = "calendar"
    GALLERY = "gallery"
    VIDEO = "video"
    VENUE = "venue"
    NOTICES = "notices"
    GIFT_ACCOUNTS = "gift_accounts"
    RSVP = "rsvp"
    GUESTBOOK = "guestbook"
    ENDING = "ending"


class NoticeKind(enum.StrEnum):
    """What a notice is about: the practical notes Korean invitations carry."""

    SHUTTLE = "shuttle"
    PARKING = "parking"
    WREATH = "wreath"
    """Flower wreaths (화환): usually whether the couple accepts them."""
    DRESS_CODE = "dress_code"
    MEAL = "meal"
    OTHER = "other"


@attrs.frozen
class Parent:
    name: str | None = None
    phone: str | None = None
    deceased: bool = False

    def dump(self) -> dict[str, Any]:
        return {"name": self.name, "phone": self.phone, "deceased": self.deceased}


@attrs.frozen
class Person:
    name: str | None = None
    title: str | None = None
    phone: str | None = None
    father: Parent | None = None
    mother: Parent | None = None

    def dump(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "phone": self.phone,
            "father": self.father.dump() if self.father else None,
            "mother": self.mother.dump() if self.mother else None,
        }


@attrs.frozen
class Couple:
    groom: Person = Person()
    bride: Person = Person()

    def dump(self) -> dict[str, Any]:
        return {"groom": self.groom.dump(), "bride": self.bride.dump()}


def _local_iso(moment: datetime | None, time_zone: str) -> str | None:
    # Shown in the ceremony's own zone so the text reads as the couple wrote it.
    return moment.astimezone(ZoneInfo(time_zone)).isoformat() if moment else None


@attrs.frozen
class Ceremony:
    starts_at: datetime | None = None
    time_zone: str = DEFAULT_TIME_ZONE

    def dump(self) -> dict[str, Any]:
        return {
            "starts_at": _local_iso(self.starts_at, self.time_zone),
            "time_zone": self.time_zone,
        }


@attrs.frozen
class Directions:
    subway: str | None = None
    bus: str | None = None
    car: str | None = None
    parking: str | None = None

    def dump(self) -> dict[str, Any]:
        return {"subway": self.subway, "bus": self.bus, "car": self.car, "parking": self.parking}


@attrs.frozen
class Venue:
    name: str | None = None
    hall: str | None = None
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    directions: Directions = Directions()

    def dump(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "hall": self.hall,
            "address": self.address,
            "lat": self.lat,
            "lng": self.lng,
            "directions": self.directions.dump(),
        }


@attrs.frozen
class GiftAccount:
    relation: Relation
    bank: str
    holder: str
    number: str
    kakaopay_url: str | None = None
    """A KakaoPay transfer link (``guest_tools.kakaopay_link``), shown beside 복사."""
    toss: bool = False
    """Shows a Toss link that opens the transfer with this bank and number filled in."""

    def dump(self) -> dict[str, Any]:
        return {
            "relation": self.relation.value,
            "bank": self.bank,
            "holder": self.holder,
            "number": self.number,
            "kakaopay_url": self.kakaopay_url,
            "toss": self.toss,
        }


@attrs.frozen
class Music:
    file_id: str | None = None
    autoplay: bool = False

    def dump(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "autoplay": self.autoplay}


@attrs.frozen
class Section:
    kind: SectionKind
    visible: bool = True

    def dump(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "visible": self.visible}


DEFAULT_SECTIONS = tuple(Section(kind) for kind in SectionKind)


@attrs.frozen
class RsvpSettings:
    enabled: bool = True
    deadline: datetime | None = None
    ask_meal: bool = False
    prompt: bool = False
    """Ask each guest once, as the page opens, whether they come."""
    button: bool = False
    """A sticky RSVP button at the bottom of the screen while answers are taken."""

    def is_open(self, now: datetime) -> bool:
        return self.enabled and (self.deadline is None or now <= self.deadline)


@attrs.frozen
class Share:
    title: str | None = None
    description: str | None = None
    image_file_id: str | None = None
    buttons: bool = True
    """The page's share buttons: KakaoTalk (with the service's Kakao key), link copy and the
    phone's own share sheet."""

    def dump(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "image_file_id": self.image_file_id,
            "buttons": self.buttons,
        }


@attrs.frozen
class InterviewAnswer:
    """One question the couple answers (신랑 신부 인터뷰)."""

    question: str
    answer: str

    def dump(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.answer}


@attrs.frozen
class Notice:
    kind: NoticeKind
    title: str | None
    """None shows the kind's own heading."""
    body: str

    def dump(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "title": self.title, "body": self.body}


@attrs.frozen
class Video:
    url: str | None = None
    """An https YouTube or Vimeo link (see ``video.py``)."""

    def dump(self) -> dict[str, Any]:
        return {"url": self.url}


@attrs.frozen
class PageContent:
    couple: Couple = Couple()
    ceremony: Ceremony = Ceremony()
    venue: Venue = Venue()
    greeting: str | None = None
    cover_file_id: str | None = None
    gallery: tuple[str, ...] = ()
    gift_accounts: tuple[GiftAccount, ...] = ()
    theme: Theme = Theme.CLASSIC
    music: Music = Music()
    sections: tuple[Section, ...] = DEFAULT_SECTIONS
    rsvp: RsvpSettings = RsvpSettings()
    share: Share = Share()
    interview: tuple[InterviewAnswer, ...] = ()
    notices: tuple[Notice, ...] = ()
    video: Video = Video()
    ending: str | None = None
    gallery_view: GalleryView = attrs.field(factory=GalleryView)
    map_view: MapView = attrs.field(factory=MapView)
    text: TextStyle = attrs.field(factory=TextStyle)
    after_wedding: AfterWedding = attrs.field(factory=AfterWedding)
    effects: Effects = attrs.field(factory=Effects)
    calendar_view: CalendarView = attrs.field(factory=CalendarView)
    guest_photos: GuestPhotos = attrs.field(factory=GuestPhotos)

    def dump(self) -> dict[str, Any]:
        """The document: every field present, in the contract's order."""
        zone = self.ceremony.time_zone
        return {
            "couple": self.couple.dump(),
            "ceremony": self.ceremony.dump(),
            "venue": self.venue.dump(),
            "greeting": self.greeting,
            "cover_file_id": self.cover_file_id,
            "gallery": list(self.gallery),
            "gift_accounts": [account.dump() for account in self.gift_accounts],
            "theme": self.theme.value,
            "music": self.music.dump(),
            "sections": [section.dump() for section in self.sections],
            "rsvp": {
                "enabled": self.rsvp.enabled,
                "deadline": _local_iso(self.rsvp.deadline, zone),
                "ask_meal": self.rsvp.ask_meal,
                "prompt": self.rsvp.prompt,
                "button": self.rsvp.button,
            },
            "share": self.share.dump(),
            "interview": [item.dump() for item in self.interview],
            "notices": [notice.dump() for notice in self.notices],
            "video": self.video.dump(),
            "ending": self.ending,
            "gallery_view": self.gallery_view.dump(),
            "map_view": self.map_view.dump(),
            "text": self.text.dump(),
            "after_wedding": self.after_wedding.dump(),
            "effects": self.effects.dump(),
            "calendar_view": self.calendar_view.dump(),
            "guest_photos": self.guest_photos.dump(),
        }


CONTENT_FIELDS = tuple(attrs.fields_dict(PageContent))
