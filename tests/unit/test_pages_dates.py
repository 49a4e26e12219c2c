"""The page's dates: a ceremony in the past does not go live, the RSVP deadline comes before
the ceremony, and answers close when either passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mocheong_core.errors import ValidationFailed
from mocheong_core.guests.errors import RsvpClosed
from mocheong_core.pages.dates import CeremonyPassed, DeadlineAfterCeremony
from tests.unit.pages_harness import COMPLETE, Pages, person
from tests.unit.test_public_page import view_at

CEREMONY = datetime(2027, 5, 15, 4, 0, tzinfo=UTC)  # COMPLETE's, 13:00 in Seoul
ANSWER = {"name": "홍길동", "side": "groom", "attending": True}


@pytest.fixture
def app() -> Pages:
    return Pages()


def fields(error: ValidationFailed) -> list[str]:
    return [e.field for e in error.errors]


async def test_a_page_whose_ceremony_has_passed_is_not_published(app: Pages) -> None:
    owner = person()
    page = await app.new_page(
        owner, {**COMPLETE, "ceremony": {"starts_at": "2020-01-01T12:00:00+09:00"}}
    )
    with pytest.raises(CeremonyPassed) as refused:
        await app.run(app.publish(owner, page.id))
    assert refused.value.code == "ceremony_passed"
    assert fields(refused.value) == ["ceremony.starts_at"]
    assert (await app.run(app.get(owner, page.id))).status == "draft"


async def test_a_live_page_stays_editable_after_the_wedding_but_not_republishable(
    app: Pages,
) -> None:
    owner = person()
    page = await app.live_page(owner)
    app.clock.at = CEREMONY + timedelta(days=3)

    thanked = await app.run(app.update(owner, page.id, {"greeting": "와 주셔서 감사합니다."}))
    assert thanked.content.greeting == "와 주셔서 감사합니다."
    assert thanked.status == "published"

    await app.run(app.unpublish(owner, page.id))
    with pytest.raises(CeremonyPassed):
        await app.run(app.publish(owner, page.id))


@pytest.mark.parametrize("deadline", ["2027-05-15T13:00:00+09:00", "2027-05-16T09:00:00+09:00"])
async def test_the_rsvp_deadline_comes_before_the_ceremony(app: Pages, deadline: str) -> None:
    owner = person()
    with pytest.raises(DeadlineAfterCeremony) as on_create:
        await app.new_page(owner, {**COMPLETE, "rsvp": {"deadline": deadline}})
    assert on_create.value.code == "rsvp_deadline_after_ceremony"
    assert fields(on_create.value) == ["rsvp.deadline"]

    page = await app.live_page(owner, rsvp={"deadline": "2027-05-08T18:00:00+09:00"})
    with pytest.raises(DeadlineAfterCeremony):
        await app.run(app.update(owner, page.id, {"rsvp": {"deadline": deadline}}))
    # Moving the ceremony before the deadline is the same mistake from the other side.
    with pytest.raises(DeadlineAfterCeremony):
        await app.run(
            app.update(owner, page.id, {"ceremony": {"starts_at": "2027-05-08T12:00:00+09:00"}})
        )


async def test_answers_close_when_the_ceremony_starts_without_a_deadline(app: Pages) -> None:
    page = await app.live_page(person())
    app.clock.at = CEREMONY
    await app.run(app.submit_rsvp(page.slug, ANSWER))  # the instant itself still counts
    app.clock.advance(1)
    with pytest.raises(RsvpClosed):
        await app.run(app.submit_rsvp(page.slug, ANSWER))


def test_the_rendering_ends_and_the_form_closes_at_the_ceremony() -> None:
    seoul = ZoneInfo("Asia/Seoul")
    morning = view_at(datetime(2027, 5, 15, 1, tzinfo=UTC))
    assert morning.rsvp_open
    assert morning.valid_until == datetime(2027, 5, 15, 13, tzinfo=seoul)
    after = view_at(CEREMONY + timedelta(days=2527))
    assert not after.rsvp_open
    assert after.dday.label == "D+2527"
