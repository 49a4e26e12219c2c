"""Page routes over HTTP on SQLite and Postgres: the document, versions and ETags, statuses,
the public JSON, moderation, and the access matrix of every owner-only and admin route."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dishka import Provider, Scope, provide
from litestar.testing import AsyncTestClient

from adapters.memory.pages import InMemoryPageEvents, PageEvent
from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings
from mocheong_core.pages.ports import PageEventListener
from tests.integration.accounts_http import Client, assert_problem
from tests.integration.pages_helpers import (
    COMPLETE_DOCUMENT,
    admin_headers,
    create_complete_page,
    create_page,
    user_headers,
)

DOCUMENT_KEYS = {
    "id", "slug", "status", "plan", "version", "owner_id", "couple", "ceremony", "venue",
    "greeting", "cover_file_id", "gallery", "gift_accounts", "theme", "music", "sections",
    "rsvp", "share", "interview", "notices", "video", "ending", "gallery_view", "map_view",
    "calendar_view", "text", "effects", "after_wedding", "guest_photos", "created_at",
    "updated_at",
}  # fmt: skip


def errors_of(response: Any) -> set[str]:
    body = assert_problem(response, 422, "validation_error")
    return {error["field"] for error in body["errors"]}


async def test_create_patch_publish_and_read_the_public_page(client: Client) -> None:
    owner = await user_headers(client)

    created = await client.post(
        "/api/pages", json={"couple": {"groom": {"name": "김민준"}}}, headers=owner
    )
    assert created.status_code == 201
    assert created.headers["etag"] == '"1"'
    page = created.json()
    assert page.keys() == DOCUMENT_KEYS
    assert (page["status"], page["plan"], page["version"]) == ("draft", "free", 1)
    assert page["couple"]["bride"] == {
        "name": None, "title": None, "phone": None, "father": None, "mother": None
    }  # fmt: skip

    refused = await client.post(f"/api/pages/{page['id']}/publish", headers=owner)
    assert errors_of(refused) == {
        "couple.bride.name", "ceremony.starts_at", "venue.name", "venue.address"
    }  # fmt: skip

    patched = await client.patch(
        f"/api/pages/{page['id']}", json=COMPLETE_DOCUMENT, headers={**owner, "If-Match": '"1"'}
    )
    assert patched.status_code == 200, patched.text
    assert patched.headers["etag"] == '"2"'
    assert patched.json()["couple"]["groom"]["title"] == "장남"

    published = await client.post(f"/api/pages/{page['id']}/publish", headers=owner)
    assert published.status_code == 200
    assert (published.json()["status"], published.headers["etag"]) == ("published", '"3"')

    plain = {"Accept-Encoding": "identity"}  # a compressed copy's tag names its coding
    public = await client.get(f"/api/public/pages/{page['slug']}", headers=plain)
    assert public.status_code == 200
    assert public.headers["etag"] == '"3"'
    body = public.json()
    assert "owner_id" not in body
    assert body["couple"]["groom"]["phone"] == "010-1234-5678"
    assert body["ceremony"]["starts_at"] == "2027-05-15T13:00:00+09:00"

    again = await client.get(
        f"/api/public/pages/{page['slug']}", headers={**plain, "If-None-Match": 'W/"3"'}
    )
    assert again.status_code == 304
    mine = await client.get(f"/api/pages/{page['id']}", headers=owner)
    assert (mine.headers["etag"], mine.json()["version"]) == ('"3"', 3)


async def test_a_stale_version_is_a_409_and_current_ones_pass(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_page(client, owner)
    url = f"/api/pages/{page['id']}"
    assert (await client.patch(url, json={"greeting": "v2"}, headers=owner)).status_code == 200

    stale = await client.patch(url, json={"greeting": "x"}, headers={**owner, "If-Match": '"1"'})
    assert_problem(stale, 409, "version_conflict")
    stale_body = await client.patch(url, json={"greeting": "x", "version": 1}, headers=owner)
    assert_problem(stale_body, 409, "version_conflict")
    bad = await client.patch(url, json={"greeting": "x"}, headers={**owner, "If-Match": "two"})
    assert errors_of(bad) == {"If-Match"}

    for precondition in ({"If-Match": 'W/"2"'}, {"If-Match": "*"}):
        response = await client.patch(
            url, json={"greeting": "ok"}, headers={**owner, **precondition}
        )
        assert response.status_code == 200, response.text
        await client.patch(url, json={"greeting": None}, headers=owner)
    current = (await client.get(url, headers=owner)).json()
    assert current["greeting"] is None
    with_version = await client.patch(
        url, json={"greeting": "y", "version": current["version"]}, headers=owner
    )
    assert with_version.json()["version"] == current["version"] + 1


async def test_concurrent_patches_from_the_same_version_let_one_through(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_page(client, owner)
    headers = {**owner, "If-Match": '"1"'}

    responses = await asyncio.gather(
        *(
            client.patch(
                f"/api/pages/{page['id']}", json={"greeting": f"writer {i}"}, headers=headers
            )
            for i in range(2)
        )
    )

    assert sorted(r.status_code for r in responses) == [200, 409]
    final = (await client.get(f"/api/pages/{page['id']}", headers=owner)).json()
    assert final["version"] == 2
    winner = next(r for r in responses if r.status_code == 200)
    assert final["greeting"] == winner.json()["greeting"]


async def test_every_bad_field_is_named_by_its_dotted_path(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_page(client, owner)

    response = await client.patch(
        f"/api/pages/{page['id']}",
        json={
            "couple": {"groom": {"name": "", "phone": "전화"}, "bride": {"nmae": "서연"}},
            "ceremony": {"starts_at": "2027-05-15 13:00"},
            "venue": {"lat": 37.5},
            "gift_accounts": [{"relation": "groom", "bank": "국민은행", "holder": "김"}],
            "sections": [{"kind": "rsvp"}, {"kind": "rsvp"}],
            "status": "published",
        },
        headers=owner,
    )

    assert errors_of(response) == {
        "couple.groom.phone",
        "couple.bride.nmae",
        "ceremony.starts_at",
        "venue.lng",
        "gift_accounts.0.number",
        "sections.1.kind",
        "status",
    }
    unchanged = (await client.get(f"/api/pages/{page['id']}", headers=owner)).json()
    assert unchanged["version"] == 1
    for body in ([1, 2], "text"):
        refused = await client.patch(f"/api/pages/{page['id']}", json=body, headers=owner)
        assert refused.status_code in (400, 422)
        assert refused.headers["content-type"].startswith("application/problem+json")


async def test_null_clears_nested_fields_and_lists_are_replaced(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_page(
        client, owner, **COMPLETE_DOCUMENT, gallery=["a", "b", "c"], theme="floral"
    )

    response = await client.patch(
        f"/api/pages/{page['id']}",
        json={"couple": {"groom": {"phone": None}}, "gallery": ["c", "a"], "theme": None},
        headers=owner,
    )

    body = response.json()
    assert body["couple"]["groom"] == {
        "name": "김민준", "title": "장남", "phone": None, "father": None, "mother": None
    }  # fmt: skip
    assert (body["gallery"], body["theme"]) == (["c", "a"], "classic")


async def test_the_slug_is_the_owners_to_change_but_unique(client: Client) -> None:
    owner, other = await user_headers(client), await user_headers(client, "서연")
    page = await create_complete_page(client, owner)
    await create_page(client, other, slug="taken-slug")
    url = f"/api/pages/{page['id']}"

    assert_problem(
        await client.patch(url, json={"slug": "taken-slug"}, headers=owner), 409, "slug_taken"
    )
    assert errors_of(await client.patch(url, json={"slug": "No Spaces"}, headers=owner)) == {"slug"}
    assert errors_of(await client.patch(url, json={"slug": "admin"}, headers=owner)) == {"slug"}
    # The couple's names gave the first address; the owner picks another.
    assert page["slug"] == "minjun-seoyeon"
    moved = await client.patch(url, json={"slug": "our-wedding-day"}, headers=owner)
    assert moved.json()["slug"] == "our-wedding-day"

    assert (await client.get("/api/public/pages/our-wedding-day")).status_code == 200
    assert_problem(await client.get(f"/api/public/pages/{page['slug']}"), 404, "not_found")
    taken = await client.post("/api/pages", json={"slug": "our-wedding-day"}, headers=other)
    assert_problem(taken, 409, "slug_taken")


async def test_status_changes_and_their_refusals(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner)
    base = f"/api/pages/{page['id']}"

    assert_problem(
        await client.post(f"{base}/publish", headers=owner), 409, "invalid_status_transition"
    )
    assert (await client.post(f"{base}/unpublish", headers=owner)).json()["status"] == "unpublished"
    assert_problem(await client.get(f"/api/public/pages/{page['slug']}"), 404, "not_found")
    stale = await client.post(f"{base}/publish", headers={**owner, "If-Match": '"1"'})
    assert_problem(stale, 409, "version_conflict")
    assert (await client.post(f"{base}/publish", headers=owner)).json()["status"] == "published"
    assert (await client.post(f"{base}/archive", headers=owner)).json()["status"] == "archived"

    assert_problem(
        await client.patch(base, json={"greeting": "x"}, headers=owner), 409, "page_archived"
    )
    assert_problem(
        await client.post(f"{base}/publish", headers=owner), 409, "invalid_status_transition"
    )
    assert_problem(await client.get(f"/api/public/pages/{page['slug']}"), 404, "not_found")


async def test_my_pages_are_listed_newest_first_page_by_page(client: Client) -> None:
    owner, other = await user_headers(client), await user_headers(client, "서연")
    ids = [(await create_page(client, owner))["id"] for _ in range(3)]
    await create_page(client, other)

    first = (await client.get("/api/pages", params={"limit": 2}, headers=owner)).json()
    rest = (
        await client.get(
            "/api/pages", params={"limit": 2, "cursor": first["next_cursor"]}, headers=owner
        )
    ).json()

    assert [p["id"] for p in first["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None
    assert first["items"][0].keys() == DOCUMENT_KEYS


async def test_deleting_a_page_removes_it_with_its_guests_answers_and_guestbook(
    client: Client,
) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner)
    guest = (
        await client.post(
            f"/api/pages/{page['id']}/guests",
            json={"name": "홍길동", "side": "groom"},
            headers=owner,
        )
    ).json()
    slug = page["slug"]
    await client.post(
        f"/api/public/pages/{slug}/rsvps", json={"attending": True, "guest_token": guest["token"]}
    )
    await client.post(
        f"/api/public/pages/{slug}/guestbook",
        json={"name": "철수", "message": "축하", "password": "1234"},
    )

    assert (await client.delete(f"/api/pages/{page['id']}", headers=owner)).status_code == 204

    assert_problem(await client.get(f"/api/pages/{page['id']}", headers=owner), 404, "not_found")
    assert_problem(await client.get(f"/api/public/pages/{slug}"), 404, "not_found")
    assert (await create_page(client, owner, slug=slug))["slug"] == slug
    assert (await client.get(f"/api/pages/{page['id']}/guests", headers=owner)).status_code == 404


async def test_admins_list_pages_and_take_them_offline(client: Client) -> None:
    owner, admin = await user_headers(client), await admin_headers(client)
    live = await create_complete_page(client, owner)
    draft = await create_page(client, owner)

    listed = (await client.get("/api/admin/pages", headers=admin)).json()
    assert [p["id"] for p in listed["items"]] == [draft["id"], live["id"]]
    only_live = (
        await client.get("/api/admin/pages", params={"status": "published"}, headers=admin)
    ).json()
    assert [p["id"] for p in only_live["items"]] == [live["id"]]

    moderated = await client.post(f"/api/admin/pages/{live['id']}/unpublish", headers=admin)
    assert moderated.json()["status"] == "unpublished"
    assert_problem(await client.get(f"/api/public/pages/{live['slug']}"), 404, "not_found")
    missing = await client.post("/api/admin/pages/no-such-page/unpublish", headers=admin)
    assert_problem(missing, 404, "not_found")


OWNER_ROUTES = [
    ("GET", "/api/pages/{page}", None),
    ("PATCH", "/api/pages/{page}", {"greeting": "가로채기"}),
    ("DELETE", "/api/pages/{page}", None),
    ("POST", "/api/pages/{page}/publish", None),
    ("POST", "/api/pages/{page}/unpublish", None),
    ("POST", "/api/pages/{page}/archive", None),
    ("POST", "/api/pages/{page}/guests", {"name": "침입자", "side": "groom"}),
    ("GET", "/api/pages/{page}/guests", None),
    ("PATCH", "/api/pages/{page}/guests/{guest}", {"name": "바뀐 이름"}),
    ("DELETE", "/api/pages/{page}/guests/{guest}", None),
    ("GET", "/api/pages/{page}/rsvps", None),
    ("GET", "/api/pages/{page}/rsvps/summary", None),
    ("GET", "/api/pages/{page}/rsvps.csv", None),
    ("GET", "/api/pages/{page}/guestbook", None),
    ("GET", "/api/pages/{page}/history", None),
    ("GET", "/api/pages/{page}/history/1", None),
    ("POST", "/api/pages/{page}/revert", {"version": 1}),
    ("GET", "/api/pages/{page}/photos", None),
    ("POST", "/api/pages/{page}/photos/{photo}/approve", None),
    ("POST", "/api/pages/{page}/photos/{photo}/remove", None),
]
USER_ROUTES: list[tuple[str, str, Any]] = [("POST", "/api/pages", {}), ("GET", "/api/pages", None)]
ADMIN_ROUTES = [
    ("GET", "/api/admin/pages", None),
    ("POST", "/api/admin/pages/{page}/unpublish", None),
]


@pytest.fixture
async def victim(client: Client) -> dict[str, Any]:
    """An unpublished page with one guest, and its owner's headers."""
    owner = await user_headers(client)
    page = await create_complete_page(client, owner)
    await client.post(f"/api/pages/{page['id']}/unpublish", headers=owner)
    guest = await client.post(
        f"/api/pages/{page['id']}/guests", json={"name": "홍길동", "side": "groom"}, headers=owner
    )
    # No photo can reach a free page's album: an id of the right shape stands in, since the
    # page is refused before any photo is looked up.
    photo = "01900000-0000-7000-8000-000000000000"
    return {"page": page["id"], "guest": guest.json()["id"], "photo": photo, "owner": owner}


