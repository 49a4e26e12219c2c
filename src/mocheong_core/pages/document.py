"""The page document: merging a partial document into a page's, and reading it back validated.

A change is an RFC 7396 JSON Merge Patch: objects merge key by key, a ``null`` clears the
field (back to its default), anything else (text, numbers, lists) replaces the old value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any, TypeVar

import attrs

from mocheong_core.errors import FieldError
from mocheong_core.pages import video as videos
from mocheong_core.pages.content import (
    CONTENT_FIELDS,
    DEFAULT_TIME_ZONE,
    Ceremony,
    Couple,
    Directions,
    GiftAccount,
    InterviewAnswer,
    Music,
    Notice,
    NoticeKind,
    PageContent,
    Parent,
    Person,
    Relation,
    RsvpSettings,
    Section,
    SectionKind,
    Share,
    Theme,
    Venue,
    Video,
)
from mocheong_core.pages.guest_tools import (
    KAKAOPAY_PROBLEM,
    KAKAOPAY_URL_MAX,
    GalleryLayout,
    GalleryView,
    GuestPhotos,
    MapView,
    kakaopay_link,
)
from mocheong_core.pages.occasion import (
    read_after_wedding,
    read_calendar_view,
    read_effects,
    read_text_style,
)
from mocheong_core.pages.reader import DocumentReader, at

E = TypeVar("E", bound=StrEnum)

NAME_MAX = 30
TITLE_MAX = 10
VENUE_TEXT_MAX = 60
ADDRESS_MAX = 200
DIRECTIONS_MAX = 500
BANK_MAX = 30
HOLDER_MAX = 30
SHARE_TITLE_MAX = 60
SHARE_DESCRIPTION_MAX = 200
QUESTION_MAX = 100
ANSWER_MAX = 500
NOTICE_TITLE_MAX = 40
NOTICE_BODY_MAX = 500
VIDEO_URL_MAX = 300
MERGE_DEPTH = 8
ACCOUNT_NUMBER_RE = re.compile(r"^[0-9][0-9 -]{2,28}[0-9]$")


@attrs.frozen
class PagePolicy:
    """The limits on a page's content that are product settings."""

    gallery_max: int = 30
    free_gallery_max: int = 12
    greeting_max: int = 1000
    gift_accounts_max: int = 12
    interview_max: int = 10
    notices_max: int = 10
    ending_max: int = 500
    thanks_max: int = 500
    thanks_photos_max: int = 10


# Stored documents were valid when written; a limit lowered since must not make them unreadable.
STORED = PagePolicy(
    gallery_max=10**6,
    greeting_max=10**9,
    gift_accounts_max=10**6,
    interview_max=10**6,
    notices_max=10**6,
    ending_max=10**9,
    thanks_max=10**9,
    thanks_photos_max=10**6,
)


def merge_patch(target: Any, patch: Any, depth: int = 0) -> Any:
    """RFC 7396: the document ``target`` with ``patch`` applied (neither is modified)."""
    # The document is four levels deep; below a few more, an object can only be refused, so
    # it is taken whole instead of recursing as deep as a hostile body goes.
    if not isinstance(patch, Mapping) or depth > MERGE_DEPTH:
        return patch
    merged = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value, depth + 1)
    return merged


def read_content(
    document: Mapping[str, Any],
    policy: PagePolicy,
    reader: DocumentReader,
    *,
    written_whole: bool = False,
) -> PageContent:
    """The content of ``document``; every bad field is recorded in ``reader``.

    ``written_whole`` says ``document`` is one ``PageContent.dump()`` wrote (a stored page or
    a kept version): its ``sections`` named every kind there was, so a kind missing from them
    came later and takes its default place, shown. In a caller's document a kind left out
    is one the caller hides.
    """
    r = reader
    doc = r.fields(document, "", CONTENT_FIELDS) or {}
    ceremony = _ceremony(r, doc.get("ceremony"))
    return PageContent(
        couple=_couple(r, doc.get("couple")),
        ceremony=ceremony,
        venue=_venue(r, doc.get("venue")),
        greeting=r.text(
            doc.get("greeting"), "greeting", max_len=policy.greeting_max, multiline=True
        ),
        cover_file_id=r.file_id(doc.get("cover_file_id"), "cover_file_id"),
        gallery=_gallery(r, doc.get("gallery"), policy),
        gift_accounts=_gift_accounts(r, doc.get("gift_accounts"), policy),
        theme=r.choice(doc.get("theme"), "theme", Theme) or Theme.CLASSIC,
        music=_music(r, doc.get("music")),
        sections=_sections(r, doc.get("sections"), written_whole=written_whole),
        rsvp=_rsvp(r, doc.get("rsvp")),
        share=_share(r, doc.get("share")),
        interview=_interview(r, doc.get("interview"), policy),
        notices=_notices(r, doc.get("notices"), policy),
        video=_video(r, doc.get("video")),
        ending=r.text(doc.get("ending"), "ending", max_len=policy.ending_max, multiline=True),
        gallery_view=_gallery_view(r, doc.get("gallery_view")),
        map_view=_map_view(r, doc.get("map_view")),
        text=read_text_style(r, doc.get("text")),
        after_wedding=read_after_wedding(
            r,
            doc.get("after_wedding"),
            message_max=policy.thanks_max,
            photos_max=policy.thanks_photos_max,
        ),
        effects=read_effects(r, doc.get("effects")),
        calendar_view=read_calendar_view(r, doc.get("calendar_view")),
        guest_photos=_guest_photos(r, doc.get("guest_photos")),
    )


