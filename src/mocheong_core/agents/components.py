"""The UI components an agent may show (``agents.md``), checked like user input.

A ``map`` component's links are made here from the name, address and coordinates
(``pages/maplinks.py``), never taken from a model; so is its ``attribution``, the credit of
the geocoder whose places give a map its coordinates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mocheong_core.errors import FieldError, ValidationFailed, Validator
from mocheong_core.pages.content import SectionKind, Venue
from mocheong_core.pages.maplinks import Attribution, map_links

TEXT_MAX = 500
ITEMS_MAX = 10
SECTIONS = frozenset(kind.value for kind in SectionKind)


def _text(v: Validator, value: Any, field: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > TEXT_MAX:
        v.add(field, f"must be text of 1 to {TEXT_MAX} characters")
        return None
    return value


def _texts(v: Validator, value: Any, field: str, *, allow_empty: bool = False) -> list[str]:
    if not isinstance(value, list) or len(value) > ITEMS_MAX or (not value and not allow_empty):
        v.add(field, f"must be a list of up to {ITEMS_MAX} texts")
        return []
    return [t for i, item in enumerate(value) if (t := _text(v, item, f"{field}.{i}"))]


def _number(v: Validator, value: Any, field: str, low: float, high: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        v.add(field, f"must be a number from {low} to {high}")
        return None
    return float(value)


def _choices(v: Validator, c: Mapping[str, Any]) -> dict[str, Any]:
    options = c.get("options")
    if not isinstance(options, list) or not 1 <= len(options) <= ITEMS_MAX:
        v.add("component.options", f"must be a list of 1 to {ITEMS_MAX} options")
        options = []
    read = []
    for i, option in enumerate(options):
        if not isinstance(option, Mapping):
            v.add(f"component.options.{i}", "must be an object with label and value")
            continue
        label = _text(v, option.get("label"), f"component.options.{i}.label")
        value = _text(v, option.get("value"), f"component.options.{i}.value")
        read.append({"label": label, "value": value})
    return {"question": _text(v, c.get("question"), "component.question"), "options": read}


def _map(
    v: Validator, c: Mapping[str, Any], app_name: str, attribution: Attribution | None
) -> dict[str, Any]:
    name = _text(v, c.get("name"), "component.name")
    address = _text(v, c.get("address"), "component.address", optional=True)
    lat = _number(v, c.get("lat"), "component.lat", -90, 90)
    lng = _number(v, c.get("lng"), "component.lng", -180, 180)
    links = map_links(Venue(name=name, address=address, lat=lat, lng=lng), app_name)
    return {
        "name": name,
        "address": address,
        "lat": lat,
        "lng": lng,
        "links": {
            "kakao": links.kakao if links else None,
            "naver": links.naver if links else None,
            "tmap": links.tmap if links else None,
        },
        "attribution": attribution.dump() if attribution and lat is not None else None,
    }


def _section_preview(v: Validator, c: Mapping[str, Any]) -> dict[str, Any]:
    section, version = c.get("section"), c.get("page_version")
    if section not in SECTIONS:
        v.add("component.section", f"must be one of {', '.join(sorted(SECTIONS))}")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        v.add("component.page_version", "must be a positive integer")
    return {"section": section, "page_version": version}


def read_component(
    value: Any, *, app_name: str, attribution: Attribution | None = None
) -> dict[str, Any]:
    """The component as it is shown; ``ValidationFailed`` naming each bad field.
    ``attribution`` is the map source's credit a map with coordinates carries."""
    if not isinstance(value, Mapping):
        raise ValidationFailed([FieldError("component", "must be an object")])
    v = Validator()
    kind = value.get("type")
    body: dict[str, Any]
    if kind == "checklist":
        body = {"missing": _texts(v, value.get("missing"), "component.missing", allow_empty=True)}
    elif kind == "suggestions":
        body = {"items": _texts(v, value.get("items"), "component.items")}
    elif kind == "choices":
        body = _choices(v, value)
    elif kind == "map":
        body = _map(v, value, app_name, attribution)
    elif kind == "section-preview":
        body = _section_preview(v, value)
    else:
        kinds = "checklist, choices, map, section-preview, suggestions"
        raise ValidationFailed([FieldError("component.type", f"must be one of {kinds}")])
    v.raise_if_any()
    return {"type": kind, **body}
