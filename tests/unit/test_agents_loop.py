"""The agent loop under the chat runner, with a scripted model: hand-offs, what the room sees,
caps, and bad tool calls answered as errors the model corrects within the turn."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from mocheong_core.agents.policy import AgentPolicy
from mocheong_core.agents.ports import ModelEvent, ModelRequest, TextEvent
from mocheong_core.chat.model import MessageStatus
from mocheong_core.chat.stream import EventKind
from mocheong_core.pages.content import SectionKind
from mocheong_core.pages.model import Page
from tests.unit.agents_harness import Agents, ScriptedModel, call, say
from tests.unit.chat_harness import PAGE

NAMES = {"couple": {"groom": {"name": "김도윤"}, "bride": {"name": "박하은"}}}


def results(model: ScriptedModel, n: int) -> list[dict[str, object]]:
    """The tool results the model was shown in its call ``n`` (from 0)."""
    return [
        {"name": m.tool_name, "is_error": m.is_error, **json.loads(m.content)}
        for m in model.requests[n].messages
        if m.role == "tool"
    ]


async def test_main_hands_over_to_context_then_output_and_only_output_is_shown() -> None:
    model = ScriptedModel(
        [
            [*say("라우팅 중"), call("transfer_to_context")],
            [*say("저장할게요"), call("update_page", {"patch": NAMES}), call("transfer_to_output")],
            [
                *say("두 분 이름을 ", "넣었어요."),
                call(
                    "show_component",
                    {"component": {"type": "checklist", "missing": ["venue.name"]}},
                ),
            ],
            [],
        ]
    )
    agents = await Agents(model).start()
    reply = await agents.turn_of("신랑 김도윤, 신부 박하은이에요.")

    assert reply.status is MessageStatus.COMPLETED
    assert reply.content == "두 분 이름을 넣었어요."
    assert reply.components == [{"type": "checklist", "missing": ["venue.name"]}]
    assert [r.agent for r in model.requests] == ["main", "context", "output", "output"]
    assert reply.metadata["agents"] == ["main", "context", "output"]
    assert reply.metadata["usage"]["input_tokens"] == 40
    assert reply.metadata["usage"]["cache_read_tokens"] == 20
    assert reply.metadata["model"] == "scripted"
    page = await agents.page()
    assert (page.content.couple.groom.name, page.content.couple.bride.name) == ("김도윤", "박하은")
    [event] = agents.site.events.events
    assert (event.by, event.changed) == ("agent", ("couple",))
    # The output agent was shown the page as the context agent left it.
    assert "김도윤" in model.requests[2].page
    assert "김도윤" not in model.requests[0].page
    events = await agents.chat.events()
    chunks = [e.data["delta"] for e in events if e.kind is EventKind.CHUNK]
    assert "".join(chunks) == "두 분 이름을 넣었어요."


async def test_every_agent_gets_the_same_prefix_and_is_named_with_its_tools_last() -> None:
    model = ScriptedModel(
        [[call("transfer_to_output")], say("안녕하세요"), [call("transfer_to_output")], say("네")]
    )
    agents = await Agents(model).start()
    await agents.turn_of("안녕")
    await agents.turn_of("고마워요")

    first, output, second = model.requests[0], model.requests[1], model.requests[2]
    # One system prompt and all the tools, in one order, for every agent and every turn.
    assert [t.name for t in first.tools] == [
        "update_page",
        "find_venue",
        "show_component",
        "undo_last_change",
        "transfer_to_context",
        "transfer_to_map",
        "transfer_to_output",
    ]
    assert (first.system, first.tools) == (output.system, output.tools)
    assert (first.system, first.tools, first.page) == (second.system, second.tools, second.page)
    # Which agent answers, with which tools, comes after the page, at the very end.
    assert first.brief.startswith(f"<page>{first.page}</page>\n")
    assert first.brief.endswith(
        "You are the main agent now. Your tools: "
        "transfer_to_context, transfer_to_map, transfer_to_output."
    )
    assert output.brief.endswith("You are the output agent now. Your tools: show_component.")
    assert [m.content for m in second.messages] == ["안녕", "안녕하세요", "고마워요"]
    # The page's version and status, which change most, close its JSON.
    assert first.page.endswith(',"status":"draft","version":1}')


async def test_an_agent_calling_another_agents_tool_is_refused_and_may_correct_it() -> None:
    model = ScriptedModel(
        [
            [call("show_component", {"component": {"type": "checklist", "missing": []}})],
            [call("transfer_to_output")],
            say("네"),
        ]
    )
    agents = await Agents(model).start()
    reply = await agents.turn_of("안녕")

    assert results(model, 1)[0]["is_error"]
    assert results(model, 1)[0]["error"] == "unknown_tool"
    assert reply.components == []
    assert reply.content == "네"


async def test_an_agent_that_answers_without_handing_over_is_shown() -> None:
    agents = await Agents(ScriptedModel([say("무엇을 ", "도와드릴까요?")])).start()
    reply = await agents.turn_of("안녕")
    assert reply.content == "무엇을 도와드릴까요?"
    assert reply.metadata["agents"] == ["main"]


async def test_a_bad_patch_is_an_error_result_the_model_corrects_within_the_turn() -> None:
    bad = {"patch": {"ceremony": {"starts_at": "10월 9일"}}}
    good = {"patch": {"ceremony": {"starts_at": "2027-10-09T13:30:00+09:00"}}}
    model = ScriptedModel(
        [
            [call("transfer_to_context")],
            [call("update_page", bad)],
            [call("update_page", good), call("transfer_to_output")],
            say("날짜를 넣었어요."),
        ]
    )
    agents = await Agents(model).start()
    reply = await agents.turn_of("10월 9일 오후 1시 반")

    [error] = results(model, 2)[-1:]
    assert error["is_error"] is True
    assert error["name"] == "update_page"
    assert error["errors"][0]["field"] == "ceremony.starts_at"  # type: ignore[index]
    assert reply.status is MessageStatus.COMPLETED
    page = await agents.page()
    assert page.content.ceremony.starts_at is not None
    assert page.version == 2


async def test_unknown_tools_and_invalid_json_are_answered_and_the_turn_goes_on() -> None:
    model = ScriptedModel(
        [
            [call("delete_page", {"id": "x"}), call("transfer_to_context", raw="{not json")],
            [call("transfer_to_context")],
            [call("update_page", raw="[1, 2]"), call("transfer_to_output")],
            say("다시 말씀해 주세요."),
        ]
    )
    agents = await Agents(model).start()
    reply = await agents.turn_of("안녕")

    errors = results(model, 1)
    assert [e["error"] for e in errors] == ["unknown_tool", "invalid_arguments"]
    assert results(model, 3)[-2]["error"] == "invalid_arguments"
    assert reply.status is MessageStatus.COMPLETED
    assert reply.content == "다시 말씀해 주세요."
    assert (await agents.page()).version == 1


async def test_a_model_that_never_stops_calling_ends_at_the_model_call_cap() -> None:
    steps = [[call("transfer_to_context")]] + [[call("update_page", raw="{")]] * 20
    model = ScriptedModel(steps)
    agents = await Agents(model, policy=AgentPolicy(max_model_calls=8)).start()
    reply = await agents.turn_of("계속")

    assert len(model.requests) == 8
    assert reply.status is MessageStatus.COMPLETED
    assert "멈췄어요" in reply.content
    assert reply.metadata["stopped"] == "model_calls"


async def test_too_many_tool_calls_end_the_turn_with_a_notice_in_english_for_english() -> None:
    patch = {"patch": {"theme": "modern"}}
    model = ScriptedModel([[call("transfer_to_context")], [call("update_page", patch)] * 30])
    agents = await Agents(model, policy=AgentPolicy(max_tool_calls=16)).start()
    reply = await agents.turn_of("hello")

    assert len(model.requests) == 2
    assert reply.metadata["stopped"] == "tool_calls"
    assert "stopped here" in reply.content
    assert (
        await agents.page()
    ).version == 2  # the first call changed it; the rest had nothing to do


async def test_a_stream_without_its_finish_fails_the_message() -> None:
    class Cut(ScriptedModel):
        async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
            self.requests.append(request)
            yield TextEvent("반쯤")

    agents = await Agents(Cut([])).start()
    reply = await agents.turn_of("안녕")
    assert reply.status is MessageStatus.FAILED


async def test_the_first_agent_is_shown_the_page_the_runner_read_without_a_read_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = ScriptedModel([[*say("안녕하세요")]])
    agents = await Agents(model, content=NAMES).start()
    reads: list[str] = []
    read = agents.desk.read

    async def counted(owner_id: str, page_id: str) -> Page:
        reads.append(page_id)
        return await read(owner_id, page_id)

    monkeypatch.setattr(agents.desk, "read", counted)
    reply = await agents.turn_of("안녕")

    assert reply.status is MessageStatus.COMPLETED
    assert "김도윤" in model.requests[0].page
    # The page came with the runner's claim, in its transaction (P7, docs/architecture.md).
    assert reads == []


async def test_a_page_gone_before_the_run_fails_the_turn_as_not_found() -> None:
    model = ScriptedModel([[*say("안녕하세요")]])
    agents = await Agents(model).start()
    pending = await agents.chat.say("안녕")
    await agents.site.pages.delete(PAGE)
    await agents.chat.run_queued()
    reply = await agents.chat.message(pending.id)

    assert reply.status is MessageStatus.FAILED
    assert reply.metadata["error"] == "No such page"
    assert model.requests == []


async def test_section_changes_and_components_are_checked_like_user_input() -> None:
    sections = [
        {"kind": kind.value, "visible": kind is not SectionKind.GUESTBOOK} for kind in SectionKind
    ]
    model = ScriptedModel(
        [
            [call("transfer_to_context")],
            [call("update_page", {"patch": {"sections": sections}}), call("transfer_to_output")],
            [
                call("show_component", {"component": {"type": "carousel"}}),
                call(
                    "show_component",
                    {
                        "component": {
                            "type": "section-preview",
                            "section": "guestbook",
                            "page_version": 2,
                        }
                    },
                ),
                call(
                    "show_component",
                    {
                        "component": {
                            "type": "map",
                            "name": "더링크호텔",
                            "address": "서울 구로구 경인로 610",
                            "lat": 37.5,
                            "lng": 126.9,
                            "links": {"kakao": "javascript:alert(1)"},
                        }
                    },
                ),
            ],
            say("방명록을 숨겼어요."),
        ]
    )
    agents = await Agents(model).start()
    reply = await agents.turn_of("방명록은 빼주세요")

    assert [r["is_error"] for r in results(model, 3)[-3:]] == [True, False, False]
    assert [c["type"] for c in reply.components] == ["section-preview", "map"]
    links = reply.components[1]["links"]
    assert links["kakao"].startswith("https://map.kakao.com/link/map/")
    assert links["tmap"].startswith("tmap://route?")
    # The credit is the geocoder's, set by the tool like the links: a model cannot write it.
    assert reply.components[1]["attribution"] == {
        "text": "© Test Maps",
        "url": "https://maps.example/credit",
    }
    page = await agents.page()
    assert [s.kind for s in page.content.sections if not s.visible] == [SectionKind.GUESTBOOK]
