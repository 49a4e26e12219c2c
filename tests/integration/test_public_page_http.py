"""The public invitation over HTTP on SQLite and Postgres: what guests see (sections, link
preview tags, deep links, calendar file, 404 page), escaping, the forms without script, guest
links, and the cache in front (ETag / 304, invalidation on every change)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import Any

import pytest
from dishka import AsyncContainer, Provider, Scope, provide
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from entrypoints.runtime.guest_opens import GuestOpens
from entrypoints.runtime.page_cache import PageCache
from entrypoints.runtime.tasks import run_task
from entrypoints.worker.tasks import load_tasks
from mocheong_core.jobs.ports import JobQueue
from tests.files_support import RecordingJobQueue, image_bytes
from tests.integration.accounts_http import Client, assert_problem
from tests.integration.pages_helpers import container_of, create_complete_page, user_headers

SCRIPT = "<script>alert(1)</script>"
SECTIONS = [
    "cover",
    "greeting",
    "couple",
    "calendar",
    "venue",
    "gift_accounts",
    "rsvp",
    "guestbook",
]
FULL: dict[str, Any] = {
    "couple": {
        "groom": {
            "name": "김민준",
            "title": "장남",
            "phone": "010-1234-5678",
            "father": {"name": "김철수", "phone": "010 2222 3333"},
        },
        "bride": {"name": "이서연", "title": "차녀"},
    },
    "venue": {
        "name": "더채플앳청담",
        "hall": "3층 채플홀",
        "address": "서울 강남구 선릉로 757",
        "lat": 37.5233,
        "lng": 127.0406,
        "directions": {"subway": "7호선 청담역 13번 출구", "parking": "건물 지하 2시간 무료"},
    },
    "gift_accounts": [
        {"relation": "groom", "bank": "국민은행", "holder": "김민준", "number": "123-45-6789"},
        {"relation": "bride_mother", "bank": "신한은행", "holder": "박영희", "number": "110 222"},
    ],
    "rsvp": {"enabled": True, "ask_meal": True},
}


class Page(HTMLParser):
    """What a test needs from an HTML page: meta tags, scripts, ids and links."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.ids: list[str] = []
        self.links: dict[str, str] = {}
        self.hrefs: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.images: list[dict[str, str | None]] = []
        self._script: dict[str, str | None] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs_: list[tuple[str, str | None]]) -> None:
        found = dict(attrs_)
        if tag == "meta" and (found.get("property") or found.get("name")):
            self.meta[str(found.get("property") or found.get("name"))] = str(found["content"])
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))
            if found.get("data-map"):
                self.links[str(found["data-map"])] = str(found["href"])
        if tag == "img":
            self.images.append(found)
        if tag == "script":
            self._script = found

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts.append((self._script, data))
            self._script = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, ""))
            self._script = None

    def json_ld(self) -> dict[str, Any]:
        [text] = [
            text for found, text in self.scripts if found.get("type") == "application/ld+json"
        ]
        return dict(json.loads(text))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return evolve(
        settings,
        rate_rsvp_per_ip=1000,
        rate_guestbook_per_ip=1000,
        public_base_url="https://mocheong.example",
    )


async def published(client: Client, **extra: Any) -> tuple[dict[str, Any], dict[str, str]]:
    owner = await user_headers(client)
    return await create_complete_page(client, owner, **{**FULL, **extra}), owner


def cache_of(client: Client) -> PageCache:
    cache = client.blocking_portal.call(container_of(client).get, PageCache)
    assert isinstance(cache, PageCache)
    return cache


