"""``OfflineGreetingWriter``: greeting drafts made from the page's facts by templates, in each
tone, in Korean unless the couple's names are written in another script. A model provider can
take its place behind ``GreetingWriter``."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from mocheong_core.pages.content import PageContent

_HANGUL = re.compile(r"[가-힣]")
_SPACES = re.compile(r"[ ]{2,}")
_KO_WEEKDAYS = "월화수목금토일"

# Per tone: openings and closings; drafts are their pairs, so five differ from each other.
_KO: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "warm": (
        (
            "서로를 아끼는 마음으로 {couple}{i} 한 걸음을 함께 내딛습니다.",
            "따뜻한 봄볕 같은 사람을 만나 {couple}{i} 평생을 약속합니다.",
            "오랜 시간 서로의 곁을 지켜온 {couple}{i} 부부가 됩니다.",
        ),
        (
            "{when}{where} 귀한 걸음으로 축복해 주시면 큰 기쁨이겠습니다.",
            "{when}{where} 함께해 주시는 마음 오래 간직하겠습니다.",
        ),
    ),
    "formal": (
        (
            "{couple}{i} 양가 부모님을 모시고 혼인의 예를 올리게 되었습니다.",
            "저희 {couple}{i} 사랑과 믿음으로 새 가정을 이루고자 합니다.",
            "{couple}의 혼례에 삼가 여러분을 모십니다.",
        ),
        (
            "{when}{where} 부디 참석하시어 앞날을 축복해 주시기 바랍니다.",
            "{when}{where} 자리를 빛내 주시면 감사하겠습니다.",
        ),
    ),
    "modern": (
        (
            "{couple}, 이제 같은 주소를 씁니다.",
            "둘이 하나의 팀이 됩니다. {couple}입니다.",
            "{couple}의 새로운 챕터가 시작됩니다.",
        ),
        ("{when}{where} 함께 축하해 주세요.", "{when}{where} 그 시작을 같이 봐 주세요."),
    ),
    "playful": (
        (
            "드디어! {couple}{i} 결혼합니다.",
            "연애는 끝, 이제 평생 같이 놀기로 한 {couple}입니다.",
            "{couple}{i} 서로의 최애가 되기로 했어요.",
        ),
        ("{when}{where} 맛있는 밥 먹으러 와 주세요!", "{when}{where} 박수 치러 와 주실 거죠?"),
    ),
    "faith": (
        (
            "하나님의 인도하심으로 만난 {couple}{i} 믿음 안에서 하나 됩니다.",
            "서로 사랑하라 하신 말씀을 따라 {couple}{i} 한 가정을 이룹니다.",
            "주님 안에서 {couple}{i} 혼인 서약을 드립니다.",
        ),
        (
            "{when}{where} 기도로 함께해 주시면 감사하겠습니다.",
            "{when}{where} 축복의 자리에 함께해 주세요.",
        ),
    ),
}
_EN: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "warm": (
        (
            "With full hearts, {couple} are getting married.",
            "{couple} found a home in each other.",
            "After many shared days, {couple} begin their life together.",
        ),
        ("Please join us{when}{where}.", "Your presence{when}{where} would mean the world to us."),
    ),
    "formal": (
        (
            "Together with their families, {couple} request the honour of your presence.",
            "{couple} invite you to celebrate their marriage.",
            "The families of {couple} invite you to their wedding.",
        ),
        (
            "The ceremony will be held{when}{where}.",
            "We would be honoured to see you{when}{where}.",
        ),
    ),
    "modern": (
        (
            "{couple}: same team, for good.",
            "{couple} are tying the knot.",
            "New chapter: {couple}.",
        ),
        ("Come celebrate{when}{where}.", "Be there{when}{where}."),
    ),
    "playful": (
        (
            "Plot twist: {couple} are getting married!",
            "{couple} said yes to forever (and to cake).",
            "{couple} are making it official!",
        ),
        ("Come eat, dance and cheer{when}{where}!", "Save your best moves for{when}{where}!"),
    ),
    "faith": (
        (
            "By God's grace, {couple} will be joined in marriage.",
            "Rooted in faith, {couple} begin a life together.",
            "{couple} will make their vows before God.",
        ),
        ("Please join us in prayer{when}{where}.", "Celebrate with us{when}{where}."),
    ),
}


def _has_final(word: str) -> bool:
    """Whether a Hangul word ends in a consonant (받침), which picks 이/과 over 가/와."""
    last = word[-1:] if word else ""
    return "가" <= last <= "힣" and (ord(last) - ord("가")) % 28 != 0


def is_korean(content: PageContent) -> bool:
    names = f"{content.couple.groom.name or ''}{content.couple.bride.name or ''}"
    return not names or bool(_HANGUL.search(names))


def _ko_when(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone))
    part = "오전" if local.hour < 12 else "오후"
    hour = local.hour % 12 or 12
    minute = f" {local.minute}분" if local.minute else ""
    weekday = _KO_WEEKDAYS[local.weekday()]
    return f"{local.year}년 {local.month}월 {local.day}일 {weekday}요일 {part} {hour}시{minute}, "


def _en_when(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone))
    clock = local.strftime("%I:%M %p").lstrip("0")
    return f" on {local.strftime('%A, %B')} {local.day}, {local.year} at {clock}"


def greeting_drafts(content: PageContent, tone: str, count: int) -> list[str]:
    groom = content.couple.groom.name
    bride = content.couple.bride.name
    zone = content.ceremony.time_zone
    moment = content.ceremony.starts_at
    venue = content.venue.name
    if is_korean(content):
        and_ = "과" if _has_final(groom or "") else "와"
        couple = f"{groom}{and_} {bride}" if groom and bride else "저희 두 사람"
        subject = "이" if _has_final(couple) else "가"
        when, where = _ko_when(moment, zone), f"{venue}에서 " if venue else ""
        openings, closings = _KO[tone]
    else:
        couple = f"{groom} and {bride}" if groom and bride else "we"
        when, where = _en_when(moment, zone), f" at {venue}" if venue else ""
        openings, closings = _EN[tone]
        subject = ""
    pairs = [(o, c) for c in closings for o in openings]
    return [
        _SPACES.sub(
            " ", f"{o.format(couple=couple, i=subject)}\n{c.format(when=when, where=where)}"
        )
        for o, c in pairs[:count]
    ]


class OfflineGreetingWriter:
    async def drafts(self, content: PageContent, tone: str, count: int) -> list[str]:
        return greeting_drafts(content, tone, count)
