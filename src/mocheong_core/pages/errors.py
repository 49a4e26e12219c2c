from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mocheong_core.errors import Conflict, NotFound

if TYPE_CHECKING:
    from mocheong_core.pages.model import Page


class VersionConflict(Conflict):
    code = "version_conflict"
    title = "The page changed since you read it"


class SlugTaken(Conflict):
    code = "slug_taken"
    title = "Another page already uses this address"


class InvalidStatusTransition(Conflict):
    code = "invalid_status_transition"
    title = "The page cannot move to that status from its current one"


class PageArchived(Conflict):
    code = "page_archived"
    title = "An archived page can no longer be changed"


class NothingToUndo(Conflict):
    code = "nothing_to_undo"
    title = "No change made by an assistant is left to undo"


class EditedSinceAgentChange(NothingToUndo):
    """The couple changed the agent's fields afterwards: undoing would throw their edit away."""

    code = "edited_since_agent_change"
    title = "The fields the assistant changed were edited since"

    def __init__(self, fields: Sequence[str]) -> None:
        self.fields = tuple(fields)
        super().__init__(
            f"{', '.join(self.fields)} changed again after the assistant's change; "
            "nothing was undone"
        )


class PageLocked(NotFound):
    """The couple closed the page after the wedding (``after_wedding.mode`` ``lock``): guests
    see a short notice, and nothing of the page."""

    code = "page_locked"
    title = "The invitation was closed after the wedding"

    def __init__(self, page: Page) -> None:
        self.page = page
        super().__init__("The couple closed this invitation after the wedding")
