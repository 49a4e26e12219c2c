"""The agents' tools: their definitions (the contract of ``agents.md``) and what they do.

Every tool acts through the domain on the one page of the chat session, bound when the
``Toolbox`` is built; nothing in a model's arguments can name another page, and the patch of
``update_page`` may hold content fields only. A bad call is answered with an error result the
model can correct; it never fails the turn.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from mocheong_core.agents.components import read_component
from mocheong_core.agents.policy import CONTEXT, MAIN, MAP, OUTPUT, AgentPolicy
from mocheong_core.agents.ports import Geocoder, PageDesk, ToolSpec
from mocheong_core.errors import DomainError, ValidationFailed
from mocheong_core.pages.content import CONTENT_FIELDS, NoticeKind, SectionKind
from mocheong_core.pages.errors import VersionConflict
from mocheong_core.pages.model import Page

UPDATE_PAGE, FIND_VENUE, SHOW_COMPONENT, UNDO = (
    "update_page",
    "find_venue",
    "show_component",
    "undo_last_change",
)
TRANSFER_PREFIX = "transfer_to_"
QUERY_MAX = 100


def _text(description: str, max_length: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": ["string", "null"], "description": description}
    if max_length:
        spec["maxLength"] = max_length
    return spec


def _object(properties: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "type": ["object", "null"],
        "properties": properties,
        "additionalProperties": False,
    }
    if description:
        spec["description"] = description
    return spec


_PARENT = _object({"name": _text("", 30), "phone": _text(""), "deceased": {"type": "boolean"}})
_PERSON = _object(
    {
        "name": _text("As the couple wrote it", 30),
        "title": _text("Birth order such as 장남, 차녀", 10),
        "phone": _text("010-1234-5678"),
        "father": _PARENT,
        "mother": _PARENT,
    }
)
PATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 7396 merge patch of the page's content; null clears a field",
    "additionalProperties": False,
    "properties": {
        "couple": _object({"groom": _PERSON, "bride": _PERSON}),
        "ceremony": _object(
            {
                "starts_at": _text("ISO 8601 with offset, e.g. 2027-10-09T13:30:00+09:00"),
                "time_zone": _text("IANA zone, Asia/Seoul unless told"),
            }
        ),
        "venue": _object(
            {
                "name": _text("", 60),
                "hall": _text("Floor and hall, e.g. 3층 그랜드볼룸", 60),
                "address": _text("", 200),
                "lat": {"type": ["number", "null"]},
                "lng": {"type": ["number", "null"]},
                "directions": _object(
                    {k: _text("", 500) for k in ("subway", "bus", "car", "parking")}
                ),
            }
        ),
        "greeting": _text("The invitation's greeting text"),
        "gift_accounts": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": {
                    "relation": {
                        "enum": [
                            "groom",
                            "bride",
                            "groom_father",
                            "groom_mother",
                            "bride_father",
                            "bride_mother",
                        ]
                    },
                    "bank": {"type": "string"},
                    "holder": {"type": "string"},
                    "number": {"type": "string"},
                    "kakaopay_url": _text("A KakaoPay transfer link, https://qr.kakaopay.com/…"),
                    "toss": {"type": "boolean", "description": "Show a Toss transfer link"},
                },
                "required": ["relation", "bank", "holder", "number"],
            },
        },
        "theme": {"enum": ["classic", "modern", "minimal", "romantic", "floral", "hanok", None]},
        "sections": {
            "type": ["array", "null"],
            "description": "Every section in display order; visible false hides one",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"enum": [kind.value for kind in SectionKind]},
                    "visible": {"type": "boolean"},
                },
                "required": ["kind"],
            },
        },
        "rsvp": _object(
            {
                "enabled": {"type": "boolean"},
                "deadline": _text("ISO 8601 with offset"),
                "ask_meal": {"type": "boolean"},
                "prompt": {"type": "boolean", "description": "Ask each guest once on opening"},
                "button": {"type": "boolean", "description": "A sticky RSVP button"},
            }
        ),
        "share": _object(
            {
                "title": _text("", 60),
                "description": _text("", 200),
                "buttons": {"type": "boolean", "description": "KakaoTalk, link and share buttons"},
            }
        ),
        "interview": {
            "type": ["array", "null"],
            "description": "Questions the couple answers, in order",
            "items": {
                "type": "object",
                "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
                "required": ["question", "answer"],
            },
        },
        "notices": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"enum": [kind.value for kind in NoticeKind]},
                    "title": {"type": ["string", "null"]},
                    "body": {"type": "string"},
                },
                "required": ["kind", "body"],
            },
        },
        "video": _object({"url": _text("An https YouTube or Vimeo link")}),
        "ending": _text("The closing message"),
        "gallery_view": _object(
            {
                "layout": {"enum": ["grid", "slide", None]},
                "viewer": {"type": "boolean", "description": "Tap a photo to see it large"},
            }
        ),
        "map_view": _object(
            {"interactive": {"type": "boolean", "description": "Kakao Map's map on the page"}}
        ),
        "text": _object(
            {
                "font": {"enum": ["system", "myeongjo", "gothic", None]},
                "scale": {"enum": [1, 1.15, 1.3, None], "description": "Larger text for elders"},
            }
        ),
        "after_wedding": _object(
            {
                "mode": {"enum": ["stay", "thanks", "lock", None]},
                "hours": {"type": "integer", "description": "Hours after the ceremony's start"},
                "message": _text("The thank-you message", 500),
                "photos": {"type": ["array", "null"], "items": {"type": "string"}},
            }
        ),
        "effects": _object(
            {
                "falling": {"enum": ["none", "petals", "snow", None]},
                "opening": _text("A line over the cover as the page opens", 60),
            }
        ),
        "calendar_view": _object(
            {"countdown": {"type": "boolean", "description": "Live countdown beside the D-day"}}
        ),
        "guest_photos": _object(
            {
                "enabled": {
                    "type": "boolean",
                    "description": "Guests add photos to an album the couple approves (premium)",
                }
            }
        ),
    },
}
_NO_ARGUMENTS: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}

SPECS: dict[str, ToolSpec] = {
    UPDATE_PAGE: ToolSpec(
        UPDATE_PAGE,
        "Change the invitation: merges the patch into the page, validated and versioned as if "
        "the couple had edited it. Fields the couple changed since you read the page are kept.",
        {
            "type": "object",
            "properties": {"patch": PATCH_SCHEMA},
            "required": ["patch"],
            "additionalProperties": False,
        },
    ),
    FIND_VENUE: ToolSpec(
        FIND_VENUE,
        "Search for a wedding venue by name or address; up to 5 candidates "
        "{name, address, road_address, lat, lng}.",
        {
            "type": "object",
            "properties": {"query": {"type": "string", "maxLength": QUERY_MAX}},
            "required": ["query"],
            "additionalProperties": False,
        },
    ),
    SHOW_COMPONENT: ToolSpec(
        SHOW_COMPONENT,
        "Show a UI component below your reply. Shapes: "
        '{"type":"checklist","missing":["venue.address"]}, '
        '{"type":"choices","question":"...","options":[{"label":"...","value":"..."}]}, '
        '{"type":"map","name":"...","address":"...","lat":37.5,"lng":127.0}, '
        '{"type":"suggestions","items":["..."]}, '
        '{"type":"section-preview","section":"greeting","page_version":7}.',
        {
            "type": "object",
            "properties": {"component": {"type": "object"}},
            "required": ["component"],
            "additionalProperties": False,
        },
    ),
    UNDO: ToolSpec(
        UNDO,
        "Undo the last change an agent made to the page (a new version equal to the one before).",
        _NO_ARGUMENTS,
    ),
}
for _agent, _job in (
    (CONTEXT, "extracts wedding details and writes them into the page"),
    (MAP, "finds the venue's address and location"),
    (OUTPUT, "writes the reply the couple reads"),
):
    SPECS[TRANSFER_PREFIX + _agent] = ToolSpec(
        TRANSFER_PREFIX + _agent,
        f"Hand the turn to the {_agent} agent, which {_job}.",
        _NO_ARGUMENTS,
    )

AGENT_TOOLS: dict[str, tuple[str, ...]] = {
    MAIN: (TRANSFER_PREFIX + CONTEXT, TRANSFER_PREFIX + MAP, TRANSFER_PREFIX + OUTPUT),
    # The seed's context agent hands over to output only; here it may also ask the map agent
    # to find a venue the couple named along with other details in the same message.
    CONTEXT: (UPDATE_PAGE, UNDO, TRANSFER_PREFIX + MAP, TRANSFER_PREFIX + OUTPUT),
    MAP: (FIND_VENUE, UPDATE_PAGE, TRANSFER_PREFIX + OUTPUT),
    OUTPUT: (SHOW_COMPONENT,),
}
"""Each agent's tools, in the order its requests list them (always the same)."""


