"""How the page reads and moves, and what it becomes after the wedding, as a couple says it.

"어른들도 보시니 글씨 크게, 명조체로" sets ``text.scale`` 1.3 and ``text.font`` myeongjo ("조금
크게" is 1.15, "글씨 원래대로" 1); "식 끝나면 감사 인사로 바꿔줘" sets ``after_wedding.mode``
thanks ("식 끝나면 닫아줘" lock, "식 끝나도 그대로" stay, "3시간 뒤" its hours); "벚꽃잎 날리게
해줘" falling petals, "눈 내리게" snow, "꽃잎 효과 빼줘" none; "오프닝 문구 '…'" the opening
line; "들어오면 참석 여부 먼저 물어봐줘" ``rsvp.prompt``, "참석 버튼 고정해줘" ``rsvp.button``;
"카운트다운 빼줘" / "카운트다운 넣어줘" ``calendar_view.countdown``; "하객들이 사진 올릴 수 있게
해줘" / "하객 사진 그만 받아줘" ``guest_photos.enabled`` (premium). English phrasings too.
"""

from __future__ import annotations

import re
from typing import Any

_OFF = (
    r"(?:꺼|끄|빼|없애|말아|지워|안\s*(?:되|하|보)|않|싫|필요\s*없"
    r"|turn\s+off|disable|remove|no\b|stop)"
)
_ON = r"(?:넣어|달아|보여|켜|추가|띄워|만들어|해\s*줘|해줘|주세요|turn\s+on|add|show|enable)"
_GAP = r"[^.!?\n]{0,14}?"

SCALE_LARGEST = re.compile(
    r"(?:글씨|글자|폰트|텍스트)\s*(?:를|가|도|는)?\s*(?:더\s*|아주\s*|많이\s*|크게\s*)*크게"
    r"|큰\s*글씨|(?:larger|bigger|large|big)\s+(?:text|font|letters)|text\s+(?:larger|bigger)"
)
SCALE_LARGER = re.compile(
    r"(?:글씨|글자|폰트|텍스트)\s*(?:를|가|도|는)?\s*(?:조금|약간|살짝)\s*크게"
    r"|(?:slightly|a\s+bit|a\s+little)\s+(?:larger|bigger)\s+(?:text|font)"
)
SCALE_NORMAL = re.compile(
    r"(?:글씨|글자|폰트)\s*(?:크기)?\s*(?:를|는)?\s*(?:원래대로|보통|기본)"
    r"|(?:normal|default|regular)\s+(?:text|font)\s+size"
)
MYEONGJO = re.compile(r"명조|바탕체|(?<!sans-)(?<!sans )\bserif\b|myeongjo")
GOTHIC = re.compile(r"고딕|sans[-\s]?serif|gothic")
SYSTEM_FONT = re.compile(
    r"(?:글씨체|글꼴|폰트)\s*(?:를|는)?\s*(?:원래대로|기본)|(?:system|default)\s+font"
)

AFTER = (
    r"(?:식\s*(?:이\s*)?(?:끝나|마치|후)|결혼식\s*(?:이\s*)?(?:끝나|후|뒤)|예식\s*(?:이\s*)?(?:끝나|후|뒤)"
    r"|after\s+the\s+(?:wedding|ceremony))"
)
THANKS = re.compile(AFTER + _GAP + r"(?:감사|고마|thank)")
LOCK = re.compile(AFTER + _GAP + r"(?:닫아|잠가|잠그|내려|비공개|close|lock|hide)")
STAY = re.compile(AFTER + r"(?:도|에도)?" + _GAP + r"(?:그대로|두어|둬|keep|stay|leave)")
HOURS = re.compile(AFTER + _GAP + r"(\d{1,3})\s*(?:시간|hours?)")

FALLING_THING = r"(?:꽃잎|벚꽃|꽃비|눈송이|눈이|눈\s|petals?|cherry\s+blossoms?|snow)"
FALLING_OFF = re.compile(
    rf"{FALLING_THING}{_GAP}(?:효과)?\s*{_OFF}|(?:효과|effects?)\s*(?:는|를|은)?\s*(?:다\s*)?{_OFF}"
    r"|no\s+(?:falling\s+)?(?:petals|snow|effects?)"
)
PETALS = re.compile(
    r"(?:꽃잎|벚꽃|꽃비)[^.!?\n]{0,10}?(?:날리|흩날|떨어|내리|뿌려|효과)"
    r"|(?:falling|drifting)\s+(?:cherry\s+blossom\s+)?petals|petals?\s+(?:fall|falling|drift)"
    r"|cherry\s+blossoms?\s+(?:fall|falling|effect)"
)
SNOW = re.compile(
    r"(?:눈|눈송이)\s*(?:이|가)?\s*(?:내리|오게|날리|흩날|떨어)|(?:falling\s+)?snow\s*(?:fall|falling|effect|flakes)"
    r"|falling\s+snow|let\s+it\s+snow"
)
OPENING = re.compile(
    r"(?:오프닝|첫\s*화면|인트로|opening)\s*(?:문구|멘트|글|문장|line|text)?"
    r"[^\"'“”‘’「」]{0,20}[\"'“‘「]([^\"'“”‘’「」\n]{1,60})[\"'”’」]"
)
OPENING_OFF = re.compile(rf"(?:오프닝|인트로|opening)\s*(?:문구|멘트|line)?{_GAP}{_OFF}")

