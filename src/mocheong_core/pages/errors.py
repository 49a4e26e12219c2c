from mocheong_core.errors import Conflict


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
