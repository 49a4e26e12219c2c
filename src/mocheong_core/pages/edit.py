"""One change to a page as a caller sends it: a partial document, maybe a new slug and the
version the caller last read. Read in one pass so the caller hears about every bad field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from mocheong_core.pages.content import CONTENT_FIELDS, PageContent
from mocheong_core.pages.dates import ensure_deadline_before_ceremony
from mocheong_core.pages.document import PagePolicy, merge_patch, read_content
from mocheong_core.pages.model import Page, PageStatus, Plan, slug_problem
from mocheong_core.pages.reader import DocumentReader

# Sent back unchanged by a client that PATCHes what it read: accepted and ignored.
ECHOED_FIELDS = ("id", "owner_id", "created_at", "updated_at")
GUARDED_FIELDS = {
    "status": "changes through publish, unpublish and archive",
    "plan": "changes when a premium plan is bought",
}
EDIT_FIELDS = (*CONTENT_FIELDS, "slug", "version", *ECHOED_FIELDS, *GUARDED_FIELDS)


@attrs.frozen
class Edit:
    content: PageContent
    slug: str | None
    """The new slug when the change sets one."""
    version: int | None
    """The version the caller says it changed, when it said."""


def read_edit(patch: Mapping[str, Any] | None, page: Page | None, policy: PagePolicy) -> Edit:
    """``patch`` merged into ``page`` (a new page when None); raises ``ValidationFailed``."""
    r = DocumentReader()
    body = r.fields(patch, "", EDIT_FIELDS) or {}
    base = page.content if page else PageContent()
    changes = {key: value for key, value in body.items() if key in CONTENT_FIELDS}
    content = read_content(merge_patch(base.dump(), changes), policy, r)
    slug = None
    if "slug" in body:
        problem = "cannot be cleared" if body["slug"] is None else slug_problem(body["slug"])
        if problem:
            r.fail("slug", problem)
        else:
            slug = body["slug"]
    version = r.integer(body.get("version"), "version", low=0, high=2**31 - 1)
    current = {
        "status": page.status if page else PageStatus.DRAFT,
        "plan": page.plan if page else Plan.FREE,
    }
    for key, how in GUARDED_FIELDS.items():
        if body.get(key) is not None and body[key] != current[key].value:
            r.fail(key, f"cannot be set here: it {how}")
    r.validator.raise_if_any()
    ensure_deadline_before_ceremony(content)
    return Edit(content, slug, version)
