"""``OfflineAgentModel``: the agents' model when no provider is configured. No network, no key.

It plays each agent by rules over what a real model would be given (the request: the agent,
the page JSON, the conversation and this turn's tool results) and answers with the same tool
calls through the same loop:

- main routes: to context when the couple's message carries details, corrections, section
  requests or an undo; to map when it names a venue and a geocoder can search; else output.
- context calls ``update_page`` with the patch the reader (``understanding.py``) found, and
  once more without the fields the page refused; ``undo_last_change`` when asked.
- map calls ``find_venue`` and writes a single clear match with ``update_page``.
- output writes a short reply in the couple's language (what changed, what is still missing,
  labelled as the offline model) a few words at a time, then shows components: a
  ``checklist`` of what publishing needs, ``suggestions`` (greeting drafts) when asked,
  ``choices`` among several venues, a ``map`` of a venue set in this turn, and a
  ``section-preview`` of a greeting or section change.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from adapters.llm.offline.greetings import greeting_drafts
from adapters.llm.offline.understanding import Understanding, understand
from mocheong_core.agents.policy import CONTEXT, MAIN, MAP, OUTPUT
from mocheong_core.agents.ports import (
    FinishEvent,
    ModelEvent,
    ModelRequest,
    TextEvent,
    ToolCall,
    ToolCallEvent,
    UsageEvent,
)
from mocheong_core.agents.tools import (
    FIND_VENUE,
    SHOW_COMPONENT,
    TRANSFER_PREFIX,
    UNDO,
    UPDATE_PAGE,
)
from mocheong_core.pages.content import DEFAULT_TIME_ZONE, PageContent
from mocheong_core.pages.document import publish_problems, stored_content

LABEL: dict[str, Any] = {"model": "offline", "offline": True}
_WORDS = re.compile(r"\S+\s*|\s+")
_PAGE_KEYS = ("version", "status")
_KO_WEEKDAYS = "월화수목금토일"
DRAFTS = 3

_FIELDS = {
    "couple.groom.name": ("신랑", "groom"),
    "couple.bride.name": ("신부", "bride"),
    "couple.groom.father.name": ("신랑 아버지", "groom's father"),
    "couple.groom.mother.name": ("신랑 어머니", "groom's mother"),
    "couple.bride.father.name": ("신부 아버지", "bride's father"),
    "couple.bride.mother.name": ("신부 어머니", "bride's mother"),
    "couple.groom.phone": ("신랑 연락처", "groom's phone"),
    "couple.bride.phone": ("신부 연락처", "bride's phone"),
    "ceremony.starts_at": ("예식 일시", "date and time"),
    "venue.name": ("예식장", "venue"),
    "venue.hall": ("홀", "hall"),
    "venue.address": ("예식장 주소", "venue address"),
    "greeting": ("인사말", "greeting"),
    "sections": ("섹션 구성", "sections"),
    "theme": ("테마", "theme"),
    "gift_accounts": ("계좌", "gift accounts"),
    "rsvp.prompt": ("참석 여부 먼저 묻기", "RSVP prompt"),
    "rsvp.button": ("참석 여부 버튼", "RSVP button"),
    "rsvp": ("참석 여부 받기", "RSVP"),
    "interview": ("인터뷰", "interview"),
    "notices": ("안내 사항", "notices"),
    "video": ("영상", "video"),
    "ending": ("마무리 인사", "closing message"),
    "gallery_view.viewer": ("사진 크게 보기", "photo viewer"),
    "gallery_view.layout": ("갤러리 배치", "gallery layout"),
    "map_view": ("카카오맵 지도", "Kakao map"),
    "share.buttons": ("공유 버튼", "share buttons"),
    "text.font": ("글씨체", "typeface"),
    "text.scale": ("글씨 크기", "text size"),
    "after_wedding": ("예식 후 페이지", "after the wedding"),
    "effects.falling": ("꽃잎·눈 효과", "falling petals or snow"),
    "effects.opening": ("오프닝 문구", "opening line"),
    "calendar_view": ("카운트다운", "countdown"),
    "guest_photos": ("하객 사진 앨범", "guests' photo album"),
}


def _label(path: str, korean: bool) -> str | None:
    for field, names in _FIELDS.items():
        if path == field or path.startswith(field + "."):
            return names[0 if korean else 1]
    return None


class _View:
    """What an agent's request says about this turn."""

    def __init__(self, request: ModelRequest, today: date) -> None:
        messages = request.messages
        last_user = max(i for i, m in enumerate(messages) if m.role == "user")
        self.text = messages[last_user].content
        self.results: list[tuple[str, bool, dict[str, Any]]] = [
            (m.tool_name or "", m.is_error, _json(m.content))
            for m in messages[last_user + 1 :]
            if m.role == "tool"
        ]
        document = json.loads(request.page)
        self.version = int(document.get("version", 0))
        self.content = stored_content({k: v for k, v in document.items() if k not in _PAGE_KEYS})
        self.understood: Understanding = understand(
            self.text,
            page=self.content.dump(),
            today=today,
            time_zone=self.content.ceremony.time_zone,
        )

    def of(self, *names: str) -> list[tuple[str, bool, dict[str, Any]]]:
        return [r for r in self.results if r[0] in names]

    @property
    def patch(self) -> dict[str, Any]:
        """The reader's patch; it holds the new ``sections`` list when sections change."""
        return dict(self.understood.patch)


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _without_fields(patch: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """``patch`` minus the (dotted) fields the page refused."""
    out: dict[str, Any] = {}
    for key, value in patch.items():
        inner = [f.removeprefix(key + ".") for f in fields if f.startswith(key + ".")]
        if key in fields or any(f == key for f in fields):
            continue
        if inner and isinstance(value, Mapping):
            rest = _without_fields(value, inner)
            if rest:
                out[key] = rest
        elif not inner:
            out[key] = value
    return out


class OfflineAgentModel:
    label = LABEL

    def __init__(
        self,
        *,
        delay_seconds: float = 0.02,
        words_per_chunk: int = 2,
        geocoding: bool = False,
        today: Callable[[], date] | None = None,
    ) -> None:
        self._delay = delay_seconds
        self._words = max(1, words_per_chunk)
        self._geocoding = geocoding
        self._today = today or (lambda: datetime.now(ZoneInfo(DEFAULT_TIME_ZONE)).date())
        self._ids = 0

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        view = _View(request, self._today())
        calls: list[ToolCall] = []
        if request.agent == OUTPUT:
            if not view.of(SHOW_COMPONENT):
                async for event in self._say(reply(view)):
                    yield event
                calls = [self._call(SHOW_COMPONENT, {"component": c}) for c in _components(view)]
        else:
            plan = {MAIN: self._main, CONTEXT: self._context, MAP: self._map}[request.agent]
            calls = list(plan(view))
        for call in calls:
            yield ToolCallEvent(call)
        yield UsageEvent(model="offline", provider="offline")
        yield FinishEvent("tool_calls" if calls else "stop")

    def _call(self, name: str, arguments: Mapping[str, Any]) -> ToolCall:
        self._ids += 1
        return ToolCall(f"offline-{self._ids}", name, json.dumps(arguments, ensure_ascii=False))

    def _transfer(self, agent: str) -> ToolCall:
        return self._call(TRANSFER_PREFIX + agent, {})

    def _wants_map(self, view: _View) -> bool:
        return self._geocoding and bool(view.understood.venue_query)

    def _main(self, view: _View) -> Iterator[ToolCall]:
        u = view.understood
        if u.undo or view.patch:
            yield self._transfer(CONTEXT)
        elif self._wants_map(view):
            yield self._transfer(MAP)
        else:
            yield self._transfer(OUTPUT)

    def _context(self, view: _View) -> Iterator[ToolCall]:
        done = view.of(UPDATE_PAGE, UNDO)
        patch = view.patch
        if not done:
            if view.understood.undo:
                yield self._call(UNDO, {})
            if patch:
                yield self._call(UPDATE_PAGE, {"patch": patch})
            if view.understood.undo or patch:
                return
        updates = view.of(UPDATE_PAGE)
        if len(updates) == 1 and updates[0][1]:
            refused = [str(e.get("field", "")) for e in updates[0][2].get("errors", [])]
            rest = _without_fields(patch, refused) if refused else {}
            if rest:
                yield self._call(UPDATE_PAGE, {"patch": rest})
                return
        yield self._transfer(MAP if self._wants_map(view) else OUTPUT)

    def _map(self, view: _View) -> Iterator[ToolCall]:
        found = view.of(FIND_VENUE)
        if not found:
            query = view.understood.venue_query or view.content.venue.name or view.text
            yield self._call(FIND_VENUE, {"query": query[:100]})
            return
        candidates = found[-1][2].get("candidates", [])
        searched = max(i for i, r in enumerate(view.results) if r[0] == FIND_VENUE)
        written = any(r[0] == UPDATE_PAGE for r in view.results[searched:])
        if len(candidates) == 1 and not written:
            place = candidates[0]
            venue = {
                "name": place["name"],
                "address": place.get("road_address") or place["address"],
                "lat": place["lat"],
                "lng": place["lng"],
            }
            yield self._call(UPDATE_PAGE, {"patch": {"venue": venue}})
        yield self._transfer(OUTPUT)

    async def _say(self, text: str) -> AsyncIterator[ModelEvent]:
        words = _WORDS.findall(text)
        for index in range(0, len(words), self._words):
            if index:
                await asyncio.sleep(self._delay)
            yield TextEvent("".join(words[index : index + self._words]))


def _changed(view: _View) -> list[str]:
    return [
        str(path)
        for name, failed, data in view.of(UPDATE_PAGE)
        if not failed
        for path in data.get("changed", [])
    ]


def _when(moment: datetime | None, zone: str, korean: bool) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone))
    if korean:
        part = "오전" if local.hour < 12 else "오후"
        minute = f" {local.minute}분" if local.minute else ""
        weekday = _KO_WEEKDAYS[local.weekday()]
        hour = local.hour % 12 or 12
        return f"{local.year}년 {local.month}월 {local.day}일 {weekday}요일 {part} {hour}시{minute}"
    return local.strftime("%A, %B %d, %Y, %I:%M %p").replace(" 0", " ")


