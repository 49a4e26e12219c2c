"""Suggested addresses: the couple's given names in the Revised Romanization, unique, and the
owner's to change."""

from __future__ import annotations

import pytest

from adapters.romanizer.korean import KoreanRomanizer
from mocheong_core.pages.document import stored_content
from mocheong_core.pages.model import slug_problem
from mocheong_core.pages.slugs import given_name, suggested_base
from tests.unit.pages_harness import COMPLETE, Pages, person


@pytest.fixture
def app() -> Pages:
    return Pages()


def couple(groom: str, bride: str) -> dict[str, object]:
    return {"couple": {"groom": {"name": groom}, "bride": {"name": bride}}}


@pytest.mark.parametrize(
    ("name", "given"),
    [("김민준", "민준"), ("남궁민수", "민수"), ("민준", "민준"), ("Minjun Kim", "MinjunKim")],
)
def test_the_given_name_is_the_name_without_the_surname(name: str, given: str) -> None:
    assert given_name(name) == given


@pytest.mark.parametrize(
    ("groom", "bride", "slug"),
    [
        ("김민준", "이서연", "minjun-seoyeon"),
        ("한복남", "박은별", "boknam-eunbyeol"),  # no sound change between syllables of a name
        ("James", "최지우", "james-jiu"),
    ],
)
def test_names_become_a_readable_address(groom: str, bride: str, slug: str) -> None:
    content = stored_content(couple(groom, bride))
    assert suggested_base(content, KoreanRomanizer()) == slug
    assert slug_problem(slug) is None


async def test_a_new_page_takes_the_couples_names_then_a_free_variant(app: Pages) -> None:
    first = await app.new_page(person(), COMPLETE)
    second = await app.new_page(person(), COMPLETE)
    assert (first.slug, second.slug) == ("minjun-seoyeon", "minjun-seoyeon-2")


async def test_without_names_the_address_is_random(app: Pages) -> None:
    page = await app.new_page(person())
    assert slug_problem(page.slug) is None
    assert "-" in page.slug


async def test_the_owner_asks_for_a_suggestion_once_the_names_are_in_and_may_change_it(
    app: Pages,
) -> None:
    owner = person()
    page = await app.new_page(owner)
    await app.run(app.update(owner, page.id, couple("김민준", "이서연")))
    suggested = await app.run(app.suggest_slug(owner, page.id))
    assert suggested == "minjun-seoyeon"
    taken = await app.run(app.update(owner, page.id, {"slug": suggested}))
    assert taken.slug == "minjun-seoyeon"
    # Its own address is no reason to suggest another one.
    assert await app.run(app.suggest_slug(owner, page.id)) == "minjun-seoyeon"
    renamed = await app.run(app.update(owner, page.id, {"slug": "our-wedding"}))
    assert renamed.slug == "our-wedding"