ALL_SPECS: tuple[ToolSpec, ...] = tuple(SPECS.values())
"""Every agent's requests list all the tools, in this order: the same bytes for all of them
(a prompt cache then serves one agent's prefix to the next). Each may call only its own
(``AGENT_TOOLS``, named at the end of its request); the others are refused."""


@attrs.frozen
class ToolResult:
    content: str
    """JSON text for the model."""
    is_error: bool = False
    component: dict[str, Any] | None = None
    """A component to show (``show_component``)."""
    handoff: str | None = None
    """The agent the turn goes to (``transfer_to_<agent>``)."""
    page: Page | None = None
    """The page as the tool left it, when it changed it."""


def ok(**data: Any) -> ToolResult:
    return ToolResult(_json(data))


def refused(code: str, detail: str, errors: list[dict[str, str]] | None = None) -> ToolResult:
    data: dict[str, Any] = {"error": code, "detail": detail}
    if errors:
        data["errors"] = errors
    return ToolResult(_json(data), is_error=True)


def refused_by(exc: DomainError) -> ToolResult:
    errors = (
        [{"field": e.field, "message": e.message} for e in exc.errors]
        if isinstance(exc, ValidationFailed)
        else None
    )
    return refused(exc.code, exc.detail, errors)


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@attrs.define
class Workspace:
    """The page of one turn, as the tools see it."""

    owner_id: str
    page_id: str
    seen: dict[str, Any]
    """The content the current agent was shown, plus what its own calls wrote since: a field
    that differs from it in the stored page was changed by someone else."""
    agent: str = MAIN