async def test_the_page_shows_every_section_with_link_preview_tags(client: Client) -> None:
    page, _ = await published(client)
    response = await client.get(f"/i/{page['slug']}")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = Page(response.text)
    for section in SECTIONS:
        assert section in html.ids, section
    url = f"https://mocheong.example/i/{page['slug']}"
    assert html.meta["og:title"] == "김민준 ♥ 이서연 결혼합니다"
    assert (
        html.meta["og:description"] == "2027년 5월 15일 토요일 오후 1시 · 더채플앳청담 3층 채플홀"
    )
    assert html.meta["og:url"] == url
    event = html.json_ld()
    assert event["@type"] == "Event"
    assert event["startDate"] == "2027-05-15T13:00:00+09:00"
    assert event["location"]["@type"] == "Place"
    assert event["location"]["address"]["streetAddress"] == "서울 강남구 선릉로 757"
    assert event["location"]["geo"] == {
        "@type": "GeoCoordinates",
        "latitude": 37.5233,
        "longitude": 127.0406,
    }
    assert "tel:01012345678" in html.hrefs
    assert "sms:01022223333" in html.hrefs
    assert f"/i/{page['slug']}/calendar.ics" in html.hrefs
    assert "국민은행 123-45-6789" in response.text
    assert "7호선 청담역 13번 출구" in response.text

    csp = response.headers["content-security-policy"]
    assert "script-src 'sha256-" in csp
    assert "style-src 'sha256-" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_map_links_are_built_from_the_stored_place(client: Client) -> None:
    page, _ = await published(client)
    links = Page((await client.get(f"/i/{page['slug']}")).text).links
    name = "%EB%8D%94%EC%B1%84%ED%94%8C%EC%95%B3%EC%B2%AD%EB%8B%B4"
    assert links["kakao"] == f"https://map.kakao.com/link/map/{name},37.5233,127.0406"
    assert links["naver"] == (
        f"nmap://place?lat=37.5233&lng=127.0406&name={name}"
        f"&appname=https%3A%2F%2Fmocheong.example%2Fi%2F{page['slug']}"
    )
    assert links["tmap"] == f"tmap://route?goalname={name}&goalx=127.0406&goaly=37.5233"


async def test_every_user_text_is_rendered_inert(client: Client) -> None:
    evil = {
        "couple": {
            "groom": {"name": "<b>민준", "title": "<i>"},
            "bride": {"name": "서연</title>"},
        },
        "greeting": f"안녕하세요 {SCRIPT}",
        "venue": {"name": '홀"><img src=x onerror=alert(1)>', "address": "주소 <svg>"},
        "share": {"title": f"{SCRIPT}", "description": "</script><script>alert(2)</script>"},
    }
    page, _ = await published(client, **evil)
    signed = await client.post(
        f"/api/public/pages/{page['slug']}/guestbook",
        json={"name": "<script>x", "message": SCRIPT, "password": "1234"},
    )
    assert signed.status_code == 201

    text = (await client.get(f"/i/{page['slug']}")).text
    html = Page(text)
    assert [found.get("type") for found, _ in html.scripts] == ["application/ld+json", None]
    for markup in ("<img src=x", "<svg>", "<b>", "<i>", "서연</title>"):
        assert markup not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert html.meta["og:title"] == SCRIPT  # an attribute value, escaped, not markup
    assert html.json_ld()["name"] == SCRIPT
    assert "</script><script>alert(2)" not in text
    assert not [img for img in html.images if img.get("onerror")]


