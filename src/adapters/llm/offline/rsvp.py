"""Attendance replies (RSVP): on or off, a deadline, and whether to ask about the meal.

"참석 여부 받지 않을게요" turns replies off, "참석 여부는 10월 1일까지 받아주세요" sets the deadline
(the end of that day), "식사 여부도 물어봐 주세요" asks about the meal. Hiding the RSVP section is
a section change (``layout.py``), not this: the verbs differ ("숨겨" against "받지 않").
"""

from __future__ import annotations

import re
from datetime import date

import attrs

from adapters.llm.offline.when import read_when

_RSVP = r"(?:참석\s*(?:여부|의사|응답|회신)|참석\s*체크|회신|rsvp)"
_OFF = (
    r"(?:받지\s*(?:않|말)|안\s*받|필요\s*없|꺼|끄|닫|막아|off\b|disable|turn\s+off|close|"
    r"don'?t\s+need|no\s+need)"
)
_ON = r"(?:받아|받을|받고|받겠|켜|열어|on\b|enable|turn\s+on|open|collect|want)"
RSVP_OFF = re.compile(
    rf"{_RSVP}[^.!?\n]{{0,20}}?{_OFF}|(?:turn\s+off|disable|no|don'?t\s+need|close)\s+(?:the\s+)?rsvp"
)
RSVP_ON = re.compile(
    rf"{_RSVP}[^.!?\n]{{0,20}}?{_ON}|(?:turn\s+on|enable|collect|open|add)\s+(?:the\s+)?rsvps?"
)
# "참석 여부는 10월 1일까지", "rsvp by september 30", "rsvp deadline: 2027.9.30".
RSVP_DEADLINE = re.compile(
    rf"{_RSVP}[^.!?\n]{{0,12}}?(?:마감|기한|deadline|by|until|before)?[^.!?\n]{{0,4}}?"
    r"(?P<day>[^.!?\n]{4,30}?)\s*(?:까지|$|[,.!?\n])"
)
MEAL_ON = re.compile(
    r"식사\s*(?:여부|인원|메뉴)?[^.!?\n]{0,10}?(?:물어|받아|체크|확인|묻)"
    r"|ask\s+(?:about\s+)?(?:the\s+)?meals?|meal\s+(?:choice|preference)s?"
)
MEAL_OFF = re.compile(
    r"식사\s*(?:여부|인원|메뉴)?[^.!?\n]{0,10}?(?:안\s*물|묻지\s*(?:않|말)|받지\s*(?:않|말)|안\s*받|필요\s*없)"
    r"|(?:don'?t|do\s+not|no\s+need\s+to)\s+ask\s+(?:about\s+)?(?:the\s+)?meals?"
)


@attrs.frozen
class Rsvp:
    enabled: bool | None = None
    deadline: date | None = None
    ask_meal: bool | None = None
    span: tuple[int, int] | None = None
    """Where the deadline was written, so that it is not read as the wedding's date."""
    problems: tuple[str, ...] = ()


def read_rsvp(lowered: str, *, today: date, korean: bool) -> Rsvp:
    """``lowered``: the message in lower case."""
    enabled: bool | None = None
    if RSVP_OFF.search(lowered):
        enabled = False
    elif RSVP_ON.search(lowered):
        enabled = True
    deadline, span, problems = _deadline(lowered, today, korean)
    if deadline and enabled is None:
        enabled = True
    ask_meal: bool | None = None
    if MEAL_OFF.search(lowered):
        ask_meal = False
    elif MEAL_ON.search(lowered):
        ask_meal = True
    return Rsvp(enabled, deadline, ask_meal, span, problems)


def _deadline(
    lowered: str, today: date, korean: bool
) -> tuple[date | None, tuple[int, int] | None, tuple[str, ...]]:
    for match in RSVP_DEADLINE.finditer(lowered):
        start = match.start("day")
        when = read_when(match["day"], today=today, korean=korean)
        if when.span:
            span = (start + when.span[0], start + when.span[1])
            return when.day, span, when.problems
    return None, None, ()