async def call(client: Client, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return await client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), OWNER_ROUTES)
async def test_owner_routes_hide_pages_from_others_and_refuse_anonymous_callers(
    client: Client, victim: dict[str, Any], method: str, path: str, body: Any
) -> None:
    url = path.format(**victim)
    stranger = await user_headers(client, "남")

    assert_problem(await call(client, method, url, body, stranger), 404, "not_found")
    assert_problem(await call(client, method, url, body, {}), 401, "unauthorized")

    page = await client.get(f"/api/pages/{victim['page']}", headers=victim["owner"])
    assert (page.json()["version"], page.json()["status"]) == (3, "unpublished")
    guests = (
        await client.get(f"/api/pages/{victim['page']}/guests", headers=victim["owner"])
    ).json()
    assert [(g["id"], g["name"]) for g in guests["items"]] == [(victim["guest"], "홍길동")]


@pytest.mark.parametrize(("method", "path", "body"), USER_ROUTES)
async def test_user_routes_refuse_anonymous_callers(
    client: Client, method: str, path: str, body: Any
) -> None:
    assert_problem(await call(client, method, path, body, {}), 401, "unauthorized")


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
async def test_admin_routes_refuse_non_admins(
    client: Client, victim: dict[str, Any], method: str, path: str, body: Any
) -> None:
    url = path.format(**victim)
    assert_problem(await call(client, method, url, body, victim["owner"]), 403, "forbidden")
    assert_problem(await call(client, method, url, body, {}), 401, "unauthorized")


