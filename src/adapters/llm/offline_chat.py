"""``OfflineChatModel``: a model that needs no network, the default of the embedded mode.

It answers from what it can read in the user's message (dates, times, the couple's names, a
venue, phone numbers): a summary of what it understood and what an invitation still needs,
in Korean when the message is Korean, streamed a few words at a time at a set pace. When
something is missing it also offers a choice list component. Its messages say what it is:
``{"model": "offline", "offline": true}`` in their metadata.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

from adapters.llm.offline_reading import Reading, read
from mocheong_core.chat.ports import ComponentPart, ModelPart, ModelTurn, TextDelta

LABEL: dict[str, Any] = {"model": "offline", "offline": True}
_WORDS = re.compile(r"\S+\s*|\s+")
_ECHO_MAX = 80

_KO = {
    "names": "신랑·신부 이름",
    "date": "예식 날짜",
    "time": "예식 시간",
    "venue": "예식장",
}
_EN = {
    "names": "both names",
    "date": "the wedding date",
    "time": "the ceremony time",
    "venue": "the venue",
}


class OfflineChatModel:
    label = LABEL

    def __init__(self, *, delay_seconds: float = 0.02, words_per_chunk: int = 2) -> None:
        self._delay = delay_seconds
        self._words = max(1, words_per_chunk)

    async def stream(self, turn: ModelTurn) -> AsyncIterator[ModelPart]:
        reading = read(turn.question)
        words = _WORDS.findall(reply(turn.question, reading))
        for index in range(0, len(words), self._words):
            if index:
                await asyncio.sleep(self._delay)
            yield TextDelta("".join(words[index : index + self._words]))
        if reading.missing:
            await asyncio.sleep(self._delay)
            yield ComponentPart(choices(reading))


def reply(question: str, reading: Reading) -> str:
    """The answer's text: what was understood, then what is still missing."""
    ko = reading.korean
    lines: list[str] = []
    if not reading.found_anything:
        echo = question.strip().replace("\n", " ")
        if len(echo) > _ECHO_MAX:
            echo = echo[: _ECHO_MAX - 1] + "…"
        lines.append(
            f"“{echo}”라고 하셨네요. 청첩장에 넣을 내용을 알려주시면 바로 정리해 드릴게요."
            if ko
            else f"You said: “{echo}”. Tell me about the wedding and I will put it together."
        )
    else:
        lines.append("알려주신 내용을 정리했어요." if ko else "Here is what I understood.")
        lines.extend(_facts(reading))
    if reading.missing:
        names = _KO if ko else _EN
        wanted = ", ".join(names[gap] for gap in reading.missing)
        lines.append(f"아직 {wanted} 정보가 필요해요." if ko else f"I still need {wanted}.")
    else:
        lines.append(
            "청첩장에 필요한 기본 정보가 모두 모였어요!"
            if ko
            else "That is everything the invitation needs to start!"
        )
    return "\n".join(lines)


def _facts(r: Reading) -> list[str]:
    ko = r.korean
    facts: list[tuple[str, str, str | None]] = [
        ("신랑", "Groom", r.groom),
        ("신부", "Bride", r.bride),
        ("날짜", "Date", ", ".join(r.dates) or None),
        ("시간", "Time", ", ".join(r.times) or None),
        ("장소", "Venue", r.venue),
        ("연락처", "Phone", ", ".join(r.phones) or None),
    ]
    return [f"- {k if ko else e}: {v}" for k, e, v in facts if v]


def choices(reading: Reading) -> dict[str, Any]:
    """A choice list of what to give next, one option per missing part."""
    names = _KO if reading.korean else _EN
    return {
        "type": "choice_list",
        "prompt": (
            "다음으로 무엇을 알려주시겠어요?"
            if reading.korean
            else "What would you like to add next?"
        ),
        "options": [{"id": gap, "label": names[gap]} for gap in reading.missing],
    }
