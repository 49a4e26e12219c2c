"""How one setting is declared: its variable, default, meaning and the check of its value.

Every field of a settings group carries its environment variable in its metadata, so a bad
value is reported by the variable an operator sets, and the README's table is made from the
same declarations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

PREFIX = "MOCHEONG_"

Check = Callable[[Any, "attrs.Attribute[Any]", Any], None]


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


def setting(
    var: str,
    *,
    default: Any,
    doc: str,
    check: Check | None = None,
    converter: Callable[[Any], Any] | None = None,
    secret: bool = False,
    shown: str | None = None,
) -> Any:
    """A field read from ``MOCHEONG_<var>`` or from the file ``MOCHEONG_<var>_FILE`` names
    (never both: ``loading.load_settings``).

    ``secret`` keeps the value out of ``repr``; ``shown`` is the default as the README tells
    it."""
    metadata = {"var": PREFIX + var, "doc": doc, "shown": shown}
    return attrs.field(
        default=default, validator=check, converter=converter, repr=not secret, metadata=metadata
    )


def variable(field: attrs.Attribute[Any]) -> str:
    """The environment variable a field is read from."""
    return str(field.metadata["var"])


def either(options: tuple[str, ...]) -> str:
    """``a, b or c``."""
    return f"{', '.join(options[:-1])} or {options[-1]}"


def positive(_: Any, field: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise SettingsError(f"{variable(field)} must be positive")


def not_negative(_: Any, field: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise SettingsError(f"{variable(field)} must not be negative")


def between(low: int, high: int) -> Check:
    """A whole number from ``low`` to ``high``."""

    def check(_: Any, field: attrs.Attribute[Any], value: int) -> None:
        if not low <= value <= high:
            raise SettingsError(f"{variable(field)} must be {low} to {high}")

    return check


def choice(*options: str, show: bool = False, blank: bool = False) -> Check:
    """One of ``options`` (or empty, with ``blank``); ``show`` quotes a refused value."""

    def check(_: Any, field: attrs.Attribute[Any], value: str) -> None:
        if value in options or (blank and not value):
            return
        refused = f", not {value!r}" if show else ""
        raise SettingsError(f"{variable(field)} must be {either(options)}{refused}")

    return check


def starts_with(*schemes: str) -> Check:
    """Empty, or a URL starting with one of ``schemes``."""

    def check(_: Any, field: attrs.Attribute[Any], value: str) -> None:
        if value and not value.startswith(schemes):
            raise SettingsError(f"{variable(field)} must start with {either(schemes)}")

    return check
