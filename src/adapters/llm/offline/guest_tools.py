"""The options guests use on their phones: the photo viewer and the gallery's layout, Kakao
Map on the page, the share buttons, and the transfer links beside each gift account.

"사진 누르면 크게 넘겨 보게 해줘" turns the viewer on, "사진 크게 보기 꺼줘" off; "갤러리 슬라이드로
해줘" lays the gallery out as slides, "바둑판으로" as a grid; "지도 크게 띄워줘" / "지도는 링크만"
turns Kakao Map's map on or off; "공유 버튼 빼줘" hides the share buttons; "신랑 카카오페이 링크
넣어줘 https://qr.kakaopay.com/…" puts a KakaoPay link on the groom's account (the account
named before it, else the only one), "토스 송금 버튼도 넣어줘" a Toss link on every account.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.llm.offline.accounts import RELATIONS
from adapters.llm.offline.people import People, owner_before
from mocheong_core.pages.guest_tools import kakaopay_link

_OFF = r"(?:꺼|끄|빼|없애|말아|안\s*(?:되|하|보)|않|싫|필요\s*없|turn\s+off|disable|remove|no\b)"
VIEWER_ON = re.compile(
    r"(?:사진|갤러리)[^.!?\n]{0,12}?(?:누르|터치|탭|클릭)[^.!?\n]{0,12}?(?:크게|확대|넘겨)"
    r"|(?:사진|갤러리)[^.!?\n]{0,6}?(?:크게\s*(?:보|넘겨)|확대)[^.!?\n]{0,10}?(?:되게|하게|해|볼\s*수|보게|넣어|켜)"
    r"|(?:tap|click)\s+(?:a\s+|the\s+)?photos?\s+to\s+(?:enlarge|zoom|see)|photo\s+viewer|lightbox"
)
VIEWER_OFF = re.compile(
    rf"(?:사진|갤러리)[^.!?\n]{{0,8}}?(?:크게\s*보기|확대)[^.!?\n]{{0,6}}?{_OFF}"
    r"|(?:no|disable|turn\s+off|remove)\s+(?:the\s+)?(?:photo\s+viewer|lightbox)"
)
SLIDE = re.compile(
    r"(?:갤러리|사진)[^.!?\n]{0,12}?(?:슬라이드|한\s*장씩|옆으로\s*넘기)"
    r"|(?:gallery|photos?)[^.!?\n]{0,20}?(?:slides?|slider|carousel|one\s+at\s+a\s+time)"
)
GRID = re.compile(
    r"(?:갤러리|사진)[^.!?\n]{0,12}?(?:바둑판|격자|그리드|모아\s*보)"
    r"|(?:gallery|photos?)[^.!?\n]{0,20}?(?:grid|thumbnails)"
)
MAP_ON = re.compile(
    r"(?:카카오\s*맵|지도)[^.!?\n]{0,10}?(?:띄워|페이지에\s*(?:넣|보여)|직접\s*보|움직이)"
    r"|(?:interactive|embedded|live)\s+map"
)
MAP_OFF = re.compile(
    r"지도[^.!?\n]{0,6}?(?:링크만|띄우지\s*(?:않|말)|안\s*띄)|(?:no|without\s+an?)\s+(?:interactive|embedded|live)\s+map|map\s+links?\s+only"
)
SHARE_BUTTONS = r"(?:공유\s*(?:버튼|하기)|share\s+buttons?)"
SHARE_OFF = re.compile(
    rf"{SHARE_BUTTONS}[^.!?\n]{{0,8}}?{_OFF}|(?:remove|hide)\s+(?:the\s+)?share\s+buttons?"
)
SHARE_ON = re.compile(
    rf"{SHARE_BUTTONS}[^.!?\n]{{0,8}}?(?:넣어|달아|보여|켜|추가)|(?:add|show)\s+(?:the\s+)?share\s+buttons?"
)
KAKAOPAY_URL = re.compile(r"https?://[^\s<>\"']*kakaopay\.com[^\s<>\"']*")
TOSS = r"(?:토스\s*(?:송금)?\s*(?:링크|버튼)|toss\s+(?:links?|buttons?))"
TOSS_OFF = re.compile(rf"{TOSS}[^.!?\n]{{0,8}}?{_OFF}|(?:remove|no)\s+toss\s+(?:links?|buttons?)")
TOSS_ON = re.compile(
    rf"{TOSS}[^.!?\n]{{0,10}}?(?:넣어|달아|보여|켜|추가|만들)|(?:add|show)\s+(?:a\s+)?toss\s+(?:links?|buttons?)"
)


_OPTIONS = (VIEWER_ON, VIEWER_OFF, SLIDE, GRID, MAP_ON, MAP_OFF, SHARE_ON, SHARE_OFF)


def option_spans(lowered: str) -> list[tuple[int, int]]:
    """Where ``lowered`` asks for one of these options: "사진 크게 보기 꺼줘" must not also be
    read as hiding the gallery, nor "갤러리는 바둑판으로 보여줘" as showing it."""
    return [match.span() for option in _OPTIONS for match in option.finditer(lowered)]


def put_guest_tools(
    patch: dict[str, Any], facts: str, people: People, page: Mapping[str, Any], korean: bool
) -> list[str]:
    """Adds to ``patch`` the options ``facts`` asks for; returns what could not be done.
    ``patch`` may already hold the gift accounts this message gave."""
    lowered = facts.lower()
    for key, on, off in (
        ("gallery_view.viewer", VIEWER_ON, VIEWER_OFF),
        ("map_view.interactive", MAP_ON, MAP_OFF),
        ("share.buttons", SHARE_ON, SHARE_OFF),
    ):
        if off.search(lowered):
            _set(patch, key, False)
        elif on.search(lowered):
            _set(patch, key, True)
    if SLIDE.search(lowered):
        _set(patch, "gallery_view.layout", "slide")
    elif GRID.search(lowered):
        _set(patch, "gallery_view.layout", "grid")
    return _put_transfers(patch, facts, lowered, people, page, korean)


def _set(patch: dict[str, Any], dotted: str, value: Any) -> None:
    outer, inner = dotted.split(".")
    patch.setdefault(outer, {})[inner] = value


def _put_transfers(
    patch: dict[str, Any],
    facts: str,
    lowered: str,
    people: People,
    page: Mapping[str, Any],
    korean: bool,
) -> list[str]:
    links = list(KAKAOPAY_URL.finditer(facts))
    toss = False if TOSS_OFF.search(lowered) else True if TOSS_ON.search(lowered) else None
    if not links and toss is None:
        return []
    current = patch.get("gift_accounts", page.get("gift_accounts"))
    accounts = (
        [dict(a) for a in current if isinstance(a, Mapping)] if isinstance(current, list) else []
    )
    if not accounts:
        return ["계좌를 먼저 알려주세요" if korean else "Tell me the gift account first"]
    problems: list[str] = []
    for match in links:
        url = match[0].rstrip(".,)")
        if kakaopay_link(url) is None:
            problems.append(
                f"카카오페이 송금 링크(https://qr.kakaopay.com/…)가 아니에요: {url}"
                if korean
                else f"That is not a KakaoPay transfer link (https://qr.kakaopay.com/…): {url}"
            )
            continue
        owner = owner_before(match.start(), people.mentions, facts, people.speaker)
        relation = RELATIONS.get(owner) if owner else None
        chosen = [a for a in accounts if a.get("relation") == relation] if relation else accounts
        if len(chosen) != 1:
            problems.append(
                "어느 분 계좌의 카카오페이 링크인지 알려주세요"
                if korean
                else "Tell me whose account the KakaoPay link is for"
            )
            continue
        chosen[0]["kakaopay_url"] = url
    if toss is not None:
        for account in accounts:
            account["toss"] = toss
    patch["gift_accounts"] = accounts
    return problems
