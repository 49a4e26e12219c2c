"""The page document: slugs, merge-patch semantics and the validation of every field."""

from __future__ import annotations

import copy
import string
import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mocheong_core.errors import ValidationFailed
from mocheong_core.pages.content import PageContent, SectionKind, Theme
from mocheong_core.pages.document import (
    PagePolicy,
    merge_patch,
    publish_problems,
    read_content,
)
from mocheong_core.pages.edit import read_edit
from mocheong_core.pages.model import (
    RESERVED_SLUGS,
    SLUG_ALPHABET,
    SLUG_MAX,
    random_slug,
    slug_problem,
)
from mocheong_core.pages.reader import DocumentReader
from tests.unit.pages_harness import COMPLETE

POLICY = PagePolicy(gallery_max=5, greeting_max=50, gift_accounts_max=3)

word = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)
valid_slugs = (
    st.lists(word, min_size=1, max_size=5)
    .map("-".join)
    .filter(lambda s: 3 <= len(s) <= SLUG_MAX and s not in RESERVED_SLUGS)
)


def read(document: Any, policy: PagePolicy = POLICY) -> PageContent:
    reader = DocumentReader()
    content = read_content(document, policy, reader)
    reader.validator.raise_if_any()
    return content


def bad_fields(document: Any, policy: PagePolicy = POLICY) -> set[str]:
    with pytest.raises(ValidationFailed) as caught:
        read(document, policy)
    return {error.field for error in caught.value.errors}


# -- slugs ---------------------------------------------------------------------------------


@given(valid_slugs)
def test_every_well_formed_slug_is_accepted_and_kept_as_given(slug: str) -> None:
    assert slug_problem(slug) is None
    assert read_edit({"slug": slug}, None, POLICY).slug == slug


@given(
    valid_slugs,
    st.sampled_from(["A", "_", " ", ".", "/", "é", "한", "--", "\n"]),
    st.integers(min_value=0),
)
def test_a_slug_with_any_foreign_character_is_refused(slug: str, bad: str, at: int) -> None:
    at %= len(slug) + 1
    spoiled = slug[:at] + bad + slug[at:]
    assert slug_problem(spoiled) is not None
    with pytest.raises(ValidationFailed) as caught:
        read_edit({"slug": spoiled}, None, POLICY)
    assert [e.field for e in caught.value.errors] == ["slug"]


