from mocheong_core.errors import DomainError, NotFound


class SessionNotFound(NotFound):
    title = "No such chat session"


class MessageNotFound(NotFound):
    title = "No such chat message"


class StaleAttempt(DomainError):
    code = "stale_attempt"
    title = "This run attempt was superseded"


class RunCancelled(DomainError):
    code = "cancelled"
    title = "The run was cancelled"
