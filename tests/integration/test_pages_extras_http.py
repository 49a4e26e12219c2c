"""The interview, notices, video and ending over HTTP on SQLite and Postgres: stored through
PATCH, refused with their field named, shown on the public page with a CSP that lets in only
the video's player."""

from __future__ import annotations

from typing import Any

from tests.integration.accounts_http import Client, assert_problem
from tests.integration.pages_helpers import create_complete_page, user_headers

SCRIPT = "<script>alert(1)</script>"
EXTRAS: dict[str, Any] = {
    "interview": [{"question": f"첫인상은? {SCRIPT}", "answer": "웃는 모습이 좋았어요"}],
    "notices": [
        {"kind": "shuttle", "title": "셔틀버스", "body": "강남역 5번 출구에서 20분마다"},
        {"kind": "wreath", "body": f"화환은 정중히 사양합니다 {SCRIPT}"},
    ],
    "video": {"url": "https://vimeo.com/76979871"},
    "ending": "함께해 주셔서 감사합니다",
}


async def test_the_extras_are_stored_and_shown_to_guests(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner)

    patched = await client.patch(f"/api/pages/{page['id']}", json=EXTRAS, headers=owner)

    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["interview"] == EXTRAS["interview"]
    assert body["notices"][1] == {"kind": "wreath", "title": None, **EXTRAS["notices"][1]}
    assert (body["video"], body["ending"]) == (EXTRAS["video"], EXTRAS["ending"])
    public = (await client.get(f"/api/public/pages/{page['slug']}")).json()
    assert public["notices"] == body["notices"]

    html = await client.get(f"/i/{page['slug']}")
    assert html.status_code == 200
    text = html.text
    for section in ("interview", "notices", "video", "ending"):
        assert f'<section id="{section}"' in text, section
    assert SCRIPT not in text
    assert "첫인상은? &lt;script&gt;" in text
    assert "화환 안내" in text
    assert 'src="https://player.vimeo.com/video/76979871"' in text
    csp = html.headers["content-security-policy"]
    assert "frame-src https://player.vimeo.com;" in csp
    assert "frame-ancestors 'none'" in csp
    assert "frame-src" not in (await client.get("/api/pages", headers=owner)).headers.get(
        "content-security-policy", ""
    )


async def test_bad_extras_are_refused_with_their_fields_and_nothing_changes(
    client: Client,
) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner)

    refused = await client.patch(
        f"/api/pages/{page['id']}",
        json={
            "interview": [{"question": "Q"}],
            "notices": [{"kind": "fireworks", "body": "x"}],
            "video": {"url": "https://example.com/movie.mp4"},
            "ending": "가" * 501,
        },
        headers=owner,
    )

    problem = assert_problem(refused, 422, "validation_error")
    assert {e["field"] for e in problem["errors"]} == {
        "interview.0.answer",
        "notices.0.kind",
        "video.url",
        "ending",
    }
    current = (await client.get(f"/api/pages/{page['id']}", headers=owner)).json()
    assert current["version"] == page["version"]


async def test_a_page_without_a_video_frames_nothing(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner, ending="감사합니다")

    html = await client.get(f"/i/{page['slug']}")

    assert '<section id="ending"' in html.text
    assert "frame-src" not in html.headers["content-security-policy"]
