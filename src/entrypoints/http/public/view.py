"""What the public invitation page shows, worked out from the page, its files and guestbook at
one moment: the template only lays it out.

The D-day is computed here, on the server, in the ceremony's time zone. The rendered page is
therefore only right until the next local midnight (or until the RSVP deadline passes), which
``valid_until`` states so the cache can drop it then.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import attrs

from entrypoints.http.public.share_image import share_image_name, share_source
from mocheong_core.files.model import SHARE_IMAGE_SIZE, FileView
from mocheong_core.guests.model import GuestbookEntry
from mocheong_core.pages.content import (
    GiftAccount,
    NoticeKind,
    Parent,
    Person,
    Relation,
    SectionKind,
)
from mocheong_core.pages.dates import rsvp_closes_at, rsvp_open
from mocheong_core.pages.maplinks import Attribution, MapLinks, map_links
from mocheong_core.pages.model import Page
from mocheong_core.pages.occasion import AfterMode, Falling
from mocheong_core.pages.plan import shows_branding, shows_music
from mocheong_core.pages.video import VideoLink, video_link

WEEKDAYS = ("월", "화", "수", "목", "금", "토", "일")
RELATION_LABELS = {
    Relation.GROOM: "신랑",
    Relation.GROOM_FATHER: "신랑 아버지",
    Relation.GROOM_MOTHER: "신랑 어머니",
    Relation.BRIDE: "신부",
    Relation.BRIDE_FATHER: "신부 아버지",
    Relation.BRIDE_MOTHER: "신부 어머니",
}
NOTICE_LABELS = {
    NoticeKind.SHUTTLE: "셔틀버스 안내",
    NoticeKind.PARKING: "주차 안내",
    NoticeKind.WREATH: "화환 안내",
    NoticeKind.DRESS_CODE: "드레스 코드",
    NoticeKind.MEAL: "식사 안내",
    NoticeKind.OTHER: "안내 말씀",
}
GROOM_SIDE = (Relation.GROOM, Relation.GROOM_FATHER, Relation.GROOM_MOTHER)
BRIDE_SIDE = (Relation.BRIDE, Relation.BRIDE_FATHER, Relation.BRIDE_MOTHER)
SMALL_WIDTH = 480
LARGE_WIDTH = 1280
KAKAO_MAP_SDK = "https://dapi.kakao.com/v2/maps/sdk.js?autoload=false&appkey="
KAKAO_SHARE_SDK = "https://t1.kakaocdn.net/kakao_js_sdk/2.7.4/kakao.min.js"
# What Kakao's scripts load: the SDKs, the map's own scripts and its tiles.
KAKAO_MAP_SCRIPTS = ("https://dapi.kakao.com", "https://t1.daumcdn.net")
KAKAO_MAP_IMAGES = ("https://*.daumcdn.net",)
KAKAO_SHARE_SCRIPTS = ("https://t1.kakaocdn.net",)
KAKAO_SHARE_CONNECTS = ("https://*.kakao.com",)


@attrs.frozen
class Image:
    src: str
    srcset: str | None
    large: str
    """The biggest web copy (or the original), for opening one photo full size."""


@attrs.frozen
class AlbumPhoto:
    """A guest's approved photo: its image and who sent it."""

    image: Image
    by: str | None


@attrs.frozen
class Album:
    """The guests' album: the newest approved photos, and whether guests may add more."""

    photos: list[AlbumPhoto]
    cursor: str | None
    open: bool
    max_bytes: int
    after: str
    """The section the album follows: the gallery, else the thank-you message, else the last."""

    @property
    def max_mb(self) -> str:
        return f"{self.max_bytes / 1_048_576:.1f}".removesuffix(".0")


@attrs.frozen
class Contact:
    label: str
    name: str
    tel: str
    sms: str


