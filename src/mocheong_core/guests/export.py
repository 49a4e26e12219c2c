"""The RSVP list as a CSV file for a spreadsheet: Korean labels, opens right in Excel."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from mocheong_core.guests.model import Meal, Rsvp, Side

HEADER = ("이름", "구분", "참석 여부", "인원", "식사", "메모", "응답 시각")
SIDES = {Side.GROOM: "신랑측", Side.BRIDE: "신부측"}
MEALS = {Meal.YES: "식사함", Meal.NO: "식사 안 함", Meal.UNDECIDED: "미정"}
# A spreadsheet runs a cell starting with these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def rsvps_csv(rsvps: list[Rsvp], time_zone: str) -> bytes:
    """UTF-8 with a byte order mark, which Excel needs to read Korean text correctly."""
    zone = ZoneInfo(time_zone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for rsvp in rsvps:
        writer.writerow(
            (
                safe_cell(rsvp.name),
                SIDES[rsvp.side],
                "참석" if rsvp.attending else "불참",
                rsvp.party_size,
                MEALS[rsvp.meal] if rsvp.meal else "",
                safe_cell(rsvp.note or ""),
                rsvp.updated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            )
        )
    return out.getvalue().encode("utf-8-sig")