@pytest.mark.parametrize(
    "slug", ["ab", "a" * 61, "-abc", "abc-", "admin", "api", "Minjun", "", 123, None]
)
def test_short_long_edged_reserved_or_non_text_slugs_are_refused(slug: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_edit({"slug": slug}, None, POLICY)
    assert [e.field for e in caught.value.errors] == ["slug"]


def test_random_slugs_are_valid_and_readable() -> None:
    slugs = {random_slug() for _ in range(300)}
    assert len(slugs) == 300
    for slug in slugs:
        assert slug_problem(slug) is None
        assert set(slug) <= set(SLUG_ALPHABET) | {"-"}


# -- merge patch ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abcd"), inner, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.sampled_from("abcd"), json_values, max_size=4)


@given(json_objects, json_objects)
def test_merge_patch_is_idempotent_and_leaves_its_inputs_alone(
    target: dict[str, Any], patch: dict[str, Any]
) -> None:
    before = copy.deepcopy((target, patch))
    merged = merge_patch(target, patch)
    assert merge_patch(merged, patch) == merged
    assert (target, patch) == before


@given(json_objects, json_objects)
def test_merge_patch_sets_what_it_names_clears_nulls_and_keeps_the_rest(
    target: dict[str, Any], patch: dict[str, Any]
) -> None:
    merged = merge_patch(target, patch)
    for key, value in patch.items():
        if value is None:
            assert key not in merged
        elif not isinstance(value, dict):
            assert merged[key] == value
    for key in target.keys() - patch.keys():
        assert merged[key] == target[key]


def test_a_hostile_depth_is_refused_not_recursed_into() -> None:
    deep: dict[str, Any] = {"name": "김민준"}
    for _ in range(5000):
        deep = {"father": deep}
    with pytest.raises(ValidationFailed) as caught:
        read_edit({"couple": {"groom": deep}}, None, POLICY)
    assert [e.field for e in caught.value.errors] == ["couple.groom.father.father"]


def test_merge_patch_merges_nested_objects_and_replaces_lists() -> None:
    target = {"couple": {"groom": {"name": "A", "phone": "010"}}, "gallery": ["x", "y"]}
    patch = {"couple": {"groom": {"phone": None, "title": "장남"}}, "gallery": ["z"]}
    assert merge_patch(target, patch) == {
        "couple": {"groom": {"name": "A", "title": "장남"}},
        "gallery": ["z"],
    }


# -- reading a document --------------------------------------------------------------------


def test_an_empty_document_is_a_blank_draft_with_defaults() -> None:
    content = read({})
    assert content == PageContent()
    document = content.dump()
    assert document["theme"] == "classic"
    assert document["ceremony"]["time_zone"] == "Asia/Seoul"
    assert [s["kind"] for s in document["sections"]] == [k.value for k in SectionKind]
    assert document["rsvp"] == {
        "enabled": True,
        "deadline": None,
        "ask_meal": False,
        "prompt": False,
        "button": False,
    }


def test_every_bad_field_is_reported_by_its_dotted_path() -> None:
    document = {
        "couple": {"groom": {"name": "x" * 31, "nickname": "y"}, "bride": {"phone": "call me"}},
        "ceremony": {"starts_at": "2027-05-15T13:00:00", "time_zone": "Mars/Olympus"},
        "venue": {"lat": 91, "directions": {"subway": 3}},
        "greeting": "x" * 51,
        "gallery": ["a", "a", "not a file id!"],
        "gift_accounts": [{"relation": "uncle", "bank": "", "holder": "김", "number": "12-ab"}],
        "theme": "neon",
        "music": {"autoplay": "yes"},
        "sections": [{"kind": "gallery"}, {"kind": "gallery"}, {"kind": "map"}],
        "rsvp": {"deadline": "soon"},
        "share": {"image_file_id": 7},
        "colour": "red",
    }
    assert bad_fields(document) == {
        "couple.groom.name",
        "couple.groom.nickname",
        "couple.bride.phone",
        "ceremony.starts_at",
        "ceremony.time_zone",
        "venue.lat",
        "venue.lng",
        "venue.directions.subway",
        "greeting",
        "gallery.1",
        "gallery.2",
        "gift_accounts.0.relation",
        "gift_accounts.0.bank",
        "gift_accounts.0.number",
        "theme",
        "music.autoplay",
        "sections.1.kind",
        "sections.2.kind",
        "rsvp.deadline",
        "share.image_file_id",
        "colour",
    }


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"couple": "both"}, "couple"),
        ({"couple": {"groom": ["A"]}}, "couple.groom"),
        ({"gallery": "a"}, "gallery"),
        ({"gallery": [None]}, "gallery.0"),
        ({"cover_file_id": "abc\n"}, "cover_file_id"),
        ({"ceremony": {"starts_at": "0001-01-01T00:00:00+14:00"}}, "ceremony.starts_at"),
        ({"rsvp": {"deadline": "9999-12-31T23:59:59-14:00"}}, "rsvp.deadline"),
        ({"gift_accounts": [None]}, "gift_accounts.0"),
        ({"gift_accounts": ["bank"]}, "gift_accounts.0"),
        ({"sections": [{"visible": False}]}, "sections.0.kind"),
        ({"venue": {"lng": 127.0}}, "venue.lat"),
        ({"venue": {"lat": 37.5, "lng": 181}}, "venue.lng"),
        ({"venue": {"lat": True, "lng": 127}}, "venue.lat"),
        ({"couple": {"groom": {"title": "첫째 아들이자 집안의 장손"}}}, "couple.groom.title"),
        ({"couple": {"groom": {"name": "민준\x00"}}}, "couple.groom.name"),
        ({"couple": {"groom": {"name": "민\n준"}}}, "couple.groom.name"),
        ({"gallery": ["a"] * 6}, "gallery"),
        ({"gift_accounts": [{"relation": "groom"}] * 4}, "gift_accounts"),
    ],
)
def test_one_bad_field(document: dict[str, Any], field: str) -> None:
    assert field in bad_fields(document)


def test_text_is_trimmed_normalised_and_empty_text_clears_the_field() -> None:
    decomposed = unicodedata.normalize("NFD", "김민준")
    content = read(
        {
            "couple": {"groom": {"name": f"  {decomposed} "}, "bride": {"name": "   "}},
            "greeting": "  첫 줄\r\n둘째 줄  ",
        }
    )
    assert content.couple.groom.name == "김민준"
    assert content.couple.bride.name is None
    assert content.greeting == "첫 줄\n둘째 줄"


def test_times_are_kept_as_instants_and_shown_in_the_ceremony_zone() -> None:
    content = read(
        {
            "ceremony": {"starts_at": "2027-05-15T04:00:00Z"},
            "rsvp": {"deadline": "2027-05-08T14:59:59+00:00"},
        }
    )
    assert content.ceremony.starts_at == datetime(2027, 5, 15, 4, 0, tzinfo=UTC)
    document = content.dump()
    assert document["ceremony"]["starts_at"] == "2027-05-15T13:00:00+09:00"
    assert document["rsvp"]["deadline"] == "2027-05-08T23:59:59+09:00"

    moved = read(merge_patch(document, {"ceremony": {"time_zone": "America/New_York"}}))
    assert moved.ceremony.starts_at == content.ceremony.starts_at
    assert moved.dump()["ceremony"]["starts_at"] == "2027-05-15T00:00:00-04:00"


