"""A page's suggested address from the couple's names: ``민준`` and ``서연`` give
``minjun-seoyeon``, as the spec's example reads, instead of a random ``x44m-bcqr``.

Romanizing Hangul is a port: the Revised Romanization has rules and tables a well-kept library
carries (``adapters/romanizer``), which the pure core neither copies nor imports; another
system, or a test, brings its own. Names are romanized syllable by syllable because the
Revised Romanization leaves sound changes between the syllables of a given name unwritten
(``한복남`` is Boknam, not Bongnam). The owner can change the slug at any time.
"""

from __future__ import annotations

import re
from typing import Protocol

from mocheong_core.pages.content import PageContent
from mocheong_core.pages.model import SLUG_MAX, random_slug, slug_problem
from mocheong_core.pages.ports import PageRepository

SUGGESTION_ATTEMPTS = 20
RANDOM_ATTEMPTS = 5
# The common two-syllable surnames; any other surname is one syllable.
TWO_SYLLABLE_SURNAMES = frozenset(
    {"남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방", "어금", "망절", "소봉"}
)
_HANGUL = re.compile(r"^[가-힣]+$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class Romanizer(Protocol):
    def romanize(self, text: str) -> str:
        """``text`` (Hangul) in Latin letters by the Revised Romanization of Korean."""
        ...


def given_name(name: str) -> str:
    """The given name of a Korean full name written in Hangul (``김민준`` → ``민준``); any
    other name as it is."""
    name = name.replace(" ", "")
    if not _HANGUL.fullmatch(name) or len(name) < 3:
        return name
    surname = 2 if name[:2] in TWO_SYLLABLE_SURNAMES and len(name) >= 4 else 1
    return name[surname:]


def slug_word(name: str, romanizer: Romanizer) -> str:
    latin = "".join(
        romanizer.romanize(char) if _HANGUL.fullmatch(char) else char
        for char in given_name(name.strip())
    )
    return _NOT_SLUG.sub("-", latin.lower()).strip("-")


def suggested_base(content: PageContent, romanizer: Romanizer) -> str | None:
    """``groom-bride`` from their given names, or None when either is missing or unusable."""
    names = [content.couple.groom.name, content.couple.bride.name]
    words = [slug_word(name, romanizer) for name in names if name]
    if len(words) != 2 or not all(words):
        return None
    base = "-".join(words)[: SLUG_MAX - 3].strip("-")
    return base if slug_problem(base) is None else None


class SuggestSlug:
    """A free address: the couple's names, then with ``-2``, ``-3`` ..., else a random one."""

    def __init__(self, pages: PageRepository, romanizer: Romanizer) -> None:
        self._pages, self._romanizer = pages, romanizer

    async def __call__(self, content: PageContent, current: str | None = None) -> str | None:
        """None when no free address was found; ``current`` (the page's own) counts as free."""
        base = suggested_base(content, self._romanizer)
        candidates = []
        if base is not None:
            candidates = [base, *(f"{base}-{n}" for n in range(2, SUGGESTION_ATTEMPTS + 1))]
        candidates += [random_slug() for _ in range(RANDOM_ATTEMPTS)]
        for slug in candidates:
            if slug == current or await self._pages.by_slug(slug) is None:
                return slug
        return None
