"""Guests, RSVP and guestbook over HTTP on SQLite and Postgres."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from dishka import Provider, Scope, provide
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from mocheong_core.guests.usecases import RecordGuestOpen
from mocheong_core.kernel.clock import Clock
from tests.integration.accounts_http import Client, assert_problem
from tests.integration.pages_helpers import (
    container_of,
    create_complete_page,
    create_page,
    user_headers,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Limits generous enough that only the rate-limit test meets them."""
    return evolve(settings, rate_rsvp_per_ip=1000, rate_guestbook_per_ip=1000)


async def add_guest(
    client: Client, page: dict[str, Any], owner: dict[str, str], **body: Any
) -> Any:
    response = await client.post(
        f"/api/pages/{page['id']}/guests",
        json={"name": "홍길동", "side": "groom", **body},
        headers=owner,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def answer(client: Client, slug: str, **body: Any) -> Any:
    return await client.post(f"/api/public/pages/{slug}/rsvps", json=body)


async def test_guests_get_personal_links_and_their_visits_and_answers_are_tracked(
    client: Client,
) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner)
    guest = await add_guest(client, page, owner, group="회사 동료", phone="010-2222-3333")
    assert guest["link"] == f"http://testserver.local/i/{page['slug']}?g={guest['token']}"
    assert (guest["opened_at"], guest["responded_at"]) == (None, None)

    async with container_of(client)() as request:
        await (await request.get(RecordGuestOpen))(page["slug"], guest["token"])
    assert (
        await answer(client, page["slug"], attending=True, guest_token=guest["token"])
    ).status_code == 201

    listed = (await client.get(f"/api/pages/{page['id']}/guests", headers=owner)).json()
    assert [g["id"] for g in listed["items"]] == [guest["id"]]
    assert listed["items"][0]["opened_at"] is not None
    assert listed["items"][0]["responded_at"] is not None

    changed = await client.patch(
        f"/api/pages/{page['id']}/guests/{guest['id']}",
        json={"group": None, "side": "bride"},
        headers=owner,
    )
    assert (changed.json()["group"], changed.json()["side"], changed.json()["phone"]) == (
        None,
        "bride",
        "010-2222-3333",
    )
    bad = await client.post(
        f"/api/pages/{page['id']}/guests", json={"name": " ", "side": "uncle"}, headers=owner
    )
    assert {e["field"] for e in assert_problem(bad, 422, "validation_error")["errors"]} == {
        "name",
        "side",
    }
    gone = await client.delete(f"/api/pages/{page['id']}/guests/{guest['id']}", headers=owner)
    assert gone.status_code == 204
    rsvps = (await client.get(f"/api/pages/{page['id']}/rsvps", headers=owner)).json()
    assert [r["guest_id"] for r in rsvps["items"]] == [None]


async def test_links_are_absolute_with_a_public_base_url(settings: Settings) -> None:
    configured = evolve(settings, public_base_url="https://mocheong.example/")
    async with AsyncTestClient(create_app(configured)) as client:
        owner = await user_headers(client)
        page = await create_page(client, owner)
        guest = await add_guest(client, page, owner)
    assert guest["link"] == f"https://mocheong.example/i/{page['slug']}?g={guest['token']}"


async def test_a_guest_answers_once_and_answering_again_updates_it(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner, rsvp={"ask_meal": True})
    guest = await add_guest(client, page, owner, side="bride")

    first = await answer(
        client, page["slug"], attending=True, party_size=2, meal="yes", guest_token=guest["token"]
    )
    second = await answer(
        client, page["slug"], attending=True, party_size=3, meal="no", guest_token=guest["token"]
    )

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert (second.json()["name"], second.json()["side"], second.json()["party_size"]) == (
        "홍길동",
        "bride",
        3,
    )
    listed = (await client.get(f"/api/pages/{page['id']}/rsvps", headers=owner)).json()
    assert [(r["id"], r["meal"]) for r in listed["items"]] == [(first.json()["id"], "no")]


async def test_answers_are_validated_field_by_field(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner)

    response = await answer(client, page["slug"], party_size=99, note="메모" * 300)

    body = assert_problem(response, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {
        "name",
        "side",
        "attending",
        "party_size",
        "note",
    }
    assert_problem(await answer(client, "no-such-page", attending=True), 404, "not_found")


@pytest.mark.parametrize("rsvp", [{"deadline": "2020-01-01T00:00:00+09:00"}, {"enabled": False}])
async def test_answers_are_refused_after_the_deadline_or_when_closed(
    client: Client, rsvp: dict[str, Any]
) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner, rsvp=rsvp)

    response = await answer(client, page["slug"], name="김철수", side="groom", attending=True)

    assert_problem(response, 409, "rsvp_closed")
    reopened = await client.patch(f"/api/pages/{page['id']}", json={"rsvp": None}, headers=owner)
    assert reopened.json()["rsvp"]["enabled"] is True
    assert (
        await answer(client, page["slug"], name="김철수", side="groom", attending=True)
    ).status_code == 201


async def test_the_summary_counts_heads_and_meals_of_those_attending(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner, rsvp={"ask_meal": True})
    for side, attending, size, meal in [
        ("groom", True, 2, "yes"),
        ("groom", False, 5, "yes"),
        ("bride", True, 1, "undecided"),
        ("bride", True, 3, None),
    ]:
        response = await answer(
            client,
            page["slug"],
            name="손님",
            side=side,
            attending=attending,
            party_size=size,
            meal=meal,
        )
        assert response.status_code == 201, response.text

    summary = (await client.get(f"/api/pages/{page['id']}/rsvps/summary", headers=owner)).json()

    assert summary["total"] == {
        "responses": 4,
        "attending": 3,
        "declined": 1,
        "headcount": 6,
        "meals": {"yes": 2, "no": 0, "undecided": 1, "unspecified": 3},
    }
    assert summary["by_side"]["groom"]["headcount"] == 2
    assert summary["by_side"]["bride"]["headcount"] == 4