@attrs.frozen
class PersonView:
    role: str
    name: str
    title: str | None
    parents: str | None
    """``아버지 · 어머니``, a deceased parent marked 故, as the line before the name."""


@attrs.frozen
class AccountGroup:
    title: str
    accounts: list[tuple[str, GiftAccount]]


@attrs.frozen
class CalendarMonth:
    title: str
    weeks: list[list[int | None]]
    """Weeks from Sunday, as Korean calendars print them; None pads the first and last."""
    day: int


@attrs.frozen
class DDay:
    days: int

    @property
    def label(self) -> str:
        if self.days > 0:
            return f"D-{self.days}"
        return "D-DAY" if self.days == 0 else f"D+{-self.days}"


@attrs.frozen
class Countdown:
    """Time left to the ceremony when rendered; the page's script keeps it ticking."""

    target: str
    """The ceremony's start, ISO 8601, for the script."""
    days: int
    hours: int
    minutes: int


def countdown_to(starts: datetime, now: datetime) -> Countdown | None:
    left = int((starts - now).total_seconds()) // 60
    if left <= 0:
        return None
    return Countdown(starts.isoformat(), left // 1440, left // 60 % 24, left % 60)


@attrs.frozen
class KakaoMap:
    sdk: str
    """The Kakao Map SDK's URL with the service's JavaScript key."""
    lat: float
    lng: float


@attrs.frozen
class KakaoShare:
    sdk: str
    key: str


@attrs.frozen
class EntryView:
    id: str
    name: str
    message: str
    date: str


@attrs.frozen
class NoticeView:
    kind: str
    title: str
    body: str


@attrs.frozen
class PublicPageView:
    page: Page
    url: str
    api: str
    title: str
    description: str
    share_image: str
    """The preview JPEG's absolute URL (``share_image.py``), ``SHARE_IMAGE_SIZE`` large."""
    share_size: tuple[int, int]
    sections: list[str]
    """The kinds of section shown, in order; after the wedding in thanks mode, the cover,
    ``thanks`` and the guestbook."""
    when: str | None
    calendar: CalendarMonth | None
    dday: DDay | None
    people: list[PersonView]
    contacts: list[Contact]
    venue_line: str | None
    links: MapLinks | None
    map_credit: Attribution | None
    """The geocoder's credit, shown with the map links when the venue has coordinates."""
    cover: Image | None
    gallery: list[Image]
    music: str | None
    accounts: list[AccountGroup]
    rsvp_open: bool
    rsvp_deadline: str | None
    entries: list[EntryView]
    entries_cursor: str | None
    json_ld: dict[str, Any]
    valid_until: datetime
    asset_origins: list[str]
    """Origins other than the page's own that its images and music come from (for the CSP)."""
    notices: list[NoticeView]
    video: VideoLink | None
    frame_origins: list[str]
    """The video player's origin when the page shows a video (the CSP's ``frame-src``)."""
    branding: bool
    """The 'made with Mocheong' footer: on every page but a premium one."""
    kakao_map: KakaoMap | None = None
    """Kakao Map's own map: with a Kakao JavaScript key, coordinates and ``map_view`` on."""
    kakao_share: KakaoShare | None = None
    """The KakaoTalk share button: with a Kakao JavaScript key and ``share.buttons`` on."""
    script_origins: list[str] = attrs.field(factory=list)
    """Origins of the Kakao scripts the page loads (the CSP's ``script-src``)."""
    connect_origins: list[str] = attrs.field(factory=list)
    """Origins the Kakao share SDK talks to (the CSP's ``connect-src``)."""
    after: AfterMode = AfterMode.STAY
    """What the page is now: as it was, thanking the guests, or closed."""
    thanks: str = ""
    thanks_photos: list[Image] = attrs.field(factory=list)
    countdown: Countdown | None = None
    rsvp_prompt: bool = False
    """Ask once on opening (the page's script, remembered per browser)."""
    rsvp_button: bool = False
    falling: list[int] = attrs.field(factory=list)
    """One entry per falling petal or snowflake (none when the effect is off)."""
    album: Album | None = None
    """The guests' album, when the page shows one."""


DEFAULT_THANKS = (
    "저희 두 사람의 결혼식에 함께해 주셔서 진심으로 감사드립니다.\n"
    "보내 주신 축하와 마음 잊지 않고 예쁘게 살겠습니다."
)
FALLING_COUNT = 14
THANKS_SECTIONS = (SectionKind.COVER, "thanks", SectionKind.GUESTBOOK)


def absolute(url: str, origin: str) -> str:
    # Local storage signs paths on this API's own origin; S3 URLs are already absolute.
    return origin + url if url.startswith("/") else url


def local_when(moment: datetime) -> str:
    """``2027년 5월 15일 토요일 오후 1시 30분`` in the moment's own zone."""
    hour = moment.hour % 12 or 12
    noon = "오전" if moment.hour < 12 else "오후"
    minutes = f" {moment.minute}분" if moment.minute else ""
    return (
        f"{moment.year}년 {moment.month}월 {moment.day}일 {WEEKDAYS[moment.weekday()]}요일 "
        f"{noon} {hour}시{minutes}"
    )


def month_of(day: datetime) -> CalendarMonth:
    weeks = calendar.Calendar(firstweekday=calendar.SUNDAY).monthdayscalendar(day.year, day.month)
    return CalendarMonth(
        title=f"{day.year}년 {day.month}월",
        weeks=[[d or None for d in week] for week in weeks],
        day=day.day,
    )


def next_midnight(now: datetime, zone: ZoneInfo) -> datetime:
    today = now.astimezone(zone).date()
    return datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)


