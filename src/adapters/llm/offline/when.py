"""The wedding's day and hour, as couples write them in Korean or English.

Why regular expressions and not ``dateparser`` (1.5.0, which does read Korean): measured on
this machine (Python 3.11), it costs 0.35 s to import and 148 ms for its first parse, then
0.5-12 ms a message (``search_dates`` 1-4 ms) — against a goal of well under a millisecond for
the whole message; it brings ``regex``, ``pytz``, ``tzlocal`` and ``python-dateutil`` (about
5 MB); and it reads this domain wrongly where it matters: "정오" and "낮 12시" give nothing,
"내년 3월 14일" nothing from ``parse`` (``search_dates`` splits it into "내년" = a year from
today and "3월 14일" of the wrong year), "다음 달 5일" gives a month from today instead of the
5th, and "1시 반" gives 01:30 where a wedding means 13:30. The forms couples use are few and
regular, so a few patterns read them exactly, in microseconds, with rules stated below.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, time, timedelta

import attrs

WEEKDAYS_KO = "월화수목금토일"
WEEKDAY_NAMES_KO = tuple(f"{day}요일" for day in WEEKDAYS_KO)
WEEKDAY_NAMES_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTHS = {name.lower(): index for index, name in enumerate(MONTH_NAMES_EN, start=1)}
_MONTHS |= {name[:3].lower(): index for name, index in list(_MONTHS.items())}
_MONTHS["sept"] = 9
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAYS_EN = {name.lower(): index for index, name in enumerate(WEEKDAY_NAMES_EN)}
_WEEKDAYS_EN |= {name[:3]: index for name, index in list(_WEEKDAYS_EN.items())}
_WEEKDAYS_EN |= {"tues": 1, "thur": 3, "thurs": 3}
_WEEKDAY_EN = "|".join(sorted(_WEEKDAYS_EN, key=len, reverse=True))

# A weekday written after a Korean date: "9일 토요일", "9일(토)", "9일 토" — but not the 일 of
# "9일 일시" (a lone syllable counts only when no Hangul follows it).
_KO_WEEKDAY = rf"(?:\s*[(（]?\s*(?P<weekday>[{WEEKDAYS_KO}])(?:요일|(?![가-힣]))\s*[)）]?)?"
_RELATIVE_YEARS = {"올해": 0, "금년": 0, "내년": 1, "명년": 1, "후년": 2, "내후년": 2}

KO_DATE = re.compile(
    r"(?:(?P<year>\d{4}|\d{2})\s*년\s*|(?P<relative>올해|금년|내년|명년|내후년|후년)\s*)?"
    r"(?<!\d)(?P<month>\d{1,2})\s*월\s*(?P<day>\d{1,2})\s*일" + _KO_WEEKDAY
)
KO_MONTH_RELATIVE = re.compile(
    r"(?P<which>이번\s*달|이달|다음\s*달|담달|다다음\s*달)\s*(?P<day>\d{1,2})\s*일" + _KO_WEEKDAY
)
KO_WEEK_RELATIVE = re.compile(
    rf"(?P<which>이번\s*주|금주|다음\s*주|담주|다다음\s*주)\s*(?P<weekday>[{WEEKDAYS_KO}])요일"
)
# 2027.10.9 / 2027-10-09 / 2027/10/9: a four-digit year first, so that phone and account
# numbers (010-1234-5678, 123-45-6789) never read as dates.
NUMERIC_DATE = re.compile(
    r"(?<![\d.\-/])(?P<year>(?:19|20)\d{2})\s*[.\-/]\s*(?P<month>\d{1,2})\s*[.\-/]\s*"
    r"(?P<day>\d{1,2})(?![\d\-/])\.?" + _KO_WEEKDAY
)
# 27.10.9: Korean shorthand, a two-digit year, with dots only.
SHORT_DOTTED_DATE = re.compile(
    r"(?<![\d.\-/])(?P<year>[2-9]\d)\.\s?(?P<month>\d{1,2})\.\s?(?P<day>\d{1,2})(?![\d.\-/])"
    + _KO_WEEKDAY
)
# "10월 둘째 주 토요일", "the second Saturday of October".
_NTH = {"첫째": 1, "첫": 1, "둘째": 2, "셋째": 3, "넷째": 4, "다섯째": 5, "마지막": -1}
_NTH |= {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}
KO_NTH_WEEKDAY = re.compile(
    r"(?:(?P<year>\d{4})\s*년\s*)?(?P<month>\d{1,2})\s*월\s*(?:의\s*)?"
    rf"(?P<nth>첫째|첫|둘째|셋째|넷째|다섯째|마지막)\s*(?:주\s*)?(?P<weekday>[{WEEKDAYS_KO}])요일"
)
EN_NTH_WEEKDAY = re.compile(
    rf"\b(?:the\s+)?(?P<nth>first|second|third|fourth|fifth|last)\s+(?P<weekday>{_WEEKDAY_EN})"
    rf"\s+(?:of|in)\s+(?P<month>{_MONTH})\b(?:,?\s*(?P<year>\d{{4}})\b)?"
)
# 10/9 is month/day, as Korea and the United States write it (10/16/2027 too); a first number
# over 12 can only be the day (16/10/2027, as Britain writes it).
SLASH_DATE = re.compile(
    r"(?<![\d./\-])(?P<month>\d{1,2})/(?P<day>\d{1,2})(?:/(?P<year>\d{4}))?(?![\d/\-])"
    + _KO_WEEKDAY
)
EN_MONTH_FIRST = re.compile(
    rf"\b(?P<month>{_MONTH})\.?\s+(?:the\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b"
    r"(?:,?\s*(?P<year>\d{4})\b)?",
)
EN_DAY_FIRST = re.compile(
    rf"\b(?:the\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH})\b\.?"
    r"(?:,?\s*(?P<year>\d{4})\b)?",
)
EN_WEEK_RELATIVE = re.compile(rf"\b(?P<which>this|next|coming)\s+(?P<weekday>{_WEEKDAY_EN})\b")
# "토요일인 10월 16일", "토요일, 10월 16일": the weekday said before the date.
_KO_WEEKDAY_BEFORE = re.compile(rf"(?P<weekday>[{WEEKDAYS_KO}])요일\s*(?:인|이고|,)?\s*$")
_EN_WEEKDAY_BEFORE = re.compile(rf"\b(?P<weekday>{_WEEKDAY_EN})\.?,?\s*(?:the\s+)?$")
_EN_WEEKDAY_AFTER = re.compile(rf"^\s*[(,]?\s*(?:a\s+)?(?P<weekday>{_WEEKDAY_EN})\b")

# Times. A bare hour (no 오전/오후, am/pm) from 1 to 8 is afternoon: Korean weddings are held
# from about 10 a.m. to 7 p.m., so "2시" and "1시 반" mean 14:00 and 13:30, never the night.
_AFTERNOON_BARE_HOURS = range(1, 9)
KO_TIME = re.compile(
    r"(?P<part>오전|오후|낮|저녁|밤|아침|새벽)?\s*(?<!\d)(?P<hour>\d{1,2})\s*시(?!간)"
    r"(?:\s*(?P<minute>\d{1,2})\s*분|\s*(?P<half>반))?"
)
CLOCK_TIME = re.compile(
    r"(?:(?P<part>오전|오후|낮|저녁|밤|아침|새벽)\s*)?(?<![\d:.])(?P<hour>[01]?\d|2[0-3]):"
    r"(?P<minute>[0-5]\d)(?![\d:])"
    r"(?:\s*(?P<meridiem>[ap])\.?m\b\.?|\s+in\s+the\s+(?P<period>morning|afternoon|evening))?",
)
EN_HOUR_TIME = re.compile(
    r"(?<![\d:.])(?P<hour>1[0-2]|0?[1-9])\s*(?:o'?clock\s*)?"
    r"(?:(?P<meridiem>[ap])\.?m\b\.?|in\s+the\s+(?P<period>morning|afternoon|evening))",
)
EN_OCLOCK = re.compile(r"(?<![\d:.])(?P<hour>1[0-2]|0?[1-9])\s*o'?clock\b")
# Hours in native Korean numbers: "두 시", "열한시 반". Written as digits of the same length, so
# that positions in the text stay where they were.
_NATIVE_HOURS = {
    "한": 1,
    "두": 2,
    "세": 3,
    "네": 4,
    "다섯": 5,
    "여섯": 6,
    "일곱": 7,
    "여덟": 8,
    "아홉": 9,
    "열": 10,
    "열한": 11,
    "열두": 12,
}
_NATIVE_HOUR = re.compile(
    r"(?<![가-힣])(?P<hour>열한|열두|다섯|여섯|일곱|여덟|아홉|한|두|세|네|열)(?P<gap>\s*)시(?!간|도)"
)


def _hour_in_digits(match: re.Match[str]) -> str:
    said = match.group(0)
    digits = f"{_NATIVE_HOURS[match['hour']]}{match['gap']}시"
    return digits.rjust(len(said))


_LUNAR = re.compile(r"음력|\blunar\b")
_CALENDAR_QUESTION = re.compile(r"무슨\s*요일|몇\s*요일|what\s+day|which\s+day|what\s+weekday")
_NEAR_DAY = re.compile(r"오늘|내일|모레|어제|\btoday\b|\btomorrow\b|\btonight\b|\byesterday\b")
NOON = re.compile(r"정오|\bnoon\b|\bmidday\b")


@attrs.frozen
class When:
    """The last day and the last time a message gives (a correction names the new one last:
    "9일에서 10일로"), and why a stated day was refused."""

    day: date | None = None
    time: time | None = None
    problems: tuple[str, ...] = ()
    span: tuple[int, int] | None = None


@attrs.frozen
class _Day:
    start: int
    end: int
    year: int | None
    """None when not said: the next such day is meant."""
    month: int
    day: int
    weekday: int | None
    said: str = ""
    """The words, when a refusal should quote them rather than a month and day."""


def read_when(text: str, *, today: date, korean: bool) -> When:
    days = _days(text, today)
    problems: list[str] = []
    day: date | None = None
    span = None
    # "3월 14일은 무슨 요일이에요?": a question about the calendar sets no date.
    if days and not _CALENDAR_QUESTION.search(text):
        found = days[-1]
        span = (found.start, found.end)
        if _LUNAR.search(text):
            # The lunar calendar's days move against the solar one every year; converting
            # them needs tables this reader does not carry.
            problems.append(
                "음력 날짜는 양력으로 알려주세요"
                if korean
                else "Please give the date in the solar (Gregorian) calendar"
            )
        else:
            day, problem = _resolve(found, today, korean)
            if problem:
                problems.append(problem)
    # "오늘 3시에 촬영 있어요": a time of today or tomorrow is not the wedding's.
    near = _NEAR_DAY.search(text)
    moment = None if near else _time(_NATIVE_HOUR.sub(_hour_in_digits, text))
    return When(day=day, time=moment, problems=tuple(problems), span=span)


def _days(text: str, today: date) -> list[_Day]:
    found: list[_Day] = []
    taken: list[tuple[int, int]] = []

    def add(day: _Day) -> None:
        if not any(day.start < end and start < day.end for start, end in taken):
            taken.append((day.start, day.end))
            found.append(day)

    for match in NUMERIC_DATE.finditer(text):
        add(_numeric(match, year=int(match["year"])))
    for match in SHORT_DOTTED_DATE.finditer(text):
        add(_numeric(match, year=2000 + int(match["year"])))
    for match in KO_NTH_WEEKDAY.finditer(text):
        month, weekday = int(match["month"]), WEEKDAYS_KO.index(match["weekday"])
        add(_nth_weekday(match, month, weekday, today))
    for match in EN_NTH_WEEKDAY.finditer(text):
        month, weekday = _MONTHS[match["month"]], _WEEKDAYS_EN[match["weekday"]]
        add(_nth_weekday(match, month, weekday, today))
    for match in KO_DATE.finditer(text):
        day = _korean(match, today)
        before = _KO_WEEKDAY_BEFORE.search(text, max(0, match.start() - 8), match.start())
        if day.weekday is None and before:
            day = attrs.evolve(day, weekday=WEEKDAYS_KO.index(before["weekday"]))
        add(day)
    for match in KO_MONTH_RELATIVE.finditer(text):
        add(_month_relative(match, today))
    for match in KO_WEEK_RELATIVE.finditer(text):
        add(_week_relative(match, today, WEEKDAYS_KO.index(match["weekday"]), match["which"]))
    for match in EN_WEEK_RELATIVE.finditer(text):
        weekday = _WEEKDAYS_EN[match["weekday"].lower()]
        add(_week_relative(match, today, weekday, match["which"].lower()))
    for match in SLASH_DATE.finditer(text):
        add(_slashed(match))
    for pattern in (EN_MONTH_FIRST, EN_DAY_FIRST):
        for match in pattern.finditer(text):
            add(_english(match, text))
    found.sort(key=lambda day: day.start)
    return found


def _weekday_ko(match: re.Match[str]) -> int | None:
    return WEEKDAYS_KO.index(match["weekday"]) if match["weekday"] else None


def _numeric(match: re.Match[str], *, year: int | None) -> _Day:
    month, day = int(match["month"]), int(match["day"])
    return _Day(match.start(), match.end(), year, month, day, _weekday_ko(match))


def _nth_weekday(match: re.Match[str], month: int, weekday: int, today: date) -> _Day:
    """The nth such weekday of the month: of the year said, or the next such month on or
    after today."""
    nth = _NTH[match["nth"]]
    years = [int(match["year"])] if match["year"] else [today.year, today.year + 1]
    for year in years:
        days = (
            [
                date(year, month, d)
                for d in range(1, calendar.monthrange(year, month)[1] + 1)
                if date(year, month, d).weekday() == weekday
            ]
            if 1 <= month <= 12
            else []
        )
        if len(days) >= abs(nth) and (days[nth - 1 if nth > 0 else -1] >= today or match["year"]):
            day = days[nth - 1 if nth > 0 else -1]
            return _Day(match.start(), match.end(), day.year, day.month, day.day, None)
    # No such day (a fifth Monday that February does not have): _resolve refuses it.
    return _Day(match.start(), match.end(), years[-1], month, 0, None, said=match.group(0))


def _slashed(match: re.Match[str]) -> _Day:
    first, second = int(match["month"]), int(match["day"])
    month, day = (second, first) if first > 12 >= second else (first, second)
    year = int(match["year"]) if match["year"] else None
    return _Day(match.start(), match.end(), year, month, day, _weekday_ko(match))


def _korean(match: re.Match[str], today: date) -> _Day:
    year: int | None = None
    if match["year"]:
        year = int(match["year"])
        year += 2000 if year < 100 else 0  # "27년" is 2027
    elif match["relative"]:
        year = today.year + _RELATIVE_YEARS[match["relative"]]
    return _numeric(match, year=year)


def _month_relative(match: re.Match[str], today: date) -> _Day:
    which = re.sub(r"\s", "", match["which"])
    ahead = {"이번달": 0, "이달": 0, "다음달": 1, "담달": 1, "다다음달": 2}[which]
    index = today.year * 12 + today.month - 1 + ahead
    return _Day(
        match.start(),
        match.end(),
        index // 12,
        index % 12 + 1,
        int(match["day"]),
        _weekday_ko(match),
    )


def _week_relative(match: re.Match[str], today: date, weekday: int, which: str) -> _Day:
    # "이번 주 토요일" is the Saturday of this week (Monday to Sunday), "다음 주" of the next;
    # "this Saturday" is the coming one, "next Saturday" the one of next week.
    which = re.sub(r"\s", "", which)
    if which == "this" or which == "coming":
        ahead = (weekday - today.weekday()) % 7
    else:
        weeks = {"이번주": 0, "금주": 0, "next": 1, "다음주": 1, "담주": 1, "다다음주": 2}[which]
        ahead = weekday - today.weekday() + 7 * weeks
    day = today + timedelta(days=ahead)
    return _Day(match.start(), match.end(), day.year, day.month, day.day, None)


def _english(match: re.Match[str], text: str) -> _Day:
    before = _EN_WEEKDAY_BEFORE.search(text, max(0, match.start() - 16), match.start())
    after = _EN_WEEKDAY_AFTER.match(text[match.end() : match.end() + 16])
    said = before or after
    weekday = _WEEKDAYS_EN[said["weekday"].lower()] if said else None
    year = int(match["year"]) if match["year"] else None
    return _Day(
        match.start(),
        match.end(),
        year,
        _MONTHS[match["month"].lower()],
        int(match["day"]),
        weekday,
    )


def _resolve(found: _Day, today: date, korean: bool) -> tuple[date | None, str | None]:
    """The date meant, or why it is refused (in the reply's language)."""
    if found.year is None:
        day = _next_such_day(found.month, found.day, today)
        if day is None:
            return None, _impossible(found.month, found.day, None, korean)
    else:
        try:
            day = date(found.year, found.month, found.day)
        except ValueError:
            if found.said:
                return None, (
                    f"{found.said}은 없는 날짜예요" if korean else f"{found.said} does not exist"
                )
            return None, _impossible(found.month, found.day, found.year, korean)
        if day < today:
            return None, _past(day, korean)
    if found.weekday is not None and found.weekday != day.weekday():
        return None, _wrong_weekday(day, found.weekday, korean)
    return day, None


def _next_such_day(month: int, day: int, today: date) -> date | None:
    # Eight years reach the next 29 February from any day.
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def format_day(day: date, korean: bool) -> str:
    if korean:
        return f"{day.year}년 {day.month}월 {day.day}일"
    return f"{MONTH_NAMES_EN[day.month - 1]} {day.day}, {day.year}"


def format_time(moment: time, korean: bool) -> str:
    hour, minute = moment.hour, moment.minute
    if korean:
        part = "오전" if hour < 12 else "낮" if hour == 12 else "오후"
        shown = hour - 12 if hour > 12 else hour
        return f"{part} {shown}시" + (f" {minute}분" if minute else "")
    suffix = "am" if hour < 12 else "pm"
    return f"{(hour - 1) % 12 + 1}:{minute:02d} {suffix}"


def _impossible(month: int, day: int, year: int | None, korean: bool) -> str:
    if korean:
        said = f"{year}년 {month}월 {day}일" if year else f"{month}월 {day}일"
        return f"{said}은 없는 날짜예요"
    if 1 <= month <= 12:
        said = f"{MONTH_NAMES_EN[month - 1]} {day}" + (f", {year}" if year else "")
    else:
        said = f"{year}-{month:02d}-{day:02d}" if year else f"{month}/{day}"
    return f"{said} is not a date that exists"


def _past(day: date, korean: bool) -> str:
    if korean:
        return f"{format_day(day, korean)}은 이미 지난 날짜예요"
    return f"{format_day(day, korean)} has already passed"


def _wrong_weekday(day: date, said: int, korean: bool) -> str:
    if korean:
        return (
            f"{format_day(day, korean)}은 {WEEKDAY_NAMES_KO[day.weekday()]}이에요, "
            f"{WEEKDAY_NAMES_KO[said]}이 아니에요"
        )
    return (
        f"{format_day(day, korean)} is a {WEEKDAY_NAMES_EN[day.weekday()]}, "
        f"not a {WEEKDAY_NAMES_EN[said]}"
    )


def _time(text: str) -> time | None:
    """The last time of day the text gives."""
    found: list[tuple[int, int, time]] = []

    def add(start: int, end: int, moment: time | None) -> None:
        if moment is not None and not any(start < e and s < end for s, e, _ in found):
            found.append((start, end, moment))

    for match in CLOCK_TIME.finditer(text):
        part = match["part"] or match["meridiem"] or match["period"]
        add(match.start(), match.end(), _clock(int(match["hour"]), int(match["minute"]), part))
    for match in KO_TIME.finditer(text):
        minute = 30 if match["half"] else int(match["minute"] or 0)
        add(match.start(), match.end(), _clock(int(match["hour"]), minute, match["part"]))
    for match in EN_HOUR_TIME.finditer(text):
        part = match["meridiem"] or match["period"]
        add(match.start(), match.end(), _clock(int(match["hour"]), 0, part))
    for match in EN_OCLOCK.finditer(text):
        add(match.start(), match.end(), _clock(int(match["hour"]), 0, None))
    for match in NOON.finditer(text):
        add(match.start(), match.end(), time(12, 0))
    if not found:
        return None
    return max(found, key=lambda item: item[0])[2]


_MORNING = frozenset({"오전", "아침", "새벽", "a", "morning"})
_AFTERNOON = frozenset({"오후", "저녁", "밤", "p", "afternoon", "evening"})


def _clock(hour: int, minute: int, part: str | None) -> time | None:
    part = part.lower() if part else None
    if minute > 59 or hour > 24:
        return None
    if part in _MORNING:
        hour = 0 if hour == 12 else hour
    elif part in _AFTERNOON:
        hour = hour + 12 if hour < 12 else hour
    elif part == "낮":
        # 낮 is midday: "낮 12시" is noon, "낮 1시" is 13:00, "낮 11시" is 11:00.
        hour = hour + 12 if hour <= 6 else hour
    elif hour in _AFTERNOON_BARE_HOURS:
        hour += 12
    if hour > 23:
        return None
    return time(hour, minute)
