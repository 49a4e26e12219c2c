"""What the offline model understands of a message: dates, times, the couple's names, a
venue and phone numbers, in Korean or English, by plain pattern matching."""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))

_ISO_DATE = re.compile(r"\b(\d{4})[-./](\d{1,2})[-./](\d{1,2})\b")
_KO_DATE = re.compile(r"(?:(\d{4})\s*년\s*)?(\d{1,2})\s*월\s*(\d{1,2})\s*일")
_EN_DATE = re.compile(
    rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE
)
_EN_DATE_DAY_FIRST = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\.?(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE
)
_KO_TIME = re.compile(r"(오전|오후|낮|저녁)?\s*(\d{1,2})\s*시(?:\s*(\d{1,2})\s*분|\s*(반))?")
_CLOCK_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)", re.IGNORECASE)
_24H_TIME = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
_KO_NAME = re.compile(
    r"(신랑|신부)(?:\s*(?:은|는|이|가|님은|님)?\s+|\s*:\s*)([가-힣]{2,4}?)"
    r"(?=$|[\s,.!?)]|입니다|이에요|예요|이고|이랑|랑|와|과|의|이|가|은|는|씨|님)"
)
_EN_NAME = re.compile(
    r"\b(groom|bride)(?:'s name)?\s*(?:is|:|-)?\s+([A-Z][a-z]+(?:\s[A-Z][a-z]+)?)"
)
_KO_VENUE = re.compile(
    r"([가-힣A-Za-z0-9]*(?:웨딩|컨벤션|호텔|채플|예식장|교회|성당|가든|하우스|센터|홀)[가-힣A-Za-z0-9]*"
    r"(?:\s+\d*[가-힣A-Za-z0-9]*(?:홀|층|관))*)"
)
_PARTICLES = re.compile(r"(?:에서|에서요|으로|로|에|은|는|이|가|입니다|이에요|예요|이고)$")
_GENERIC_VENUES = frozenset(
    {"웨딩", "웨딩홀", "예식장", "결혼식장", "호텔", "교회", "성당", "홀", "컨벤션", "채플", "센터"}
)
_EN_VENUE = re.compile(
    r"\b((?:[A-Z][\w'&-]*\s+){0,4}(?:Hall|Hotel|Chapel|Church|Cathedral|Garden|House|Center|"
    r"Centre|Convention|Resort|Ballroom))\b"
)
_PHONE = re.compile(r"\b(01[016789])-?(\d{3,4})-?(\d{4})\b")


@attrs.frozen
class Reading:
    dates: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    groom: str | None = None
    bride: str | None = None
    venue: str | None = None
    phones: tuple[str, ...] = ()
    korean: bool = False

    @property
    def found_anything(self) -> bool:
        return bool(self.dates or self.times or self.groom or self.bride or self.venue)

    @property
    def missing(self) -> tuple[str, ...]:
        """The parts of an invitation this message did not give: ``names``, ``date``,
        ``time``, ``venue``."""
        gaps = []
        if not (self.groom and self.bride):
            gaps.append("names")
        if not self.dates:
            gaps.append("date")
        if not self.times:
            gaps.append("time")
        if not self.venue:
            gaps.append("venue")
        return tuple(gaps)


def read(text: str) -> Reading:
    names = _names(text)
    return Reading(
        dates=_unique(_dates(text)),
        times=_unique(_times(text)),
        groom=names.get("groom"),
        bride=names.get("bride"),
        venue=_venue(text),
        phones=_unique(f"{a}-{b}-{c}" for a, b, c in _PHONE.findall(text)),
        korean=bool(re.search(r"[가-힣]", text)),
    )


def _dates(text: str) -> list[str]:
    found = []
    for y, m, d in _ISO_DATE.findall(text):
        found.append(_date(y, m, d))
    for y, m, d in _KO_DATE.findall(text):
        found.append(_date(y, m, d))
    for month, d, y in _EN_DATE.findall(text):
        found.append(_date(y, str(_MONTHS[month.lower()]), d))
    for d, month, y in _EN_DATE_DAY_FIRST.findall(text):
        found.append(_date(y, str(_MONTHS[month.lower()]), d))
    return [f for f in found if f]


def _date(year: str, month: str, day: str) -> str:
    m, d = int(month), int(day)
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return ""
    return f"{int(year):04d}-{m:02d}-{d:02d}" if year else f"{m:02d}-{d:02d}"


def _times(text: str) -> list[str]:
    found = []
    for part, hour, minute, half in _KO_TIME.findall(text):
        h = int(hour)
        if part in ("오후", "저녁") and h < 12:
            h += 12
        if part == "낮" and h < 6:
            h += 12
        found.append(_time(h, 30 if half else int(minute or 0)))
    for hour, minute, suffix in _CLOCK_TIME.findall(text):
        h = int(hour) % 12 + (12 if suffix.lower().startswith("p") else 0)
        found.append(_time(h, int(minute or 0)))
    for hour, minute in _24H_TIME.findall(_CLOCK_TIME.sub(" ", text)):
        found.append(_time(int(hour), int(minute)))
    return [f for f in found if f]


def _time(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else ""


def _names(text: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for role, name in _KO_NAME.findall(text):
        names.setdefault("groom" if role == "신랑" else "bride", name)
    for role, name in _EN_NAME.findall(text):
        names.setdefault(role.lower(), name)
    return names


def _venue(text: str) -> str | None:
    english = _EN_VENUE.search(text)
    if english:
        return english.group(1).strip()
    for match in _KO_VENUE.finditer(text):
        venue = _PARTICLES.sub("", match.group(1).strip())
        if venue not in _GENERIC_VENUES:
            return venue
    return None


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
