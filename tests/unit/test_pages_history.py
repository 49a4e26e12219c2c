"""Page history, revert and undo, driven with the in-memory twins."""

from __future__ import annotations

import pytest

from adapters.memory.pages import PageEvent
from mocheong_core.accounts.model import Role
from mocheong_core.errors import NotFound, ValidationFailed
from mocheong_core.pages.document import PagePolicy
from mocheong_core.pages.errors import (
    EditedSinceAgentChange,
    NothingToUndo,
    PageArchived,
    VersionConflict,
)
from mocheong_core.pages.ports import PageVersion
from mocheong_core.pages.revert import RevertPage
from tests.unit.pages_harness import COMPLETE, Pages, person


@pytest.fixture
def app() -> Pages:
    return Pages()


async def versions(app: Pages, page_id: str) -> list[PageVersion]:
    return await app.history.newest(page_id, limit=1000, before=None)


def summary(items: list[PageVersion]) -> list[tuple[int, str, str | None, tuple[str, ...]]]:
    return [(v.version, v.by, v.agent, v.changed) for v in items]


async def test_every_change_is_one_version_with_who_made_it_and_what_changed(app: Pages) -> None:
    owner = person()
    admin = person("Ops", role=Role.ADMIN)
    page = await app.new_page(owner, {"greeting": "안녕하세요"})
    await app.run(app.update(owner, page.id, COMPLETE))
    await app.run(app.update(owner, page.id, {"theme": "modern"}, by="agent", agent="context"))
    await app.run(app.update(owner, page.id, {"slug": "minjun-seoyeon"}))
    await app.run(app.publish(owner, page.id))
    await app.run(app.admin_unpublish(admin, page.id))
    await app.run(app.update(owner, page.id, {"theme": "modern"}))  # no change: no version

    assert summary(await versions(app, page.id)) == [
        (6, "admin", None, ("status",)),
        (5, "user", None, ("status",)),
        (4, "user", None, ("slug",)),
        (3, "agent", "context", ("theme",)),
        (2, "user", None, ("couple", "ceremony", "venue")),
        (1, "user", None, ("greeting",)),
    ]
    newest = (await versions(app, page.id))[0]
    stored = await app.get(owner, page.id)
    assert newest.document == stored.content.dump()
    assert newest.at == stored.updated_at


async def test_a_change_that_fails_leaves_no_version(app: Pages) -> None:
    owner = person()
    page = await app.live_page(owner)

    with pytest.raises(ValidationFailed):
        await app.run(app.update(owner, page.id, {"venue": {"name": None}}))
    with pytest.raises(VersionConflict):
        await app.run(app.update(owner, page.id, {"theme": "modern"}, expected_version=1))

    assert [v.version for v in await versions(app, page.id)] == [2, 1]


async def test_the_list_pages_newest_first_without_gaps(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner)
    for n in range(6):
        await app.run(app.update(owner, page.id, {"greeting": f"인사 {n}"}))

    seen: list[int] = []
    cursor = None
    while True:
        result = await app.list_history(owner, page.id, 3, cursor)
        seen += [v.version for v in result.items]
        if result.next_cursor is None:
            break
        cursor = result.next_cursor
    assert seen == [7, 6, 5, 4, 3, 2, 1]

    with pytest.raises(ValidationFailed) as caught:
        await app.list_history(owner, page.id, 3, "abc")
    assert [e.field for e in caught.value.errors] == ["cursor"]


async def test_someone_elses_page_history_is_not_found(app: Pages) -> None:
    owner, stranger = person(), person("Stranger")
    page = await app.new_page(owner, {"greeting": "안녕"})
    await app.run(app.update(owner, page.id, {"greeting": "안녕하세요"}))

    with pytest.raises(NotFound):
        await app.list_history(stranger, page.id, 10, None)
    with pytest.raises(NotFound):
        await app.get_version(stranger, page.id, 1)
    with pytest.raises(NotFound):
        await app.run(app.revert(stranger, page.id, 1))
    with pytest.raises(NotFound):
        await app.run(app.undo(stranger, page.id))
    assert (await app.get(owner, page.id)).version == 2


async def test_revert_makes_a_new_version_with_that_content_and_keeps_slug_and_status(
    app: Pages,
) -> None:
    owner = person()
    page = await app.live_page(owner, greeting="처음 인사", slug="first-address")
    await app.run(app.update(owner, page.id, {"greeting": "두 번째", "theme": "hanok"}))
    await app.run(app.update(owner, page.id, {"slug": "second-address"}))
    app.events.events.clear()

    reverted = await app.run(app.revert(owner, page.id, 1, expected_version=4))

    assert reverted.version == 5
    assert reverted.content.greeting == "처음 인사"
    assert reverted.content.theme.value == "classic"
    assert (reverted.slug, reverted.status.value) == ("second-address", "published")
    assert await app.get(owner, page.id) == reverted
    assert app.events.events == [PageEvent(page.id, 5, ("greeting", "theme"), "user", None)]
    newest = (await versions(app, page.id))[0]
    assert (newest.version, newest.reverts_to, newest.changed) == (5, 1, ("greeting", "theme"))
    assert (await app.get_version(owner, page.id, 1)).document == reverted.content.dump()


async def test_reverting_to_the_current_content_changes_nothing(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner, {"greeting": "안녕"})
    await app.run(app.update(owner, page.id, {"theme": "modern"}))
    await app.run(app.update(owner, page.id, {"theme": "classic"}))

    same = await app.run(app.revert(owner, page.id, 1))

    assert same.version == 3
    assert app.events.events[-1].version == 3
    assert len(await versions(app, page.id)) == 3