def phone_digits(phone: str) -> str:
    return re.sub(r"[^0-9+]", "", phone)


def image_of(view: FileView) -> Image:
    variants = view.variant_urls
    small = variants.get(SMALL_WIDTH)
    large = variants.get(LARGE_WIDTH) or (max(variants.items())[1] if variants else view.url)
    srcset = ", ".join(f"{url} {width}w" for width, url in sorted(variants.items())) or None
    return Image(src=small or large, srcset=srcset, large=large)


def _parents_line(person: Person) -> str | None:
    def named(parent: Parent | None) -> str | None:
        if parent is None or not parent.name:
            return None
        return f"故 {parent.name}" if parent.deceased else parent.name

    names = [n for n in (named(person.father), named(person.mother)) if n]
    return " · ".join(names) or None


def _contacts(role: str, person: Person) -> list[Contact]:
    found = [(role, person.name, person.phone)]
    for label, parent in (("아버지", person.father), ("어머니", person.mother)):
        if parent is not None and not parent.deceased:
            found.append((f"{role} {label}", parent.name, parent.phone))
    return [
        Contact(label, name or label, f"tel:{phone_digits(phone)}", f"sms:{phone_digits(phone)}")
        for label, name, phone in found
        if phone
    ]


def _accounts(accounts: Sequence[GiftAccount]) -> list[AccountGroup]:
    groups = []
    for title, side in (("신랑측", GROOM_SIDE), ("신부측", BRIDE_SIDE)):
        mine = [(RELATION_LABELS[a.relation], a) for a in accounts if a.relation in side]
        if mine:
            groups.append(AccountGroup(title, mine))
    return groups


def _origins(urls: Sequence[str]) -> list[str]:
    found = set()
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            found.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(found)


def share_title(page: Page) -> str:
    couple = page.content.couple
    names = " ♥ ".join(n for n in (couple.groom.name, couple.bride.name) if n)
    return page.content.share.title or f"{names} 결혼합니다"


