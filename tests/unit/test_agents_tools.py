"""The tools act through the page use cases on the session's page alone."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mocheong_core.agents.policy import AgentPolicy
from mocheong_core.agents.ports import Place
from mocheong_core.agents.tools import SPECS, Toolbox, Workspace
from mocheong_core.pages.content import CONTENT_FIELDS
from mocheong_core.pages.errors import VersionConflict
from tests.unit.agents_harness import OTHER_PAGE, Agents, ListGeocoder, ScriptedModel, owner
from tests.unit.chat_harness import OWNER, PAGE

NAMES = {"couple": {"groom": {"name": "김도윤"}, "bride": {"name": "박하은"}}}


async def toolbox(agents: Agents, agent: str = "context") -> Toolbox:
    page = await agents.page()
    space = Workspace(OWNER, PAGE, page.content.dump(), agent)
    return Toolbox(agents.desk, agents.geocoder, AgentPolicy(), space)


def body(content: str) -> dict[str, Any]:
    return dict(json.loads(content))


@pytest.mark.parametrize(
    "patch",
    [
        {"id": OTHER_PAGE, **NAMES},
        {"slug": "taken-over"},
        {"status": "published"},
        {"plan": "premium"},
        {"version": 1},
        {"owner_id": "user-stranger"},
        {"page_id": OTHER_PAGE},
    ],
)
async def test_update_page_refuses_anything_but_content_and_leaves_the_page_as_it_was(
    patch: dict[str, Any],
) -> None:
    agents = await Agents(ScriptedModel([])).start()
    tools = await toolbox(agents)
    before, other = await agents.page(), await agents.page(OTHER_PAGE)

    result = await tools.call("context", "update_page", json.dumps({"patch": patch}))

    assert result.is_error
    assert body(result.content)["error"] == "validation_error"
    assert await agents.page() == before
    assert await agents.page(OTHER_PAGE) == other
    assert agents.site.events.events == []


async def test_a_page_id_in_the_arguments_reaches_no_other_page() -> None:
    agents = await Agents(ScriptedModel([])).start()
    tools = await toolbox(agents)
    other = await agents.page(OTHER_PAGE)
    arguments = {"patch": NAMES, "page_id": OTHER_PAGE}

    result = await tools.call("context", "update_page", json.dumps(arguments))

    assert not result.is_error
    assert (await agents.page()).content.couple.groom.name == "김도윤"
    assert await agents.page(OTHER_PAGE) == other


async def test_a_stale_version_is_read_again_and_the_patch_applied() -> None:
    agents = await Agents(ScriptedModel([])).start()
    tools = await toolbox(agents)
    real_update = agents.desk.update
    conflicts = 0

    async def conflicting(*args: Any, **kwargs: Any) -> Any:
        nonlocal conflicts
        if conflicts < 2:
            conflicts += 1
            raise VersionConflict
        return await real_update(*args, **kwargs)

    agents.desk.update = conflicting  # type: ignore[method-assign]
    result = await tools.call("context", "update_page", json.dumps({"patch": NAMES}))

    assert not result.is_error, result.content
    assert conflicts == 2
    assert (await agents.page()).content.couple.bride.name == "박하은"


async def test_a_page_that_keeps_changing_is_given_up_after_three_tries() -> None:
    agents = await Agents(ScriptedModel([])).start()
    tools = await toolbox(agents)

    async def always(*args: Any, **kwargs: Any) -> Any:
        raise VersionConflict

    agents.desk.update = always  # type: ignore[method-assign]
    result = await tools.call("context", "update_page", json.dumps({"patch": NAMES}))
    assert result.is_error
    assert body(result.content)["error"] == "version_conflict"


async def test_a_field_the_couple_changed_since_the_model_read_the_page_is_kept() -> None:
    agents = await Agents(ScriptedModel([]), content=NAMES).start()
    tools = await toolbox(agents)  # the model saw 박하은
    couple_edit = {"couple": {"bride": {"name": "박하늘"}}}
    await agents.site.run(agents.site.update(owner(), PAGE, couple_edit))

    patch = {"couple": {"bride": {"name": "박하은"}, "groom": {"name": "김도윤", "title": "장남"}}}
    result = await tools.call("context", "update_page", json.dumps({"patch": patch}))

    data = body(result.content)
    assert data["kept"] == ["couple.bride.name"]
    assert data["changed"] == ["couple.groom.title"]
    page = await agents.page()
    assert (page.content.couple.bride.name, page.content.couple.groom.title) == ("박하늘", "장남")
    # Its own write is not mistaken for the couple's: a second call may change that field again.
    again = await tools.call(
        "context", "update_page", json.dumps({"patch": {"couple": {"groom": {"title": "차남"}}}})
    )
    assert body(again.content)["changed"] == ["couple.groom.title"]


async def test_find_venue_returns_at_most_five_candidates() -> None:
    credit = ListGeocoder.attribution
    places = [Place(f"홀{n}", f"주소{n}", None, 37.5, 127.0, credit) for n in range(8)]
    agents = await Agents(ScriptedModel([]), geocoder=ListGeocoder(places)).start()
    tools = await toolbox(agents, "map")

    result = await tools.call("map", "find_venue", json.dumps({"query": "더링크호텔"}))
    candidates = body(result.content)["candidates"]
    assert len(candidates) == 5
    assert candidates[0] == {
        "name": "홀0",
        "address": "주소0",
        "road_address": None,
        "lat": 37.5,
        "lng": 127.0,
        "attribution": {"text": "© Test Maps", "url": "https://maps.example/credit"},
    }
    empty = await tools.call("map", "find_venue", json.dumps({"query": " "}))
    assert empty.is_error


async def test_an_agent_cannot_use_another_agents_tools() -> None:
    agents = await Agents(ScriptedModel([])).start()
    tools = await toolbox(agents, "output")
    result = await tools.call("output", "update_page", json.dumps({"patch": NAMES}))
    assert result.is_error
    assert body(result.content)["error"] == "unknown_tool"
    assert (await agents.page()).version == 1


async def test_undo_reverts_the_last_agent_change_and_history_names_the_agent() -> None:
    agents = await Agents(ScriptedModel([])).start()
    tools = await toolbox(agents)
    await tools.call("context", "update_page", json.dumps({"patch": NAMES}))
    [change] = await agents.site.history.newest(PAGE, limit=1, before=None)
    assert (change.by, change.agent, change.changed) == ("agent", "context", ("couple",))

    undone = await tools.call("context", "undo_last_change", "{}")

    assert not undone.is_error, undone.content
    assert (await agents.page()).content.couple.groom.name is None
    nothing = await tools.call("context", "undo_last_change", "{}")
    assert nothing.is_error
    assert body(nothing.content)["error"] == "nothing_to_undo"


def test_the_patch_schema_names_every_content_field_and_nothing_else() -> None:
    schema = SPECS["update_page"].parameters["properties"]["patch"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(CONTENT_FIELDS) - {"cover_file_id", "gallery", "music"}
