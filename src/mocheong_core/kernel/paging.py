"""Cursor-paginated lists."""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

import attrs

T = TypeVar("T")


@attrs.frozen
class CursorPage(Generic[T]):
    """One page of a cursor-paginated list; ``next_cursor`` is None on the last page."""

    items: list[T]
    next_cursor: str | None


class Identified(Protocol):
    @property
    def id(self) -> str: ...


Row = TypeVar("Row", bound=Identified)


def page_by_id(items: list[Row], limit: int) -> CursorPage[Row]:
    """One page from ``limit + 1`` items read newest first: the extra one only tells that
    more follow, and the last shown id is the cursor to them."""
    more = len(items) > limit
    items = items[:limit]
    return CursorPage(items, items[-1].id if more else None)
