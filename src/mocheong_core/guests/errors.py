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


class AlbumClosed(Conflict):
    """The page takes no guest photos: the album is off, the page is not premium, or the
    page has closed after the wedding."""

    code = "album_closed"
    title = "This invitation does not take photos"


class AlbumFull(Conflict):
    code = "album_full"
    title = "The album is full"


class PhotoRemoved(Conflict):
    code = "photo_removed"
    title = "The photo was removed; it cannot be approved"
