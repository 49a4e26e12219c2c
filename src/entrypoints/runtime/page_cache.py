"""The rendered public pages one process keeps: a small LRU of finished HTTP responses by slug,
dropped when the page changes.

It listens to page changes (``PageEventListener``) and guestbook changes, and tells the other
processes through ``CachePeers`` (Redis pub/sub when several run); what the peers announce
comes back through ``drop``/``clear``.

A response rendered from data read before an invalidation must not be stored after it, or
the stale page would outlive the change: ``ticket()`` taken before rendering and handed to
``put`` makes such a late store a no-op.

An entry holds the response in each content coding it is sent in (plain, brotli, gzip), made
once when it is stored; its expiry is read against the injected ``Clock``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Protocol

import attrs

from mocheong_core.kernel.clock import Clock
from mocheong_core.pages.model import Page
from mocheong_core.pages.ports import ChangedBy

Headers = tuple[tuple[bytes, bytes], ...]
VARIANTS_PER_PAGE = 8
"""Representations kept per slug (HTML, JSON, per origin when links follow the request)."""


@attrs.frozen(slots=True)
class Representation:
    """The response in one content coding."""

    body: bytes
    etag: bytes
    """The entity tag, quoted, as sent in ``ETag`` (one per coding)."""
    headers: Headers
    """Every header of the 200 answer except the per-request ones."""
    not_modified: Headers
    """The headers of a 304 answer."""


@attrs.frozen(slots=True)
class CachedResponse:
    plain: Representation
    expires_at: float
    """Seconds since the epoch, on the injected clock, after which it is rendered again."""
    coded: Mapping[str, Representation] = attrs.field(factory=dict)
    """The same response compressed, by content coding (``br``, ``gzip``)."""


class CachePeers(Protocol):
    async def announce(self, keys: list[str]) -> None:
        """Tells the other processes to drop these keys; must not raise."""
        ...


class PageCache:
    def __init__(
        self,
        max_pages: int,
        clock: Clock,
        peers: CachePeers | None = None,
    ) -> None:
        self._pages: OrderedDict[str, dict[str, CachedResponse]] = OrderedDict()
        self._max_pages = max_pages
        self._peers = peers
        self._clock = clock
        self._epoch = 0
        # With peers, nothing is cached until their invalidations are heard (``resume``).
        self._active = peers is None

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, slug: str, variant: str) -> CachedResponse | None:
        variants = self._pages.get(slug)
        if variants is None:
            return None
        entry = variants.get(variant)
        if entry is None:
            return None
        if entry.expires_at <= self.now():
            del variants[variant]
            return None
        self._pages.move_to_end(slug)
        return entry

    def now(self) -> float:
        return self._clock.now().timestamp()

    def ticket(self) -> int:
        return self._epoch

    def put(self, slug: str, variant: str, entry: CachedResponse, ticket: int) -> bool:
        """Stores the entry unless something was invalidated since ``ticket`` was taken."""
        if ticket != self._epoch or not self._active:
            return False
        variants = self._pages.setdefault(slug, {})
        if variant not in variants and len(variants) >= VARIANTS_PER_PAGE:
            return False
        variants[variant] = entry
        self._pages.move_to_end(slug)
        while len(self._pages) > self._max_pages:
            self._pages.popitem(last=False)
        return True

    def drop(self, slugs: Iterable[str]) -> None:
        self._epoch += 1
        for slug in slugs:
            self._pages.pop(slug, None)

    def clear(self) -> None:
        self._epoch += 1
        self._pages.clear()

    def suspend(self) -> None:
        """Caches nothing until ``resume``: invalidations from the peers may be missed."""
        self._active = False
        self.clear()

    def resume(self) -> None:
        self.clear()
        self._active = True

    async def forget(self, slugs: list[str]) -> None:
        """Drops the slugs here and in every other process."""
        self.drop(slugs)
        if self._peers is not None:
            await self._peers.announce(slugs)

    async def page_changed(
        self, page: Page, changed: list[str], by: ChangedBy, *, previous_slug: str | None
    ) -> None:
        await self.forget([page.slug] if previous_slug is None else [page.slug, previous_slug])

    async def page_deleted(self, page: Page, by: ChangedBy) -> None:
        await self.forget([page.slug])

    async def guestbook_changed(self, page: Page) -> None:
        await self.forget([page.slug])

    async def album_changed(self, page: Page) -> None:
        await self.forget([page.slug])
