"""The page aggregate: its status machine, its address (slug) and its version."""

from __future__ import annotations

import enum
import re
import secrets
from datetime import datetime
from typing import Any

import attrs

from mocheong_core.errors import ValidationFailed
from mocheong_core.pages.content import PageContent
from mocheong_core.pages.dates import ensure_ceremony_ahead
from mocheong_core.pages.document import publish_problems
from mocheong_core.pages.errors import InvalidStatusTransition, PageArchived


class PageStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"
    ARCHIVED = "archived"


class Plan(enum.StrEnum):
    FREE = "free"
    PREMIUM = "premium"


TRANSITIONS: dict[PageStatus, frozenset[PageStatus]] = {
    PageStatus.DRAFT: frozenset({PageStatus.PUBLISHED, PageStatus.ARCHIVED}),
    PageStatus.PUBLISHED: frozenset({PageStatus.UNPUBLISHED, PageStatus.ARCHIVED}),
    PageStatus.UNPUBLISHED: frozenset({PageStatus.PUBLISHED, PageStatus.ARCHIVED}),
    PageStatus.ARCHIVED: frozenset(),
}

SLUG_MIN = 3
SLUG_MAX = 60
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Words a page address must not take: they name (or may one day name) the service's own paths.
RESERVED_SLUGS = frozenset(
    {
        "about", "admin", "api", "app", "assets", "auth", "calendar", "dashboard", "docs",
        "files", "guestbook", "health", "help", "home", "login", "logout", "metrics",
        "mocheong", "new", "page", "pages", "preview", "public", "ready", "register",
        "rsvp", "schema", "settings", "signup", "static", "support", "swagger", "www",
    }
)  # fmt: skip
# No 0/o or 1/l/i, so a slug read aloud or off paper is typed right.
SLUG_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def slug_problem(slug: Any) -> str | None:
    """Why ``slug`` cannot be a page address, or None when it can."""
    if not isinstance(slug, str):
        return "must be text"
    if not SLUG_MIN <= len(slug) <= SLUG_MAX:
        return f"must be {SLUG_MIN} to {SLUG_MAX} characters"
    if not SLUG_RE.fullmatch(slug):
        return "may hold only lowercase letters a-z, digits and single hyphens between them"
    if slug in RESERVED_SLUGS:
        return "is reserved"
    return None


def random_slug() -> str:
    """A fresh readable address such as ``k7mq-x2pd``: 31^8 ≈ 8.5e11 of them."""
    half = [secrets.choice(SLUG_ALPHABET) for _ in range(8)]
    return "".join(half[:4]) + "-" + "".join(half[4:])


@attrs.define
class Page:
    id: str
    owner_id: str
    slug: str
    status: PageStatus
    plan: Plan
    version: int
    content: PageContent
    created_at: datetime
    updated_at: datetime

    @property
    def is_public(self) -> bool:
        return self.status is PageStatus.PUBLISHED

    def ensure_editable(self) -> None:
        if self.status is PageStatus.ARCHIVED:
            raise PageArchived

    def move_to(self, status: PageStatus, now: datetime) -> None:
        if status not in TRANSITIONS[self.status]:
            raise InvalidStatusTransition(
                f"A {self.status.value} page cannot become {status.value}"
            )
        if status is PageStatus.PUBLISHED:
            ensure_publishable(self.content)
            ensure_ceremony_ahead(self.content, now)
        self.status = status
        self.touch(now)

    def touch(self, now: datetime) -> None:
        """Every change makes a new version: what optimistic concurrency and ETags compare."""
        self.version += 1
        self.updated_at = now


def ensure_publishable(content: PageContent) -> None:
    problems = publish_problems(content)
    if problems:
        missing = ", ".join(problem.field for problem in problems)
        raise ValidationFailed(problems, f"Guests need more before the page goes live: {missing}")
