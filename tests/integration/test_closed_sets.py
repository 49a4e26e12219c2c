"""Closed sets of values: each is an enum with a description in the OpenAPI document, and a
value outside it gets a problem that lists the allowed ones."""

from __future__ import annotations

from typing import Any

import pytest

from entrypoints.http.closed_sets import MEANINGS, describe
from mocheong_core.pages.model import PageStatus
from tests.integration.accounts_http import Client, assert_problem
from tests.integration.pages_helpers import admin_headers, create_complete_page, user_headers


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the document and the messages do not depend on the database


def properties(doc: dict[str, Any], component: str) -> dict[str, Any]:
    return dict(doc["components"]["schemas"][component]["properties"])


def test_every_value_of_every_closed_set_has_a_meaning() -> None:
    for kind, (_, meanings) in MEANINGS.items():
        assert set(meanings) == {member.value for member in kind}, kind
        for member in kind:
            assert f"`{member.value}`: {meanings[member.value]}" in describe(kind)


async def test_the_openapi_document_lists_and_describes_each_closed_set(client: Client) -> None:
    doc = (await client.get("/schema/openapi.json")).json()

    meal = properties(doc, "RsvpIn")["meal"]
    assert meal["enum"] == ["yes", "no", "undecided", None]
    assert "`undecided`: does not know yet" in meal["description"]
    assert properties(doc, "RsvpOut")["meal"]["enum"] == ["yes", "no", "undecided", None]
    assert properties(doc, "GuestIn")["side"]["enum"] == ["groom", "bride"]
    assert properties(doc, "GuestOut")["side"]["enum"] == ["groom", "bride"]
    assert properties(doc, "UserOut")["role"]["enum"] == ["user", "admin"]
    assert properties(doc, "UserPatch")["role"]["enum"] == ["user", "admin", None]
    assert properties(doc, "JobOut")["status"]["enum"] == [
        "queued", "running", "succeeded", "failed"
    ]  # fmt: skip
    assert properties(doc, "MessageOut")["status"]["enum"][0] == "pending"

    for method in ("post", "patch"):
        path = "/api/pages" if method == "post" else "/api/pages/{page_id}"
        body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]
        page = body["schema"]["properties"]
        assert page["theme"]["enum"][0] == "classic"
        assert "`hanok`" in page["theme"]["description"]
        assert "rsvp" in page["sections"]["items"]["properties"]["kind"]["enum"]
        assert "bride_mother" in page["gift_accounts"]["items"]["properties"]["relation"]["enum"]

    status = next(
        p for p in doc["paths"]["/api/admin/pages"]["get"]["parameters"] if p["name"] == "status"
    )
    assert status["description"] == describe(PageStatus)


async def test_a_value_outside_the_set_is_answered_with_the_allowed_ones(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner, rsvp={"ask_meal": True})
    answer = {"name": "홍길동", "side": "groom", "attending": True, "meal": "maybe"}
    response = await client.post(f"/api/public/pages/{page['slug']}/rsvps", json=answer)
    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert errors == [{"field": "meal", "message": "must be one of: yes, no, undecided"}]

    admin = await admin_headers(client)
    me = (await client.get("/api/auth/me", headers=owner)).json()
    response = await client.patch(
        f"/api/admin/users/{me['id']}", json={"role": "owner"}, headers=admin
    )
    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert errors == [{"field": "role", "message": "must be one of: user, admin"}]

    response = await client.get("/api/admin/pages?status=live", headers=admin)
    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert errors == [
        {"field": "status", "message": "must be one of: draft, published, unpublished, archived"}
    ]