RSVP_WORDS = r"(?:참석\s*(?:여부|의사)?|rsvp)"
PROMPT_ON = re.compile(
    rf"(?:들어오|열면|열자마자|처음|접속|첫\s*화면){_GAP}{RSVP_WORDS}{_GAP}(?:물어|묻|여쭤|띄워|받아)"
    rf"|{RSVP_WORDS}{_GAP}(?:먼저|바로)\s*(?:물어|묻|여쭤|띄워)"
    r"|ask\s+(?:guests\s+)?(?:to\s+rsvp|for\s+(?:an?\s+)?rsvp|whether\s+they\s+(?:come|attend))[^.!?\n]{0,30}?(?:open|first|arriv)"
    r"|rsvp\s+(?:prompt|pop-?up)"
)
PROMPT_OFF = re.compile(
    rf"{RSVP_WORDS}{_GAP}(?:먼저\s*)?(?:묻|물어보)[^.!?\n]{{0,6}}?(?:지\s*마|않|말아)"
    rf"|(?:no|remove|disable)\s+(?:the\s+)?rsvp\s+(?:prompt|pop-?up)"
)
BUTTON = rf"(?:{RSVP_WORDS}\s*(?:하기\s*)?(?:버튼|button)|sticky\s+rsvp(?:\s+button)?)"
BUTTON_OFF = re.compile(rf"{BUTTON}{_GAP}{_OFF}")
BUTTON_ON = re.compile(
    rf"{BUTTON}{_GAP}(?:고정|항상|떠\s*있|따라|붙|{_ON})|(?:add|show)\s+a\s+sticky\s+rsvp"
)
COUNTDOWN = r"(?:카운트\s*다운|남은\s*시간|countdown)"
COUNTDOWN_OFF = re.compile(rf"{COUNTDOWN}{_GAP}{_OFF}")
COUNTDOWN_ON = re.compile(rf"{COUNTDOWN}{_GAP}{_ON}|(?:add|show)\s+(?:a\s+|the\s+)?countdown")

ALBUM = r"(?:하객\s*(?:들이?|분들이?)?\s*(?:사진|앨범)|guests?['’]?\s+(?:photos?|album))"
ALBUM_OFF = re.compile(rf"{ALBUM}{_GAP}(?:그만|{_OFF})")
ALBUM_ON = re.compile(
    rf"{ALBUM}{_GAP}(?:받|올리|올릴|보내|모아|{_ON})"
    r"|let\s+guests\s+(?:upload|send|add|share)\s+(?:their\s+)?photos"
)

_OPTIONS = (
    SCALE_LARGEST, SCALE_LARGER, SCALE_NORMAL, MYEONGJO, GOTHIC, SYSTEM_FONT, THANKS, LOCK,
    STAY, FALLING_OFF, PETALS, SNOW, OPENING, OPENING_OFF, PROMPT_ON, PROMPT_OFF, BUTTON_OFF,
    BUTTON_ON, COUNTDOWN_OFF, COUNTDOWN_ON, ALBUM_OFF, ALBUM_ON,
)  # fmt: skip


def occasion_spans(lowered: str) -> list[tuple[int, int]]:
    """Where ``lowered`` asks for one of these options, so "감사 인사로 바꿔줘" is not read as
    the greeting section, nor "참석 여부 먼저 물어봐줘" as showing the RSVP section."""
    return [match.span() for option in _OPTIONS for match in option.finditer(lowered)]


def put_occasion(patch: dict[str, Any], facts: str) -> None:
    """Adds to ``patch`` the options ``facts`` asks for."""
    lowered = facts.lower()
    _text(patch, lowered)
    mode = next(
        (
            m
            for m, rule in (("stay", STAY), ("lock", LOCK), ("thanks", THANKS))
            if rule.search(lowered)
        ),
        None,
    )
    if mode:
        _set(patch, "after_wedding", "mode", mode)
    hours = HOURS.search(lowered)
    if hours:
        _set(patch, "after_wedding", "hours", min(int(hours[1]), 24 * 14))
    if FALLING_OFF.search(lowered):
        _set(patch, "effects", "falling", "none")
    elif PETALS.search(lowered):
        _set(patch, "effects", "falling", "petals")
    elif SNOW.search(lowered):
        _set(patch, "effects", "falling", "snow")
    opening = OPENING.search(facts)
    if opening:
        _set(patch, "effects", "opening", opening[1].strip())
    elif OPENING_OFF.search(lowered):
        _set(patch, "effects", "opening", None)
    for outer, inner, on, off in (
        ("rsvp", "prompt", PROMPT_ON, PROMPT_OFF),
        ("rsvp", "button", BUTTON_ON, BUTTON_OFF),
        ("calendar_view", "countdown", COUNTDOWN_ON, COUNTDOWN_OFF),
        ("guest_photos", "enabled", ALBUM_ON, ALBUM_OFF),
    ):
        if off.search(lowered):
            _set(patch, outer, inner, False)
        elif on.search(lowered):
            _set(patch, outer, inner, True)


def _text(patch: dict[str, Any], lowered: str) -> None:
    if SCALE_NORMAL.search(lowered):
        _set(patch, "text", "scale", 1)
    elif SCALE_LARGER.search(lowered):
        _set(patch, "text", "scale", 1.15)
    elif SCALE_LARGEST.search(lowered):
        _set(patch, "text", "scale", 1.3)
    if SYSTEM_FONT.search(lowered):
        _set(patch, "text", "font", "system")
    elif MYEONGJO.search(lowered):
        _set(patch, "text", "font", "myeongjo")
    elif GOTHIC.search(lowered):
        _set(patch, "text", "font", "gothic")


def _set(patch: dict[str, Any], outer: str, inner: str, value: Any) -> None:
    patch.setdefault(outer, {})[inner] = value