async def test_the_csv_has_a_bom_korean_text_and_no_live_formulas(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner)
    await answer(
        client, page["slug"], name="김철수", side="groom", attending=True, note="축하합니다"
    )
    await answer(client, page["slug"], name="=1+2", side="bride", attending=False, note="@SUM(A1)")

    response = await client.get(f"/api/pages/{page['id']}/rsvps.csv", headers=owner)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="rsvps-{page["slug"]}.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["이름", "구분", "참석 여부", "인원", "식사", "메모", "응답 시각"]
    assert rows[1][:6] == ["김철수", "신랑측", "참석", "1", "", "축하합니다"]
    assert rows[2][:6] == ["'=1+2", "신부측", "불참", "1", "", "'@SUM(A1)"]


async def test_guestbook_limits_and_no_hashes(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner)
    url = f"/api/public/pages/{page['slug']}/guestbook"

    refused = await client.post(
        url, json={"name": "가" * 21, "message": "나" * 201, "password": "123"}
    )
    body = assert_problem(refused, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {"name", "message", "password"}
    blank = await client.post(url, json={"name": "철수", "message": "   ", "password": "1234"})
    assert {e["field"] for e in assert_problem(blank, 422, "validation_error")["errors"]} == {
        "message"
    }

    created = await client.post(
        url, json={"name": "가" * 20, "message": "나" * 200, "password": "1234"}
    )
    assert created.status_code == 201
    assert created.json().keys() == {"id", "name", "message", "created_at"}
    listed = await client.get(url)
    assert listed.json()["items"][0].keys() == {"id", "name", "message", "created_at"}
    assert "argon2" not in listed.text
    assert "password" not in listed.text


async def test_guestbook_is_newest_first_page_by_page(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner)
    url = f"/api/public/pages/{page['slug']}/guestbook"
    ids = []
    for i in range(5):
        response = await client.post(
            url, json={"name": f"손님{i}", "message": "축하해요", "password": "1234"}
        )
        ids.append(response.json()["id"])

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        result = (await client.get(url, params=params)).json()
        seen += [e["id"] for e in result["items"]]
        if (cursor := result["next_cursor"]) is None:
            break
    assert seen == ids[::-1]


async def test_an_entry_is_deleted_with_its_password_or_by_the_owner(client: Client) -> None:
    owner, stranger = await user_headers(client), await user_headers(client, "남")
    page = await create_complete_page(client, owner)
    url = f"/api/public/pages/{page['slug']}/guestbook"
    first = (
        await client.post(url, json={"name": "철수", "message": "축하", "password": "1234"})
    ).json()
    second = (
        await client.post(url, json={"name": "영희", "message": "축하", "password": "5678"})
    ).json()

    wrong = await client.request("DELETE", f"{url}/{first['id']}", json={"password": "0000"})
    assert_problem(wrong, 403, "wrong_password")
    not_owner = await client.request("DELETE", f"{url}/{first['id']}", headers=stranger)
    assert_problem(not_owner, 422, "validation_error")
    bad_token = await client.delete(
        f"{url}/{first['id']}", headers={"Authorization": "Bearer nope"}
    )
    assert_problem(bad_token, 401, "invalid_token")

    right = await client.request("DELETE", f"{url}/{first['id']}", json={"password": "1234"})
    assert right.status_code == 204
    by_owner = await client.delete(f"{url}/{second['id']}", headers=owner)
    assert by_owner.status_code == 204
    assert (await client.get(url)).json()["items"] == []
    assert_problem(
        await client.request("DELETE", f"{url}/{first['id']}", json={"password": "1234"}),
        404,
        "not_found",
    )


async def test_unpublished_pages_have_no_public_rsvp_or_guestbook(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_page(client, owner)
    base = f"/api/public/pages/{page['slug']}"

    assert_problem(
        await answer(client, page["slug"], name="x", side="groom", attending=True), 404, "not_found"
    )
    signed = await client.post(
        f"{base}/guestbook", json={"name": "x", "message": "y", "password": "1234"}
    )
    assert_problem(signed, 404, "not_found")
    assert_problem(await client.get(f"{base}/guestbook"), 404, "not_found")


@attrs.frozen
class FrozenClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


class FrozenClockProvider(Provider):
    """Every request of the test falls in the same one-minute window, whenever it runs."""

    @provide(scope=Scope.APP, override=True)
    def clock(self) -> Clock:
        return FrozenClock(datetime(2027, 1, 10, 3, 0, 15, tzinfo=UTC))


async def test_public_posting_is_rate_limited_per_ip(settings: Settings) -> None:
    limited = evolve(settings, rate_rsvp_per_ip=2, rate_guestbook_per_ip=1)
    async with AsyncTestClient(create_app(limited, FrozenClockProvider())) as client:
        owner = await user_headers(client)
        page = await create_complete_page(client, owner)
        rsvp = {"name": "김철수", "side": "groom", "attending": True}
        entry = {"name": "철수", "message": "축하", "password": "1234"}
        statuses = [(await answer(client, page["slug"], **rsvp)).status_code for _ in range(3)]
        signed = [
            await client.post(f"/api/public/pages/{page['slug']}/guestbook", json=entry)
            for _ in range(2)
        ]

    assert statuses[:2] == [201, 201]
    assert statuses[2] == 429
    assert signed[0].status_code == 201
    assert_problem(signed[1], 429, "rate_limited")
    assert signed[1].headers["retry-after"] == "45"