class RecordingListener(Provider):
    """Registers a page-event listener the way the cache and the chat room will."""

    def __init__(self, events: InMemoryPageEvents) -> None:
        super().__init__()
        self.events = events

    @provide(scope=Scope.APP)
    def listener(self) -> PageEventListener:
        return self.events


@pytest.fixture
async def heard(settings: Settings) -> AsyncIterator[tuple[Client, InMemoryPageEvents]]:
    events = InMemoryPageEvents()
    async with AsyncTestClient(create_app(settings, RecordingListener(events))) as test_client:
        yield test_client, events


async def test_listeners_hear_each_committed_change(
    heard: tuple[Client, InMemoryPageEvents],
) -> None:
    client, events = heard
    owner = await user_headers(client)
    page = await create_page(client, owner, slug="first-slug")

    await client.patch(
        f"/api/pages/{page['id']}", json={**COMPLETE_DOCUMENT, "slug": "second-slug"}, headers=owner
    )
    await client.patch(
        f"/api/pages/{page['id']}", json={"greeting": "x"}, headers={**owner, "If-Match": '"1"'}
    )
    await client.post(f"/api/pages/{page['id']}/publish", headers=owner)
    await client.delete(f"/api/pages/{page['id']}", headers=owner)

    assert events.events == [
        PageEvent(
            page["id"], 2, ("couple", "ceremony", "venue", "greeting", "slug"), "user", "first-slug"
        ),
        PageEvent(page["id"], 3, ("status",), "user"),
        PageEvent(page["id"], 3, (), "user", deleted=True),
    ]
