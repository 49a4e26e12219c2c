"""Showing, hiding and moving the invitation's sections: "갤러리 숨겨줘", "show the map",
"방명록을 맨 위로", "move the gallery after the greeting".

A section is named by one of a few words per kind; what to do with it is the verb in the
words around that name (after it in Korean, before it in English). Words that name a kind
only as part of a fact are left out on purpose: "장소는 …" changes the venue, "날짜" the date.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from mocheong_core.pages.content import SectionKind

Action = Literal["show", "hide", "move"]

_NAMES: dict[SectionKind, tuple[str, ...]] = {
    SectionKind.COVER: ("표지", "커버", "메인\\s*사진", "cover"),
    SectionKind.GREETING: (
        "인사말",
        "인사\\s*글",
        "초대\\s*글",
        "초대의\\s*글",
        "모시는\\s*글",
        "greeting",
        "invitation\\s+message",
    ),
    SectionKind.COUPLE: (
        "신랑\\s*신부\\s*소개",
        "커플\\s*소개",
        "신랑\\s*신부\\s*정보",
        "프로필",
        "혼주\\s*정보",
        "couple",
        "profiles?",
    ),
    SectionKind.CALENDAR: ("달력", "캘린더", "디데이", "d-day", "calendar", "countdown"),
    SectionKind.GALLERY: (
        "갤러리",
        "사진첩",
        "사진",
        "앨범",
        "gallery",
        "photos",
        "pictures",
        "album",
    ),
    SectionKind.VENUE: (
        "지도",
        "약도",
        "오시는\\s*길",
        "교통\\s*안내",
        "map",
        "directions",
        "location",
    ),
    SectionKind.GIFT_ACCOUNTS: (
        "계좌\\s*번호",
        "계좌",
        "마음\\s*전하실\\s*곳",
        "축의금",
        "gift\\s+accounts?",
        "bank\\s+accounts?",
        "accounts?",
        "gifts?",
    ),
    SectionKind.RSVP: ("참석\\s*여부", "참석\\s*의사", "참석\\s*응답", "rsvp", "attendance"),
    SectionKind.GUESTBOOK: ("방명록", "축하\\s*메시지", "guest\\s*book", "guestbook"),
}
_KIND_BY_NAME: list[tuple[re.Pattern[str], SectionKind]] = [
    (re.compile(name), kind) for kind, names in _NAMES.items() for name in names
]
SECTION_NAME = re.compile(
    "|".join(
        f"(?:{name})"
        for name in sorted((n for names in _NAMES.values() for n in names), key=len, reverse=True)
    ),
)
_HIDE = re.compile(
    r"숨겨|숨기|숨김|감춰|감추|빼\s*줘|빼\s*주|빼고|빼요|빼자|없애|지워|삭제|안\s*보이|보이지\s*않|"
    r"안\s*나오|나오지\s*않|필요\s*없|비공개|꺼\s*줘|꺼\s*주|끄고|꺼요|\bhide\b|\bremove\b|\bdrop\b|\bturn\s+off\b|"
    r"\bdon'?t\s+show\b|\bdo\s+not\s+show\b|\bget\s+rid\s+of\b|\bdelete\b|\bdisable\b",
)
_SHOW = re.compile(
    r"보여|보이게|다시\s*넣|넣어|추가|살려|나오게|켜\s*줘|켜\s*주|켜고|공개|\bshow\b|\badd\b|\bbring\s+back\b|"
    r"\bdisplay\b|\binclude\b|\benable\b|\bturn\s+on\b|\bunhide\b",
)
_MOVE_VERB = re.compile(
    r"옮겨|옮기|이동|올려|내려|보내|배치|순서|\bmove\b|\bput\b|\bplace\b|\bmake\b"
)
_TOP = re.compile(
    r"맨\s*(?:위|앞|처음|꼭대기)|제일\s*(?:위|앞|처음)|가장\s*(?:위|앞)|처음으로|첫\s*번째|"
    r"\bto\s+the\s+top\b|\bat\s+the\s+top\b|\bfirst\b|\bto\s+the\s+(?:start|beginning)\b",
)
_BOTTOM = re.compile(
    r"맨\s*(?:아래|밑|뒤|끝|마지막)|제일\s*(?:아래|밑|뒤|끝|마지막)|가장\s*(?:아래|뒤)|마지막으로|끝으로|"
    r"\bto\s+the\s+(?:bottom|end)\b|\bat\s+the\s+(?:bottom|end)\b|\blast\b",
)
# "X 다음으로" / "after X": the section named right next to these words is the anchor.
_KO_AFTER = re.compile(r"^\s*(?:섹션\s*)?(?:의\s*)?(?:바로\s*)?(?:다음|뒤|아래|밑)")
_KO_BEFORE = re.compile(r"^\s*(?:섹션\s*)?(?:의\s*)?(?:바로\s*)?(?:앞|위|전)")
_EN_AFTER = re.compile(r"\b(?:after|below|under|beneath)\s+(?:the\s+)?$")
_EN_BEFORE = re.compile(r"\b(?:before|above|ahead\s+of)\s+(?:the\s+)?$")
# "맨 위로", "인사말 다음으로": Korean often leaves the verb of a move out.
_KO_PLACING = re.compile(r"(?:위|앞|처음|아래|밑|뒤|끝|마지막|다음|전)\s*(?:으로|로|에)")
# One place up or down: "지도 좀 위로 올려줘", "move the map down".
_UP = re.compile(r"위로|올려|\bup\b|\bhigher\b|\bearlier\b")
_DOWN = re.compile(r"아래로|밑으로|내려|\bdown\b|\blower\b|\blater\b")
# "사진은 나중에 올릴게요", "can I add photos later?": about later, not a change now.
_LATER = re.compile(r"나중에|\blater\b")
_CLAUSE = re.compile(r"[.!?\n;]+|,\s*(?:그리고|and\s+then|then)\s+")


@attrs.frozen
class SectionChange:
    kind: str
    """A ``SectionKind`` value."""
    action: Action
    position: int | None = None
    """For ``move``: the 0-based index the section ends up at in the sections list."""


@attrs.frozen
class _Named:
    kind: SectionKind
    start: int
    end: int


def read_sections(text: str, current: Sequence[Mapping[str, Any]]) -> tuple[SectionChange, ...]:
    """The changes asked for, in order; ``current`` is the page's ``sections`` list, which
    gives the positions of a move."""
    order = [SectionKind(item["kind"]) for item in current]
    changes: list[SectionChange] = []
    for clause in _CLAUSE.split(text):
        changes.extend(_clause_changes(clause, order))
    return tuple(changes)


def _named(clause: str) -> list[_Named]:
    named = []
    for match in SECTION_NAME.finditer(clause):
        kind = next(kind for pattern, kind in _KIND_BY_NAME if pattern.fullmatch(match.group(0)))
        named.append(_Named(kind, match.start(), match.end()))
    return named


def _clause_changes(clause: str, order: list[SectionKind]) -> list[SectionChange]:
    named = _named(clause)
    if not named or _LATER.search(clause):
        return []
    move = _move(clause, named, order)
    if move:
        order[:] = _moved(order, SectionKind(move.kind), move.position or 0)
        return [move]
    changes: list[SectionChange] = []
    actions = [_action_near(clause, named, index) for index in range(len(named))]
    # "갤러리랑 방명록 숨겨줘", "hide the gallery and the guestbook": a section without a verb
    # of its own shares its neighbour's.
    for index, found in enumerate(named):
        action = actions[index] or next((a for a in actions[index + 1 :] if a), None)
        action = action or next((a for a in reversed(actions[:index]) if a), None)
        if action and not any(c.kind == found.kind.value for c in changes):
            changes.append(SectionChange(found.kind.value, action))
    return changes


def _action_near(clause: str, named: list[_Named], index: int) -> Action | None:
    found = named[index]
    after_end = named[index + 1].start if index + 1 < len(named) else len(clause)
    before_start = named[index - 1].end if index else 0
    after, before = clause[found.end : after_end], clause[before_start : found.start]
    # Korean puts the verb after the section, English before it.
    english = clause[found.start : found.end].isascii()
    for segment in (before, after) if english else (after, before):
        hide, show = _HIDE.search(segment), _SHOW.search(segment)
        if hide and (not show or hide.start() <= show.start() or "보이" in show.group(0)):
            return "hide"
        if show:
            return "show"
    return None


def _move(clause: str, named: list[_Named], order: list[SectionKind]) -> SectionChange | None:
    if not (_MOVE_VERB.search(clause) or _KO_PLACING.search(clause)):
        return None
    anchor, after = _anchor(clause, named)
    if anchor is not None:
        moving = next((n for n in named if n.kind is not anchor.kind), None)
        if moving is None:
            return None
        rest = [kind for kind in order if kind is not moving.kind]
        index = rest.index(anchor.kind) + (1 if after else 0)
        return SectionChange(moving.kind.value, "move", index)
    kind = named[0].kind
    if _TOP.search(clause):
        return SectionChange(kind.value, "move", 0)
    if _BOTTOM.search(clause):
        return SectionChange(kind.value, "move", len(order) - 1)
    step = -1 if _UP.search(clause) else 1 if _DOWN.search(clause) else 0
    if step:
        position = min(max(order.index(kind) + step, 0), len(order) - 1)
        return SectionChange(kind.value, "move", position)
    return None


def _anchor(clause: str, named: list[_Named]) -> tuple[_Named | None, bool]:
    for found in named:
        if _KO_AFTER.match(clause[found.end :]):
            return found, True
        if _KO_BEFORE.match(clause[found.end :]):
            return found, False
        head = clause[: found.start]
        if _EN_AFTER.search(head):
            return found, True
        if _EN_BEFORE.search(head):
            return found, False
    return None, False


def _moved(order: list[SectionKind], kind: SectionKind, position: int) -> list[SectionKind]:
    rest = [k for k in order if k is not kind]
    rest.insert(position, kind)
    return rest


def apply_sections(
    current: Sequence[Mapping[str, Any]], changes: Sequence[SectionChange]
) -> list[dict[str, Any]]:
    """The page's sections list after ``changes`` (a merge patch replaces a list whole)."""
    sections = [
        {"kind": item["kind"], "visible": bool(item.get("visible", True))} for item in current
    ]
    for change in changes:
        index = next(i for i, item in enumerate(sections) if item["kind"] == change.kind)
        if change.action == "move":
            item = sections.pop(index)
            sections.insert(change.position or 0, item)
        else:
            sections[index]["visible"] = change.action == "show"
    return sections


def current_sections(page: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The page's sections, every kind once (as the page reader completes them)."""
    listed = page.get("sections")
    known = {kind.value for kind in SectionKind}
    sections: dict[str, bool] = {}
    for item in listed if isinstance(listed, list) else ():
        if isinstance(item, Mapping) and item.get("kind") in known:
            sections.setdefault(item["kind"], item.get("visible") is not False)
    # The reader shows every kind when no list is stored, and hides those a stored list left out.
    missing_visible = not isinstance(listed, list)
    for kind in SectionKind:
        sections.setdefault(kind.value, missing_visible)
    return [{"kind": kind, "visible": visible} for kind, visible in sections.items()]
