"""Who a personal link belongs to, so the public page can greet the guest by name."""

from __future__ import annotations

from mocheong_core.errors import NotFound
from mocheong_core.guests.model import Guest
from mocheong_core.guests.ports import GuestRepository
from mocheong_core.pages.ports import PageRepository
from mocheong_core.pages.usecases import GetPublishedPage


class GuestOfLink:
    """The guest whose link ``/i/{slug}?g={token}`` is, on a published page only.

    The token is the secret the couple sent that guest, so its holder may see the name and
    side it stands for (and nothing else: the caller shows only those).
    """

    def __init__(self, pages: PageRepository, guests: GuestRepository) -> None:
        self._published = GetPublishedPage(pages)
        self._guests = guests

    async def __call__(self, slug: str, token: str) -> Guest:
        page = await self._published(slug)
        guest = await self._guests.by_token(page.id, token)
        if guest is None:
            raise NotFound("No such guest link")
        return guest