async def test_the_calendar_file(client: Client) -> None:
    page, _ = await published(client)
    response = await client.get(f"/i/{page['slug']}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert f'filename="{page["slug"]}.ics"' in response.headers["content-disposition"]
    raw = response.content.decode()
    assert raw.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    lines = raw.replace("\r\n ", "").split("\r\n")
    assert f"UID:page-{page['id']}@mocheong" in lines
    assert "DTSTART:20270515T040000Z" in lines
    assert "LOCATION:더채플앳청담 3층 채플홀\\, 서울 강남구 선릉로 757" in lines
    assert "GEO:37.523300;127.040600" in lines
    assert f"URL:https://mocheong.example/i/{page['slug']}" in lines
    assert (await client.get(f"/i/{page['slug']}/calendar.ics")).content == response.content


async def test_unknown_and_unpublished_pages_are_a_friendly_404(client: Client) -> None:
    for path in ("/i/no-such-page", "/i/no-such-page/calendar.ics", "/i/NOT%20A%20SLUG"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "청첩장을 찾을 수 없어요" in response.text
        assert "content-security-policy" in response.headers
    owner = await user_headers(client)
    draft = await create_complete_page(client, owner, publish=False)
    assert (await client.get(f"/i/{draft['slug']}")).status_code == 404


async def test_etag_and_304_on_both_representations(client: Client) -> None:
    page, _ = await published(client)
    for path in (f"/i/{page['slug']}", f"/api/public/pages/{page['slug']}"):
        first = await client.get(path)
        assert first.headers["cache-control"] == "public, max-age=60"
        etag = first.headers["etag"]
        assert etag[0] == etag[-1] == '"'
        again = await client.get(path)
        assert (again.headers["etag"], again.content) == (etag, first.content)
        for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            unchanged = await client.get(path, headers={"If-None-Match": sent})
            assert unchanged.status_code == 304, sent
            assert unchanged.content == b""
            assert unchanged.headers["etag"] == etag
        changed = await client.get(path, headers={"If-None-Match": '"something-else"'})
        assert changed.status_code == 200
    head = await client.head(f"/i/{page['slug']}")
    assert head.status_code == 200
    assert head.content == b""


async def test_a_304_repeats_the_pages_csp(client: Client) -> None:
    page, _ = await published(client)
    first = await client.get(f"/i/{page['slug']}")
    unchanged = await client.get(
        f"/i/{page['slug']}", headers={"If-None-Match": first.headers["etag"]}
    )
    assert unchanged.headers["content-security-policy"] == first.headers["content-security-policy"]


async def test_the_cache_follows_edits_unpublishing_and_the_guestbook(client: Client) -> None:
    page, owner = await published(client)
    html_path, json_path = f"/i/{page['slug']}", f"/api/public/pages/{page['slug']}"
    before = await client.get(html_path)
    await client.get(json_path)
    assert cache_of(client).get(page["slug"], "html") is not None

    patched = await client.patch(
        f"/api/pages/{page['id']}", json={"greeting": "새 인사말입니다"}, headers=owner
    )
    assert patched.status_code == 200
    after = await client.get(html_path)
    assert "새 인사말입니다" in after.text
    assert after.headers["etag"] != before.headers["etag"]
    assert (await client.get(json_path)).json()["greeting"] == "새 인사말입니다"

    signed = await client.post(
        f"{json_path}/guestbook", json={"name": "하객", "message": "축하해요!", "password": "1234"}
    )
    assert "축하해요!" in (await client.get(html_path)).text
    deleted = await client.request(
        "DELETE", f"{json_path}/guestbook/{signed.json()['id']}", json={"password": "1234"}
    )
    assert deleted.status_code == 204
    assert "축하해요!" not in (await client.get(html_path)).text

    moved = await client.patch(
        f"/api/pages/{page['id']}", json={"slug": "new-address"}, headers=owner
    )
    assert moved.status_code == 200
    assert (await client.get(html_path)).status_code == 404
    assert (await client.get("/i/new-address")).status_code == 200

    await client.post(f"/api/pages/{page['id']}/unpublish", headers=owner)
    assert (await client.get("/i/new-address")).status_code == 404
    assert_problem(await client.get("/api/public/pages/new-address"), 404, "not_found")


async def test_a_personal_link_records_the_opening_and_greets_the_guest(client: Client) -> None:
    page, owner = await published(client)
    guest = (
        await client.post(
            f"/api/pages/{page['id']}/guests",
            json={"name": "홍길동", "side": "bride"},
            headers=owner,
        )
    ).json()
    plain = await client.get(f"/i/{page['slug']}")
    preview = await client.get(
        f"/i/{page['slug']}?g={guest['token']}",
        headers={"User-Agent": "facebookexternalhit/1.1;kakaotalk-scrap/1.0"},
    )
    assert preview.content == plain.content
    opens = client.blocking_portal.call(container_of(client).get, GuestOpens)
    client.blocking_portal.call(opens.idle)
    listed = (await client.get(f"/api/pages/{page['id']}/guests", headers=owner)).json()
    assert listed["items"][0]["opened_at"] is None  # a link preview is not the guest
    checked = await client.head(f"/i/{page['slug']}?g={guest['token']}")
    assert checked.status_code == 200
    client.blocking_portal.call(opens.idle)
    listed = (await client.get(f"/api/pages/{page['id']}/guests", headers=owner)).json()
    assert listed["items"][0]["opened_at"] is None  # nor is a HEAD: no one read the page

    personal = await client.get(f"/i/{page['slug']}?g={guest['token']}")
    assert personal.content == plain.content  # the same cached bytes for everyone
    client.blocking_portal.call(opens.idle)
    listed = (await client.get(f"/api/pages/{page['id']}/guests", headers=owner)).json()
    assert listed["items"][0]["opened_at"] is not None

    hello = await client.get(f"/i/{page['slug']}/guest", params={"g": guest["token"]})
    assert hello.json() == {"name": "홍길동", "side": "bride"}
    assert hello.headers["cache-control"] == "no-store"
    missing = await client.get(f"/i/{page['slug']}/guest", params={"g": "not-a-token"})
    assert_problem(missing, 404, "not_found")
    await client.get(f"/i/{page['slug']}?g=not-a-token")  # an unknown token changes nothing
    client.blocking_portal.call(opens.idle)


async def test_the_forms_work_without_script(client: Client) -> None:
    page, owner = await published(client)
    slug = page["slug"]
    form = {"side": "groom", "attending": "yes", "name": "이몽룡", "party_size": "2", "meal": "yes"}
    sent = await client.post(f"/i/{slug}/rsvp", data=form, follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(f"/i/{slug}?rsvp=")
    assert sent.headers["location"].endswith("#rsvp-done")
    [answer] = (await client.get(f"/api/pages/{page['id']}/rsvps", headers=owner)).json()["items"]
    assert (answer["name"], answer["attending"], answer["party_size"]) == ("이몽룡", True, 2)

    refused = await client.post(f"/i/{slug}/rsvp", data={"name": "x", "party_size": "many"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "text/html; charset=utf-8"
    assert set(re.findall(r'<li class="error">(\w+):', refused.text)) == {
        "side",
        "attending",
        "party_size",
    }

    book = {"name": "성춘향", "message": "행복하세요 <3", "password": "비밀번호"}
    posted = await client.post(f"/i/{slug}/guestbook", data=book, follow_redirects=False)
    assert posted.status_code == 303
    shown = await client.get(posted.headers["location"])
    assert "행복하세요 &lt;3" in shown.text
    listed = (await client.get(f"/api/public/pages/{slug}/guestbook")).json()["items"]
    entry_id = listed[0]["id"]
    wrong = await client.post(f"/i/{slug}/guestbook/{entry_id}/delete", data={"password": "no"})
    assert wrong.status_code == 403
    assert "비밀번호가 맞지 않습니다" in wrong.text
    gone = await client.post(
        f"/i/{slug}/guestbook/{entry_id}/delete",
        data={"password": "비밀번호"},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert "행복하세요" not in (await client.get(f"/i/{slug}")).text


async def test_a_closed_rsvp_shows_no_form_and_refuses_answers(client: Client) -> None:
    page, _ = await published(client, rsvp={"deadline": "2020-01-01T00:00:00+09:00"})
    text = (await client.get(f"/i/{page['slug']}")).text
    assert "참석 여부 응답이 마감되었습니다" in text
    assert 'id="rsvp-form"' not in text
    data = {"side": "bride", "attending": "no", "name": "김"}
    refused = await client.post(f"/i/{page['slug']}/rsvp", data=data)
    assert refused.status_code == 409


class RecordingQueueProvider(Provider):
    def __init__(self, queue: RecordingJobQueue) -> None:
        super().__init__()
        self._queue = queue

    @provide(scope=Scope.APP, override=True)
    def job_queue(self) -> JobQueue:
        return self._queue


@pytest.fixture
async def with_jobs(settings: Settings) -> AsyncIterator[tuple[Client, RecordingJobQueue]]:
    queue = RecordingJobQueue()
    async with AsyncTestClient(create_app(settings, RecordingQueueProvider(queue))) as client:
        yield client, queue


async def test_the_gallery_uses_the_resized_copies(
    with_jobs: tuple[Client, RecordingJobQueue],
) -> None:
    client, queue = with_jobs
    page, owner = await published(client)
    ids = []
    for color_size in ((1600, 1200), (900, 1600)):
        uploaded = await client.post(
            "/api/files",
            files={"file": ("p.png", image_bytes("PNG", color_size), "image/png")},
            data={"page_id": page["id"]},
            headers=owner,
        )
        assert uploaded.status_code == 201, uploaded.text
        ids.append(uploaded.json()["id"])
    load_tasks()
    container: AsyncContainer = client.app.state.dishka_container
    for job in queue.jobs:
        await run_task(container, job.task, job.payload)
    document = {"gallery": ids, "cover_file_id": ids[0], "sections": None}
    assert (
        await client.patch(f"/api/pages/{page['id']}", json=document, headers=owner)
    ).status_code == 200

    response = await client.get(f"/i/{page['slug']}")
    html = Page(response.text)
    assert "gallery" in html.ids
    gallery = [img for img in html.images if str(img.get("alt", "")).startswith("사진")]
    assert len(gallery) == 2
    for img in gallery:
        assert "/w480.webp?" in str(img["src"])
        widths = [part.split()[1] for part in str(img["srcset"]).split(", ")]
        assert widths == ["480w", "1280w"]
    # The preview is the cover's own stable JPEG (test_public_share_image_http.py).
    og_image = html.meta["og:image"]
    assert og_image.startswith(f"https://mocheong.example/i/{page['slug']}/share-")
    assert html.json_ld()["image"] == [og_image]
    small = await client.get(str(gallery[0]["src"]))
    assert small.status_code == 200
    assert small.headers["content-type"] == "image/webp"
