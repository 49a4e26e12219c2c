"""The studio's server side over HTTP: its files (types, ETags, the CSP), the draft preview a
frame can load with the access token, and the QR code of the public link."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.http.static_files import STATIC_DIR
from entrypoints.http.studio.site import STUDIO_FILES
from tests.conftest import make_settings
from tests.integration.accounts_http import Client, assert_problem, register
from tests.integration.pages_helpers import create_complete_page, create_page, user_headers

# The document and the permission checks are the database's business, tested elsewhere on
# both backends; here SQLite is enough.
SQLITE = pytest.mark.parametrize("backend", ["sqlite"])


def directives(csp: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part for part in csp.split("; ")}


@SQLITE
async def test_the_studio_is_served_with_types_etags_and_a_strict_policy(client: Client) -> None:
    index = await client.get("/studio")
    assert index.status_code == 200
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/studio/js/app.js">' in index.text
    policy = directives(index.headers["content-security-policy"])
    assert policy["script-src"] == "script-src 'self'"
    assert policy["connect-src"] == "connect-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe" not in index.headers["content-security-policy"]

    script = await client.get("/studio/js/app.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["cache-control"] == "no-cache"
    again = await client.get("/studio/js/app.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert (await client.get("/studio/app.css")).headers["content-type"].startswith("text/css")
    assert_problem(await client.get("/studio/js/missing.js"), 404, "not_found")
    assert_problem(await client.get("/studio/../pyproject.toml"), 404, "not_found")
    assert (await client.get("/studio/config.json")).json() == {
        "kakao_js_key": "",
        "payments": "sandbox",
        "gallery_free_max": 12,
        "gallery_max": 30,
    }
    admin = await client.get("/studio/admin")
    assert admin.text == index.text
    assert admin.headers["content-security-policy"] == index.headers["content-security-policy"]
    assert "frame-src 'self';" in index.headers["content-security-policy"]
    sdk = await client.get("/studio/vendor/portone/v2.js")
    assert sdk.headers["content-type"] == "text/javascript; charset=utf-8"
    assert b"export {" in sdk.content


def test_every_module_the_studio_imports_is_one_of_its_files() -> None:
    """No build step: a relative import of a file that is not there would only fail in a
    browser, so the import graph is checked here."""
    modules = {p.relative_to(STUDIO_FILES).as_posix() for p in STUDIO_FILES.rglob("*.js")}
    for module in modules:
        source = (STUDIO_FILES / module).read_text()
        for target in re.findall(r"""(?:from|import)\s*\(?\s*'(\.\.?/[^']+)'""", source):
            resolved = posixpath.normpath((Path(module).parent / target).as_posix())
            assert resolved in modules, f"{module} imports {target}"
        # The app's own static files (the chat client): one of the files /static serves.
        for target in re.findall(r"""(?:from|import)\s*\(?\s*'/static/([^']+)'""", source):
            assert (STATIC_DIR / target).is_file(), f"{module} imports /static/{target}"
        assert "eval(" not in source, module
        assert "innerHTML" not in source, module


async def test_kakao_sharing_opens_the_policy_to_the_sdk_only_when_configured(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, kakao_js_key="js-key-for-test")
    async with AsyncTestClient(create_app(settings)) as client:
        await client.get("/health")
        index = await client.get("/studio")
        policy = directives(index.headers["content-security-policy"])
        assert policy["script-src"] == "script-src 'self' https://t1.kakaocdn.net"
        assert (await client.get("/studio/config.json")).json()["kakao_js_key"] == (
            "js-key-for-test"
        )


async def test_payments_through_portone_open_the_policy_to_its_payment_window(
    tmp_path: Path,
) -> None:
    settings = make_settings(
        tmp_path, portone_api_secret="secret-for-test", portone_store_id="store-for-test"
    )
    async with AsyncTestClient(create_app(settings)) as client:
        await client.get("/health")
        policy = directives((await client.get("/studio")).headers["content-security-policy"])
        assert policy["script-src"] == "script-src 'self' https://cdn.portone.io"
        assert policy["connect-src"] == "connect-src 'self' https://*.portone.io"
        assert policy["frame-src"] == "frame-src 'self' https:"
        assert (await client.get("/studio/config.json")).json()["payments"] == "portone"


@SQLITE
async def test_the_preview_renders_a_draft_for_its_owner_only(client: Client) -> None:
    owner = await register(client, "preview-owner@example.com")
    headers = {"Authorization": f"Bearer {owner['access_token']}"}
    page = await create_complete_page(client, headers, publish=False)
    assert page["status"] == "draft"

    shown = await client.get(
        f"/studio/preview/{page['id']}", params={"token": owner["access_token"]}
    )
    assert shown.status_code == 200
    assert "김민준" in shown.text
    assert "더채플앳청담" in shown.text
    assert shown.headers["x-frame-options"] == "SAMEORIGIN"
    assert shown.headers["cache-control"] == "no-store"
    assert shown.headers["referrer-policy"] == "no-referrer"
    policy = directives(shown.headers["content-security-policy"])
    assert policy["frame-ancestors"] == "frame-ancestors 'self'"
    assert policy["script-src"].startswith("script-src 'sha256-")

    assert_problem(await client.get(f"/studio/preview/{page['id']}"), 401, "unauthorized")
    bad = await client.get(f"/studio/preview/{page['id']}", params={"token": "not-a-token"})
    assert bad.status_code == 401
    stranger = await register(client, "preview-stranger@example.com")
    other = await client.get(
        f"/studio/preview/{page['id']}", params={"token": stranger["access_token"]}
    )
    assert_problem(other, 404, "not_found")


@SQLITE
async def test_the_qr_code_is_an_svg_of_the_public_link_for_the_owner(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_page(client, owner)
    qr = await client.get(f"/api/pages/{page['id']}/qr.svg", headers=owner)
    assert qr.status_code == 200
    assert qr.headers["content-type"] == "image/svg+xml"
    assert qr.text.startswith("<?xml") or qr.text.startswith("<svg")
    assert f"/i/{page['slug']}</title>" in qr.text

    assert_problem(await client.get(f"/api/pages/{page['id']}/qr.svg"), 401, "unauthorized")
    stranger = await user_headers(client, "서연")
    other = await client.get(f"/api/pages/{page['id']}/qr.svg", headers=stranger)
    assert_problem(other, 404, "not_found")
