"""``PageEventsFanout`` tells its listeners at once: an edit made while the broker does not
answer waits for the slowest listener, not for every listener's timeout in turn (R6)."""

from __future__ import annotations

import asyncio

from mocheong_core.pages.model import Page
from mocheong_core.pages.ports import ChangedBy, PageEventsFanout
from tests.unit.pages_harness import Pages, person

HANG_GUARD = 5.0  # seconds; told in turn, the first listener would wait for ever


class Listener:
    """Waits in each call until the other listener was told too."""

    def __init__(self, told: asyncio.Event, other_told: asyncio.Event) -> None:
        self.told, self.other_told = told, other_told
        self.calls: list[str] = []

    async def page_changed(
        self, page: Page, changed: list[str], by: ChangedBy, *, previous_slug: str | None
    ) -> None:
        await self._meet(f"changed {changed}")

    async def page_deleted(self, page: Page, by: ChangedBy) -> None:
        await self._meet("deleted")

    async def _meet(self, call: str) -> None:
        self.told.set()
        await self.other_told.wait()
        self.calls.append(call)


def pair() -> tuple[Listener, Listener]:
    first, second = asyncio.Event(), asyncio.Event()
    return Listener(first, second), Listener(second, first)


async def test_every_listener_is_told_before_any_has_finished() -> None:
    page = await Pages().new_page(person())
    a, b = pair()
    fanout = PageEventsFanout([a, b])

    await asyncio.wait_for(
        fanout.page_changed(page, ["greeting"], "user", previous_slug=None), HANG_GUARD
    )

    assert a.calls == b.calls == ["changed ['greeting']"]


async def test_a_deletion_is_told_to_every_listener_at_once() -> None:
    page = await Pages().new_page(person())
    a, b = pair()

    await asyncio.wait_for(PageEventsFanout([a, b]).page_deleted(page, "user"), HANG_GUARD)

    assert a.calls == b.calls == ["deleted"]