def _value(content: PageContent, field: str, korean: bool) -> str:
    c = content
    people = {"groom": c.couple.groom, "bride": c.couple.bride}
    parents = {
        f"couple.{role}.{which}.name": parent.name
        for role, person in people.items()
        for which, parent in (("father", person.father), ("mother", person.mother))
        if parent is not None
    }
    values = {
        **parents,
        "couple.groom.name": c.couple.groom.name,
        "couple.bride.name": c.couple.bride.name,
        "ceremony.starts_at": _when(c.ceremony.starts_at, c.ceremony.time_zone, korean),
        "venue.name": c.venue.name,
        "venue.hall": c.venue.hall,
        "venue.address": c.venue.address,
    }
    return values.get(field) or ""


def _labels(paths: Sequence[str], content: PageContent, korean: bool) -> list[str]:
    """Each field named in ``paths`` once, in the page's order, with its value when short."""
    labels = []
    for field, names in _FIELDS.items():
        if any(path == field or path.startswith(field + ".") for path in paths):
            value = _value(content, field, korean)
            label = names[0 if korean else 1]
            labels.append(
                (f"{label} {value}" if korean else f"{label}: {value}") if value else label
            )
    return labels


def reply(view: _View) -> str:
    """The output agent's text: what changed in this turn, what it could not use, what is
    still missing, and that it comes from the offline model."""
    korean = view.understood.korean
    content = view.content
    lines: list[str] = []
    for _, failed, data in view.of(UNDO):
        if not failed:
            lines.append("방금 바꾼 내용을 되돌렸어요." if korean else "I undid the last change.")
        elif data.get("error") == "edited_since_agent_change":
            lines.append(
                "그 뒤에 직접 고치신 내용이 있어서 되돌리지 않았어요."
                if korean
                else "You edited those fields since, so I left them as they are."
            )
        else:
            lines.append("되돌릴 변경이 없어요." if korean else "There is no change to undo.")
    changed = _labels(_changed(view), content, korean)
    if changed:
        joined = ", ".join(changed)
        lines.append(f"반영했어요: {joined}." if korean else f"Updated — {joined}.")
    kept = [
        str(p)
        for _, failed, data in view.of(UPDATE_PAGE)
        if not failed
        for p in data.get("kept", [])
    ]
    if kept:
        joined = ", ".join(_labels(kept, content, korean) or kept)
        lines.append(
            f"직접 바꾸신 내용은 그대로 두었어요: {joined}."
            if korean
            else f"I left what you changed yourself: {joined}."
        )
    for _, failed, data in view.of(UPDATE_PAGE):
        if failed and data.get("errors"):
            fields = [str(e.get("field")) for e in data["errors"]]
            joined = ", ".join(_label(f, korean) or f for f in fields)
            lines.append(
                f"다음 내용은 확인이 필요해요: {joined}."
                if korean
                else f"I could not use: {joined}."
            )
    lines.extend(str(problem) for problem in view.understood.problems)
    if view.understood.time_assumed:
        lines.append(
            "시간은 우선 낮 12시로 넣어 두었어요. 몇 시인가요?"
            if korean
            else "I set the time to noon for now; what time is the ceremony?"
        )
    found = view.of(FIND_VENUE)
    if found and len(found[-1][2].get("candidates", [])) > 1:
        lines.append(
            "예식장 후보가 여러 곳이에요. 아래에서 골라 주세요."
            if korean
            else "I found several venues; please pick one below."
        )
    if view.understood.greeting_tone:
        lines.append(
            "인사말 초안을 몇 가지 준비했어요." if korean else "Here are a few greeting drafts."
        )
    missing = _labels([p.field for p in publish_problems(content)], content, korean)
    if missing:
        joined = ", ".join(missing)
        if not lines:
            lines.append(
                "청첩장에 넣을 내용을 알려주세요."
                if korean
                else "Tell me about your wedding and I will fill in the invitation."
            )
        lines.append(f"아직 필요해요: {joined}." if korean else f"Still needed: {joined}.")
    else:
        lines.append(
            "이제 청첩장을 발행할 수 있어요!" if korean else "The invitation is ready to publish!"
        )
    lines.append("(오프라인 모델의 답변이에요)" if korean else "(offline model)")
    return "\n".join(lines)


