"""Guests, RSVP (rules, totals, CSV) and the guestbook, driven with the in-memory twins."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mocheong_core.errors import NotFound, ValidationFailed
from mocheong_core.guests.errors import GuestListFull, RsvpClosed, WrongPassword
from mocheong_core.guests.export import HEADER, rsvps_csv
from mocheong_core.guests.model import GuestsPolicy, Meal, Rsvp, RsvpSummary, Side
from tests.unit.pages_harness import Pages, person

FIXTURE_OK = settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def app() -> Pages:
    return Pages(guests_policy=GuestsPolicy(party_size_max=5, guests_max=3))


def fields(error: ValidationFailed) -> set[str]:
    return {e.field for e in error.errors}


# -- the guest list ------------------------------------------------------------------------


async def test_a_guest_gets_a_long_random_token_and_partial_updates(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner)

    guest = await app.run(
        app.add_guest(owner, page.id, {"name": " 홍길동 ", "side": "bride", "group": "대학 동기"})
    )
    other = await app.run(app.add_guest(owner, page.id, {"name": "김철수", "side": "groom"}))
    assert guest.name == "홍길동"
    assert guest.side is Side.BRIDE
    assert len(guest.token) >= 22
    assert guest.token != other.token

    changed = await app.run(
        app.update_guest(owner, page.id, guest.id, {"group": None, "phone": "010-9876-5432"})
    )
    assert (changed.name, changed.group, changed.phone) == ("홍길동", None, "010-9876-5432")
    assert changed.token == guest.token


async def test_bad_guest_fields_are_all_reported(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner)

    with pytest.raises(ValidationFailed) as caught:
        await app.run(app.add_guest(owner, page.id, {"name": "", "side": "uncle", "phone": "x"}))
    assert fields(caught.value) == {"name", "side", "phone"}
    guest = await app.run(app.add_guest(owner, page.id, {"name": "홍길동", "side": "groom"}))
    with pytest.raises(ValidationFailed) as caught:
        await app.run(app.update_guest(owner, page.id, guest.id, {"name": None, "side": None}))
    assert fields(caught.value) == {"name", "side"}


async def test_the_guest_list_is_the_owners_alone_and_has_a_limit(app: Pages) -> None:
    owner, stranger = person(), person("Stranger")
    page = await app.new_page(owner)
    guests = [
        await app.run(app.add_guest(owner, page.id, {"name": f"손님{i}", "side": "groom"}))
        for i in range(3)
    ]

    with pytest.raises(GuestListFull):
        await app.run(app.add_guest(owner, page.id, {"name": "넷째", "side": "groom"}))
    first = await app.list_guests(owner, page.id, limit=2, cursor=None)
    rest = await app.list_guests(owner, page.id, limit=2, cursor=first.next_cursor)
    assert [g.id for g in first.items + rest.items] == [g.id for g in reversed(guests)]
    assert rest.next_cursor is None

    for call in (
        app.list_guests(stranger, page.id, limit=2, cursor=None),
        app.add_guest(stranger, page.id, {"name": "x", "side": "groom"}),
        app.update_guest(stranger, page.id, guests[0].id, {"name": "y"}),
        app.delete_guest(stranger, page.id, guests[0].id),
    ):
        with pytest.raises(NotFound):
            await app.run(call)
    other_page = await app.new_page(owner)
    with pytest.raises(NotFound):
        await app.run(app.delete_guest(owner, other_page.id, guests[0].id))


async def test_opening_a_personal_link_is_recorded_once(app: Pages) -> None:
    owner = person()
    page = await app.live_page(owner)
    guest = await app.run(app.add_guest(owner, page.id, {"name": "홍길동", "side": "groom"}))
    first_open = app.clock.now()

    await app.run(app.record_open(page.slug, guest.token))
    app.clock.advance(3600)
    await app.run(app.record_open(page.slug, guest.token))
    await app.run(app.record_open(page.slug, "unknown-token"))
    await app.run(app.record_open("no-such-page", guest.token))

    stored = await app.guests.get(guest.id)
    assert stored is not None
    assert stored.opened_at == first_open


async def test_opening_a_link_to_an_unpublished_page_records_nothing(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner)
    guest = await app.run(app.add_guest(owner, page.id, {"name": "홍길동", "side": "groom"}))

    await app.run(app.record_open(page.slug, guest.token))

    stored = await app.guests.get(guest.id)
    assert stored is not None
    assert stored.opened_at is None


# -- RSVP ----------------------------------------------------------------------------------


async def test_an_answer_without_a_link_needs_name_side_and_attendance(app: Pages) -> None:
    page = await app.live_page(person())

    with pytest.raises(ValidationFailed) as caught:
        await app.run(app.submit_rsvp(page.slug, {"party_size": 0, "note": "x" * 501}))
    assert fields(caught.value) == {"name", "side", "attending", "party_size", "note"}

    answer = {"name": "김철수", "side": "groom", "attending": True}
    one = await app.run(app.submit_rsvp(page.slug, answer))
    two = await app.run(app.submit_rsvp(page.slug, answer))
    assert one.created
    assert two.created
    assert one.rsvp.id != two.rsvp.id
    assert (one.rsvp.party_size, one.rsvp.guest_id) == (1, None)


@FIXTURE_OK
@given(size=st.integers(-3, 9))
async def test_party_size_is_bounded_by_the_setting(app: Pages, size: int) -> None:
    page = await app.live_page(person())
    answer = {"name": "김철수", "side": "groom", "attending": True, "party_size": size}

    if 1 <= size <= 5:
        assert (await app.run(app.submit_rsvp(page.slug, answer))).rsvp.party_size == size
    else:
        with pytest.raises(ValidationFailed) as caught:
            await app.run(app.submit_rsvp(page.slug, answer))
        assert fields(caught.value) == {"party_size"}


async def test_a_guest_link_answers_once_and_a_second_answer_replaces_it(app: Pages) -> None:
    owner = person()
    page = await app.live_page(owner, rsvp={"ask_meal": True})
    guest = await app.run(app.add_guest(owner, page.id, {"name": "홍길동", "side": "bride"}))

    first = await app.run(
        app.submit_rsvp(page.slug, {"guest_token": guest.token, "attending": True, "meal": "yes"})
    )
    app.clock.advance(60)
    second = await app.run(
        app.submit_rsvp(
            page.slug, {"guest_token": guest.token, "attending": False, "name": "홍길동 외 1명"}
        )
    )

    assert first.created
    assert not second.created
    assert second.rsvp.id == first.rsvp.id
    assert (first.rsvp.name, first.rsvp.side, first.rsvp.meal) == ("홍길동", Side.BRIDE, Meal.YES)
    assert (second.rsvp.name, second.rsvp.attending) == ("홍길동 외 1명", False)
    assert second.rsvp.updated_at == first.rsvp.updated_at + timedelta(seconds=60)
    assert [r.id for r in (await app.list_rsvps(owner, page.id, limit=10, cursor=None)).items] == [
        first.rsvp.id
    ]
    stored = await app.guests.get(guest.id)
    assert stored is not None
    assert stored.responded_at == second.rsvp.updated_at


async def test_an_unknown_guest_link_is_refused(app: Pages) -> None:
    page = await app.live_page(person())
    with pytest.raises(ValidationFailed) as caught:
        await app.run(app.submit_rsvp(page.slug, {"guest_token": "nope", "attending": True}))
    assert fields(caught.value) == {"guest_token"}


async def test_the_meal_is_kept_only_when_the_page_asks(app: Pages) -> None:
    page = await app.live_page(person())
    answer = {"name": "김철수", "side": "groom", "attending": True, "meal": "no"}

    assert (await app.run(app.submit_rsvp(page.slug, answer))).rsvp.meal is None
    with pytest.raises(ValidationFailed) as caught:
        await app.run(app.submit_rsvp(page.slug, {**answer, "meal": "steak"}))
    assert fields(caught.value) == {"meal"}


async def test_answers_close_at_the_deadline_or_when_turned_off(app: Pages) -> None:
    owner = person()
    deadline = app.clock.now() + timedelta(hours=1)
    page = await app.live_page(owner, rsvp={"deadline": deadline.isoformat()})
    answer = {"name": "김철수", "side": "groom", "attending": True}

    app.clock.at = deadline
    await app.run(app.submit_rsvp(page.slug, answer))
    app.clock.advance(1)
    with pytest.raises(RsvpClosed):
        await app.run(app.submit_rsvp(page.slug, answer))

    await app.run(app.update(owner, page.id, {"rsvp": {"deadline": None, "enabled": False}}))
    with pytest.raises(RsvpClosed):
        await app.run(app.submit_rsvp(page.slug, answer))


async def test_unpublished_pages_take_no_answers_or_entries(app: Pages) -> None:
    page = await app.new_page(person())
    with pytest.raises(NotFound):
        await app.run(app.submit_rsvp(page.slug, {"name": "x", "side": "groom", "attending": 1}))
    with pytest.raises(NotFound):
        await app.run(app.sign(page.slug, "철수", "축하해요", "1234"))
    with pytest.raises(NotFound):
        await app.guestbook(page.slug, limit=10, cursor=None)


def rsvp(side: Side, attending: bool, size: int, meal: Meal | None) -> Rsvp:
    at = datetime(2027, 5, 1, 5, 3, tzinfo=UTC)
    return Rsvp("id", "page", None, "김철수", side, attending, size, meal, None, at, at)


answers = st.lists(
    st.builds(
        rsvp,
        st.sampled_from(Side),
        st.booleans(),
        st.integers(1, 10),
        st.none() | st.sampled_from(Meal),
    ),
    max_size=30,
)


@given(answers)
def test_totals_count_heads_and_meals_of_those_attending_only(rsvps: list[Rsvp]) -> None:
    summary = RsvpSummary.of(rsvps)
    coming = [r for r in rsvps if r.attending]

    assert summary.total.responses == len(rsvps)
    assert summary.total.attending == len(coming)
    assert summary.total.declined == len(rsvps) - len(coming)
    assert summary.total.headcount == sum(r.party_size for r in coming)
    assert sum(summary.total.meals.values()) == summary.total.headcount
    for side in Side:
        tally = summary.by_side[side]
        assert tally.headcount == sum(r.party_size for r in coming if r.side is side)
    for key in ("responses", "attending", "declined", "headcount"):
        assert getattr(summary.total, key) == sum(getattr(t, key) for t in summary.by_side.values())


async def test_the_summary_is_the_owners(app: Pages) -> None:
    owner = person()
    page = await app.live_page(owner, rsvp={"ask_meal": True})
    for side, attending, size, meal in [
        ("groom", True, 2, "yes"),
        ("groom", False, 4, "yes"),
        ("bride", True, 3, "undecided"),
        ("bride", True, 1, None),
    ]:
        answer = {"name": "손님", "side": side, "attending": attending, "party_size": size}
        await app.run(app.submit_rsvp(page.slug, {**answer, "meal": meal}))

    summary = await app.summarize(owner, page.id)
    assert (summary.total.headcount, summary.total.declined) == (6, 1)
    assert summary.total.meals == {"yes": 2, "no": 0, "undecided": 3, "unspecified": 1}
    assert summary.by_side[Side.GROOM].headcount == 2
    with pytest.raises(NotFound):
        await app.summarize(person(), page.id)


cells = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)


@given(name=cells, note=cells)
def test_csv_keeps_text_and_defuses_formulas(name: str, note: str) -> None:
    row = rsvp(Side.BRIDE, True, 2, Meal.UNDECIDED)
    row.name, row.note = name or "x", note or None
    data = rsvps_csv([row], "Asia/Seoul")

    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert parsed[0] == list(HEADER)
    for cell, original in ((parsed[1][0], row.name), (parsed[1][5], row.note or "")):
        if original.startswith(("=", "+", "-", "@", "\t", "\r")):
            assert cell == "'" + original
        else:
            assert cell == original
    assert parsed[1][1:5] == ["신부측", "참석", "2", "미정"]
    assert parsed[1][6] == "2027-05-01 14:03"


async def test_the_export_is_named_after_the_page_and_is_the_owners(app: Pages) -> None:
    owner = person()
    page = await app.live_page(owner)
    await app.run(
        app.submit_rsvp(page.slug, {"name": "=HYPERLINK()", "side": "groom", "attending": False})
    )

    export = await app.export(owner, page.id)
    assert export.filename == f"rsvps-{page.slug}.csv"
    assert b"'=HYPERLINK()" in export.content
    assert "불참".encode() in export.content
    with pytest.raises(NotFound):
        await app.export(person(), page.id)


# -- guestbook -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message", "password", "bad"),
    [
        ("가" * 20, "나" * 200, "1234", set()),
        ("  철수  ", "  축하해요\n행복하세요  ", "x" * 64, set()),
        ("가" * 21, "   ", "123", {"name", "message", "password"}),
        ("", "나" * 201, "x" * 65, {"name", "message", "password"}),
        ("철수\x07", "축하", "1234", {"name"}),
    ],
)
async def test_guestbook_limits(
    app: Pages, name: str, message: str, password: str, bad: set[str]
) -> None:
    page = await app.live_page(person())
    if not bad:
        entry = await app.run(app.sign(page.slug, name, message, password))
        assert (entry.name, entry.message) == (name.strip(), message.strip())
        return
    with pytest.raises(ValidationFailed) as caught:
        await app.run(app.sign(page.slug, name, message, password))
    assert fields(caught.value) == bad


async def test_guestbook_passwords_are_hashed(app: Pages) -> None:
    page = await app.live_page(person())
    entry = await app.run(app.sign(page.slug, "철수", "축하해요", "비밀번호"))

    assert "비밀번호" not in entry.password_hash
    assert entry.password_hash.startswith("$argon2id$")
    assert app.hasher.verify(entry.password_hash, "비밀번호")


async def test_guestbook_is_newest_first_page_by_page(app: Pages) -> None:
    page = await app.live_page(person())
    ids = [(await app.run(app.sign(page.slug, f"손님{i}", "축하", "1234"))).id for i in range(5)]

    seen: list[str] = []
    cursor = None
    while True:
        result = await app.guestbook(page.slug, limit=2, cursor=cursor)
        seen += [e.id for e in result.items]
        if (cursor := result.next_cursor) is None:
            break
    assert seen == ids[::-1]


async def test_an_entry_is_deleted_with_its_password_or_by_the_owner(app: Pages) -> None:
    owner = person()
    page = await app.live_page(owner)
    mine = await app.run(app.sign(page.slug, "철수", "축하", "1234"))
    theirs = await app.run(app.sign(page.slug, "영희", "축하", "5678"))

    with pytest.raises(WrongPassword):
        await app.run(app.unsign(page.slug, mine.id, password="5678", actor=None))
    with pytest.raises(WrongPassword):
        await app.run(app.unsign(page.slug, mine.id, password="5678", actor=person()))
    with pytest.raises(ValidationFailed):
        await app.run(app.unsign(page.slug, mine.id, password=None, actor=None))
    await app.run(app.unsign(page.slug, mine.id, password="1234", actor=None))
    await app.run(app.unsign(page.slug, theirs.id, password=None, actor=owner))

    assert (await app.guestbook(page.slug, limit=10, cursor=None)).items == []
    with pytest.raises(NotFound):
        await app.run(app.unsign(page.slug, mine.id, password="1234", actor=None))


async def test_an_entry_belongs_to_its_own_page(app: Pages) -> None:
    owner = person()
    page, other = await app.live_page(owner), await app.live_page(owner)
    entry = await app.run(app.sign(page.slug, "철수", "축하", "1234"))

    with pytest.raises(NotFound):
        await app.run(app.unsign(other.slug, entry.id, password=None, actor=owner))


async def test_the_owner_tidies_the_guestbook_of_an_unpublished_page(app: Pages) -> None:
    owner = person()
    page = await app.live_page(owner)
    entry = await app.run(app.sign(page.slug, "철수", "축하", "1234"))
    await app.run(app.unpublish(owner, page.id))

    with pytest.raises(NotFound):
        await app.run(app.unsign(page.slug, entry.id, password="1234", actor=None))
    await app.run(app.unsign(page.slug, entry.id, password=None, actor=owner))