def build_view(
    page: Page,
    files: Mapping[str, FileView],
    entries: Sequence[GuestbookEntry],
    entries_cursor: str | None,
    *,
    origin: str,
    now: datetime,
    map_credit: Attribution | None = None,
    kakao_js_key: str = "",
    album: AlbumContent | None = None,
) -> PublicPageView:
    """Everything the template shows; ``origin`` is the page's scheme and host, no slash;
    ``map_credit`` the attribution of the geocoder that gives venues their coordinates;
    ``kakao_js_key`` the service's Kakao JavaScript key, empty without one; ``album`` the
    guests' approved photos when the page shows its album."""
    content = page.content
    zone = ZoneInfo(content.ceremony.time_zone)
    groom, bride = content.couple.groom, content.couple.bride
    url = f"{origin}/i/{page.slug}"
    starts = content.ceremony.starts_at.astimezone(zone) if content.ceremony.starts_at else None
    venue = content.venue
    venue_line = " ".join(p for p in (venue.name, venue.hall) if p) or None

    cover = files.get(content.cover_file_id or "")
    gallery = [image_of(files[i]) for i in content.gallery if i in files]
    share_image = f"{url}/{share_image_name(share_source(content, files))}"
    music_file = files.get(content.music.file_id or "")
    # Only sound is played: a music id naming a photo or a PDF shows no player.
    is_audio = music_file is not None and music_file.record.content_type.startswith("audio/")
    music = music_file.url if music_file and is_audio and shows_music(page.plan) else None

    when = local_when(starts) if starts else None
    title = share_title(page)
    description = content.share.description or " · ".join(p for p in (when, venue_line) if p)

    rsvp = content.rsvp
    valid_until = next_midnight(now, zone)
    closes_at = rsvp_closes_at(content)
    if rsvp.enabled and closes_at is not None and now < closes_at < valid_until:
        valid_until = closes_at
    after = content.after_wedding
    switch = after.switches_at(content.ceremony.starts_at)
    if switch is not None and now < switch < valid_until:
        valid_until = switch
    mode = after.mode_at(content.ceremony.starts_at, now)

    video = video_link(content.video.url) if content.video.url else None
    visible: list[str] = [s.kind for s in content.sections if s.visible]
    if mode is AfterMode.THANKS:
        visible = [k for k in THANKS_SECTIONS if k == "thanks" or k in visible]
    thanks_photos = [image_of(files[i]) for i in after.photos if i in files]
    open_for_rsvp = rsvp_open(content, now) and SectionKind.RSVP in visible and rsvp.enabled
    today = now.astimezone(zone).date()
    kakao_map, kakao_share, script_origins = _kakao(page, kakao_js_key, visible)
    album_view = _album(album, visible) if album else None
    album_images = [photo.image for photo in album_view.photos] if album_view else []
    all_urls = [music or ""]
    for image in [*gallery, *thanks_photos, *album_images, *([image_of(cover)] if cover else [])]:
        all_urls += [image.src, image.large]
    return PublicPageView(
        page=page,
        url=url,
        api=f"/api/public/pages/{page.slug}",
        title=title,
        description=description,
        share_image=share_image,
        share_size=SHARE_IMAGE_SIZE,
        sections=visible,
        when=when,
        calendar=month_of(starts) if starts else None,
        dday=DDay((starts.date() - today).days) if starts else None,
        people=[
            PersonView("신랑", groom.name or "", groom.title, _parents_line(groom)),
            PersonView("신부", bride.name or "", bride.title, _parents_line(bride)),
        ],
        contacts=_contacts("신랑", groom) + _contacts("신부", bride),
        venue_line=venue_line,
        links=map_links(venue, app_name=url),
        map_credit=map_credit if venue.lat is not None and venue.lng is not None else None,
        cover=image_of(cover) if cover else None,
        gallery=gallery,
        music=music,
        branding=shows_branding(page.plan),
        accounts=_accounts(content.gift_accounts),
        rsvp_open=rsvp_open(content, now),
        rsvp_deadline=local_when(rsvp.deadline.astimezone(zone)) if rsvp.deadline else None,
        entries=[
            EntryView(e.id, e.name, e.message, e.created_at.astimezone(zone).strftime("%Y.%m.%d"))
            for e in entries
        ],
        entries_cursor=entries_cursor,
        json_ld=event_json_ld(page, title, description, url, share_image, starts),
        valid_until=valid_until,
        asset_origins=_origins(all_urls) + (list(KAKAO_MAP_IMAGES) if kakao_map else []),
        notices=[
            NoticeView(n.kind.value, n.title or NOTICE_LABELS[n.kind], n.body)
            for n in content.notices
        ],
        video=video,
        # Only a page that shows its video lets a player in.
        frame_origins=[video.player_origin] if video and SectionKind.VIDEO in visible else [],
        kakao_map=kakao_map,
        kakao_share=kakao_share,
        script_origins=script_origins,
        connect_origins=list(KAKAO_SHARE_CONNECTS) if kakao_share else [],
        after=mode,
        thanks=after.message or DEFAULT_THANKS,
        thanks_photos=thanks_photos,
        countdown=countdown_to(starts, now) if starts and content.calendar_view.countdown else None,
        rsvp_prompt=open_for_rsvp and rsvp.prompt,
        rsvp_button=open_for_rsvp and rsvp.button,
        falling=list(range(FALLING_COUNT)) if content.effects.falling is not Falling.NONE else [],
        album=album_view,
    )


