"""The guests' photo album over HTTP on SQLite and Postgres: a guest sends a photo (JSON API
and the plain form), the couple approves or removes it, the public page and its cache follow;
every refusal a problem."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from tests.files_support import FAKE_PDF, PDF, declared_png, image_bytes, noise_png
from tests.integration.accounts_http import Client, assert_problem
from tests.integration.pages_helpers import create_complete_page, make_premium, user_headers

JPEG = image_bytes("JPEG", (64, 48))


@pytest.fixture
def settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Limits generous enough that only the rate-limit test meets them; a small photo cap."""
    # The inspector sets Pillow's process-wide pixel limit; put it back after each test.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    return evolve(settings, rate_guest_photos_per_ip=1000, guest_photo_max_bytes=200_000)


async def album_page(client: Client) -> tuple[dict[str, str], dict[str, Any]]:
    """A published premium page with the album on, and its owner's headers."""
    owner = await user_headers(client)
    page = await create_complete_page(client, owner)
    await make_premium(client, owner, page["id"])
    on = await client.patch(
        f"/api/pages/{page['id']}", json={"guest_photos": {"enabled": True}}, headers=owner
    )
    assert on.status_code == 200, on.text
    assert on.json()["guest_photos"] == {"enabled": True}
    return owner, dict(on.json())


async def send(client: Client, slug: str, data: bytes = JPEG, **fields: str) -> Any:
    return await client.post(
        f"/api/public/pages/{slug}/photos",
        files={"file": ("IMG_0001.jpg", data, "image/jpeg")},
        data=fields,
    )


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_a_guest_photo_waits_for_the_couple_then_shows_on_the_page(client: Client) -> None:
    owner, page = await album_page(client)
    slug, photos = page["slug"], f"/api/pages/{page['id']}/photos"
    before = await client.get(f"/i/{slug}")  # cached from here on
    assert 'id="album-form"' in before.text
    assert "아직 올라온 사진이 없어요" in before.text

    sent = await send(client, slug, name=" 이모 ")

    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert (body["state"], body["guest_name"]) == ("pending", "이모")
    assert set(body) == {"id", "state", "guest_name", "created_at"}
    assert (await client.get(f"/api/public/pages/{slug}/photos")).json() == {
        "items": [], "next_cursor": None
    }  # fmt: skip
    pending = (await client.get(photos, params={"state": "pending"}, headers=owner)).json()
    assert [p["id"] for p in pending["items"]] == [body["id"]]
    item = pending["items"][0]
    assert (item["content_type"], item["width"], item["height"]) == ("image/jpeg", 64, 48)
    # The original until the background job has made the web copies, then the largest copy.
    shown_copy = await client.get(local(item["url"]))
    assert shown_copy.status_code == 200
    assert shown_copy.headers["content-type"] in ("image/jpeg", "image/webp")

    approved = await client.post(f"{photos}/{body['id']}/approve", headers=owner)
    again = await client.post(f"{photos}/{body['id']}/approve", headers=owner)

    assert approved.status_code == again.status_code == 200
    assert approved.json()["state"] == "approved"
    assert approved.json()["decided_at"] is not None
    album = (await client.get(f"/api/public/pages/{slug}/photos")).json()
    assert [(p["id"], p["guest_name"]) for p in album["items"]] == [(body["id"], "이모")]
    shown = await client.get(f"/i/{slug}")
    assert "이모님이 보낸 사진" in shown.text
    assert "아직 올라온 사진이 없어요" not in shown.text
    # The photo's folder: its original or its web copy, whichever the background job has made.
    folder = urlsplit(album["items"][0]["thumbnail"]).path.rsplit("/", 1)[0] + "/"
    assert folder in shown.text

    removed = await client.post(f"{photos}/{body['id']}/remove", headers=owner)
    removed_again = await client.post(f"{photos}/{body['id']}/remove", headers=owner)

    assert removed.status_code == removed_again.status_code == 200
    assert (removed.json()["state"], removed.json()["url"]) == ("removed", None)
    assert (await client.get(local(item["url"]))).status_code == 404
    assert (await client.get(local(item["thumbnail"]))).status_code == 404
    assert (await client.get(f"/api/public/pages/{slug}/photos")).json()["items"] == []
    assert "이모님이 보낸 사진" not in (await client.get(f"/i/{slug}")).text
    assert_problem(
        await client.post(f"{photos}/{body['id']}/approve", headers=owner), 409, "photo_removed"
    )
    everything = (await client.get(photos, headers=owner)).json()
    assert [p["state"] for p in everything["items"]] == ["removed"]


async def test_the_plain_form_sends_a_photo_and_comes_back_to_the_page(client: Client) -> None:
    owner, page = await album_page(client)

    sent = await client.post(
        f"/i/{page['slug']}/photos",
        files={"file": ("a.png", image_bytes("PNG"), "image/png")},
        follow_redirects=False,
    )
    refused = await client.post(
        f"/i/{page['slug']}/photos", files={"file": ("a.pdf", PDF, "application/pdf")}
    )

    assert sent.status_code == 303
    assert sent.headers["location"].endswith("#album-done")
    pending = (await client.get(f"/api/pages/{page['id']}/photos", headers=owner)).json()
    assert [p["content_type"] for p in pending["items"]] == ["image/png"]
    assert refused.status_code == 415
    assert "사진 파일(JPG, PNG, HEIC 등)만 올릴 수 있습니다" in refused.text


