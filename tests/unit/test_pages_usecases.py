"""The page use cases, driven with the in-memory twins."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory.pages import PageEvent
from mocheong_core.accounts.errors import AdminOnly
from mocheong_core.accounts.model import Role
from mocheong_core.errors import NotFound, ValidationFailed
from mocheong_core.pages.errors import (
    InvalidStatusTransition,
    PageArchived,
    SlugTaken,
    VersionConflict,
)
from mocheong_core.pages.model import PageStatus, Plan, slug_problem
from tests.unit.pages_harness import COMPLETE, Pages, person


@pytest.fixture
def app() -> Pages:
    return Pages()


async def test_a_new_page_is_a_free_draft_at_version_1_with_a_fresh_slug(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner, {"couple": {"groom": {"name": "김민준"}}})

    assert (page.status, page.plan, page.version) == (PageStatus.DRAFT, Plan.FREE, 1)
    assert page.owner_id == owner.id
    assert slug_problem(page.slug) is None
    assert page.content.couple.groom.name == "김민준"
    assert await app.get(owner, page.id) == page
    assert app.uow.commits == 1


async def test_a_chosen_slug_is_kept_and_a_taken_one_refused(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner, {"slug": "minjun-seoyeon"})
    assert page.slug == "minjun-seoyeon"

    with pytest.raises(SlugTaken):
        await app.new_page(person("Other"), {"slug": "minjun-seoyeon"})


async def test_creating_with_bad_fields_reports_all_of_them_and_stores_nothing(
    app: Pages,
) -> None:
    owner = person()
    with pytest.raises(ValidationFailed) as caught:
        await app.new_page(owner, {"slug": "A", "theme": "neon", "couple": {"groom": 1}})

    assert {e.field for e in caught.value.errors} == {"slug", "theme", "couple.groom"}
    assert (await app.list_mine(owner, limit=10, cursor=None)).items == []


async def test_update_merges_the_patch_clears_nulls_bumps_the_version_and_tells_listeners(
    app: Pages,
) -> None:
    owner = person()
    page = await app.new_page(owner, {**COMPLETE, "greeting": "안녕하세요"})
    patch = {"couple": {"groom": {"phone": "010-1234-5678"}}, "greeting": None, "theme": "modern"}

    updated = await app.run(app.update(owner, page.id, patch, expected_version=1, by="agent"))

    assert updated.version == 2
    assert updated.content.couple.groom.name == "김민준"
    assert updated.content.couple.groom.title == "장남"
    assert updated.content.couple.groom.phone == "010-1234-5678"
    assert updated.content.greeting is None
    assert updated.content.theme.value == "modern"
    assert await app.get(owner, page.id) == updated
    assert app.events.events == [
        PageEvent(page.id, 2, ("couple", "greeting", "theme"), "agent", None)
    ]


async def test_a_patch_that_changes_nothing_keeps_the_version_and_stays_quiet(
    app: Pages,
) -> None:
    owner = person()
    page = await app.new_page(owner, COMPLETE)

    same = await app.run(app.update(owner, page.id, {**COMPLETE, "id": page.id, "status": "draft"}))

    assert same.version == 1
    assert app.events.events == []


@pytest.mark.parametrize(
    ("expected", "patch"),
    [(1, {}), (None, {"version": 1}), (3, {"version": 2})],
)
async def test_a_stale_version_is_a_conflict_and_changes_nothing(
    app: Pages, expected: int | None, patch: dict[str, Any]
) -> None:
    owner = person()
    page = await app.new_page(owner)
    await app.run(app.update(owner, page.id, {"greeting": "첫 인사"}))

    with pytest.raises(VersionConflict):
        await app.run(app.update(owner, page.id, {**patch, "greeting": "덮어쓰기"}, expected))
    assert (await app.get(owner, page.id)).content.greeting == "첫 인사"


async def test_the_store_refuses_a_save_from_a_stale_read(app: Pages) -> None:
    """What guards two writers that both passed the use case's own check at the same time."""
    owner = person()
    page = await app.new_page(owner)
    first, second = await app.pages.get(page.id), await app.pages.get(page.id)
    assert first is not None
    assert second is not None
    first.version = second.version = 2

    await app.pages.save(first, expected_version=1)
    with pytest.raises(VersionConflict):
        await app.pages.save(second, expected_version=1)


async def test_changing_the_slug_frees_the_old_one_and_says_what_it_was(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner, {"slug": "old-address"})
    await app.new_page(person(), {"slug": "taken-address"})

    with pytest.raises(SlugTaken):
        await app.run(app.update(owner, page.id, {"slug": "taken-address"}))
    moved = await app.run(app.update(owner, page.id, {"slug": "new-address"}))

    assert moved.slug == "new-address"
    assert app.events.events[-1] == PageEvent(page.id, 2, ("slug",), "user", "old-address")
    assert (await app.new_page(person(), {"slug": "old-address"})).slug == "old-address"


async def test_someone_elses_page_is_not_found_for_every_owner_action(app: Pages) -> None:
    owner, stranger = person(), person("Stranger")
    page = await app.new_page(owner, COMPLETE)

    for call in (
        app.get(stranger, page.id),
        app.update(stranger, page.id, {"greeting": "x"}),
        app.publish(stranger, page.id),
        app.unpublish(stranger, page.id),
        app.archive(stranger, page.id),
        app.delete(stranger, page.id),
    ):
        with pytest.raises(NotFound):
            await app.run(call)
    assert (await app.get(owner, page.id)).version == 1


async def test_publishing_lists_every_missing_field(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner, {"couple": {"groom": {"name": "김민준"}}})

    with pytest.raises(ValidationFailed) as caught:
        await app.run(app.publish(owner, page.id))

    assert [e.field for e in caught.value.errors] == [
        "couple.bride.name",
        "ceremony.starts_at",
        "venue.name",
        "venue.address",
    ]
    assert (await app.get(owner, page.id)).status is PageStatus.DRAFT