def stored_content(document: Mapping[str, Any]) -> PageContent:
    """Content as the store keeps it (``PageContent.dump()``); trusted, so errors are bugs."""
    reader = DocumentReader()
    content = read_content(document, STORED, reader, written_whole=True)
    if reader.validator.errors:
        raise ValueError(f"stored page document is invalid: {reader.validator.errors}")
    return content


def publish_problems(content: PageContent) -> list[FieldError]:
    """What a guest could not do without: whose wedding, when, and where."""
    required = {
        "couple.groom.name": content.couple.groom.name,
        "couple.bride.name": content.couple.bride.name,
        "ceremony.starts_at": content.ceremony.starts_at,
        "venue.name": content.venue.name,
        "venue.address": content.venue.address,
    }
    return [
        FieldError(field, "is required to publish")
        for field, value in required.items()
        if not value
    ]


def _objects(
    r: DocumentReader, value: Any, path: str, known: tuple[str, ...], *, max_items: int
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each object of the list at ``path`` with its own path; anything else is reported."""
    for index, item in enumerate(r.items(value, path, max_items=max_items)):
        item_path = at(path, index)
        doc = r.fields(item, item_path, known)
        if doc is None:
            if item is None:
                r.fail(item_path, "must be an object")
            continue
        yield item_path, doc


def _kind(r: DocumentReader, value: Any, path: str, kind: type[E]) -> E | None:
    """A required choice: absent is reported as required, a wrong one as not a choice."""
    chosen = r.choice(value, path, kind)
    if chosen is None and value is None:
        r.fail(path, "is required")
    return chosen


def _parent(r: DocumentReader, value: Any, path: str) -> Parent | None:
    doc = r.fields(value, path, ("name", "phone", "deceased"))
    if doc is None:
        return None
    return Parent(
        name=r.text(doc.get("name"), at(path, "name"), max_len=NAME_MAX),
        phone=r.phone(doc.get("phone"), at(path, "phone")),
        deceased=r.boolean(doc.get("deceased"), at(path, "deceased"), False),
    )


def _person(r: DocumentReader, value: Any, path: str) -> Person:
    doc = r.fields(value, path, ("name", "title", "phone", "father", "mother")) or {}
    return Person(
        name=r.text(doc.get("name"), at(path, "name"), max_len=NAME_MAX),
        # Free text: families use many birth-order titles (장남, 차녀, 막내딸, 둘째 아들 …).
        title=r.text(doc.get("title"), at(path, "title"), max_len=TITLE_MAX),
        phone=r.phone(doc.get("phone"), at(path, "phone")),
        father=_parent(r, doc.get("father"), at(path, "father")),
        mother=_parent(r, doc.get("mother"), at(path, "mother")),
    )


def _couple(r: DocumentReader, value: Any) -> Couple:
    doc = r.fields(value, "couple", ("groom", "bride")) or {}
    return Couple(
        groom=_person(r, doc.get("groom"), "couple.groom"),
        bride=_person(r, doc.get("bride"), "couple.bride"),
    )


def _ceremony(r: DocumentReader, value: Any) -> Ceremony:
    doc = r.fields(value, "ceremony", ("starts_at", "time_zone")) or {}
    return Ceremony(
        starts_at=r.moment(doc.get("starts_at"), "ceremony.starts_at"),
        time_zone=r.time_zone(doc.get("time_zone"), "ceremony.time_zone") or DEFAULT_TIME_ZONE,
    )


def _venue(r: DocumentReader, value: Any) -> Venue:
    doc = r.fields(value, "venue", ("name", "hall", "address", "lat", "lng", "directions")) or {}
    lat = r.number(doc.get("lat"), "venue.lat", low=-90, high=90)
    lng = r.number(doc.get("lng"), "venue.lng", low=-180, high=180)
    for key, own, other in (
        ("lat", doc.get("lat"), doc.get("lng")),
        ("lng", doc.get("lng"), doc.get("lat")),
    ):
        if own is None and other is not None:
            r.fail(f"venue.{key}", "is required together with the other coordinate")
    directions = (
        r.fields(doc.get("directions"), "venue.directions", ("subway", "bus", "car", "parking"))
        or {}
    )

    def direction(key: str) -> str | None:
        return r.text(
            directions.get(key), f"venue.directions.{key}", max_len=DIRECTIONS_MAX, multiline=True
        )

    return Venue(
        name=r.text(doc.get("name"), "venue.name", max_len=VENUE_TEXT_MAX),
        hall=r.text(doc.get("hall"), "venue.hall", max_len=VENUE_TEXT_MAX),
        address=r.text(doc.get("address"), "venue.address", max_len=ADDRESS_MAX),
        lat=lat if lng is not None else None,
        lng=lng if lat is not None else None,
        directions=Directions(
            subway=direction("subway"),
            bus=direction("bus"),
            car=direction("car"),
            parking=direction("parking"),
        ),
    )


def _gallery(r: DocumentReader, value: Any, policy: PagePolicy) -> tuple[str, ...]:
    ids: list[str] = []
    for index, item in enumerate(r.items(value, "gallery", max_items=policy.gallery_max)):
        path = at("gallery", index)
        if item is None:
            r.fail(path, "must be a file id")
            continue
        file_id = r.file_id(item, path)
        if file_id is not None and file_id in ids:
            r.fail(path, "appears twice in the gallery")
        elif file_id is not None:
            ids.append(file_id)
    return tuple(ids)


def _gift_accounts(r: DocumentReader, value: Any, policy: PagePolicy) -> tuple[GiftAccount, ...]:
    accounts = []
    known = ("relation", "bank", "holder", "number", "kakaopay_url", "toss")
    for path, doc in _objects(r, value, "gift_accounts", known, max_items=policy.gift_accounts_max):
        relation = _kind(r, doc.get("relation"), at(path, "relation"), Relation)
        bank = r.required_text(doc.get("bank"), at(path, "bank"), max_len=BANK_MAX)
        holder = r.required_text(doc.get("holder"), at(path, "holder"), max_len=HOLDER_MAX)
        number = r.required_text(doc.get("number"), at(path, "number"), max_len=30)
        kakaopay = r.text(
            doc.get("kakaopay_url"), at(path, "kakaopay_url"), max_len=KAKAOPAY_URL_MAX
        )
        if kakaopay is not None and kakaopay_link(kakaopay) is None:
            r.fail(at(path, "kakaopay_url"), KAKAOPAY_PROBLEM)
        toss = r.boolean(doc.get("toss"), at(path, "toss"), False)
        if number is not None and not ACCOUNT_NUMBER_RE.fullmatch(number):
            r.fail(at(path, "number"), "must be digits, with hyphens or spaces between them")
        elif relation and bank and holder and number:
            accounts.append(GiftAccount(relation, bank, holder, number, kakaopay, toss))
    return tuple(accounts)


def _music(r: DocumentReader, value: Any) -> Music:
    doc = r.fields(value, "music", ("file_id", "autoplay")) or {}
    return Music(
        file_id=r.file_id(doc.get("file_id"), "music.file_id"),
        autoplay=r.boolean(doc.get("autoplay"), "music.autoplay", False),
    )


def _sections(r: DocumentReader, value: Any, *, written_whole: bool) -> tuple[Section, ...]:
    """The order and visibility given; kinds left out follow, hidden: every kind is listed once.

    In a document written whole, a kind left out did not exist yet: it is put back visible,
    after the kind before it in the default order (a section with nothing to show stays
    out of the page anyway)."""
    if value is None:
        return tuple(Section(kind) for kind in SectionKind)
    sections: list[Section] = []
    known = ("kind", "visible")
    for path, doc in _objects(r, value, "sections", known, max_items=len(SectionKind)):
        kind = _kind(r, doc.get("kind"), at(path, "kind"), SectionKind)
        if kind is None:
            continue
        if any(section.kind is kind for section in sections):
            r.fail(at(path, "kind"), "appears twice")
            continue
        sections.append(Section(kind, r.boolean(doc.get("visible"), at(path, "visible"), True)))
    listed = {section.kind for section in sections}
    for kind in SectionKind:
        if kind in listed:
            continue
        if not written_whole:
            sections.append(Section(kind, visible=False))
            continue
        order = list(SectionKind)
        before = set(order[: order.index(kind)])
        place = max((i + 1 for i, s in enumerate(sections) if s.kind in before), default=0)
        sections.insert(place, Section(kind))
    return tuple(sections)


def _rsvp(r: DocumentReader, value: Any) -> RsvpSettings:
    known = ("enabled", "deadline", "ask_meal", "prompt", "button")
    doc = r.fields(value, "rsvp", known) or {}
    return RsvpSettings(
        enabled=r.boolean(doc.get("enabled"), "rsvp.enabled", True),
        deadline=r.moment(doc.get("deadline"), "rsvp.deadline"),
        ask_meal=r.boolean(doc.get("ask_meal"), "rsvp.ask_meal", False),
        prompt=r.boolean(doc.get("prompt"), "rsvp.prompt", False),
        button=r.boolean(doc.get("button"), "rsvp.button", False),
    )


def _share(r: DocumentReader, value: Any) -> Share:
    doc = r.fields(value, "share", ("title", "description", "image_file_id", "buttons")) or {}
    return Share(
        title=r.text(doc.get("title"), "share.title", max_len=SHARE_TITLE_MAX),
        description=r.text(
            doc.get("description"), "share.description", max_len=SHARE_DESCRIPTION_MAX
        ),
        image_file_id=r.file_id(doc.get("image_file_id"), "share.image_file_id"),
        buttons=r.boolean(doc.get("buttons"), "share.buttons", True),
    )


def _interview(r: DocumentReader, value: Any, policy: PagePolicy) -> tuple[InterviewAnswer, ...]:
    answers = []
    known = ("question", "answer")
    for path, doc in _objects(r, value, "interview", known, max_items=policy.interview_max):
        question = r.required_text(doc.get("question"), at(path, "question"), max_len=QUESTION_MAX)
        answer = r.required_text(
            doc.get("answer"), at(path, "answer"), max_len=ANSWER_MAX, multiline=True
        )
        if question and answer:
            answers.append(InterviewAnswer(question, answer))
    return tuple(answers)


def _notices(r: DocumentReader, value: Any, policy: PagePolicy) -> tuple[Notice, ...]:
    notices = []
    known = ("kind", "title", "body")
    for path, doc in _objects(r, value, "notices", known, max_items=policy.notices_max):
        kind = _kind(r, doc.get("kind"), at(path, "kind"), NoticeKind)
        title = r.text(doc.get("title"), at(path, "title"), max_len=NOTICE_TITLE_MAX)
        body = r.required_text(
            doc.get("body"), at(path, "body"), max_len=NOTICE_BODY_MAX, multiline=True
        )
        if kind and body:
            notices.append(Notice(kind, title, body))
    return tuple(notices)


def _video(r: DocumentReader, value: Any) -> Video:
    doc = r.fields(value, "video", ("url",)) or {}
    url = r.text(doc.get("url"), "video.url", max_len=VIDEO_URL_MAX)
    if url is not None and videos.video_link(url) is None:
        r.fail("video.url", videos.PROBLEM)
        return Video()
    return Video(url)


def _gallery_view(r: DocumentReader, value: Any) -> GalleryView:
    doc = r.fields(value, "gallery_view", ("layout", "viewer")) or {}
    return GalleryView(
        layout=r.choice(doc.get("layout"), "gallery_view.layout", GalleryLayout)
        or GalleryLayout.GRID,
        viewer=r.boolean(doc.get("viewer"), "gallery_view.viewer", True),
    )


def _map_view(r: DocumentReader, value: Any) -> MapView:
    doc = r.fields(value, "map_view", ("interactive",)) or {}
    return MapView(interactive=r.boolean(doc.get("interactive"), "map_view.interactive", True))


def _guest_photos(r: DocumentReader, value: Any) -> GuestPhotos:
    doc = r.fields(value, "guest_photos", ("enabled",)) or {}
    return GuestPhotos(enabled=r.boolean(doc.get("enabled"), "guest_photos.enabled", False))
