"""The offline model reads wedding details out of a message and streams a useful answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.llm.offline_chat import LABEL, OfflineChatModel
from adapters.llm.offline_reading import read
from mocheong_core.chat.model import ChatSession, Message, MessageStatus, Role
from mocheong_core.chat.ports import ComponentPart, ModelPart, ModelTurn, TextDelta

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def turn(text: str) -> ModelTurn:
    session = ChatSession("s1", "p1", NOW)
    question = Message("m1", "s1", Role.USER, MessageStatus.COMPLETED, text, NOW, NOW)
    return ModelTurn(session, [question])


async def answer(text: str) -> list[ModelPart]:
    return [part async for part in OfflineChatModel(delay_seconds=0).stream(turn(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "신랑 김민준, 신부 이서연입니다. 2027년 5월 15일 오후 1시 더채플앳청담 3층 채플홀",
            {
                "groom": "김민준",
                "bride": "이서연",
                "dates": ("2027-05-15",),
                "times": ("13:00",),
                "venue": "더채플앳청담 3층 채플홀",
            },
        ),
        ("신랑은 박지훈이고 신부는 최유나예요", {"groom": "박지훈", "bride": "최유나"}),
        (
            "The groom is James Park and the bride is Mina Lee, May 15, 2027 at 1:30 pm "
            "at the Grand Hyatt Hotel",
            {
                "groom": "James Park",
                "bride": "Mina Lee",
                "dates": ("2027-05-15",),
                "times": ("13:30",),
                "venue": "Grand Hyatt Hotel",
            },
        ),
        ("wedding on 2027-10-09 at 11am, call 010-1234-5678", {"phones": ("010-1234-5678",)}),
        ("웨딩홀은 어디가 좋을까요", {"venue": None}),
    ],
)
def test_it_reads_dates_times_names_and_venues(text: str, expected: dict[str, object]) -> None:
    reading = read(text)
    for field, value in expected.items():
        assert getattr(reading, field) == value, field


async def test_it_streams_a_summary_in_chunks_and_offers_what_is_missing() -> None:
    parts = await answer("신랑 김민준 신부 이서연, 2027년 5월 15일")

    text = "".join(p.text for p in parts if isinstance(p, TextDelta))
    components = [p.component for p in parts if isinstance(p, ComponentPart)]
    assert len([p for p in parts if isinstance(p, TextDelta)]) > 3
    assert "김민준" in text
    assert "2027-05-15" in text
    assert "예식 시간" in text
    assert components == [
        {
            "type": "choice_list",
            "prompt": "다음으로 무엇을 알려주시겠어요?",
            "options": [{"id": "time", "label": "예식 시간"}, {"id": "venue", "label": "예식장"}],
        }
    ]
    assert parts[-1] == ComponentPart(components[0])


async def test_with_everything_given_it_offers_no_component() -> None:
    parts = await answer("groom: Tom Kim, bride: Ann Lee, June 3 2027 at 14:00, Rose Garden")
    assert all(isinstance(p, TextDelta) for p in parts)
    assert "everything" in "".join(p.text for p in parts if isinstance(p, TextDelta))


async def test_it_echoes_what_it_did_not_understand() -> None:
    parts = await answer("hello there")
    assert "hello there" in "".join(p.text for p in parts if isinstance(p, TextDelta))
    assert OfflineChatModel.label == LABEL == {"model": "offline", "offline": True}


@given(st.text(max_size=300))
async def test_any_message_gets_a_non_empty_answer(text: str) -> None:
    parts = await answer(text)
    assert "".join(p.text for p in parts if isinstance(p, TextDelta)).strip()
