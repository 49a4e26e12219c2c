"""A page made with the couple's names lives at their romanized given names; an owner who adds
the names later asks for the suggestion and PATCHes it."""

from __future__ import annotations

import pytest

from tests.integration.accounts_http import Client, assert_problem
from tests.integration.pages_helpers import create_page, user_headers


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def test_the_address_comes_from_the_couples_names(client: Client) -> None:
    owner = await user_headers(client)
    couple = {"groom": {"name": "김민준"}, "bride": {"name": "이서연"}}
    assert (await create_page(client, owner, couple=couple))["slug"] == "minjun-seoyeon"

    later = await create_page(client, owner)
    patched = await client.patch(
        f"/api/pages/{later['id']}", json={"couple": couple}, headers=owner
    )
    assert patched.status_code == 200, patched.text
    suggestion = await client.get(f"/api/pages/{later['id']}/slug-suggestion", headers=owner)
    assert suggestion.json() == {"slug": "minjun-seoyeon-2"}
    taken = await client.patch(
        f"/api/pages/{later['id']}", json={"slug": suggestion.json()["slug"]}, headers=owner
    )
    assert taken.json()["slug"] == "minjun-seoyeon-2"

    stranger = await user_headers(client)
    response = await client.get(f"/api/pages/{later['id']}/slug-suggestion", headers=stranger)
    assert_problem(response, 404, "not_found")
