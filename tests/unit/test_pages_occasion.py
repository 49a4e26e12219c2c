"""The page's moments in the document and on the public page: the typeface and text scale,
what the page becomes after the wedding, falling petals or snow with an opening line, the RSVP
prompt and sticky button, and the countdown beside the D-day."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from entrypoints.http.public.render import TEMPLATES, PublicTemplates
from entrypoints.http.public.view import build_view
from entrypoints.http.static_files import STATIC_DIR
from mocheong_core.errors import ValidationFailed
from mocheong_core.pages.content import PageContent
from mocheong_core.pages.document import PagePolicy, merge_patch, read_content, stored_content
from mocheong_core.pages.model import Page, PageStatus, Plan
from mocheong_core.pages.occasion import AfterMode, Falling, Font
from mocheong_core.pages.reader import DocumentReader
from tests.unit.pages_harness import COMPLETE
from tests.unit.test_public_page import file_view

STARTS = datetime(2027, 5, 15, 4, 0, tzinfo=UTC)  # COMPLETE's ceremony, 13:00 in Seoul
BEFORE = datetime(2027, 5, 13, 1, 30, tzinfo=UTC)


def read(document: Any) -> PageContent:
    reader = DocumentReader()
    content = read_content(document, PagePolicy(), reader)
    reader.validator.raise_if_any()
    return content


def test_defaults_change_nothing_and_old_documents_read() -> None:
    content = read({})
    dumped = content.dump()
    assert dumped["text"] == {"font": "system", "scale": 1.0}
    assert dumped["after_wedding"] == {"mode": "stay", "hours": 6, "message": None, "photos": []}
    assert dumped["effects"] == {"falling": "none", "opening": None}
    assert dumped["calendar_view"] == {"countdown": True}
    assert (dumped["rsvp"]["prompt"], dumped["rsvp"]["button"]) == (False, False)
    old = dict(dumped)
    for key in ("text", "after_wedding", "effects", "calendar_view"):
        del old[key]
    old["rsvp"] = {k: v for k, v in dumped["rsvp"].items() if k not in ("prompt", "button")}
    assert stored_content(old) == content


def test_the_options_are_read_and_dumped_back() -> None:
    document = {
        "text": {"font": "myeongjo", "scale": 1.3},
        "after_wedding": {"mode": "thanks", "hours": 3, "message": "고맙습니다", "photos": ["a"]},
        "effects": {"falling": "petals", "opening": "우리 결혼합니다"},
        "calendar_view": {"countdown": False},
        "rsvp": {"prompt": True, "button": True},
    }
    content = read(document)
    assert content.text.font is Font.MYEONGJO
    assert content.text.scale == 1.3
    assert content.after_wedding.mode is AfterMode.THANKS
    assert content.effects.falling is Falling.PETALS
    dumped = content.dump()
    for key in ("text", "after_wedding", "effects", "calendar_view"):
        assert dumped[key] == document[key]
    assert stored_content(dumped) == content


def test_bad_options_are_named_by_their_path() -> None:
    document = {
        "text": {"font": "comic", "scale": 1.2},
        "after_wedding": {"mode": "vanish", "hours": -1, "photos": ["a", "a", 3], "x": 1},
        "effects": {"falling": "confetti", "opening": "x" * 61},
        "calendar_view": {"countdown": "yes"},
        "rsvp": {"prompt": 1, "button": "on"},
    }
    with pytest.raises(ValidationFailed) as caught:
        read(document)
    found = {error.field: error.message for error in caught.value.errors}
    assert set(found) == {
        "text.font",
        "text.scale",
        "after_wedding.mode",
        "after_wedding.hours",
        "after_wedding.photos.1",
        "after_wedding.photos.2",
        "after_wedding.x",
        "effects.falling",
        "effects.opening",
        "calendar_view.countdown",
        "rsvp.prompt",
        "rsvp.button",
    }
    assert found["text.scale"] == "must be one of: 1, 1.15, 1.3"


def test_the_switch_comes_hours_after_the_ceremony_and_never_when_staying() -> None:
    after = read({"after_wedding": {"mode": "lock", "hours": 6}}).after_wedding
    assert after.switches_at(STARTS) == STARTS + timedelta(hours=6)
    assert after.mode_at(STARTS, STARTS + timedelta(hours=5, minutes=59)) is AfterMode.STAY
    assert after.mode_at(STARTS, STARTS + timedelta(hours=6)) is AfterMode.LOCK
    assert after.switches_at(None) is None
    stay = read({}).after_wedding
    assert stay.switches_at(STARTS) is None
    assert stay.mode_at(STARTS, STARTS + timedelta(days=30)) is AfterMode.STAY


def page_with(**extra: Any) -> Page:
    at = datetime(2027, 1, 1, tzinfo=UTC)
    content = stored_content(merge_patch(COMPLETE, extra))
    return Page(
        "01J0PAGE", "owner", "minjun-seoyeon", PageStatus.PUBLISHED, Plan.FREE, 4, content, at, at
    )


def render(page: Page, now: datetime) -> tuple[str, datetime]:
    files = {name: file_view(name) for name in ("a", "b")}
    view = build_view(page, files, [], None, origin="https://m.example", now=now)
    rendered = PublicTemplates().page(view, party_size_max=10)
    markup = re.sub(r"<(script|style)>.*?</\1>", "", rendered.body.decode(), flags=re.S)
    return markup, view.valid_until


def test_font_and_scale_are_classes_of_the_page() -> None:
    html, _ = render(page_with(text={"font": "myeongjo", "scale": 1.3}), BEFORE)
    assert '<body class="theme-classic font-myeongjo scale-130"' in html
    html, _ = render(page_with(text={"font": "gothic", "scale": 1.15}), BEFORE)
    assert '<body class="theme-classic font-gothic scale-115"' in html
    html, _ = render(page_with(), BEFORE)
    assert '<body class="theme-classic font-system"' in html


def test_the_served_fonts_swap_and_match_their_pins() -> None:
    css = (TEMPLATES / "public_guests.css").read_text()
    faces = re.findall(r"@font-face\{[^}]*\}", css)
    assert len(faces) == 2
    assert all("font-display:swap" in face for face in faces)
    fonts = STATIC_DIR / "fonts"
    pins = json.loads((fonts / "fonts.json").read_text())["files"]
    for face in faces:
        name = re.search(r"url\(/static/fonts/([^)]+)\)", face)
        assert name is not None
        assert name[1] in pins
        data = (fonts / name[1]).read_bytes()
        assert data[:4] == b"wOF2"
        assert hashlib.sha256(data).hexdigest() == pins[name[1]]


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _hex6(colour: str) -> str:
    return "#" + "".join(c * 2 for c in colour[1:]) if len(colour) == 4 else colour


def test_every_theme_meets_wcag_aa_contrast() -> None:
    css = (TEMPLATES / "public.css").read_text()
    blocks = dict(re.findall(r"(:root|\.theme-[a-z]+)\{(--[^}]*)\}", css))
    base = dict(re.findall(r"--([a-z]+):(#[0-9a-f]+)", blocks.pop(":root")))
    themes = {"classic": base} | {
        name.removeprefix(".theme-"): base | dict(re.findall(r"--([a-z]+):(#[0-9a-f]+)", body))
        for name, body in blocks.items()
    }
    assert set(themes) == {"classic", "modern", "minimal", "romantic", "floral", "hanok"}
    # Text on the page and on cards, the accent's headings and links, white on accent buttons
    # and the red of Sundays and errors: 4.5:1 at least (AA for normal text).
    for name, colours in themes.items():
        c = {key: _hex6(value) for key, value in colours.items()}
        pairs = {
            "ink/bg": (c["ink"], c["bg"]),
            "soft/bg": (c["soft"], c["bg"]),
            "soft/card": (c["soft"], c["card"]),
            "accent/bg": (c["accent"], c["bg"]),
            "white/accent": ("#ffffff", c["accent"]),
            "red/bg": ("#c0392b", c["bg"]),
        }
        for pair, (fore, back) in pairs.items():
            assert contrast(fore, back) >= 4.5, f"{name} {pair}: {contrast(fore, back):.2f}"


def test_thanks_mode_switches_at_its_hour_and_the_cache_expires_then() -> None:
    page = page_with(
        after_wedding={
            "mode": "thanks",
            "hours": 6,
            "message": "와 주셔서 고마워요",
            "photos": ["b"],
        }
    )
    # On the day, before the switch: the invitation, cached until the switch at 19:00 KST.
    html, until = render(page, STARTS + timedelta(hours=1))
    assert 'id="thanks"' not in html
    assert until == STARTS + timedelta(hours=6)
    html, _ = render(page, STARTS + timedelta(hours=6))
    assert '<section id="thanks" class="thanks">' in html
    assert "와 주셔서 고마워요" in html
    assert 'alt="감사 사진 1"' in html
    assert "/files/b/" in html
    for gone in ('id="rsvp"', 'id="venue"', 'id="calendar"', 'id="share"'):
        assert gone not in html
    assert 'id="cover"' in html
    assert 'id="guestbook"' in html


def test_staying_keeps_the_invitation_after_the_wedding() -> None:
    html, until = render(page_with(), STARTS + timedelta(days=2))
    assert 'id="thanks"' not in html
    assert 'id="calendar"' in html
    assert until > STARTS + timedelta(days=2)


def test_countdown_beside_the_dday_rendered_by_the_server() -> None:
    html, _ = render(page_with(), BEFORE)
    assert '<p class="dday">D-2</p>' in html
    assert 'data-target="2027-05-15T13:00:00+09:00"' in html
    # 2 days 2 hours 30 minutes from 10:30 on the 13th (KST) to 13:00 on the 15th.
    assert (
        '<span data-unit="d">2</span>일 <span data-unit="h">2</span>시간 '
        '<span data-unit="m">30</span>분' in html
    )
    html, _ = render(page_with(calendar_view={"countdown": False}), BEFORE)
    assert 'id="countdown"' not in html
    html, _ = render(page_with(), STARTS + timedelta(minutes=1))
    assert 'id="countdown"' not in html


def test_rsvp_prompt_and_sticky_button_only_while_answers_are_taken() -> None:
    page = page_with(rsvp={"prompt": True, "button": True})
    html, _ = render(page, BEFORE)
    assert '<dialog id="rsvp-prompt"' in html
    assert '<a id="rsvp-sticky" class="rsvp-sticky primary" href="#rsvp">' in html
    assert "has-sticky" in html
    html, _ = render(page, STARTS + timedelta(minutes=1))
    assert "rsvp-prompt" not in html
    assert "rsvp-sticky" not in html
    html, _ = render(page_with(), BEFORE)
    assert "rsvp-prompt" not in html
    assert "rsvp-sticky" not in html


def test_effects_are_off_by_default_and_css_only() -> None:
    html, _ = render(page_with(), BEFORE)
    assert "falling" not in html
    assert 'class="opening"' not in html
    html, _ = render(page_with(effects={"falling": "snow", "opening": "<b>봄날</b>"}), BEFORE)
    assert html.count("<i></i>") == 14
    assert '<div class="falling falling-snow" aria-hidden="true">' in html
    assert '<p class="opening">&lt;b&gt;봄날&lt;/b&gt;</p>' in html
    css = (TEMPLATES / "public_guests.css").read_text()
    reduced = css[css.index("@media (prefers-reduced-motion:reduce)") :]
    assert ".falling{display:none}" in reduced
    assert ".opening{animation:none}" in reduced
