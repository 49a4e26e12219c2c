"""The page plans the payments context switches: a paid order makes its page premium, a full
refund takes it back (a partial one keeps it). What premium unlocks is the pages context's
rule (``mocheong_core.pages.plan``)."""

from __future__ import annotations

from mocheong_core.pages.errors import VersionConflict
from mocheong_core.pages.model import Plan
from mocheong_core.pages.ports import PageRepository

# A plan switch races only with the couple's or an agent's edits; each retry rereads the page.
_PLAN_SWITCH_TRIES = 5


class PagesPlans:
    """``PagePlans`` over the pages context's repository. The plan is not part of the page's
    document, so switching it keeps the version (no history entry, no ETag change)."""

    def __init__(self, pages: PageRepository) -> None:
        self._pages = pages

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
            return
        raise VersionConflict
