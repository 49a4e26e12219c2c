"""What the offline agent understands of one message: the page changes it asks for.

``understand`` reads a couple's message, in Korean or English, against the page as it is,
and returns a merge patch (RFC 7396) of the page document, the section changes and requests
(a greeting in a tone, undoing the last change, a venue to look up), and what it read but
refused (a weekday that does not match the date, a date that does not exist or has passed).
It is pure and deterministic: no network, no clock (``today`` is given), a few hundred
microseconds a message. Each kind of fact has its own module beside this one.

Patterns, not a library: ``when.py`` says why ``dateparser`` was not taken; the Korean
morphology needed is one rule (particles follow the last syllable's sound, ``korean.py``),
and a morphological analyser that knows more (kiwipiepy, with a model package of its own)
would still need these rules on top to know what a role word, a venue or a correction is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from adapters.llm.offline.accounts import RELATIONS, merged_accounts, read_accounts
from adapters.llm.offline.asks import dictated_greeting, greeting_tone, wants_undo
from adapters.llm.offline.guest_tools import option_spans, put_guest_tools
from adapters.llm.offline.korean import has_hangul
from adapters.llm.offline.layout import (
    SECTION_NAME,
    SectionChange,
    apply_sections,
    current_sections,
    read_sections,
)
from adapters.llm.offline.people import People, read_people
from adapters.llm.offline.place import Place, read_place
from adapters.llm.offline.rsvp import Rsvp, read_rsvp
from adapters.llm.offline.when import When, format_time, read_when
from mocheong_core.pages.document import merge_patch

__all__ = ["SectionChange", "Understanding", "understand"]

# The time stored with a date said without one, until the couple says the time: noon, the
# most common hour of a Korean wedding. ``Understanding.time_assumed`` tells the agent to ask.
ASSUMED_TIME = time(12, 0)

# "박하은이 아니라 박하윤이에요", "2시 말고 3시", "the bride is Ana, not Anna": the word corrected
# is dropped, so what follows is read as the fact. A Korean word is matched from its start
# only (the look-behind), which keeps the scan linear on long text.
_KO_NOT = re.compile(r"(?<![^\s,.!?])[^\s,.!?]{1,30}?\s*(?:아니(?:라|고|구)(?:요)?\s*,?|말고)\s+")
_EN_NOT = re.compile(
    r"\bnot\s+[^,.;!?]{1,60}?\s*(?:,\s*|\s+but\s+)(?:it'?s\s+)?|,\s*not\s+[^,.;!?]{1,60}"
    r"|\binstead\s+of\s+[^,.;!?]{1,60}",
    re.IGNORECASE,
)


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@attrs.frozen
class Understanding:
    korean: bool
    """Answer in Korean?"""
    patch: dict[str, Any]
    """RFC 7396 merge patch of the page document's content fields (``{}`` when nothing). It
    already holds the ``sections`` list that ``sections`` describes."""
    sections: tuple[SectionChange, ...]
    greeting_tone: str | None
    """``warm`` | ``formal`` | ``modern`` | ``playful`` | ``faith`` when greeting drafts are
    asked for."""
    undo: bool
    """The couple asks to revert the last change ("방금 바꾼 거 되돌려줘", "undo that")."""
    venue_query: str | None
    """What to search the venue by (its name, or name and address) when one is mentioned."""
    problems: tuple[str, ...]
    """What was read but refused, in the reply's language."""
    time_assumed: bool = False
    """A date came without a time and none was stored: it is stored at noon until told."""


def understand(
    text: str, *, page: Mapping[str, Any], today: date, time_zone: str = "Asia/Seoul"
) -> Understanding:
    """``page``: the page document as the API shows it (content fields, maybe mostly empty).
    ``today``: the day in ``time_zone`` (the ceremony's zone), for dates without a year."""
    # Control characters are never part of a fact, and the page refuses them in its fields.
    text = _CONTROL.sub(" ", unicodedata.normalize("NFKC", text).replace("\r\n", "\n"))
    # What needs no capital letters is read in lower case: Python's case-blind matching is
    # several times slower, over Hangul most of all (100 µs for the section names alone).
    lowered = text.lower()
    korean = _is_korean(text, page)
    facts = _KO_NOT.sub("", _EN_NOT.sub("", text))
    facts_lowered = facts.lower()
    patch: dict[str, Any] = {}
    problems: list[str] = []

    people = read_people(facts, korean=korean, known=_names(page))
    for path, value in people.facts:
        _put(patch, ("couple", *path), value)
    problems.extend(people.problems)

    rsvp = read_rsvp(facts_lowered, today=today, korean=korean)
    _put_rsvp(patch, rsvp, time_zone)
    problems.extend(rsvp.problems)

    when = read_when(_blanked(facts_lowered, rsvp.span), today=today, korean=korean)
    starts_at, assumed, when_problems = _starts_at(when, page, time_zone, korean)
    if starts_at:
        _put(patch, ("ceremony", "starts_at"), starts_at)
    problems.extend(when_problems)

    place = read_place(facts)
    for key, value in _venue(place, _at(page, "venue")).items():
        _put(patch, ("venue", key), value)

    problems.extend(_put_accounts(patch, facts, people, page, korean))
    problems.extend(put_guest_tools(patch, facts, people, page, korean))

    greeting = dictated_greeting(text)
    if greeting:
        patch["greeting"] = greeting
    options = lowered
    for span in option_spans(lowered):
        options = _blanked(options, span)
    changes = _put_sections(patch, options, page)
    wants_section = any(change.kind == "greeting" for change in changes)
    return Understanding(
        korean=korean,
        patch=_changed(patch, page),
        sections=changes,
        greeting_tone=None if greeting else greeting_tone(lowered, wants_section=wants_section),
        undo=wants_undo(lowered),
        venue_query=" ".join(p for p in (place.name, place.address) if p) or None,
        problems=tuple(dict.fromkeys(problems)),
        time_assumed=assumed,
    )