class Tool(Protocol):
    async def __call__(self, arguments: Mapping[str, Any]) -> ToolResult: ...


def flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to the leaves of ``doc`` (objects are walked; lists are leaves)."""
    if not isinstance(doc, Mapping) or (prefix and not doc):
        return {prefix: doc}
    leaves: dict[str, Any] = {}
    for key, value in doc.items():
        leaves.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return leaves


_ABSENT = object()


def _differences(a: Any, b: Any) -> set[str]:
    """The leaf paths whose values differ between two documents."""
    left, right = flatten(a), flatten(b)
    return {p for p in left.keys() | right.keys() if left.get(p, _ABSENT) != right.get(p, _ABSENT)}


def _touches(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _without(patch: Mapping[str, Any], paths: set[str], prefix: str = "") -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in patch.items():
        path = f"{prefix}.{key}" if prefix else key
        if not any(_touches(path, p) for p in paths):
            kept[key] = value
        elif isinstance(value, Mapping) and value and path not in paths:
            inner = _without(value, paths, path)
            if inner:
                kept[key] = inner
    return kept


def _project(doc: Any, patch: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of ``doc`` that ``patch`` names."""
    out: dict[str, Any] = {}
    for key, value in patch.items():
        current = doc.get(key) if isinstance(doc, Mapping) else None
        out[key] = _project(current, value) if isinstance(value, Mapping) and value else current
    return out


