"""Page history and revert over HTTP on SQLite and Postgres (the access matrix of the routes is
in ``test_pages_http.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from dishka import AsyncContainer
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from mocheong_core.accounts.ports import UserRepository
from mocheong_core.pages.errors import EditedSinceAgentChange
from mocheong_core.pages.revert import UndoAgentChange
from mocheong_core.pages.usecases import UpdatePage
from tests.integration.accounts_http import Client, assert_problem
from tests.integration.pages_helpers import (
    COMPLETE_DOCUMENT,
    container_of,
    create_complete_page,
    create_page,
    user_headers,
)


async def history(client: Client, page_id: str, headers: dict[str, str], query: str = "") -> Any:
    response = await client.get(f"/api/pages/{page_id}/history{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_each_change_is_listed_newest_first_with_who_and_what(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner, publish=False)
    await client.patch(f"/api/pages/{page['id']}", json={"greeting": "새 인사"}, headers=owner)
    await client.post(f"/api/pages/{page['id']}/publish", headers=owner)

    listed = await history(client, page["id"], owner)

    assert listed.keys() == {"items"}
    assert [(i["version"], i["by"], i["changed"]) for i in listed["items"]] == [
        (3, "user", ["status"]),
        (2, "user", ["greeting"]),
        (1, "user", ["couple", "ceremony", "venue", "greeting"]),
    ]
    assert all(i.keys() == {"version", "by", "changed", "at"} for i in listed["items"])

    first = await client.get(f"/api/pages/{page['id']}/history/1", headers=owner)
    assert first.status_code == 200
    assert first.json()["document"]["greeting"] == COMPLETE_DOCUMENT["greeting"]
    assert "slug" not in first.json()["document"]
    missing = await client.get(f"/api/pages/{page['id']}/history/9", headers=owner)
    assert_problem(missing, 404, "not_found")


async def test_the_history_pages_with_a_cursor(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_page(client, owner)
    for n in range(4):
        await client.patch(f"/api/pages/{page['id']}", json={"greeting": f"{n}"}, headers=owner)

    first = await history(client, page["id"], owner, "?limit=2")
    second = await history(client, page["id"], owner, f"?limit=2&cursor={first['next']}")
    third = await history(client, page["id"], owner, f"?limit=2&cursor={second['next']}")

    assert [i["version"] for i in first["items"] + second["items"] + third["items"]] == [
        5,
        4,
        3,
        2,
        1,
    ]
    assert "next" not in third
    bad = await client.get(f"/api/pages/{page['id']}/history?cursor=x", headers=owner)
    assert {e["field"] for e in assert_problem(bad, 422, "validation_error")["errors"]} == {
        "cursor"
    }


async def test_revert_makes_a_new_version_guarded_by_if_match(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_complete_page(client, owner)  # v1 created, v2 published
    url = f"/api/pages/{page['id']}"
    await client.patch(url, json={"greeting": "바뀐 인사", "theme": "hanok"}, headers=owner)

    stale = await client.post(
        f"{url}/revert", json={"version": 1}, headers={**owner, "If-Match": '"2"'}
    )
    assert_problem(stale, 409, "version_conflict")

    reverted = await client.post(
        f"{url}/revert", json={"version": 1}, headers={**owner, "If-Match": '"3"'}
    )
    assert reverted.status_code == 200, reverted.text
    assert reverted.headers["etag"] == '"4"'
    body = reverted.json()
    assert (body["version"], body["status"], body["slug"]) == (4, "published", page["slug"])
    assert (body["greeting"], body["theme"]) == (COMPLETE_DOCUMENT["greeting"], "classic")
    newest = (await history(client, page["id"], owner, "?limit=1"))["items"][0]
    assert (newest["changed"], newest["reverts_to"]) == (["greeting", "theme"], 1)

    public = await client.get(f"/api/public/pages/{page['slug']}")
    assert public.json()["greeting"] == COMPLETE_DOCUMENT["greeting"]


async def test_a_bad_revert_body_names_its_field(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_page(client, owner)
    url = f"/api/pages/{page['id']}/revert"

    for body in ({}, {"version": "one"}, {"version": 0}, {"version": 1, "extra": True}):
        refused = await client.post(url, json=body, headers=owner)
        assert assert_problem(refused, 422, "validation_error")["errors"], body
    gone = await client.post(url, json={"version": 7}, headers=owner)
    assert_problem(gone, 404, "not_found")


async def test_reverting_a_live_page_to_an_incomplete_version_is_refused(client: Client) -> None:
    owner = await user_headers(client)
    page = await create_page(client, owner)  # v1: nothing guests need
    url = f"/api/pages/{page['id']}"
    await client.patch(url, json=COMPLETE_DOCUMENT, headers=owner)
    await client.post(f"{url}/publish", headers=owner)

    refused = await client.post(f"{url}/revert", json={"version": 1}, headers=owner)

    fields = {e["field"] for e in assert_problem(refused, 422, "validation_error")["errors"]}
    assert "venue.name" in fields
    assert (await client.get(url, headers=owner)).json()["version"] == 3


async def undo_as(container: AsyncContainer, user_id: str, page_id: str) -> None:
    async with container() as request:
        user = await (await request.get(UserRepository)).get(user_id)
        assert user is not None
        await (await request.get(UndoAgentChange))(user, page_id)


async def agent_update(container: AsyncContainer, user_id: str, page_id: str, patch: Any) -> None:
    async with container() as request:
        user = await (await request.get(UserRepository)).get(user_id)
        assert user is not None
        await (await request.get(UpdatePage))(user, page_id, patch, by="agent", agent="context")


async def test_an_agent_change_is_undone_unless_the_couple_edited_it_since(
    client: Client,
) -> None:
    owner = await user_headers(client)
    page = await create_page(client, owner, greeting="처음")
    url = f"/api/pages/{page['id']}"
    container = container_of(client)
    owner_id = page["owner_id"]

    await agent_update(container, owner_id, page["id"], {"greeting": "AI", "theme": "modern"})
    agent_entry = (await history(client, page["id"], owner, "?limit=1"))["items"][0]
    assert (agent_entry["by"], agent_entry["agent"]) == ("agent", "context")

    await undo_as(container, owner_id, page["id"])
    undone = (await client.get(url, headers=owner)).json()
    assert (undone["version"], undone["greeting"], undone["theme"]) == (3, "처음", "classic")

    await agent_update(container, owner_id, page["id"], {"greeting": "AI 두 번째"})
    await client.patch(url, json={"greeting": "내가 쓴 인사"}, headers=owner)
    with pytest.raises(EditedSinceAgentChange) as refused:
        await undo_as(container, owner_id, page["id"])
    assert refused.value.fields == ("greeting",)
    assert (await client.get(url, headers=owner)).json()["greeting"] == "내가 쓴 인사"


async def test_the_history_keeps_its_limit(settings: Settings) -> None:
    capped = evolve(settings, page_history_max=2)
    async with AsyncTestClient(create_app(capped)) as client:
        owner = await user_headers(client)
        page = await create_page(client, owner)
        for n in range(3):
            url = f"/api/pages/{page['id']}"
            await client.patch(url, json={"greeting": f"{n}"}, headers=owner)

        listed = await history(client, page["id"], owner, "?limit=100")
        assert [i["version"] for i in listed["items"]] == [4, 3]
        dropped = await client.get(f"/api/pages/{page['id']}/history/2", headers=owner)
        assert_problem(dropped, 404, "not_found")


async def test_the_openapi_document_describes_the_history_routes(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]

    listing = paths["/api/pages/{page_id}/history"]["get"]
    assert {"limit", "cursor"} <= {p["name"] for p in listing["parameters"]}
    assert "application/json" in listing["responses"]["200"]["content"]
    assert "/api/pages/{page_id}/history/{version}" in paths
    revert = paths["/api/pages/{page_id}/revert"]["post"]
    assert "If-Match" in {p["name"] for p in revert["parameters"]}
    assert "application/problem+json" in revert["responses"]["422"]["content"]
