from mocheong_core.errors import Conflict, Forbidden


class RsvpClosed(Conflict):
    code = "rsvp_closed"
    title = "This invitation no longer takes answers"


class AnswerRaced(Conflict):
    code = "answer_raced"
    title = "Another answer for this guest arrived at the same moment; send it again"


class GuestListFull(Conflict):
    code = "guest_list_full"
    title = "The guest list is full"


class WrongPassword(Forbidden):
    code = "wrong_password"
    title = "The password does not match"