def _merge(target: dict[str, Any], part: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(target)
    for key, value in part.items():
        old = merged.get(key)
        merged[key] = (
            _merge(old, value) if isinstance(value, Mapping) and isinstance(old, dict) else value
        )
    return merged


class UpdatePageTool:
    def __init__(self, desk: PageDesk, space: Workspace, policy: AgentPolicy) -> None:
        self._desk, self._space, self._policy = desk, space, policy

    async def __call__(self, arguments: Mapping[str, Any]) -> ToolResult:
        patch = arguments.get("patch")
        if not isinstance(patch, Mapping):
            return refused("validation_error", "patch must be an object")
        outside = sorted(str(key) for key in patch if key not in CONTENT_FIELDS)
        if outside:
            return refused(
                "validation_error",
                f"{', '.join(outside)}: not content an agent may change "
                f"(content fields: {', '.join(CONTENT_FIELDS)})",
                [{"field": key, "message": "is not a content field"} for key in outside],
            )
        space = self._space
        for _ in range(self._policy.conflict_retries):
            page = await self._desk.read(space.owner_id, space.page_id)
            before = page.content.dump()
            theirs = _differences(space.seen, before)
            mine = _without(patch, theirs)
            kept = sorted(p for p in flatten(patch) if any(_touches(p, t) for t in theirs))
            if not mine:
                return ok(version=page.version, changed=[], kept=kept, note=_KEPT_NOTE)
            try:
                updated = await self._desk.update(
                    space.owner_id,
                    space.page_id,
                    mine,
                    expected_version=page.version,
                    agent=space.agent,
                )
            except VersionConflict:
                continue
            except DomainError as exc:
                return refused_by(exc)
            after = updated.content.dump()
            space.seen = _merge(space.seen, _project(after, mine))
            changed = sorted(_differences(before, after))
            result: dict[str, Any] = {"version": updated.version, "changed": changed}
            if kept:
                result.update(kept=kept, note=_KEPT_NOTE)
            return attrs.evolve(ok(**result), page=updated if changed else None)
        return refused(
            "version_conflict",
            "The page kept changing while it was written; tell the couple to try again",
        )


_KEPT_NOTE = (
    "The couple changed these fields since you read the page; they were left as the couple "
    "set them. Tell the couple instead of changing them."
)


class FindVenueTool:
    def __init__(self, geocoder: Geocoder, policy: AgentPolicy) -> None:
        self._geocoder, self._policy = geocoder, policy

    async def __call__(self, arguments: Mapping[str, Any]) -> ToolResult:
        query = arguments.get("query")
        if not isinstance(query, str) or not query.strip() or len(query) > QUERY_MAX:
            return refused("validation_error", f"query must be text of 1 to {QUERY_MAX} characters")
        try:
            places = await self._geocoder.search(query.strip(), self._policy.venue_candidates)
        except DomainError as exc:
            return refused_by(exc)
        candidates = [place.dump() for place in places[: self._policy.venue_candidates]]
        return ok(candidates=candidates)


class ShowComponentTool:
    def __init__(self, policy: AgentPolicy, geocoder: Geocoder) -> None:
        self._policy, self._geocoder = policy, geocoder

    async def __call__(self, arguments: Mapping[str, Any]) -> ToolResult:
        try:
            component = read_component(
                arguments.get("component"),
                app_name=self._policy.map_app_name,
                attribution=self._geocoder.attribution,
            )
        except ValidationFailed as exc:
            return refused_by(exc)
        return ToolResult(_json({"shown": component["type"]}), component=component)


class UndoTool:
    def __init__(self, desk: PageDesk, space: Workspace) -> None:
        self._desk, self._space = desk, space

    async def __call__(self, arguments: Mapping[str, Any]) -> ToolResult:
        space = self._space
        try:
            page = await self._desk.undo(space.owner_id, space.page_id, agent=space.agent)
        except DomainError as exc:
            return refused_by(exc)
        space.seen = page.content.dump()
        return attrs.evolve(ok(undone=True, version=page.version), page=page)


class TransferTool:
    def __init__(self, agent: str) -> None:
        self._agent = agent

    async def __call__(self, arguments: Mapping[str, Any]) -> ToolResult:
        return attrs.evolve(ok(agent=self._agent), handoff=self._agent)


class Toolbox:
    """The tools of one turn, bound to its page."""

    def __init__(
        self, desk: PageDesk, geocoder: Geocoder, policy: AgentPolicy, space: Workspace
    ) -> None:
        self._tools: dict[str, Tool] = {
            UPDATE_PAGE: UpdatePageTool(desk, space, policy),
            FIND_VENUE: FindVenueTool(geocoder, policy),
            SHOW_COMPONENT: ShowComponentTool(policy, geocoder),
            UNDO: UndoTool(desk, space),
        }
        for agent in (CONTEXT, MAP, OUTPUT):
            self._tools[TRANSFER_PREFIX + agent] = TransferTool(agent)

    async def call(self, agent: str, name: str, arguments: str) -> ToolResult:
        """Runs one call of ``agent``; a bad call is an error result, never an exception."""
        if name not in AGENT_TOOLS[agent]:
            return refused(
                "unknown_tool", f"No tool {name!r}; yours are {', '.join(AGENT_TOOLS[agent])}"
            )
        try:
            parsed = json.loads(arguments or "{}")
        except ValueError as exc:
            return refused("invalid_arguments", f"The arguments are not valid JSON: {exc}")
        if not isinstance(parsed, dict):
            return refused("invalid_arguments", "The arguments must be a JSON object")
        return await self._tools[name](parsed)