async def test_the_album_pages_newest_first(client: Client) -> None:
    owner, page = await album_page(client)
    ids = [(await send(client, page["slug"])).json()["id"] for _ in range(3)]
    for photo_id in ids:
        await client.post(f"/api/pages/{page['id']}/photos/{photo_id}/approve", headers=owner)

    first = (await client.get(f"/api/public/pages/{page['slug']}/photos?limit=2")).json()
    rest = (
        await client.get(
            f"/api/public/pages/{page['slug']}/photos",
            params={"limit": 2, "cursor": first["next_cursor"]},
        )
    ).json()

    assert [p["id"] for p in first["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (PDF, 415, "unsupported_media_type"),
        (FAKE_PDF, 415, "unsupported_media_type"),
        (b"just text named .jpg", 415, "unsupported_media_type"),
        (declared_png(30_000, 30_000), 422, "image_too_large"),
        (noise_png(300, 300), 413, "file_too_large"),
    ],
)
async def test_only_photos_within_the_limits_are_taken(
    client: Client, data: bytes, status: int, code: str
) -> None:
    owner, page = await album_page(client)

    assert_problem(await send(client, page["slug"], data), status, code)
    assert (await client.get(f"/api/pages/{page['id']}/photos", headers=owner)).json()[
        "items"
    ] == []


async def test_bad_forms_are_named(client: Client) -> None:
    _, page = await album_page(client)
    url = f"/api/public/pages/{page['slug']}/photos"

    long_name = await send(client, page["slug"], name="가" * 21)
    no_file = await client.post(url, data={"name": "철수"})
    wrong_part = await client.post(url, files={"photo": ("a.jpg", JPEG, "image/jpeg")})
    json_body = await client.post(url, json={"file": "a.jpg"})

    assert {e["field"] for e in assert_problem(long_name, 422, "validation_error")["errors"]} == {
        "name"
    }
    assert assert_problem(no_file, 422, "validation_error")["errors"][0]["field"] == "file"
    assert {e["field"] for e in assert_problem(wrong_part, 422, "validation_error")["errors"]} == {
        "file", "photo"
    }  # fmt: skip
    assert_problem(json_body, 415, "unsupported_media_type")


async def test_a_page_without_the_album_takes_no_photos(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner)

    refused = await client.patch(
        f"/api/pages/{page['id']}", json={"guest_photos": {"enabled": True}}, headers=owner
    )

    assert_problem(refused, 402, "premium_required")
    assert_problem(await send(client, page["slug"]), 409, "album_closed")
    assert_problem(await send(client, "no-such-page"), 404, "not_found")
    assert (await client.get(f"/api/public/pages/{page['slug']}/photos")).json()["items"] == []
    assert 'id="album"' not in (await client.get(f"/i/{page['slug']}")).text


async def test_turning_the_album_off_hides_it_and_closes_it(client: Client) -> None:
    owner, page = await album_page(client)
    photo = (await send(client, page["slug"])).json()
    await client.post(f"/api/pages/{page['id']}/photos/{photo['id']}/approve", headers=owner)

    off = await client.patch(
        f"/api/pages/{page['id']}", json={"guest_photos": {"enabled": False}}, headers=owner
    )

    assert off.status_code == 200
    assert_problem(await send(client, page["slug"]), 409, "album_closed")
    assert (await client.get(f"/api/public/pages/{page['slug']}/photos")).json()["items"] == []
    assert 'id="album"' not in (await client.get(f"/i/{page['slug']}")).text
    history = (await client.get(f"/api/pages/{page['id']}/history", headers=owner)).json()
    assert ["guest_photos"] in [v["changed"] for v in history["items"]]


async def test_the_owner_list_refuses_an_unknown_state(client: Client) -> None:
    owner, page = await album_page(client)

    response = await client.get(
        f"/api/pages/{page['id']}/photos", params={"state": "hidden"}, headers=owner
    )

    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_sending_photos_is_rate_limited_per_ip(settings: Settings) -> None:
    limited = evolve(settings, rate_guest_photos_per_ip=2)
    async with AsyncTestClient(create_app(limited)) as client:
        _, page = await album_page(client)
        statuses = [(await send(client, page["slug"])).status_code for _ in range(2)]
        refused = await send(client, page["slug"])
        form = await client.post(
            f"/i/{page['slug']}/photos", files={"file": ("a.jpg", JPEG, "image/jpeg")}
        )

    assert statuses == [201, 201]
    assert_problem(refused, 429, "rate_limited")
    assert int(refused.headers["retry-after"]) > 0
    assert form.status_code == 429
    assert "잠시 후 다시 시도해 주세요" in form.text