def test_sections_left_out_follow_hidden_so_each_kind_appears_once() -> None:
    content = read({"sections": [{"kind": "gallery"}, {"kind": "greeting", "visible": False}]})
    kinds = [s.kind for s in content.sections]
    assert kinds[:2] == [SectionKind.GALLERY, SectionKind.GREETING]
    assert sorted(kinds) == sorted(SectionKind)
    assert [s.visible for s in content.sections] == [True] + [False] * (len(SectionKind) - 1)


def test_a_full_document_reads_back_to_itself() -> None:
    document = {
        **COMPLETE,
        "couple": {
            "groom": {
                "name": "김민준",
                "title": "장남",
                "phone": "010-1234-5678",
                "father": {"name": "김철수", "phone": None, "deceased": True},
                "mother": {"name": "박영희"},
            },
            "bride": {"name": "이서연", "title": "차녀"},
        },
        "venue": {
            "name": "더채플앳청담",
            "hall": "3층 채플홀",
            "address": "서울 강남구 선릉로 757",
            "lat": 37.5233,
            "lng": 127.0406,
            "directions": {"subway": "7호선 청담역 13번 출구", "parking": "2시간 무료"},
        },
        "greeting": "저희 두 사람이\n사랑으로 하나 되는 날",
        "cover_file_id": "01a1fc67-4a02-7152-8f63-80da4c78beae",
        "gallery": ["f1", "f2", "f3"],
        "gift_accounts": [
            {"relation": "groom", "bank": "국민은행", "holder": "김민준", "number": "123-45-6789"}
        ],
        "theme": "hanok",
        "music": {"file_id": "song", "autoplay": True},
        "rsvp": {"enabled": True, "deadline": "2027-05-08T23:59:59+09:00", "ask_meal": True},
        "share": {"title": "민준 ♥ 서연", "description": "5월 15일", "image_file_id": "og"},
    }
    content = read(document)
    assert read(content.dump()) == content
    assert content.theme is Theme.HANOK
    assert content.couple.groom.father is not None
    assert content.couple.groom.father.deceased


names = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=40)


@given(
    groom=names,
    title=names,
    greeting=st.text(max_size=60),
    lat=st.floats(-100, 100, allow_nan=False),
    lng=st.floats(-200, 200, allow_nan=False),
    gallery=st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", "g"]), max_size=7),
)
def test_any_accepted_document_is_a_fixed_point_of_reading(
    groom: str, title: str, greeting: str, lat: float, lng: float, gallery: list[str]
) -> None:
    document = {
        "couple": {"groom": {"name": groom, "title": title}},
        "greeting": greeting,
        "venue": {"lat": lat, "lng": lng},
        "gallery": gallery,
    }
    reader = DocumentReader()
    content = read_content(document, POLICY, reader)
    assume(not reader.validator.errors)
    assert read(content.dump()) == content
    name = content.couple.groom.name
    assert name is None or (name == name.strip() and 0 < len(name) <= 30)
    assert len(content.gallery) == len(set(content.gallery)) <= POLICY.gallery_max


def test_publishing_names_exactly_what_is_missing() -> None:
    assert publish_problems(read(COMPLETE)) == []
    missing = merge_patch(COMPLETE, {"couple": {"bride": None}, "venue": {"address": None}})
    assert [p.field for p in publish_problems(read(missing))] == [
        "couple.bride.name",
        "venue.address",
    ]
    assert [p.field for p in publish_problems(PageContent())] == [
        "couple.groom.name",
        "couple.bride.name",
        "ceremony.starts_at",
        "venue.name",
        "venue.address",
    ]


# -- read_edit: what besides content a change may carry -------------------------------------


def test_read_only_fields_are_ignored_when_echoed_and_refused_when_changed() -> None:
    edit = read_edit(
        {"id": "x", "created_at": "y", "updated_at": "z", "owner_id": "o", "status": "draft"},
        None,
        POLICY,
    )
    assert edit.content == PageContent()
    with pytest.raises(ValidationFailed) as caught:
        read_edit({"status": "published", "plan": "premium", "version": "3"}, None, POLICY)
    assert {e.field for e in caught.value.errors} == {"status", "plan", "version"}


def test_a_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_edit([1, 2], None, POLICY)  # type: ignore[arg-type]
    assert [e.field for e in caught.value.errors] == ["body"]
