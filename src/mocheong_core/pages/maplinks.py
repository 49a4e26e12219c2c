"""Links that open the venue in the map apps Korean guests use, made from the stored name and
coordinates alone (no API key).

Kakao Map's links are web URLs that hand over to the app when it is installed; Naver Map and
Tmap are reached through their app URL schemes, with a Naver web search when the app is absent
or no coordinates are stored. Every part taken from the page is percent-encoded.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import attrs

from mocheong_core.pages.content import Venue


@attrs.frozen
class Attribution:
    """The credit a map source asks for wherever its places are shown (OpenStreetMap's
    licence requires "© OpenStreetMap contributors" linked to its copyright page)."""

    text: str
    url: str

    def dump(self) -> dict[str, str]:
        return {"text": self.text, "url": self.url}


@attrs.frozen
class MapLinks:
    kakao: str
    """The place on Kakao Map (web link, opens the app when installed)."""
    kakao_route: str | None
    """Directions to the place in Kakao Map; None without coordinates."""
    naver: str
    """The place in the Naver Map app (``nmap://``), else a Naver Map web search."""
    naver_web: str
    tmap: str | None
    """Directions in the Tmap app (``tmap://``); None without coordinates."""
    google: str
    """A Google Maps search (by coordinates, else by address), for guests from abroad."""


def _google(query: str) -> str:
    return "https://www.google.com/maps/search/?" + urlencode(
        {"api": "1", "query": query}, quote_via=quote
    )


def _part(text: str) -> str:
    # Kakao's path form separates name and coordinates with commas, so a comma in the name
    # would shift them; a path segment must not carry slashes either.
    return quote(text.replace(",", " ").replace("/", " "), safe="")


def _coordinate(value: float) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".")


def map_links(venue: Venue, app_name: str) -> MapLinks | None:
    """Links for ``venue``; None when it has neither a name nor an address to look for.

    ``app_name`` identifies the caller to Naver (its URL scheme asks for the web page's URL).
    """
    label = venue.name or venue.address
    if not label:
        return None
    naver_web = "https://map.naver.com/p/search/" + quote(label, safe="")
    if venue.lat is None or venue.lng is None:
        return MapLinks(
            kakao="https://map.kakao.com/link/search/" + quote(venue.address or label, safe=""),
            kakao_route=None,
            naver=naver_web,
            naver_web=naver_web,
            tmap=None,
            google=_google(venue.address or label),
        )
    lat, lng = _coordinate(venue.lat), _coordinate(venue.lng)
    place = f"{_part(label)},{lat},{lng}"
    return MapLinks(
        kakao=f"https://map.kakao.com/link/map/{place}",
        kakao_route=f"https://map.kakao.com/link/to/{place}",
        naver="nmap://place?"
        + urlencode({"lat": lat, "lng": lng, "name": label, "appname": app_name}, quote_via=quote),
        naver_web=naver_web,
        tmap="tmap://route?"
        + urlencode({"goalname": label, "goalx": lng, "goaly": lat}, quote_via=quote),
        google=_google(f"{lat},{lng}"),
    )
