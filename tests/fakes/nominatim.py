"""A Nominatim server's ``GET /search?format=jsonv2`` answering from a small table, refusing
requests without a User-Agent as the public servers do."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.fakes.http import FakeServer, Reply, Request

PLACES = [
    {
        "place_id": 1,
        "lat": "51.5007292",
        "lon": "-0.1246254",
        "name": "Westminster Abbey",
        "display_name": "Westminster Abbey, Parliament Square, London, SW1P 3PA, United Kingdom",
        "category": "amenity",
        "type": "place_of_worship",
    }
]


class FakeNominatim(FakeServer):
    def __init__(self) -> None:
        super().__init__(self._answer)

    async def _answer(self, request: Request, reply: Reply) -> None:
        if not request.headers.get("user-agent"):
            await reply.json(403, {"error": "access blocked: no User-Agent"})
            return
        url = urlsplit(request.path)
        query = parse_qs(url.query).get("q", [""])[0].casefold()
        found = [p for p in PLACES if query and query in p["display_name"].casefold()]
        await reply.json(200, found)