async def test_a_published_page_must_stay_complete(app: Pages) -> None:
    owner = person()
    page = await app.live_page(owner)

    with pytest.raises(ValidationFailed) as caught:
        await app.run(app.update(owner, page.id, {"venue": {"address": None}}))
    assert [e.field for e in caught.value.errors] == ["venue.address"]
    assert (await app.published(page.slug)).content.venue.address is not None


TRANSITIONS = {
    (PageStatus.DRAFT, PageStatus.PUBLISHED),
    (PageStatus.DRAFT, PageStatus.ARCHIVED),
    (PageStatus.PUBLISHED, PageStatus.UNPUBLISHED),
    (PageStatus.PUBLISHED, PageStatus.ARCHIVED),
    (PageStatus.UNPUBLISHED, PageStatus.PUBLISHED),
    (PageStatus.UNPUBLISHED, PageStatus.ARCHIVED),
}
PATHS = {
    PageStatus.DRAFT: [],
    PageStatus.PUBLISHED: [PageStatus.PUBLISHED],
    PageStatus.UNPUBLISHED: [PageStatus.PUBLISHED, PageStatus.UNPUBLISHED],
    PageStatus.ARCHIVED: [PageStatus.ARCHIVED],
}


@pytest.mark.parametrize("start", list(PageStatus))
@pytest.mark.parametrize("target", [s for s in PageStatus if s is not PageStatus.DRAFT])
async def test_status_transitions(app: Pages, start: PageStatus, target: PageStatus) -> None:
    owner = person()
    page = await app.new_page(owner, COMPLETE)
    moves = {
        PageStatus.PUBLISHED: app.publish,
        PageStatus.UNPUBLISHED: app.unpublish,
        PageStatus.ARCHIVED: app.archive,
    }
    for step in PATHS[start]:
        page = await app.run(moves[step](owner, page.id))

    if (start, target) in TRANSITIONS:
        moved = await app.run(moves[target](owner, page.id))
        assert (moved.status, moved.version) == (target, page.version + 1)
        assert app.events.events[-1].changed == ("status",)
    else:
        with pytest.raises(InvalidStatusTransition):
            await app.run(moves[target](owner, page.id))


async def test_an_archived_page_can_no_longer_change(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner, COMPLETE)
    await app.run(app.archive(owner, page.id))

    with pytest.raises(PageArchived):
        await app.run(app.update(owner, page.id, {"greeting": "다시"}))
    with pytest.raises(PageArchived):
        await app.run(app.add_guest(owner, page.id, {"name": "홍길동", "side": "groom"}))


async def test_only_published_pages_are_public(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner, COMPLETE)
    with pytest.raises(NotFound):
        await app.published(page.slug)

    await app.run(app.publish(owner, page.id))
    assert (await app.published(page.slug)).id == page.id

    await app.run(app.unpublish(owner, page.id))
    with pytest.raises(NotFound):
        await app.published(page.slug)
    with pytest.raises(NotFound):
        await app.published("no-such-page")


async def test_deleting_removes_the_page_and_tells_listeners(app: Pages) -> None:
    owner = person()
    page = await app.new_page(owner)

    await app.run(app.delete(owner, page.id))

    with pytest.raises(NotFound):
        await app.get(owner, page.id)
    assert app.events.events == [PageEvent(page.id, 1, (), "user", deleted=True)]


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(0, 7), limit=st.integers(1, 4))
async def test_my_pages_come_newest_first_page_by_page(count: int, limit: int) -> None:
    app = Pages()
    owner = person()
    await app.new_page(person("Someone else"))
    created = [(await app.new_page(owner)).id for _ in range(count)]

    seen: list[str] = []
    cursor = None
    while True:
        result = await app.list_mine(owner, limit=limit, cursor=cursor)
        assert len(result.items) <= limit
        seen += [p.id for p in result.items]
        cursor = result.next_cursor
        if cursor is None:
            break
    assert seen == created[::-1]


async def test_admins_list_every_page_and_take_any_offline(app: Pages) -> None:
    owner, admin = person(), person("Ops", Role.ADMIN)
    live = await app.live_page(owner)
    draft = await app.new_page(person())

    everything = await app.admin_list(admin, limit=10, cursor=None)
    assert [p.id for p in everything.items] == [draft.id, live.id]
    published = await app.admin_list(admin, limit=10, cursor=None, status=PageStatus.PUBLISHED)
    assert [p.id for p in published.items] == [live.id]

    moderated = await app.run(app.admin_unpublish(admin, live.id))
    assert moderated.status is PageStatus.UNPUBLISHED
    assert app.events.events[-1].by == "admin"
    with pytest.raises(NotFound):
        await app.run(app.admin_unpublish(admin, "missing"))


async def test_non_admins_cannot_moderate(app: Pages) -> None:
    owner = person()
    page = await app.live_page(owner)

    with pytest.raises(AdminOnly):
        await app.admin_list(owner, limit=10, cursor=None)
    with pytest.raises(AdminOnly):
        await app.run(app.admin_unpublish(owner, page.id))
    assert (await app.published(page.slug)).status is PageStatus.PUBLISHED


async def test_a_change_that_was_not_committed_is_lost(app: Pages) -> None:
    """The use cases commit themselves: the twin's rollback proves each one does."""
    owner = person()
    page = await app.new_page(owner)
    stored = await app.pages.get(page.id)
    assert stored is not None
    await app.pages.save(attrs.evolve(stored, version=2), expected_version=1)
    await app.uow.rollback()

    assert (await app.get(owner, page.id)).version == 1