async def test_revert_refuses_what_update_refuses(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner)  # version 1: nothing guests need
    await app.run(app.update(owner, page.id, COMPLETE))
    await app.run(app.publish(owner, page.id))

    with pytest.raises(ValidationFailed) as caught:
        await app.run(app.revert(owner, page.id, 1))
    assert "venue.name" in {e.field for e in caught.value.errors}
    with pytest.raises(VersionConflict):
        await app.run(app.revert(owner, page.id, 2, expected_version=2))
    with pytest.raises(NotFound):
        await app.run(app.revert(owner, page.id, 9))

    await app.run(app.archive(owner, page.id))
    with pytest.raises(PageArchived):
        await app.run(app.revert(owner, page.id, 2))
    assert (await app.get(owner, page.id)).version == 4


async def test_a_limit_lowered_since_applies_to_a_revert(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner, {"greeting": "가" * 50})
    await app.run(app.update(owner, page.id, {"greeting": "짧게"}))
    strict = RevertPage(
        app.pages, app.history, app.events, app.uow, app.clock, PagePolicy(greeting_max=10)
    )

    with pytest.raises(ValidationFailed) as caught:
        await app.run(strict(owner, page.id, 1))
    assert [e.field for e in caught.value.errors] == ["greeting"]
    assert (await app.get(owner, page.id)).version == 2


async def test_undo_puts_back_the_fields_of_the_newest_agent_change(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner, {"greeting": "우리 결혼해요"})
    await app.run(
        app.update(owner, page.id, {"greeting": "AI 인사", "theme": "floral"}, by="agent")
    )
    await app.run(app.update(owner, page.id, {"venue": {"hall": "3층"}}))  # other field
    app.events.events.clear()

    undone = await app.run(app.undo(owner, page.id))

    assert undone.version == 4
    assert undone.content.greeting == "우리 결혼해요"
    assert undone.content.theme.value == "classic"
    assert undone.content.venue.hall == "3층"
    assert app.events.events == [PageEvent(page.id, 4, ("greeting", "theme"), "agent", None)]
    newest = (await versions(app, page.id))[0]
    assert (newest.by, newest.undoes) == ("agent", 2)


async def test_undoing_twice_reaches_the_agent_change_before(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner)
    await app.run(app.update(owner, page.id, {"greeting": "하나"}, by="agent", agent="copy"))
    await app.run(app.update(owner, page.id, {"greeting": "둘"}, by="agent", agent="copy"))

    assert (await app.run(app.undo(owner, page.id))).content.greeting == "하나"
    assert (await app.run(app.undo(owner, page.id))).content.greeting is None
    with pytest.raises(NothingToUndo):
        await app.run(app.undo(owner, page.id))


async def test_undo_refuses_when_the_couple_changed_the_same_field_since(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner, {"greeting": "우리 결혼해요"})
    await app.run(app.update(owner, page.id, {"greeting": "AI 인사"}, by="agent"))
    await app.run(app.update(owner, page.id, {"greeting": "직접 고친 인사"}))

    with pytest.raises(EditedSinceAgentChange) as caught:
        await app.run(app.undo(owner, page.id))

    assert caught.value.code == "edited_since_agent_change"
    assert caught.value.fields == ("greeting",)
    assert "greeting" in caught.value.detail
    assert isinstance(caught.value, NothingToUndo)
    stored = await app.get(owner, page.id)
    assert (stored.version, stored.content.greeting) == (3, "직접 고친 인사")


async def test_undo_without_an_agent_change_is_nothing_to_undo(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner, {"greeting": "안녕"})
    await app.run(app.update(owner, page.id, {"greeting": "안녕하세요"}))

    with pytest.raises(NothingToUndo) as caught:
        await app.run(app.undo(owner, page.id))
    assert caught.value.code == "nothing_to_undo"
    assert (await app.get(owner, page.id)).version == 2


async def test_the_history_keeps_the_newest_versions_up_to_its_limit() -> None:
    app = Pages(history_max=3)
    owner = person()
    page = await app.new_page(owner)
    for n in range(5):
        await app.run(app.update(owner, page.id, {"greeting": f"인사 {n}"}))

    assert [v.version for v in await versions(app, page.id)] == [6, 5, 4]
    with pytest.raises(NotFound):
        await app.get_version(owner, page.id, 3)


async def test_undo_needs_the_version_before_the_agent_change() -> None:
    app = Pages(history_max=2)
    owner = person()
    page = await app.new_page(owner)
    await app.run(app.update(owner, page.id, {"greeting": "하나"}))
    await app.run(app.update(owner, page.id, {"greeting": "둘"}, by="agent"))
    await app.run(app.update(owner, page.id, {"theme": "modern"}))

    with pytest.raises(NothingToUndo):
        await app.run(app.undo(owner, page.id))


async def test_an_agent_name_longer_than_the_history_keeps_is_a_bug_that_stores_nothing(
    app: Pages,
) -> None:
    owner = person()
    page = await app.new_page(owner)

    with pytest.raises(ValueError, match="agent"):
        await app.run(app.update(owner, page.id, {"greeting": "x"}, by="agent", agent="a" * 41))

    assert (await app.get(owner, page.id)).version == 1
    assert [v.version for v in await versions(app, page.id)] == [1]
