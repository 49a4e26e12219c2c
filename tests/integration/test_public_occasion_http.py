"""The page's moments over HTTP on SQLite and Postgres: a PATCH validates them (every bad
field named), the history keeps them, and the public page shows them from the server; from the
ceremony plus the couple's hours it thanks the guests or closes, its cached copy expiring at
that moment, and RSVPs are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dishka import Provider, Scope, provide
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings
from mocheong_core.kernel.clock import Clock
from tests.integration.accounts_http import Client, assert_problem
from tests.integration.test_public_page_http import Page, cache_of, published, settings

__all__ = ["settings"]  # a fixture, used by name


class MovableClock:
    """The real time moved by ``offset`` (the page cache's expiry reads it too)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class MovableClockProvider(Provider):
    def __init__(self, clock: MovableClock) -> None:
        super().__init__()
        self._clock = clock

    @provide(scope=Scope.APP, override=True)
    def clock(self) -> Clock:
        return self._clock


@pytest.fixture
def moved() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def client(settings: Settings, moved: MovableClock) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(create_app(settings, MovableClockProvider(moved))) as test_client:
        yield test_client


OPTIONS = {
    "text": {"font": "myeongjo", "scale": 1.3},
    "after_wedding": {"mode": "thanks", "hours": 0, "message": "와 주셔서 고맙습니다"},
    "effects": {"falling": "petals", "opening": "우리 결혼합니다"},
    "rsvp": {"prompt": True, "button": True},
    "calendar_view": {"countdown": True},
}


async def test_the_options_are_validated_versioned_and_shown(client: Client) -> None:
    page, owner = await published(client)
    path = f"/api/pages/{page['id']}"
    refused = await client.patch(
        path,
        json={"text": {"scale": 2}, "after_wedding": {"mode": "gone"}, "effects": {"x": 1}},
        headers=owner,
    )
    body = assert_problem(refused, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {
        "text.scale",
        "after_wedding.mode",
        "effects.x",
    }

    changed = await client.patch(path, json=OPTIONS, headers=owner)
    assert changed.status_code == 200, changed.text
    document = changed.json()
    assert document["text"] == OPTIONS["text"]
    assert document["after_wedding"] == {**OPTIONS["after_wedding"], "photos": []}
    assert (document["rsvp"]["prompt"], document["rsvp"]["button"]) == (True, True)
    version = document["version"]
    history = (await client.get(f"{path}/history?limit=1", headers=owner)).json()
    assert set(history["items"][0]["changed"]) == {
        "text",
        "after_wedding",
        "effects",
        "rsvp",
    }
    kept = (await client.get(f"{path}/history/{version}", headers=owner)).json()["document"]
    assert kept["effects"] == OPTIONS["effects"]

    html = (await client.get(f"/i/{page['slug']}")).text
    assert 'class="theme-classic font-myeongjo scale-130 has-sticky"' in html
    ids = set(Page(html).ids)
    assert {"countdown", "rsvp-prompt", "rsvp-sticky", "rsvp"} <= ids
    assert '<p class="opening">우리 결혼합니다</p>' in html
    assert '<div class="falling falling-petals" aria-hidden="true">' in html


async def test_after_the_wedding_the_page_thanks_or_closes_and_rsvps_close(
    client: Client, moved: MovableClock
) -> None:
    starts = (datetime.now(UTC) + timedelta(minutes=2)).replace(microsecond=0)
    page, owner = await published(
        client, ceremony={"starts_at": starts.isoformat(), "time_zone": "Asia/Seoul"}
    )
    slug, path = page["slug"], f"/api/pages/{page['id']}"
    changed = await client.patch(path, json=OPTIONS, headers=owner)
    assert changed.status_code == 200, changed.text
    before = await client.get(f"/i/{slug}")
    assert "rsvp-form" in Page(before.text).ids
    # The cached copy is right only until the switch (here the ceremony's start, 0 hours on).
    entry = cache_of(client).get(slug, "html")
    assert entry is not None
    assert entry.expires_at == starts.timestamp()

    moved.offset = timedelta(minutes=3)  # the cached copy expires on the app's clock
    after = await client.get(f"/i/{slug}")
    ids = set(Page(after.text).ids)
    assert {"cover", "thanks", "guestbook"} <= ids
    assert not {"rsvp", "rsvp-prompt", "rsvp-sticky", "calendar", "venue"} & ids
    assert "와 주셔서 고맙습니다" in after.text

    answer = {"name": "김하객", "side": "groom", "attending": True, "party_size": 1}
    closed = await client.post(f"/api/public/pages/{slug}/rsvps", json=answer)
    assert_problem(closed, 409, "rsvp_closed")

    locked = await client.patch(path, json={"after_wedding": {"mode": "lock"}}, headers=owner)
    assert locked.status_code == 200, locked.text
    notice = await client.get(f"/i/{slug}")
    assert notice.status_code == 200
    assert "예식이 끝나 청첩장을 닫았습니다" in notice.text
    assert "thanks" not in Page(notice.text).ids

    stays = await client.patch(path, json={"after_wedding": {"mode": "stay"}}, headers=owner)
    assert stays.status_code == 200, stays.text
    page_again = Page((await client.get(f"/i/{slug}")).text).ids
    assert "calendar" in page_again
    assert "thanks" not in page_again


SECRETS = ("김민준", "이서연", "김철수", "선릉로 757", "123-45-6789", "청담역", "하나 되는 날")
"""What a page shows that its lock must hide."""


async def test_a_locked_page_shows_nothing_of_itself_in_html_json_calendar_or_image(
    client: Client, moved: MovableClock
) -> None:
    starts = (datetime.now(UTC) + timedelta(minutes=2)).replace(microsecond=0)
    page, owner = await published(
        client,
        ceremony={"starts_at": starts.isoformat(), "time_zone": "Asia/Seoul"},
        after_wedding={"mode": "lock", "hours": 0},
    )
    slug = page["slug"]
    html, document = f"/i/{slug}", f"/api/public/pages/{slug}"
    signed = await client.post(
        f"{document}/guestbook",
        json={"name": "하객", "message": "축하해요 하나 되는 날", "password": "1234"},
    )
    assert signed.status_code == 201, signed.text
    assert (await client.get(f"{document}/guestbook")).json()["items"]
    before = await client.get(html)
    share_image = Page(before.text).meta["og:image"].removeprefix("https://mocheong.example")
    assert (await client.get(share_image)).status_code == 200
    assert (await client.get(f"{html}/calendar.ics")).status_code == 200
    opened = await client.get(document)
    assert opened.json()["venue"]["address"] == "서울 강남구 선릉로 757"
    assert all(secret in before.text for secret in SECRETS)
    for variant in ("html", "json"):  # both cached copies end when the page locks
        entry = cache_of(client).get(slug, variant)
        assert entry is not None
        assert entry.expires_at == starts.timestamp()

    moved.offset = timedelta(minutes=3)
    for accept in ("identity", "gzip", "br"):
        notice = await client.get(html, headers={"Accept-Encoding": accept})
        assert notice.status_code == 200
        assert "예식이 끝나 청첩장을 닫았습니다" in notice.text
        assert not [secret for secret in SECRETS if secret in notice.text]
        assert "og:image" not in notice.text
        locked = await client.get(document, headers={"Accept-Encoding": accept})
        assert locked.status_code == 200
        assert locked.json() == {
            "slug": slug,
            "status": "published",
            "version": page["version"],
            "locked": True,
        }
        assert locked.headers["etag"] != opened.headers["etag"]
        again = await client.get(
            document, headers={"Accept-Encoding": accept, "If-None-Match": locked.headers["etag"]}
        )
        assert again.status_code == 304
    assert (await client.get(f"{html}/calendar.ics")).status_code == 404
    assert (await client.get(share_image)).status_code == 404
    for listing in ("guestbook", "photos"):  # what guests wrote and sent is the page's too
        hidden = await client.get(f"{document}/{listing}")
        assert hidden.status_code == 404, listing
        assert not [secret for secret in SECRETS if secret in hidden.text]
    # The couple can still read their page and its guestbook.
    own = await client.get(f"/api/pages/{page['id']}", headers=owner)
    assert own.json()["venue"]["address"] == "서울 강남구 선릉로 757"
    book = await client.get(f"/api/pages/{page['id']}/guestbook", headers=owner)
    assert [entry["message"] for entry in book.json()["items"]] == ["축하해요 하나 되는 날"]
