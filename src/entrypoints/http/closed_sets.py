"""Every closed set of values on the wire, described for the OpenAPI document.

The wire types stay plain strings so the core stays the one validator (its problem names the
field and lists the allowed values); the schema says which values exist and what each means,
so a client need not guess. ``tests/integration/test_closed_sets.py`` checks that each enum of
the core is described here, value for value.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Annotated

import msgspec
from litestar.openapi.spec import OpenAPIType, Reference, Schema

from mocheong_core.accounts.model import Role
from mocheong_core.chat.model import MessageStatus
from mocheong_core.chat.model import Role as ChatRole
from mocheong_core.guests.model import Meal, PhotoState, Side
from mocheong_core.jobs.model import JobStatus
from mocheong_core.pages.content import NoticeKind, Relation, SectionKind, Theme
from mocheong_core.pages.model import PageStatus, Plan

# Generous bound on the wire; the core refuses a value outside the set and names the field.
WIRE_MAX = 2000

MEANINGS: dict[type[enum.StrEnum], tuple[str, Mapping[str, str]]] = {
    Meal: (
        "Whether the guest will eat at the reception (asked when `rsvp.ask_meal` is on)",
        {"yes": "will eat", "no": "will not eat", "undecided": "does not know yet"},
    ),
    Side: (
        "Whose guest",
        {"groom": "the groom's side", "bride": "the bride's side"},
    ),
    PhotoState: (
        "Where a guest's photo stands in the album",
        {
            "pending": "sent by a guest, waiting for the couple",
            "approved": "shown on the public page",
            "removed": "taken off by the couple; its file is deleted",
        },
    ),
    Role: (
        "What an account may do",
        {"user": "a couple making pages", "admin": "an operator: users and moderation"},
    ),
    JobStatus: (
        "Where a background job is",
        {
            "queued": "waiting for a worker",
            "running": "a worker has it",
            "succeeded": "done, `result` holds the outcome",
            "failed": "gave up, `error` says why",
        },
    ),
    ChatRole: (
        "Who wrote a chat message",
        {"user": "the couple", "assistant": "the agent", "system": "the service"},
    ),
    MessageStatus: (
        "Where a chat message is",
        {
            "pending": "accepted, not started",
            "streaming": "chunks are arriving",
            "completed": "whole",
            "failed": "stopped by an error",
            "cancelled": "stopped on request",
        },
    ),
    PageStatus: (
        "Where the page is in its life",
        {
            "draft": "being made; not public",
            "published": "public at its address",
            "unpublished": "taken offline; may be published again",
            "archived": "offline and final",
        },
    ),
    Plan: ("What the page's owner paid for", {"free": "the free plan", "premium": "paid"}),
    Theme: (
        "The page's look",
        {
            "classic": "warm paper, terracotta accent",
            "modern": "cool grey, navy accent",
            "minimal": "black on white",
            "romantic": "blush, rose accent",
            "floral": "pale green, leaf accent",
            "hanok": "hanji beige, vermilion accent",
        },
    ),
    SectionKind: (
        "One section of the public page",
        {
            "cover": "the cover photo and names",
            "greeting": "the couple's words",
            "couple": "the couple and their parents",
            "interview": "the couple's questions and answers",
            "calendar": "the month and the D-day",
            "gallery": "photos",
            "video": "a YouTube or Vimeo film",
            "venue": "where, with map links",
            "notices": "shuttle, parking, wreaths, dress code and other notes",
            "gift_accounts": "accounts for gifts",
            "rsvp": "the attendance form",
            "guestbook": "messages from guests",
            "ending": "the closing words",
        },
    ),
    NoticeKind: (
        "What a notice is about",
        {
            "shuttle": "a shuttle bus",
            "parking": "parking",
            "wreath": "flower wreaths",
            "dress_code": "what to wear",
            "meal": "the meal",
            "other": "anything else",
        },
    ),
    Relation: (
        "Whose gift account",
        {
            "groom": "the groom",
            "bride": "the bride",
            "groom_father": "the groom's father",
            "groom_mother": "the groom's mother",
            "bride_father": "the bride's father",
            "bride_mother": "the bride's mother",
        },
    ),
}


def describe(kind: type[enum.StrEnum]) -> str:
    what, meanings = MEANINGS[kind]
    listed = "; ".join(f"`{member.value}`: {meanings[member.value]}" for member in kind)
    return f"{what}. One of {listed}."


def schema_of(kind: type[enum.StrEnum]) -> Schema:
    return Schema(type=OpenAPIType.STRING, enum=[m.value for m in kind], description=describe(kind))


def list_of(**properties: Schema) -> Schema:
    item: dict[str, Schema | Reference] = dict(properties)
    return Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT, properties=item))


# The page document is read by the core from free JSON (a PATCH merges into it), so its body
# is no struct; these are the closed sets inside it, laid over the generic object's schema.
PAGE_DOCUMENT_PROPERTIES: dict[str, Schema] = {
    "theme": schema_of(Theme),
    "sections": list_of(kind=schema_of(SectionKind)),
    "gift_accounts": list_of(relation=schema_of(Relation)),
    "notices": list_of(kind=schema_of(NoticeKind)),
    "status": schema_of(PageStatus),
    "plan": schema_of(Plan),
}


def one_of(kind: type[enum.StrEnum], *, nullable: bool = False) -> msgspec.Meta:
    """A field's metadata: Litestar reads ``extra_json_schema`` into the OpenAPI schema.

    ``nullable`` for a field typed ``X | None``: the enum sits beside the ``oneOf`` with null,
    so it must allow null too or a validator would refuse every null.
    """
    values: list[str | None] = [m.value for m in kind]
    return msgspec.Meta(
        extra_json_schema={
            "description": describe(kind),
            "extra": {"enum": [*values, None] if nullable else values},
        },
    )


WIRE_TEXT = msgspec.Meta(max_length=WIRE_MAX)
SideText = Annotated[str, WIRE_TEXT, one_of(Side)]
PhotoStateText = Annotated[str, WIRE_TEXT, one_of(PhotoState)]
RoleText = Annotated[str, WIRE_TEXT, one_of(Role)]
JobStatusText = Annotated[str, WIRE_TEXT, one_of(JobStatus)]
ChatRoleText = Annotated[str, WIRE_TEXT, one_of(ChatRole)]
MessageStatusText = Annotated[str, WIRE_TEXT, one_of(MessageStatus)]
# For fields typed ``... | None``.
MaybeMeal = Annotated[str, WIRE_TEXT, one_of(Meal, nullable=True)]
MaybeSide = Annotated[str, WIRE_TEXT, one_of(Side, nullable=True)]
MaybeRole = Annotated[Role, one_of(Role, nullable=True)]
