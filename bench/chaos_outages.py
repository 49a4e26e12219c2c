"""R6 of quality.md: the run's own PostgreSQL stopped, or its own Redis frozen, while chat
turns stream and guests answer RSVPs and owners edit their pages.

Load runs against every API process before, during and after the outage: RSVPs to a published
page, page edits, chat submits over HTTP, and ``/ready`` polls. Targets: no answer other than
a success or a ``503`` problem with ``Retry-After`` (no 500, no dropped connection, nothing
that hangs past the request timeout); ``/ready`` unready during the outage on every API and
ready after; requests succeed again within ``RECOVERY_WITHIN`` seconds of the return without
restarting a process; nothing half-written (every RSVP answered 201 stored once, the page's
text one that an edit sent); the chat streams' promise kept (0 gaps, duplicates, stuck).

PostgreSQL is stopped with a fast shutdown (every connection cut) and started again; Redis is
frozen with SIGSTOP, so its sockets stay open and answer nothing: only explicit socket
timeouts keep a request from waiting on it.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import httpx
from chat_client import register

if TYPE_CHECKING:
    from chaos import Outcome, Run

RECOVERY_WITHIN = 30.0  # seconds after the dependency is back
REQUEST_TIMEOUT = 10.0
"""An answer slower than this counts as a hang: keep ``--outage`` above it, so a request that
waits for the dependency to come back is caught."""
PAUSE = 0.2  # seconds between two requests of one load loop
EXPECTED = {"200", "201", "202", "409", "503"}
"""Successes, a chat submit while the session's reply runs (409), and a 503 problem with
``Retry-After``; ``503 bare`` is one without them."""

COMPLETE_DOCUMENT: dict[str, Any] = {
    "couple": {"groom": {"name": "김민준"}, "bride": {"name": "이서연"}},
    "ceremony": {"starts_at": "2027-05-15T13:00:00+09:00", "time_zone": "Asia/Seoul"},
    "venue": {"name": "더채플앳청담", "address": "서울 강남구 선릉로 757"},
    "greeting": "저희 두 사람이 사랑으로 하나 되는 날",
}


class Load:
    """The requests of the run and what each was answered, by kind and phase."""

    def __init__(self, run: Run, token: str, page_id: str, slug: str) -> None:
        self.run = run
        self.headers = {"Authorization": f"Bearer {token}"}
        self.page_id, self.slug = page_id, slug
        self.phase = "before"
        self.answers: Counter[tuple[str, str, str]] = Counter()  # (kind, phase, answer)
        self.bad: list[str] = []
        self.rsvps_created: set[str] = set()
        self.rsvps_sent: set[str] = set()
        self.greetings_sent: list[str] = []
        self.first_success_after: dict[str, float] = {}
        self.back_at: float | None = None
        self.stopped = asyncio.Event()
        self.slowest: dict[str, float] = {}  # phase → seconds
        self._n = 0
        self._turns = itertools.count()  # every API in turn, whatever the request

    def _url(self) -> str:
        live = self.run.stack.live_apis()
        return self.run.stack.api_url(live[next(self._turns) % len(live)])

    def _next(self) -> int:
        self._n += 1
        return self._n

    async def _call(self, kind: str, method: str, path: str, **options: Any) -> int | None:
        url = self._url() + path
        phase, started = self.phase, time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as http:
                response = await http.request(method, url, **options)
            took = time.monotonic() - started
            self.slowest[phase] = max(self.slowest.get(phase, 0.0), took)
        except httpx.TimeoutException:
            self._record(kind, "hang")
            return None
        except httpx.TransportError as exc:
            self._record(kind, f"dropped ({type(exc).__name__})")
            return None
        status = response.status_code
        if status == 503:
            problem = response.headers.get("content-type", "").startswith("application/problem")
            label = "503" if problem and response.headers.get("retry-after") else "503 bare"
            self._record(kind, label)
        else:
            self._record(kind, str(status))
        if status < 300 and self.back_at is not None and kind not in self.first_success_after:
            self.first_success_after[kind] = time.monotonic() - self.back_at
        return status

    def _record(self, kind: str, answer: str) -> None:
        self.answers[kind, self.phase, answer] += 1
        if answer not in EXPECTED:
            self.bad.append(f"{kind} {self.phase}: {answer}")

    async def rsvps(self) -> None:
        while not self.stopped.is_set():
            name = f"하객{self._next()}"
            self.rsvps_sent.add(name)
            body = {"attending": True, "name": name, "side": "groom", "party_size": 1}
            status = await self._call(
                "rsvp", "POST", f"/api/public/pages/{self.slug}/rsvps", json=body
            )
            if status == 201:
                self.rsvps_created.add(name)
            await asyncio.sleep(PAUSE)

    async def edits(self) -> None:
        while not self.stopped.is_set():
            greeting = f"인사말 {self._next()}"
            self.greetings_sent.append(greeting)
            await self._call(
                "edit",
                "PATCH",
                f"/api/pages/{self.page_id}",
                json={"greeting": greeting},
                headers=self.headers,
            )
            await asyncio.sleep(PAUSE)

    async def chats(self, page_id: str) -> None:
        while not self.stopped.is_set():
            body = {"page_id": page_id, "message": f"안녕하세요 {self._next()}"}
            await self._call("chat", "POST", "/api/chat", json=body, headers=self.headers)
            await asyncio.sleep(PAUSE * 5)

    async def readiness(self) -> None:
        while not self.stopped.is_set():
            for index in self.run.stack.live_apis():
                url = self.run.stack.api_url(index) + "/ready"
                try:
                    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as http:
                        status = (await http.get(url)).status_code
                except httpx.HTTPError as exc:
                    self._record("ready", f"dropped ({type(exc).__name__})")
                    continue
                self.answers["ready", self.phase, str(status)] += 1
            await asyncio.sleep(0.5)


async def r6_postgres(run: Run, outcome: Outcome) -> Outcome:
    postgres = run.stack.postgres
    if postgres is None:
        outcome.failures.append("the run has no PostgreSQL of its own to stop")
        return outcome

    def outage_begins() -> None:
        postgres.stop()

    def outage_ends() -> None:
        postgres.start()

    return await _outage(run, outcome, outage_begins, outage_ends)


async def r6_broker(run: Run, outcome: Outcome) -> Outcome:
    stack = run.stack
    return await _outage(
        run,
        outcome,
        lambda: stack.signal_broker(signal.SIGSTOP),
        lambda: stack.signal_broker(signal.SIGCONT),
    )


async def _outage(run: Run, outcome: Outcome, begin: Any, end: Any) -> Outcome:
    if run.args.outage <= REQUEST_TIMEOUT:
        outcome.failures.append(f"--outage must exceed {REQUEST_TIMEOUT:g} s to catch a hang")
        return outcome
    count = max(10, run.args.streams // 10)
    clients = await run.clients(count)
    async with run.http() as http:
        token = await register(http, "outage")
        auth = {"Authorization": f"Bearer {token}"}
        page = (await http.post("/api/pages", json=COMPLETE_DOCUMENT, headers=auth)).json()
        published = await http.post(f"/api/pages/{page['id']}/publish", headers=auth)
        published.raise_for_status()
        chat_page = (await http.post("/api/pages", json={}, headers=auth)).json()["id"]
    load = Load(run, token, page["id"], published.json()["slug"])
    loops = [
        asyncio.create_task(loop)
        for loop in (load.rsvps(), load.edits(), load.chats(chat_page), load.readiness())
    ]
    await asyncio.gather(*(client.submit() for client in clients))
    deadline = time.monotonic() + 240
    followers = [asyncio.create_task(run.follow(c, deadline)) for c in clients]
    await asyncio.sleep(2)
    load.phase = "outage"
    await asyncio.to_thread(begin)
    await asyncio.sleep(run.args.outage)
    await asyncio.to_thread(end)
    load.phase, load.back_at = "after", time.monotonic()
    await asyncio.sleep(RECOVERY_WITHIN)
    load.stopped.set()
    await asyncio.gather(*loops)
    await asyncio.gather(*followers)
    await run.verify(outcome, clients)
    await _check(run, outcome, load)
    return outcome


async def _check(run: Run, outcome: Outcome, load: Load) -> None:
    for phase in ("before", "outage", "after"):
        answers = sorted((k, a, n) for (k, p, a), n in load.answers.items() if p == phase)
        text = ", ".join(f"{kind} {answer}×{n}" for kind, answer, n in answers)
        slowest = load.slowest.get(phase, 0.0)
        outcome.figures[f"answers {phase}"] = f"{text}; slowest {slowest:.1f} s"
    if load.bad:
        counted = Counter(load.bad)
        outcome.failures.append(
            "answers other than a success or a 503 problem with Retry-After: "
            + ", ".join(f"{what} ×{n}" for what, n in counted.most_common(8))
        )
    if not load.answers["ready", "outage", "503"]:
        outcome.failures.append("/ready never answered 503 during the outage")
    for kind in ("rsvp", "edit", "chat"):
        if not any(n for (k, p, a), n in load.answers.items() if (k, p) == (kind, "outage")):
            outcome.failures.append(f"no {kind} request was answered during the outage")
        after = load.first_success_after.get(kind)
        outcome.figures[f"first {kind} success after the return"] = (
            f"{after:.1f} s" if after is not None else "none"
        )
        if after is None or after > RECOVERY_WITHIN:
            outcome.failures.append(f"{kind} did not recover within {RECOVERY_WITHIN:.0f} s")
    async with run.http() as http:
        rsvps = await http.get(f"/api/pages/{load.page_id}/rsvps", headers=load.headers)
        rsvps.raise_for_status()
        names = Counter(item["name"] for item in rsvps.json()["items"])
        while rsvps.json().get("next_cursor"):
            rsvps = await http.get(
                f"/api/pages/{load.page_id}/rsvps",
                params={"cursor": rsvps.json()["next_cursor"]},
                headers=load.headers,
            )
            names.update(item["name"] for item in rsvps.json()["items"])
        page = (await http.get(f"/api/pages/{load.page_id}", headers=load.headers)).json()
    missing = load.rsvps_created - set(names)
    twice = [name for name, n in names.items() if n > 1]
    unknown = set(names) - load.rsvps_sent
    outcome.figures["RSVPs stored / answered 201"] = f"{len(names)} / {len(load.rsvps_created)}"
    if missing or twice or unknown:
        outcome.failures.append(
            f"RSVPs: {len(missing)} answered 201 and not stored, {len(twice)} stored twice, "
            f"{len(unknown)} never sent"
        )
    greeting = page.get("greeting")
    if greeting not in load.greetings_sent:
        outcome.failures.append(f"the page's greeting {greeting!r} is not one an edit sent")
    outcome.figures["restarted processes"] = ", ".join(run.restarted) or "none"
