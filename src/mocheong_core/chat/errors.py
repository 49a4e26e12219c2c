from mocheong_core.errors import NotFound


class SessionNotFound(NotFound):
    title = "No such chat session"


class MessageNotFound(NotFound):
    title = "No such chat message"
