from mocheong_core.errors import DomainError, NotFound


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    title = "This kind of file is not accepted"


class FileTooLarge(DomainError):
    code = "file_too_large"
    title = "The file is larger than the upload limit"


class ImageTooLarge(DomainError):
    """The image is small on disk but would decode to too many pixels (a decompression bomb)."""

    code = "image_too_large"
    title = "The image has too many pixels"


class FileNotFound(NotFound):
    title = "No such file"
