"""Reading untrusted JSON-like input field by field, collecting every error under its path.

Each method returns the clean value, or None after recording why the value was refused, so
one pass over a document reports all of its bad fields (``couple.groom.name``,
``gallery.3``) instead of stopping at the first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mocheong_core.errors import Validator

E = TypeVar("E", bound=StrEnum)

PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()-]*[0-9]$")
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
YEAR_MIN, YEAR_MAX = 1900, 2999


def at(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def clean_text(value: str) -> str:
    """NFC (Korean typed on some systems arrives decomposed), trimmed, one newline style."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def has_control_chars(text: str, *, multiline: bool) -> bool:
    allowed = {"\n"} if multiline else set()
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


class DocumentReader:
    def __init__(self, validator: Validator | None = None) -> None:
        self.validator = validator or Validator()

    def fail(self, path: str, message: str) -> None:
        self.validator.add(path, message)

    def fields(self, value: Any, path: str, known: Collection[str]) -> Mapping[str, Any] | None:
        """The object at ``path`` (None when null); each key outside ``known`` is reported."""
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail(path or "body", "must be an object")
            return None
        for key in value:
            if key not in known:
                self.fail(at(path, str(key)), "is not a known field")
        return value

    def text(self, value: Any, path: str, *, max_len: int, multiline: bool = False) -> str | None:
        """Text trimmed and normalised; empty text counts as absent."""
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(path, "must be text")
            return None
        text = clean_text(value)
        if has_control_chars(text, multiline=multiline):
            self.fail(path, "must not contain control characters")
            return None
        if len(text) > max_len:
            self.fail(path, f"must be at most {max_len} characters")
            return None
        return text or None

    def required_text(
        self, value: Any, path: str, *, max_len: int, multiline: bool = False
    ) -> str | None:
        text = self.text(value, path, max_len=max_len, multiline=multiline)
        if text is None and not self._already_failed(path):
            self.fail(path, "is required")
        return text

    def phone(self, value: Any, path: str) -> str | None:
        text = self.text(value, path, max_len=20)
        if text is None:
            return None
        digits = sum(ch.isdigit() for ch in text)
        if not PHONE_RE.fullmatch(text) or not 7 <= digits <= 15:
            self.fail(path, "must be a phone number such as 010-1234-5678")
            return None
        return text

    def file_id(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not ID_RE.fullmatch(value):
            self.fail(path, "must be a file id")
            return None
        return value

    def boolean(self, value: Any, path: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(path, "must be true or false")
            return default
        return value

    def integer(self, value: Any, path: str, *, low: int, high: int) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, "must be a whole number")
            return None
        if not low <= value <= high:
            self.fail(path, f"must be between {low} and {high}")
            return None
        return value

    def number(self, value: Any, path: str, *, low: float, high: float) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, "must be a number")
            return None
        if not low <= value <= high:
            self.fail(path, f"must be between {low:g} and {high:g}")
            return None
        return float(value)

    def choice(self, value: Any, path: str, kind: type[E]) -> E | None:
        if value is None:
            return None
        try:
            return kind(value)
        except ValueError:
            options = ", ".join(member.value for member in kind)
            self.fail(path, f"must be one of: {options}")
            return None

    def moment(self, value: Any, path: str) -> datetime | None:
        """An ISO 8601 date and time with its UTC offset (a bare local time is ambiguous)."""
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > 40:
            self.fail(path, "must be an ISO 8601 date and time")
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(path, "must be an ISO 8601 date and time")
            return None
        if moment.tzinfo is None or moment.utcoffset() is None:
            self.fail(path, "must include a UTC offset, e.g. 2027-05-15T13:00:00+09:00")
            return None
        # Bounded so that showing it in any time zone stays within what datetime can hold.
        if not YEAR_MIN <= moment.year <= YEAR_MAX:
            self.fail(path, f"must be in the years {YEAR_MIN} to {YEAR_MAX}")
            return None
        return moment

    def time_zone(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > 64:
            self.fail(path, "must be an IANA time zone such as Asia/Seoul")
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(path, "must be an IANA time zone such as Asia/Seoul")
            return None
        return value

    def items(self, value: Any, path: str, *, max_items: int) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, "must be a list")
            return []
        if len(value) > max_items:
            self.fail(path, f"must have at most {max_items} items")
            return []
        return value

    def _already_failed(self, path: str) -> bool:
        return any(error.field == path for error in self.validator.errors)