def _components(view: _View) -> list[dict[str, Any]]:
    korean = view.understood.korean
    content = view.content
    shown: list[dict[str, Any]] = []
    found = view.of(FIND_VENUE)
    candidates = found[-1][2].get("candidates", []) if found else []
    if len(candidates) > 1:
        shown.append(
            {
                "type": "choices",
                "question": "어느 곳인가요?" if korean else "Which one is it?",
                "options": [_venue_option(c, korean) for c in candidates],
            }
        )
    changed = _changed(view)
    venue = content.venue
    if venue.name and any(p.startswith("venue.") and p != "venue.hall" for p in changed):
        shown.append(
            {
                "type": "map",
                "name": venue.name,
                "address": venue.address,
                "lat": venue.lat,
                "lng": venue.lng,
            }
        )
    tone = view.understood.greeting_tone
    if tone:
        shown.append({"type": "suggestions", "items": greeting_drafts(content, tone, DRAFTS)})
    section = _changed_section(view, changed)
    if section is not None:
        shown.append({"type": "section-preview", "section": section, "page_version": view.version})
    missing = [p.field for p in publish_problems(content)]
    if missing:
        shown.append({"type": "checklist", "missing": missing})
    return shown


def _changed_section(view: _View, changed: Sequence[str]) -> str | None:
    if any(p.startswith("greeting") for p in changed):
        return "greeting"
    if any(p.startswith("sections") for p in changed):
        sections = view.understood.sections
        return sections[0].kind if sections else "cover"
    return None


def _venue_option(place: Mapping[str, Any], korean: bool) -> dict[str, str]:
    address = place.get("road_address") or place.get("address") or ""
    name = str(place.get("name", ""))
    value = (
        f"예식장은 {name}, 주소는 {address}예요" if korean else f"The venue is {name}, {address}"
    )
    return {"label": f"{name} · {address}" if address else name, "value": value}
