"""Kakao Local's keyword and address searches (``GET /v2/local/search/{keyword,address}.json``)
answering from a small table of venues, with the key's error bodies as Kakao sends them."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http import FakeServer, Reply, Request

KEY = "kakao-rest-test-key"
VENUES: list[dict[str, str]] = [
    {
        "place_name": "더채플앳청담",
        "address_name": "서울 강남구 청담동 4-1",
        "road_address_name": "서울 강남구 선릉로158길 11",
        "x": "127.0423451",
        "y": "37.5243234",
    },
    {
        "place_name": "더채플앳논현",
        "address_name": "서울 강남구 논현동 221",
        "road_address_name": "서울 강남구 봉은사로 311",
        "x": "127.0345678",
        "y": "37.5101234",
    },
]
ADDRESSES: list[dict[str, Any]] = [
    {
        "address_name": "서울 중구 세종대로 110",
        "x": "126.9779692",
        "y": "37.5662952",
        "road_address": {"address_name": "서울 중구 세종대로 110", "building_name": "서울시청"},
    }
]


class FakeKakaoLocal(FakeServer):
    def __init__(self) -> None:
        super().__init__(self._answer)
        self.refusal: tuple[int, dict[str, Any]] | None = None

    async def _answer(self, request: Request, reply: Reply) -> None:
        if request.headers.get("authorization") != f"KakaoAK {KEY}":
            body = {"errorType": "AccessDeniedError", "message": "wrong appKey format"}
            await reply.json(401, body)
            return
        if self.refusal is not None:
            await reply.json(*self.refusal)
            return
        url = urlsplit(request.path)
        query = parse_qs(url.query).get("query", [""])[0]
        size = int(parse_qs(url.query).get("size", ["15"])[0])
        if url.path == "/v2/local/search/keyword.json":
            found = [v for v in VENUES if query.replace(" ", "") in v["place_name"]]
        elif url.path == "/v2/local/search/address.json":
            found = [a for a in ADDRESSES if query in a["address_name"]]
        else:
            await reply.json(404, {"errorType": "NotFound", "message": url.path})
            return
        meta = {"total_count": len(found), "pageable_count": len(found), "is_end": True}
        await reply.json(200, {"documents": found[:size], "meta": meta})


def disabled() -> tuple[int, dict[str, Any]]:
    message = "App(mocheong) disabled OPEN_MAP_AND_LOCAL service."
    return 403, {"errorType": "NotAuthorizedError", "message": message}