def _blanked(text: str, span: tuple[int, int] | None) -> str:
    """``text`` with ``span`` turned to spaces (positions kept)."""
    if span is None:
        return text
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]


def _put_rsvp(patch: dict[str, Any], rsvp: Rsvp, time_zone: str) -> None:
    if rsvp.enabled is not None:
        _put(patch, ("rsvp", "enabled"), rsvp.enabled)
    if rsvp.deadline:
        # Replies are taken until the end of the day named.
        end = datetime.combine(rsvp.deadline, time(23, 59, 59), tzinfo=ZoneInfo(time_zone))
        _put(patch, ("rsvp", "deadline"), end.isoformat())
    if rsvp.ask_meal is not None:
        _put(patch, ("rsvp", "ask_meal"), rsvp.ask_meal)


def _put_accounts(
    patch: dict[str, Any], facts: str, people: People, page: Mapping[str, Any], korean: bool
) -> list[str]:
    accounts, unknown = read_accounts(facts, people.mentions, people.speaker)
    problems = [
        f"누구 계좌인지 알려주세요: {number}" if korean else f"Tell me whose account {number} is"
        for number in unknown
    ]
    if not accounts:
        return problems
    known = merge_patch(page, patch)
    names = {relation: _at(known, "couple", *path, "name") for path, relation in RELATIONS.items()}
    listed, without_holder = merged_accounts(page.get("gift_accounts"), accounts, names)
    problems += [
        f"예금주 이름을 알려주세요: {number}"
        if korean
        else f"Tell me the account holder's name for {number}"
        for number in without_holder
    ]
    if len(accounts) > len(without_holder):
        patch["gift_accounts"] = listed
    return problems


def _put_sections(
    patch: dict[str, Any], lowered: str, page: Mapping[str, Any]
) -> tuple[SectionChange, ...]:
    if not SECTION_NAME.search(lowered):
        return ()
    current = current_sections(page)
    changes = read_sections(lowered, current)
    if changes:
        patch["sections"] = apply_sections(current, changes)
    return changes


def _is_korean(text: str, page: Mapping[str, Any]) -> bool:
    if has_hangul(text):
        return True
    if re.search(r"[A-Za-z]", text):
        return False
    # Only digits and signs ("15:30", "10/9"): the language of the names on the page.
    names = " ".join(n for n in _names(page).values() if n)
    return has_hangul(names) or not names


def _at(page: Mapping[str, Any], *keys: str) -> Any:
    value: Any = page
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _names(page: Mapping[str, Any]) -> dict[str, str | None]:
    return {role: _at(page, "couple", role, "name") for role in ("groom", "bride")}


def _put(patch: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    if isinstance(value, str):
        value = " ".join(value.split())  # one line: only the greeting may have several
    for key in path[:-1]:
        patch = patch.setdefault(key, {})
    patch[path[-1]] = value


def _changed(patch: Mapping[str, Any], page: Any) -> dict[str, Any]:
    """``patch`` without what the page already says: the patch is the change, nothing more."""
    changed: dict[str, Any] = {}
    for key, value in patch.items():
        current = page.get(key) if isinstance(page, Mapping) else None
        if isinstance(value, Mapping):
            inner = _changed(value, current)
            if inner:
                changed[key] = inner
        elif value != current:
            changed[key] = value
    return changed


def _stored_start(page: Mapping[str, Any], zone: ZoneInfo) -> datetime | None:
    stored = _at(page, "ceremony", "starts_at")
    if not isinstance(stored, str):
        return None
    try:
        moment = datetime.fromisoformat(stored)
    except ValueError:
        return None
    return moment.astimezone(zone) if moment.tzinfo else None


def _starts_at(
    when: When, page: Mapping[str, Any], time_zone: str, korean: bool
) -> tuple[str | None, bool, list[str]]:
    """The new ``ceremony.starts_at``: the day and time said, completed by the stored ones."""
    if when.problems:
        return None, False, list(when.problems)  # a refused day changes nothing, time included
    if when.day is None and when.time is None:
        return None, False, []
    zone = ZoneInfo(time_zone)
    stored = _stored_start(page, zone)
    day = when.day or (stored.date() if stored else None)
    if day is None:
        said = format_time(when.time, korean) if when.time else ""
        return (
            None,
            False,
            [
                f"{said}에 하시는군요. 예식 날짜를 알려주시면 시간과 함께 저장할게요"
                if korean
                else f"Noted {said}. Tell me the wedding date and I will save it with the time"
            ],
        )
    moment = when.time or (stored.time() if stored else None)
    assumed = moment is None
    starts = datetime.combine(day, moment or ASSUMED_TIME, tzinfo=zone)
    return starts.isoformat(), assumed, []


def _venue(place: Place, stored: Any) -> dict[str, Any]:
    """The venue fields to set. A new venue's name clears what belonged to the old one (hall,
    address, coordinates) unless this message gives it too; a new address clears the old
    coordinates (the map agent finds them again from ``venue_query``)."""
    stored = stored if isinstance(stored, Mapping) else {}
    change: dict[str, Any] = {}
    if place.name and stored.get("name") and place.name != stored["name"]:
        change |= {key: None for key in ("hall", "address", "lat", "lng") if stored.get(key)}
    if place.name:
        change["name"] = place.name
    if place.hall:
        change["hall"] = place.hall
    if place.address:
        change["address"] = place.address
        same = place.address == stored.get("address")
        for key in ("lat", "lng"):
            if same:
                change.pop(key, None)  # the same place by another name keeps its pin
            elif stored.get(key) is not None:
                change[key] = None
    return change
