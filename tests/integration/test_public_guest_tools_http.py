"""The guests' options over HTTP on SQLite and Postgres: a PATCH validates them (every bad
field named), the history keeps them and a revert brings them back, and the public page
shows them from the server (the cache follows each change)."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from tests.integration.accounts_http import Client, assert_problem
from tests.integration.test_public_page_http import Page, published, settings

__all__ = ["settings"]  # a fixture, used by name

PAY = "https://qr.kakaopay.com/Ej8xyz123"
ACCOUNT = {"relation": "groom", "bank": "국민은행", "holder": "김민준", "number": "123-45-6789"}


async def test_the_options_are_validated_versioned_and_shown(client: Client) -> None:
    page, owner = await published(client)
    path = f"/api/pages/{page['id']}"
    refused = await client.patch(
        path,
        json={
            "gallery_view": {"layout": "carousel"},
            "gift_accounts": [{**ACCOUNT, "kakaopay_url": "https://pay.example.com/Ej8xyz123"}],
        },
        headers=owner,
    )
    body = assert_problem(refused, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {
        "gallery_view.layout",
        "gift_accounts.0.kakaopay_url",
    }

    assert "share" in Page((await client.get(f"/i/{page['slug']}")).text).ids
    options = {
        "gallery_view": {"layout": "slide"},
        "share": {"buttons": False},
        "gift_accounts": [{**ACCOUNT, "kakaopay_url": PAY, "toss": True}],
    }
    changed = await client.patch(path, json=options, headers=owner)
    assert changed.status_code == 200, changed.text
    document = changed.json()
    assert document["gallery_view"] == {"layout": "slide", "viewer": True}
    assert document["share"]["buttons"] is False
    assert document["gift_accounts"][0]["kakaopay_url"] == PAY
    version = document["version"]

    history = (await client.get(f"{path}/history?limit=1", headers=owner)).json()
    assert history["items"][0]["version"] == version
    assert set(history["items"][0]["changed"]) == {"gallery_view", "share", "gift_accounts"}
    kept = (await client.get(f"{path}/history/{version}", headers=owner)).json()["document"]
    assert kept["gallery_view"]["layout"] == "slide"
    assert kept["gift_accounts"][0]["toss"] is True

    html = (await client.get(f"/i/{page['slug']}")).text
    assert f'class="button kakaopay" href="{PAY}"' in html
    assert "supertoss://send?bank=" in html
    assert 'id="share"' not in Page(html).ids

    reverted = await client.post(f"{path}/revert", json={"version": version - 1}, headers=owner)
    assert reverted.status_code == 200, reverted.text
    assert reverted.json()["share"]["buttons"] is True
    html = (await client.get(f"/i/{page['slug']}")).text
    assert "share" in Page(html).ids
    assert "kakaopay" not in html


async def test_the_services_kakao_key_brings_kakao_map_and_sharing(settings: Settings) -> None:
    keyed = evolve(settings, kakao_js_key="js-key-1")
    async with AsyncTestClient(create_app(keyed)) as client:
        page, owner = await published(client)
        response = await client.get(f"/i/{page['slug']}")
        html = Page(response.text)
        assert {"kakao-map", "kakao-share"} <= set(html.ids)
        assert "appkey=js-key-1" in response.text
        csp = response.headers["content-security-policy"]
        assert "https://dapi.kakao.com" in csp
        assert "https://t1.kakaocdn.net" in csp
        # The couple may keep the keyless link card only.
        off = {"map_view": {"interactive": False}}
        assert (await client.patch(f"/api/pages/{page['id']}", json=off, headers=owner)).is_success
        response = await client.get(f"/i/{page['slug']}")
        assert "kakao-map" not in Page(response.text).ids
        assert "https://dapi.kakao.com" not in response.headers["content-security-policy"]