@attrs.frozen
class AlbumContent:
    """What the page's album shows: approved photos with their files, newest first."""

    photos: Sequence[tuple[str | None, FileView]]
    """(who sent it, its file) per photo."""
    cursor: str | None
    open: bool
    max_bytes: int


def _album(album: AlbumContent, visible: Sequence[str]) -> Album:
    after = next((k for k in (SectionKind.GALLERY, "thanks") if k in visible), None)
    return Album(
        photos=[AlbumPhoto(image_of(file), by) for by, file in album.photos],
        cursor=album.cursor,
        open=album.open,
        max_bytes=album.max_bytes,
        after=str(after or (visible[-1] if visible else "")),
    )


def _kakao(
    page: Page, key: str, visible: Sequence[str]
) -> tuple[KakaoMap | None, KakaoShare | None, list[str]]:
    """Kakao's map and share button, where the service has a key and the page wants them."""
    content = page.content
    venue = content.venue
    kakao_map = None
    if (
        key
        and content.map_view.interactive
        and SectionKind.VENUE in visible
        and venue.lat is not None
        and venue.lng is not None
    ):
        kakao_map = KakaoMap(KAKAO_MAP_SDK + quote(key, safe=""), venue.lat, venue.lng)
    kakao_share = KakaoShare(KAKAO_SHARE_SDK, key) if key and content.share.buttons else None
    origins = (list(KAKAO_MAP_SCRIPTS) if kakao_map else []) + (
        list(KAKAO_SHARE_SCRIPTS) if kakao_share else []
    )
    return kakao_map, kakao_share, origins


def event_json_ld(
    page: Page,
    title: str,
    description: str,
    url: str,
    image: str | None,
    starts: datetime | None,
) -> dict[str, Any]:
    """A schema.org ``Event``, for search engines and link previews that read JSON-LD."""
    venue = page.content.venue
    event: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": title,
        "description": description,
        "url": url,
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
    }
    if starts is not None:
        event["startDate"] = starts.isoformat()
    if venue.name or venue.address:
        place: dict[str, Any] = {
            "@type": "Place",
            "name": " ".join(p for p in (venue.name, venue.hall) if p) or venue.address,
        }
        if venue.address:
            place["address"] = {"@type": "PostalAddress", "streetAddress": venue.address}
        if venue.lat is not None and venue.lng is not None:
            place["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": venue.lat,
                "longitude": venue.lng,
            }
        event["location"] = place
    if image:
        event["image"] = [image]
    return event
