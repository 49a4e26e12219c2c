"""Scripted answers shared by the model fakes: each request takes the next answer."""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import attrs

from tests.fakes.http import FakeServer, Reply, Request


class Ending(enum.Enum):
    COMPLETE = "complete"  # the protocol's terminal event, then the end of the body
    UNTERMINATED = "unterminated"  # the body ends cleanly, without the terminal event
    CUT = "cut"  # the connection closes without the terminal event
    HANG = "hang"  # nothing more is sent; the connection stays open


@attrs.frozen
class Status:
    """An HTTP error answer, before any event."""

    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class Stream:
    """A streamed answer: ``(event name or None, payload)`` pairs, then ``ending``."""

    events: Sequence[tuple[str | None, Any]]
    ending: Ending = Ending.COMPLETE


Answer = Status | Stream | Callable[[Request, Reply], Awaitable[None]]


class ScriptedServer(FakeServer):
    """A model fake: ``script(...)`` queues answers, each request takes the next one;
    when the queue is empty, ``respond(request)`` chooses the answer, or ``default`` is it."""

    def __init__(self, path: str, terminal: tuple[str | None, Any] | None) -> None:
        super().__init__(self._answer)
        self._path = path
        self._terminal = terminal
        self._answers: deque[Answer] = deque()
        self.default: Answer | None = None
        self.respond: Callable[[Request], Answer] | None = None

    def script(self, *answers: Answer) -> None:
        self._answers.extend(answers)

    def bodies(self) -> list[Any]:
        """The JSON bodies of the requests received so far."""
        return [request.json() for request in self.requests]

    def check(self, request: Request) -> Status | None:
        """A protocol fake's own refusal (a bad key, a bad request), or None."""
        return None

    async def _answer(self, request: Request, reply: Reply) -> None:
        if request.method != "POST" or request.path != self._path:
            await reply.json(404, {"error": {"message": f"no route {request.path}"}})
            return
        refusal = self.check(request)
        answer = refusal or (self._answers.popleft() if self._answers else None)
        if answer is None:
            answer = self.respond(request) if self.respond is not None else self.default
        if answer is None:
            await reply.json(400, {"error": {"message": "the fake has no scripted answer"}})
        elif isinstance(answer, Status):
            await reply.json(answer.status, answer.body, answer.headers)
        elif isinstance(answer, Stream):
            await reply.start_events()
            for name, payload in answer.events:
                await reply.event(payload, name)
            if answer.ending is Ending.CUT:
                reply.cut()
            elif answer.ending is Ending.HANG:
                await reply.hang()
            else:
                if self._terminal is not None and answer.ending is Ending.COMPLETE:
                    await reply.event(self._terminal[1], self._terminal[0])
                await reply.end()
        else:
            await answer(request, reply)
