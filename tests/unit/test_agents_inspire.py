"""Greeting ideas as a tracked job: validated and queued for the page's owner, then drafted
from the page's facts by the worker."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.llm.offline.greetings import OfflineGreetingWriter
from adapters.memory.jobs import InMemoryJobRepository
from adapters.memory.uow import InMemoryUnitOfWork
from mocheong_core.agents.inspire import INSPIRE, TONES, Inspire, StartInspire
from mocheong_core.errors import NotFound, ValidationFailed
from mocheong_core.jobs.usecases import JOB_ID_KEY, StartJob
from tests.unit.pages_harness import COMPLETE, Pages, person
from tests.unit.test_jobs import RecordingQueue


class Inspiration:
    def __init__(self) -> None:
        self.site = Pages()
        self.jobs = InMemoryJobRepository()
        self.queue = RecordingQueue()
        start = StartJob(self.jobs, self.queue, InMemoryUnitOfWork(self.jobs), self.site.clock)
        self.start = StartInspire(self.site.pages, start)
        self.inspire = Inspire(self.site.pages, OfflineGreetingWriter())


async def test_a_request_is_queued_for_the_owners_page_with_its_tone_and_count() -> None:
    app = Inspiration()
    owner = person()
    page = await app.site.new_page(owner, COMPLETE)

    job = await app.start(owner, page.id, "formal", 2)

    [(task, payload, job_id)] = app.queue.queued
    assert (task, job_id, job.page_id, job.kind) == (INSPIRE, job.id, page.id, INSPIRE)
    assert payload == {"page_id": page.id, "tone": "formal", "count": 2, JOB_ID_KEY: job.id}
    defaults = await app.start(owner, page.id, None, None)
    assert app.queue.queued[-1][1]["tone"] == "warm"
    assert app.queue.queued[-1][1]["count"] == 3
    assert defaults.owner_id == owner.id


@pytest.mark.parametrize(
    ("tone", "count", "bad"),
    [
        ("sad", 2, ["tone"]),
        ("warm", 0, ["count"]),
        ("warm", 6, ["count"]),
        (1, True, ["tone", "count"]),
    ],
)
async def test_a_bad_tone_or_count_is_refused_naming_the_field(
    tone: Any, count: Any, bad: list[str]
) -> None:
    app = Inspiration()
    owner = person()
    page = await app.site.new_page(owner, COMPLETE)
    with pytest.raises(ValidationFailed) as refused:
        await app.start(owner, page.id, tone, count)
    assert [e.field for e in refused.value.errors] == bad
    assert app.queue.queued == []


async def test_someone_elses_page_is_not_found() -> None:
    app = Inspiration()
    page = await app.site.new_page(person("a"), COMPLETE)
    with pytest.raises(NotFound):
        await app.start(person("b"), page.id, "warm", 1)


@pytest.mark.parametrize("tone", TONES)
async def test_the_drafts_use_the_pages_facts_in_korean_for_korean_names(tone: str) -> None:
    app = Inspiration()
    page = await app.site.new_page(person(), COMPLETE)

    result = await app.inspire(page.id, tone, 5)

    drafts = result["suggestions"]
    assert len(drafts) == len(set(drafts)) == 5
    assert all("김민준" in d and "이서연" in d for d in drafts)
    assert all("2027년 5월 15일 토요일 오후 1시" in d and "더채플앳청담" in d for d in drafts)


async def test_english_names_get_english_drafts() -> None:
    app = Inspiration()
    english = {
        "couple": {"groom": {"name": "Tom"}, "bride": {"name": "Ann"}},
        "ceremony": {"starts_at": "2027-06-05T15:30:00+09:00"},
    }
    page = await app.site.new_page(person(), english)
    [draft] = (await app.inspire(page.id, "warm", 1))["suggestions"]
    assert "Tom and Ann" in draft
    assert "June 5, 2027" in draft
