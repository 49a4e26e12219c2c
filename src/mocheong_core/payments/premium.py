"""The page plans the payments context switches: a paid order makes its page premium, a full
refund takes it back (a partial one keeps it). What premium unlocks is the pages context's
rule (``mocheong_core.pages.plan``)."""

from __future__ import annotations

from mocheong_core.pages.errors import VersionConflict
from mocheong_core.pages.model import Page, Plan
from mocheong_core.pages.ports import ChangedBy, PageEvents, PageRepository

# A plan switch races only with the couple's or an agent's edits; each retry rereads the page.
_PLAN_SWITCH_TRIES = 5


class PagesPlans:
    """``PagePlans`` over the pages context's repository. The plan is not part of the page's
    document, so switching it keeps the version (no history entry, no ETag change); it is
    announced as a change of ``plan`` all the same, since the public page shows it (music, the
    branding footer)."""

    def __init__(self, pages: PageRepository, events: PageEvents) -> None:
        self._pages, self._events = pages, events
        self._switched: list[Page] = []

    async def owner_of(self, page_id: str) -> str | None:
        page = await self._pages.get(page_id)
        return page.owner_id if page else None

    async def set_premium(self, page_id: str, premium: bool) -> None:
        for _ in range(_PLAN_SWITCH_TRIES):
            page = await self._pages.get(page_id)
            if page is None:
                return
            page.plan = Plan.PREMIUM if premium else Plan.FREE
            try:
                await self._pages.save(page, expected_version=page.version)
            except VersionConflict:
                continue
            self._switched.append(page)
            return
        raise VersionConflict

    async def announce(self, by: ChangedBy) -> None:
        switched, self._switched = self._switched, []
        for page in switched:
            await self._events.page_changed(page, ["plan"], by, previous_slug=None)
