"""The options guests use on their phones, in the page document and on the public page: the
gallery's layout and viewer, Kakao Map, the share buttons and the transfer links of each gift
account (validated; rendered by the server; Kakao's scripts and the CSP only with a key)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from entrypoints.http.public.render import PublicTemplates
from entrypoints.http.public.view import build_view
from mocheong_core.errors import ValidationFailed
from mocheong_core.pages.content import PageContent
from mocheong_core.pages.document import PagePolicy, merge_patch, read_content, stored_content
from mocheong_core.pages.guest_tools import GalleryLayout, kakaopay_link, toss_link
from mocheong_core.pages.model import Page, PageStatus, Plan
from mocheong_core.pages.reader import DocumentReader
from tests.unit.pages_harness import COMPLETE
from tests.unit.test_public_page import file_view

NOW = datetime(2027, 3, 1, tzinfo=UTC)
ACCOUNT = {"relation": "groom", "bank": "국민은행", "holder": "김민준", "number": "123-45-6789"}
PAY = "https://qr.kakaopay.com/Ej8xyz123"
PINNED = {"venue": {"lat": 37.5233, "lng": 127.0406}}


def read(document: Any) -> PageContent:
    reader = DocumentReader()
    content = read_content(document, PagePolicy(), reader)
    reader.validator.raise_if_any()
    return content


def errors(document: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        read(document)
    return {error.field: error.message for error in caught.value.errors}


def test_defaults_a_grid_with_the_viewer_the_map_and_the_share_buttons() -> None:
    content = read({})
    assert (content.gallery_view.layout, content.gallery_view.viewer) == (GalleryLayout.GRID, True)
    assert content.map_view.interactive is True
    assert content.share.buttons is True
    dumped = content.dump()
    assert dumped["gallery_view"] == {"layout": "grid", "viewer": True}
    assert dumped["map_view"] == {"interactive": True}
    assert dumped["share"]["buttons"] is True
    # A page stored before these options existed reads with the defaults.
    old = content.dump()
    for key in ("gallery_view", "map_view"):
        del old[key]
    del old["share"]["buttons"]
    assert stored_content(old) == content


def test_the_options_are_read_and_dumped_back() -> None:
    account = {**ACCOUNT, "kakaopay_url": PAY, "toss": True}
    document = {
        "gallery_view": {"layout": "slide", "viewer": False},
        "map_view": {"interactive": False},
        "share": {"buttons": False},
        "gift_accounts": [account],
    }
    content = read(document)
    dumped = content.dump()
    assert dumped["gallery_view"] == {"layout": "slide", "viewer": False}
    assert dumped["map_view"] == {"interactive": False}
    assert dumped["share"]["buttons"] is False
    assert dumped["gift_accounts"] == [account]
    assert stored_content(dumped) == content


def test_bad_options_are_named_by_their_path() -> None:
    document = {
        "gallery_view": {"layout": "masonry", "viewer": "yes", "zoom": True},
        "map_view": {"interactive": 1},
        "share": {"buttons": "no"},
        "gift_accounts": [
            {**ACCOUNT, "kakaopay_url": "https://evil.example/qr.kakaopay.com/x", "toss": "y"},
            {**ACCOUNT, "kakaopay_url": "http://qr.kakaopay.com/Ej8xyz123"},
        ],
    }
    found = errors(document)
    assert set(found) == {
        "gallery_view.layout",
        "gallery_view.viewer",
        "gallery_view.zoom",
        "map_view.interactive",
        "share.buttons",
        "gift_accounts.0.kakaopay_url",
        "gift_accounts.0.toss",
        "gift_accounts.1.kakaopay_url",
    }
    assert found["gift_accounts.1.kakaopay_url"].startswith("must be a KakaoPay transfer link")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        (PAY, True),
        ("https://qr.kakaopay.com/FX9abc_-77/", True),
        ("http://qr.kakaopay.com/Ej8xyz123", False),
        ("https://qr.kakaopay.com.evil.example/Ej8xyz123", False),
        ("https://user@qr.kakaopay.com/Ej8xyz123", False),
        ("https://qr.kakaopay.com:8443/Ej8xyz123", False),
        ("https://qr.kakaopay.com/", False),
        ("https://qr.kakaopay.com/a/b", False),
        ("https://qr.kakaopay.com/Ej8xyz123#x", False),
        ("javascript:alert(1)//qr.kakaopay.com/abcd", False),
        ("https://[qr.kakaopay.com/abcd", False),
    ],
)
def test_only_kakaopay_transfer_links_pass(url: str, ok: bool) -> None:
    assert (kakaopay_link(url) == url) is ok


def test_the_toss_link_carries_the_bank_and_the_digits() -> None:
    assert toss_link("국민은행", "123-45 6789") == (
        "supertoss://send?bank=%EA%B5%AD%EB%AF%BC%EC%9D%80%ED%96%89&accountNo=123456789&origin=qr"
    )


def page_with(**extra: Any) -> Page:
    at = datetime(2027, 1, 1, tzinfo=UTC)
    content = stored_content(merge_patch(COMPLETE, extra))
    return Page(
        "01J0PAGE", "owner", "minjun-seoyeon", PageStatus.PUBLISHED, Plan.FREE, 4, content, at, at
    )


def render(page: Page, *, key: str = "") -> tuple[str, str]:
    files = {name: file_view(name) for name in ("a", "b")}
    view = build_view(page, files, [], None, origin="https://m.example", now=NOW, kakao_js_key=key)
    rendered = PublicTemplates().page(view, party_size_max=10)
    # The markup only: the page's fixed style and script name these classes too.
    markup = re.sub(r"<(script|style)>.*?</\1>", "", rendered.body.decode(), flags=re.S)
    return markup, rendered.csp


def test_the_gallery_renders_as_asked_and_the_viewer_only_when_on() -> None:
    html, _ = render(page_with(gallery=["a", "b"]))
    assert 'class="gallery grid" data-viewer' in html
    assert 'sizes="(max-width: 480px) 31vw, 150px"' in html
    assert '<dialog id="viewer"' in html
    assert 'href="/files/a/w1280.webp?sig=1"' in html  # without script, the photo opens

    html, _ = render(
        page_with(gallery=["a", "b"], gallery_view={"layout": "slide", "viewer": False})
    )
    assert 'class="gallery slide" tabindex="0" role="region"' in html
    assert 'sizes="(max-width: 480px) 88vw, 420px"' in html
    assert "data-viewer" not in html
    assert '<dialog id="viewer"' not in html


def test_transfer_links_sit_beside_copy() -> None:
    html, _ = render(page_with(gift_accounts=[{**ACCOUNT, "kakaopay_url": PAY, "toss": True}]))
    assert f'class="button kakaopay" href="{PAY}"' in html
    assert (
        'href="supertoss://send?bank=%EA%B5%AD%EB%AF%BC%EC%9D%80%ED%96%89&amp;accountNo=123456789&amp;origin=qr"'
        in html
    )
    assert 'data-copy="국민은행 123-45-6789"' in html
    html, _ = render(page_with(gift_accounts=[ACCOUNT]))
    assert "kakaopay" not in html
    assert "supertoss" not in html


def test_map_and_share_without_a_kakao_key_load_nothing_from_kakao() -> None:
    html, csp = render(page_with(**PINNED))
    assert 'data-copy="서울 강남구 선릉로 757"' in html  # 주소 복사
    assert "https://www.google.com/maps/search/?api=1&amp;query=37.5233%2C127.0406" in html
    assert 'id="share"' in html
    assert 'data-copy="https://m.example/i/minjun-seoyeon" data-share' in html
    assert "kakao-map" not in html
    assert "kakao-share" not in html
    assert "kakao" not in csp
    assert 'id="share"' not in render(page_with(share={"buttons": False}))[0]


def test_a_kakao_key_brings_kakao_map_and_kakaotalk_sharing_and_their_origins() -> None:
    html, csp = render(page_with(**PINNED), key="k3y")
    assert 'id="kakao-map"' in html
    assert "https://dapi.kakao.com/v2/maps/sdk.js?autoload=false&amp;appkey=k3y" in html
    assert 'id="kakao-share"' in html
    assert 'data-key="k3y"' in html
    directives = dict(part.split(" ", 1) for part in csp.split("; "))
    assert directives["script-src"].endswith(
        " https://dapi.kakao.com https://t1.daumcdn.net https://t1.kakaocdn.net"
    )
    assert directives["img-src"] == "'self' https://*.daumcdn.net"
    assert directives["connect-src"] == "'self' https://*.kakao.com"

    html, csp = render(
        page_with(map_view={"interactive": False}, share={"buttons": False}), key="k"
    )
    assert "kakao-map" not in html
    assert "kakao-share" not in html
    assert "kakao" not in csp
    assert "daum" not in csp


def test_a_draft_without_names_says_groom_and_bride_not_none() -> None:
    html, _ = render(page_with(couple=None))
    assert "None" not in html
    assert '신랑 <span class="muted">그리고</span> 신부' in html
