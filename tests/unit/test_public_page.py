"""The public page's pure parts: map links, D-day and how long a rendering stays right, the
calendar file, and the page cache's rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entrypoints.http.public.ics import escape_text, fold, invitation_ics
from entrypoints.http.public.render import STYLES, PublicTemplates
from entrypoints.http.public.share_image import share_image_name
from entrypoints.http.public.view import AlbumContent, build_view
from entrypoints.runtime.page_cache import CachedResponse, PageCache, Representation
from mocheong_core.files.model import FileRecord, FileView
from mocheong_core.pages.content import Venue
from mocheong_core.pages.document import merge_patch, stored_content
from mocheong_core.pages.maplinks import Attribution, map_links
from mocheong_core.pages.model import Page, PageStatus, Plan
from tests.unit.accounts_harness import ManualClock
from tests.unit.pages_harness import COMPLETE, Pages, person

SEOUL = ZoneInfo("Asia/Seoul")
STATIC_TEMPLATES = (
    Path(__file__).parents[2] / "src" / "entrypoints" / "http" / "public" / "templates"
)


def page_of(**extra: Any) -> Page:
    content = stored_content(merge_patch(COMPLETE, extra))
    at = datetime(2027, 1, 1, tzinfo=UTC)
    return Page(
        id="01J0PAGE",
        owner_id="owner",
        slug="minjun-seoyeon",
        status=PageStatus.PUBLISHED,
        plan=Plan.FREE,
        version=4,
        content=content,
        created_at=at,
        updated_at=at,
    )


def view_at(now: datetime, **extra: Any) -> Any:
    return build_view(page_of(**extra), {}, [], None, origin="https://m.example", now=now)


# -- map links -----------------------------------------------------------------------------


def test_map_links_use_the_coordinates_and_encode_the_name() -> None:
    venue = Venue(name="더채플, 청담/3층 & <홀>", lat=37.5233, lng=127.0406)
    links = map_links(venue, app_name="https://m.example/i/a-b")
    assert links is not None
    # Commas and slashes would split Kakao's path: they become spaces, then all is encoded.
    name = quote("더채플  청담 3층 & <홀>", safe="")
    assert links.kakao == f"https://map.kakao.com/link/map/{name},37.5233,127.0406"
    assert links.kakao_route == f"https://map.kakao.com/link/to/{name},37.5233,127.0406"
    assert links.naver.startswith("nmap://place?lat=37.5233&lng=127.0406&name=%EB%8D%94")
    assert links.naver.endswith("&appname=https%3A%2F%2Fm.example%2Fi%2Fa-b")
    assert "%2C" in links.naver  # query values keep the comma, encoded
    assert links.tmap is not None
    assert links.tmap.startswith("tmap://route?goalname=%EB%8D%94")
    assert links.tmap.endswith("&goalx=127.0406&goaly=37.5233")
    for link in (links.kakao, links.naver, links.tmap, links.naver_web):
        assert not any(ch in link for ch in ' <>"')


def test_without_coordinates_the_links_search_the_address() -> None:
    links = map_links(Venue(name="웨딩홀", address="서울 강남구 선릉로 757"), app_name="x")
    assert links is not None
    assert links.kakao == "https://map.kakao.com/link/search/" + (
        "%EC%84%9C%EC%9A%B8%20%EA%B0%95%EB%82%A8%EA%B5%AC%20%EC%84%A0%EB%A6%89%EB%A1%9C%20757"
    )
    assert (
        links.naver
        == links.naver_web
        == "https://map.naver.com/p/search/%EC%9B%A8%EB%94%A9%ED%99%80"
    )
    assert (links.kakao_route, links.tmap) == (None, None)
    assert map_links(Venue(), app_name="x") is None


def test_the_geocoders_credit_is_rendered_with_a_venue_that_has_coordinates() -> None:
    osm = Attribution("© OpenStreetMap contributors", "https://www.openstreetmap.org/copyright")
    now = datetime(2027, 5, 1, tzinfo=UTC)
    placed = page_of(venue={"lat": 37.5233, "lng": 127.0406})
    view = build_view(placed, {}, [], None, origin="https://m.example", now=now, map_credit=osm)
    body = PublicTemplates().page(view, party_size_max=10).body.decode()
    credit = re.search(r"<p [^>]*data-map-credit>(.*?)</p>", body)
    assert credit is not None
    assert (
        '<a href="https://www.openstreetmap.org/copyright" rel="noopener noreferrer">'
        "© OpenStreetMap contributors</a>" in credit.group(1)
    )
    # No coordinates, nothing of the geocoder's is shown: no credit.
    unplaced = build_view(page_of(), {}, [], None, origin="x", now=now, map_credit=osm)
    assert unplaced.map_credit is None
    assert (
        "data-map-credit" not in PublicTemplates().page(unplaced, party_size_max=10).body.decode()
    )


# -- D-day, calendar and freshness ---------------------------------------------------------


def test_the_d_day_turns_at_midnight_in_the_ceremony_time_zone() -> None:
    # 2027-05-15 13:00 in Seoul; 23:59:59 on the 14th there is 14:59:59 UTC.
    eve = datetime(2027, 5, 14, 14, 59, 59, tzinfo=UTC)
    view = view_at(eve)
    assert view.dday.label == "D-1"
    assert view.valid_until == datetime(2027, 5, 15, tzinfo=SEOUL)
    assert view_at(eve + timedelta(seconds=1)).dday.label == "D-DAY"
    assert view_at(datetime(2027, 5, 17, 3, tzinfo=UTC)).dday.label == "D+2"


def test_another_time_zone_counts_its_own_days() -> None:
    ceremony = {"starts_at": "2027-05-15T10:00:00-04:00", "time_zone": "America/New_York"}
    # 02:00 UTC on the 15th is still the 14th in New York (and already the 15th in Seoul).
    view = view_at(datetime(2027, 5, 15, 2, tzinfo=UTC), ceremony=ceremony)
    assert view.dday.label == "D-1"
    assert view.valid_until == datetime(2027, 5, 15, tzinfo=ZoneInfo("America/New_York"))
    assert view.when == "2027년 5월 15일 토요일 오전 10시"


def test_an_earlier_rsvp_deadline_ends_the_rendering_and_closes_the_form() -> None:
    rsvp = {"deadline": "2027-05-08T18:30:00+09:00"}
    before = view_at(datetime(2027, 5, 8, 9, tzinfo=UTC), rsvp=rsvp)
    assert before.rsvp_open
    assert before.valid_until == datetime(2027, 5, 8, 18, 30, tzinfo=SEOUL)
    after = view_at(datetime(2027, 5, 8, 9, 31, tzinfo=UTC), rsvp=rsvp)
    assert not after.rsvp_open
    assert after.valid_until == datetime(2027, 5, 9, tzinfo=SEOUL)


def test_the_month_starts_on_sunday() -> None:
    month = view_at(datetime(2027, 5, 1, tzinfo=UTC)).calendar
    assert month.title == "2027년 5월"
    assert month.weeks[0] == [None, None, None, None, None, None, 1]
    assert month.weeks[-1][:2] == [30, 31]
    assert month.day == 15


def test_json_ld_describes_the_event() -> None:
    view = view_at(datetime(2027, 5, 1, tzinfo=UTC))
    event = view.json_ld
    assert event["@type"] == "Event"
    assert event["startDate"] == "2027-05-15T13:00:00+09:00"
    assert event["location"]["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "서울 강남구 선릉로 757",
    }
    assert "geo" not in event["location"]  # the harness page has no coordinates
    assert event["url"] == "https://m.example/i/minjun-seoyeon"


def file_view(file_id: str, content_type: str = "image/png", *, s3: bool = False) -> FileView:
    base = "https://bucket.s3.example" if s3 else ""
    widths = (480, 1280) if content_type.startswith("image/") and file_id != "raw" else ()
    record = FileRecord(
        id=file_id,
        owner_id="owner",
        page_id=None,
        content_type=content_type,
        size=1,
        width=None,
        height=None,
        key=f"u/owner/{file_id}/original",
        original_name=None,
        created_at=datetime(2027, 1, 1, tzinfo=UTC),
        variants={w: f"u/owner/{file_id}/w{w}.webp" for w in widths},
    )
    return FileView(
        record,
        f"{base}/files/{file_id}/original?sig=1",
        {w: f"{base}/files/{file_id}/w{w}.webp?sig=1" for w in widths},
    )


def test_photos_use_their_web_copies_and_only_sound_plays() -> None:
    files = {
        "cover": file_view("cover", s3=True),
        "raw": file_view("raw"),
        "song": file_view("song", "audio/mpeg"),
        "photo": file_view("photo"),
    }
    extra = {"cover_file_id": "cover", "gallery": ["raw", "gone", "photo"]}
    page = page_of(**extra, music={"file_id": "song"})
    page.plan = Plan.PREMIUM  # background music is premium
    now = datetime(2027, 5, 1, tzinfo=UTC)
    view = build_view(page, files, [], None, origin="https://m.example", now=now)

    small, large = "/files/photo/w480.webp?sig=1", "/files/photo/w1280.webp?sig=1"
    assert [image.src for image in view.gallery] == ["/files/raw/original?sig=1", small]
    assert view.gallery[1].srcset == f"{small} 480w, {large} 1280w"
    assert view.gallery[1].large == large
    assert view.gallery[0].srcset is None
    # The preview is the cover's JPEG at a stable address of the page's own.
    assert view.share_image == f"https://m.example/i/minjun-seoyeon/{share_image_name('cover')}"
    assert view.asset_origins == ["https://bucket.s3.example"]
    assert view.music == "/files/song/original?sig=1"
    photo_as_music = page_of(**extra, music={"file_id": "photo"})
    photo_as_music.plan = Plan.PREMIUM
    assert build_view(photo_as_music, files, [], None, origin="x", now=now).music is None


def test_a_free_page_plays_no_music_and_shows_the_branding_footer() -> None:
    files = {"song": file_view("song", "audio/mpeg")}
    page = page_of(music={"file_id": "song"})
    now = datetime(2027, 5, 1, tzinfo=UTC)
    free = build_view(page, files, [], None, origin="x", now=now)
    assert (free.music, free.branding) == (None, True)
    page.plan = Plan.PREMIUM
    premium = build_view(page, files, [], None, origin="x", now=now)
    assert (premium.music, premium.branding) == ("/files/song/original?sig=1", False)


# -- the calendar file ---------------------------------------------------------------------


def test_ics_escapes_text_and_writes_utc_times() -> None:
    page = page_of(venue={"name": "홀; A, B", "lat": 37.5, "lng": 127.25})
    text = invitation_ics(page, "https://m.example/i/minjun-seoyeon", "제목\n둘째 줄").decode()
    lines = text.split("\r\n")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "UID:page-01J0PAGE@mocheong" in lines
    assert "DTSTART:20270515T040000Z" in lines
    assert "DTEND:20270515T060000Z" in lines
    assert "SUMMARY:제목\\n둘째 줄" in lines
    assert "LOCATION:홀\\; A\\, B\\, 서울 강남구 선릉로 757" in lines
    assert "GEO:37.500000;127.250000" in lines
    assert "URL:https://m.example/i/minjun-seoyeon" in lines
    assert escape_text("a\\b") == "a\\\\b"


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=400))
def test_folded_lines_fit_75_octets_and_unfold_to_the_original(line: str) -> None:
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


# -- the page cache ------------------------------------------------------------------------


def entry(body: bytes = b"x", expires_at: float = 1e12) -> CachedResponse:
    return CachedResponse(Representation(body, b'"t"', (), ()), expires_at)


class Peers:
    def __init__(self) -> None:
        self.told: list[list[str]] = []

    async def announce(self, slugs: list[str]) -> None:
        self.told.append(slugs)


def test_the_cache_keeps_the_most_recently_used_pages() -> None:
    cache = PageCache(2, ManualClock())
    for slug in ("a", "b"):
        assert cache.put(slug, "html", entry(), cache.ticket())
    assert cache.get("a", "html") is not None  # a is now the most recent
    cache.put("c", "html", entry(), cache.ticket())
    assert cache.get("b", "html") is None
    assert cache.get("a", "html") is not None
    assert len(cache) == 2


def test_a_rendering_started_before_an_invalidation_is_not_stored() -> None:
    cache = PageCache(10, ManualClock())
    ticket = cache.ticket()
    cache.drop(["other"])
    assert not cache.put("a", "html", entry(), ticket)
    assert cache.get("a", "html") is None


def test_entries_expire_and_variants_are_bounded() -> None:
    clock = ManualClock()
    cache = PageCache(10, clock)
    cache.put("a", "html", entry(expires_at=clock.now().timestamp() + 50), cache.ticket())
    assert cache.get("a", "html") is not None
    clock.advance(50)
    assert cache.get("a", "html") is None
    for n in range(8):
        assert cache.put("a", f"v{n}", entry(), cache.ticket())
    assert not cache.put("a", "v8", entry(), cache.ticket())


async def test_a_changed_page_is_dropped_here_and_announced_with_its_old_slug() -> None:
    peers = Peers()
    cache = PageCache(10, ManualClock(), peers=peers)
    assert not cache.put("a", "html", entry(), cache.ticket())  # nothing before peers are heard
    cache.resume()
    cache.put("old-slug", "html", entry(), cache.ticket())
    cache.put("keep", "json", entry(), cache.ticket())
    page = page_of()
    await cache.page_changed(page, ["slug"], "user", previous_slug="old-slug")
    assert cache.get("old-slug", "html") is None
    assert cache.get("keep", "json") is not None
    assert peers.told == [["minjun-seoyeon", "old-slug"]]
    cache.suspend()
    assert cache.get("keep", "json") is None
    assert not cache.put("keep", "json", entry(), cache.ticket())


@pytest.mark.parametrize("delete", [False, True])
async def test_the_guestbook_tells_its_listener_after_each_change(delete: bool) -> None:
    app = Pages()
    owner = person()
    page = await app.live_page(owner)
    entry_ = await app.run(app.sign(page.slug, "하객", "축하해요", "1234"))
    if delete:
        await app.run(app.unsign(page.slug, entry_.id, password="1234", actor=None))
    assert app.guestbook_events.slugs == [page.slug] * (2 if delete else 1)


def test_no_text_of_the_public_page_is_smaller_than_older_eyes_read() -> None:
    css = "".join((STATIC_TEMPLATES / name).read_text() for name in STYLES)
    sizes = [int(size) for size in re.findall(r"font(?:-size)?:\s*(\d+)px", css)]
    assert sizes
    assert min(sizes) >= 15


# -- the guests' album ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "after", "shown_before"),
    [
        ({}, "gallery", "calendar"),  # an empty gallery shows nothing: the calendar is before
        ({"sections": [{"kind": "gallery", "visible": False}]}, "ending", "guestbook"),
        ({"after_wedding": {"mode": "thanks", "hours": 0}}, "thanks", "thanks"),
    ],
)
def test_the_album_follows_the_gallery_else_the_thanks_else_the_last_section(
    extra: dict[str, Any], after: str, shown_before: str
) -> None:
    now = datetime(2027, 5, 15, 6, 0, tzinfo=UTC)  # after the 13:00 KST ceremony
    album = AlbumContent([("이모", file_view("photo-1")), (None, file_view("photo-2"))], None,
                         open=True, max_bytes=10 * 1_048_576)  # fmt: skip
    view = build_view(page_of(**extra), {}, [], None, origin="https://m.example", now=now,
                      album=album)  # fmt: skip

    assert view.album is not None
    assert view.album.after == after
    assert view.album.max_mb == "10"
    assert [photo.by for photo in view.album.photos] == ["이모", None]
    html = PublicTemplates().page(view, party_size_max=10).body.decode()
    assert html.count('<section id="album">') == 1
    assert 'alt="이모님이 보낸 사진"' in html
    assert 'alt="하객이 보낸 사진"' in html
    assert "한 장에 10MB까지" in html
    assert html.index('id="album"') > html.index(f'id="{shown_before}"')


def test_a_closed_album_shows_its_photos_without_the_form() -> None:
    album = AlbumContent([], "cursor-1", open=False, max_bytes=1_572_864)
    view = build_view(page_of(), {}, [], None, origin="x", now=datetime(2027, 1, 1, tzinfo=UTC),
                      album=album)  # fmt: skip

    html = PublicTemplates().page(view, party_size_max=10).body.decode()
    assert view.album is not None
    assert view.album.max_mb == "1.5"
    assert 'id="album-form"' not in html
    assert 'data-cursor="cursor-1"' in html
    assert "아직 올라온 사진이 없어요" in html
