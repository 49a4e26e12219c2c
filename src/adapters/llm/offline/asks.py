"""Requests that are not facts: a greeting in a tone, undoing the last change.

A tone word alone is not a request ("교회에서 결혼해요" names a church, it asks for no
prayerful greeting): it counts when the message speaks of the greeting, or when the tone
word is said as a manner ("격식 있게", "좀 더 유쾌하게", "make it playful", "more formal").
"""

from __future__ import annotations

import re

_TONE_WORDS: dict[str, tuple[str, str]] = {
    "warm": ("따뜻|따스|다정|포근|감성|감동|정겹|훈훈", "warm|heartfelt|sweet|tender|emotional"),
    "formal": (
        "격식|정중|공손|점잖|예의|품위|전통|고전",
        "formal|traditional|classic|polite|elegant",
    ),
    "modern": ("모던|세련|심플|깔끔|간결|현대|트렌디", "modern|simple|minimal|sleek|short"),
    "playful": (
        "유쾌|재미|재밌|발랄|귀엽|귀여|위트|재치|경쾌|유머",
        "playful|fun|funny|cute|witty|cheerful|humorous",
    ),
    "faith": (
        "신앙|기독|크리스천|성경|하나님|하느님|주님|천주교|가톨릭|축복|기도",
        "faith|christian|church|god|bible|blessing|catholic|prayer|religious",
    ),
}
_TONE = {
    tone: re.compile(rf"{korean}|\b(?:{english})\b")
    for tone, (korean, english) in _TONE_WORDS.items()
}
_GREETING = re.compile(
    r"인사말|인사\s*글|인사\s*문구|초대\s*글|초대\s*문구|초대의\s*글|모시는\s*글|청첩\s*문구|문구|"
    r"\bgreeting|\binvitation\s+(?:message|text|wording)|\bwording\b",
)
# A tone said as a manner, right next to the tone word: "격식 있게", "유쾌하게", "따뜻한 느낌으로",
# "make it playful", "more formal", "a warm one".
_KO_MANNER_AFTER = re.compile(
    r"[가-힣]{0,2}?\s*(?:있게|하게|스럽게|롭게|게|있는|한|스러운|로운|느낌|톤|분위기|버전|스타일)"
)
_EN_MANNER_BEFORE = re.compile(
    r"\b(?:make\s+it|more|less|a\s+bit|bit|something|very|really|so)\s+$"
)
_EN_MANNER_AFTER = re.compile(r"\s+(?:one|tone|style|version|please)\b")
_DRAFT = re.compile(
    r"써|작성|만들|추천|제안|지어|골라|초안|예시|다시|다른|바꿔|"
    r"\bwrite\b|\bdraft|\bsuggest|\bideas?\b|\bcompose\b|\bcome\s+up\b|\bgive\s+me\b|\bnew\b",
)
_QUOTED_GREETING = re.compile(
    r"(?:인사말|[Gg]reeting)\s*(?:은|는|을|를|:|is|as|to)?\s*(?:다음과\s*같이\s*)?[:：]?\s*"
    r"[\"“'‘「『](?P<text>[^\"”'’」』]{2,1000})[\"”'’」』]",
)
_UNDO = re.compile(
    r"되돌려|되돌리|되돌아|원래대로|원상\s*복구|원복|이전\s*(?:상태|버전)?\s*으로|전\s*으로\s*돌려|"
    r"돌려\s*놔|돌려놔|돌려\s*줘|\bundo\b|\brevert\b|\broll\s*back\b|\bchange\s+it\s+back\b|"
    r"\bput\s+it\s+back\b|\bgo\s+back\s+to\s+(?:the\s+)?(?:previous|last|old|earlier)",
)
# 취소 alone can cancel many things; with 방금 / 바꾼 … it is the last change.
_CANCEL_LAST = re.compile(
    r"(?:방금|아까|조금\s*전|마지막|바꾼|변경한|수정한|고친|그거|이거|그\s*변경).{0,12}취소"
    r"|취소.{0,12}(?:방금|아까|조금\s*전|마지막|바꾼|변경|수정|그거|이거)",
)


def greeting_tone(text: str, *, wants_section: bool) -> str | None:
    """The tone of the greeting drafts asked for (``warm`` when none is said), or None.

    ``wants_section``: the greeting was named as a section to show, hide or move."""
    found = _tone(text)
    tone = found[0] if found else None
    if _GREETING.search(text):
        if not wants_section and (_DRAFT.search(text) or tone):
            return tone or "warm"
        return None
    if found is None:
        return None
    tone, start, end = found
    manner = (
        _KO_MANNER_AFTER.match(text, end)
        or _EN_MANNER_BEFORE.search(text, max(0, start - 16), start)
        or _EN_MANNER_AFTER.match(text, end)
    )
    return tone if manner else None


def _tone(text: str) -> tuple[str, int, int] | None:
    """The first tone word said, with where it stands."""
    found = [(m.start(), m.end(), tone) for tone, p in _TONE.items() if (m := p.search(text))]
    if not found:
        return None
    start, end, tone = min(found)
    return tone, start, end


def dictated_greeting(text: str) -> str | None:
    """The greeting's own text when the couple dictates it in quotes."""
    match = _QUOTED_GREETING.search(text)
    return match["text"].strip() if match else None


def wants_undo(text: str) -> bool:
    return bool(_UNDO.search(text) or _CANCEL_LAST.search(text))
