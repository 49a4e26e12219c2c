"""The interview, notices, video and ending of the page document: validation, limits, the
sections that show them, and how the public page renders them (escaped, its CSP narrow)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from entrypoints.http.public_render import PublicTemplates
from entrypoints.http.public_view import build_view
from mocheong_core.errors import ValidationFailed
from mocheong_core.pages.content import NoticeKind, PageContent, SectionKind
from mocheong_core.pages.document import PagePolicy, merge_patch, read_content, stored_content
from mocheong_core.pages.model import Page, PageStatus, Plan
from mocheong_core.pages.reader import DocumentReader
from mocheong_core.pages.video import video_link
from tests.unit.pages_harness import COMPLETE

POLICY = PagePolicy(interview_max=2, notices_max=2, ending_max=20)
NOW = datetime(2027, 3, 1, tzinfo=UTC)


def read(document: Any, policy: PagePolicy = POLICY) -> PageContent:
    reader = DocumentReader()
    content = read_content(document, policy, reader)
    reader.validator.raise_if_any()
    return content


def errors(document: Any, policy: PagePolicy = POLICY) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        read(document, policy)
    return {error.field: error.message for error in caught.value.errors}


def test_the_new_fields_are_read_and_dumped_back() -> None:
    document = {
        "interview": [{"question": " 첫인상은? ", "answer": "웃는 모습이\n좋았어요"}],
        "notices": [
            {"kind": "shuttle", "title": "셔틀버스", "body": "강남역 5번 출구"},
            {"kind": "wreath", "body": "화환은 정중히 사양합니다"},
        ],
        "video": {"url": "https://youtu.be/dQw4w9WgXcQ"},
        "ending": "감사합니다",
    }

    content = read(document)

    assert content.interview[0].question == "첫인상은?"
    assert content.notices[1].kind is NoticeKind.WREATH
    assert content.notices[1].title is None
    dumped = content.dump()
    assert dumped["interview"] == [{"question": "첫인상은?", "answer": "웃는 모습이\n좋았어요"}]
    assert dumped["notices"][1] == {
        "kind": "wreath",
        "title": None,
        "body": "화환은 정중히 사양합니다",
    }
    assert dumped["video"] == {"url": "https://youtu.be/dQw4w9WgXcQ"}
    assert dumped["ending"] == "감사합니다"
    assert read(dumped) == content


def test_a_new_page_has_none_of_them() -> None:
    dumped = read({}).dump()
    assert (dumped["interview"], dumped["notices"], dumped["video"], dumped["ending"]) == (
        [],
        [],
        {"url": None},
        None,
    )


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        ({"interview": [{"question": "Q"}]}, "interview.0.answer", "is required"),
        ({"interview": [{"answer": "A"}]}, "interview.0.question", "is required"),
        (
            {"interview": [{"question": "가" * 101, "answer": "A"}]},
            "interview.0.question",
            "at most 100",
        ),
        (
            {"interview": [{"question": "Q", "answer": "A", "x": 1}]},
            "interview.0.x",
            "not a known field",
        ),
        ({"interview": [None]}, "interview.0", "must be an object"),
        ({"interview": {"question": "Q"}}, "interview", "must be a list"),
        ({"interview": [{"question": "Q", "answer": "A"}] * 3}, "interview", "at most 2 items"),
        ({"notices": [{"kind": "party", "body": "x"}]}, "notices.0.kind", "must be one of"),
        ({"notices": [{"body": "x"}]}, "notices.0.kind", "is required"),
        ({"notices": [{"kind": "meal"}]}, "notices.0.body", "is required"),
        (
            {"notices": [{"kind": "meal", "title": "가" * 41, "body": "x"}]},
            "notices.0.title",
            "at most 40",
        ),
        ({"notices": [{"kind": "meal", "body": "x"}] * 3}, "notices", "at most 2 items"),
        (
            {"video": {"url": "http://youtu.be/dQw4w9WgXcQ"}},
            "video.url",
            "https link to a YouTube or Vimeo",
        ),
        ({"video": {"url": "https://example.com/v.mp4"}}, "video.url", "YouTube or Vimeo"),
        ({"video": {"url": 5}}, "video.url", "must be text"),
        ({"video": "https://youtu.be/dQw4w9WgXcQ"}, "video", "must be an object"),
        ({"ending": "가" * 21}, "ending", "at most 20 characters"),
        ({"ending": "bell\x07"}, "ending", "control characters"),
    ],
)
def test_each_bad_field_is_named_with_its_reason(
    document: dict[str, Any], field: str, message: str
) -> None:
    found = errors(document)
    assert field in found, found
    assert message in found[field]


def test_the_limits_are_the_policys() -> None:
    roomy = PagePolicy(interview_max=5, notices_max=5, ending_max=100)
    document = {
        "interview": [{"question": "Q", "answer": "A"}] * 3,
        "notices": [{"kind": "other", "body": "x"}] * 3,
        "ending": "가" * 50,
    }
    assert len(read(document, roomy).interview) == 3
    assert set(errors(document)) == {"interview", "notices", "ending"}


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        (
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        (
            "https://youtu.be/dQw4w9WgXcQ?si=abc",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        (
            "https://youtube.com/shorts/dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        (
            "https://vimeo.com/76979871/8a2b3c4d5e",
            "https://player.vimeo.com/video/76979871?h=8a2b3c4d5e",
        ),
        ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871"),
    ],
)
def test_youtube_and_vimeo_links_become_their_players(url: str, embed: str) -> None:
    link = video_link(url)
    assert link is not None
    assert link.embed_url == embed


@pytest.mark.parametrize(
    "url",
    [
        "http://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/channel/UC123",
        "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "https://user@youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ",
        "https://vimeo.com/channels/staffpicks",
        "https://vimeo.com/76979871/<script>",
        "javascript:alert(1)",
        "https://[::1",
    ],
)
def test_anything_else_is_not_a_video_link(url: str) -> None:
    assert video_link(url) is None


def test_each_new_kind_is_a_section_that_can_be_hidden_and_ordered() -> None:
    content = read({"sections": [{"kind": "ending"}, {"kind": "video", "visible": False}]})
    assert [s.kind for s in content.sections[:2]] == [SectionKind.ENDING, SectionKind.VIDEO]
    assert [s.visible for s in content.sections[:2]] == [True, False]
    assert {SectionKind.INTERVIEW, SectionKind.NOTICES} <= {s.kind for s in content.sections}


def test_a_page_stored_before_the_new_sections_shows_them_in_their_places() -> None:
    old_kinds = ["cover", "greeting", "couple", "calendar", "gallery", "venue"]
    old_kinds += ["gift_accounts", "rsvp", "guestbook"]
    stored = {"sections": [{"kind": k, "visible": k != "gallery"} for k in old_kinds]}

    sections = stored_content(stored).sections

    assert [s.kind.value for s in sections] == [k.value for k in SectionKind]
    hidden = [s.kind.value for s in sections if not s.visible]
    assert hidden == ["gallery"]


def page_with(**extra: Any) -> Page:
    at = datetime(2027, 1, 1, tzinfo=UTC)
    content = stored_content(merge_patch(COMPLETE, extra))
    status = PageStatus.PUBLISHED
    return Page("01J0PAGE", "owner", "minjun-seoyeon", status, Plan.FREE, 4, content, at, at)


def render(page: Page) -> tuple[str, str]:
    view = build_view(page, {}, [], None, origin="https://m.example", now=NOW)
    rendered = PublicTemplates().page(view, party_size_max=10)
    return rendered.body.decode(), rendered.csp


def test_the_public_page_shows_them_escaped() -> None:
    hostile = "<script>alert(1)</script>"
    html, csp = render(
        page_with(
            interview=[{"question": f"Q {hostile}", "answer": "둘이서\n함께"}],
            notices=[
                {"kind": "parking", "body": f"지하 2층 {hostile}"},
                {"kind": "dress_code", "title": "옷차림 <b>", "body": "편하게"},
            ],
            ending=f"고맙습니다 {hostile}",
        )
    )

    assert "<script>alert(1)</script>" not in html
    assert "Q &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "둘이서\n함께" in html
    assert "주차 안내" in html  # a notice without a title gets its kind's heading
    assert "옷차림 &lt;b&gt;" in html
    assert '<section id="ending" class="ending">' in html
    assert "frame-src" not in csp
    assert 'id="video"' not in html


def test_a_video_is_embedded_and_only_its_player_may_be_framed() -> None:
    html, csp = render(page_with(video={"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}))

    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in html
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in html
    assert "frame-src https://www.youtube-nocookie.com;" in csp
    assert "default-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp


def test_a_hidden_video_section_lets_no_player_in() -> None:
    page = page_with(
        video={"url": "https://vimeo.com/76979871"},
        sections=[{"kind": "cover"}, {"kind": "video", "visible": False}],
    )
    html, csp = render(page)
    assert "player.vimeo.com" not in html
    assert "frame-src" not in csp


def test_sections_without_content_are_left_out() -> None:
    html, _ = render(page_with())
    for section in ("interview", "notices", "video", "ending"):
        assert f'<section id="{section}"' not in html
