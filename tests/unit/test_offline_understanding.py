"""The offline agent's reader: what one message changes on the page, in Korean or English.

Each row gives a message, the page it is read against, and the exact merge patch expected
(nothing more may be set), with the requests and refusals read beside it.
"""

from __future__ import annotations

import string
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from adapters.llm.offline.korean import final_consonant
from adapters.llm.offline.people import SURNAMES
from adapters.llm.offline.understanding import SectionChange, Understanding, understand
from mocheong_core.pages.content import PageContent, SectionKind
from mocheong_core.pages.document import PagePolicy, merge_patch, read_content
from mocheong_core.pages.edit import read_edit
from mocheong_core.pages.reader import DocumentReader

TODAY = date(2026, 12, 2)  # a Wednesday
EMPTY = PageContent().dump()
STORED: dict[str, Any] = merge_patch(
    EMPTY,
    {
        "couple": {
            "groom": {"name": "김도윤", "father": {"name": "김철수"}},
            "bride": {"name": "박하은"},
        },
        "ceremony": {"starts_at": "2027-10-09T13:30:00+09:00"},
        "venue": {
            "name": "더링크호텔",
            "hall": "3층 그랜드볼룸",
            "address": "서울 구로구 경인로 610",
            "lat": 37.5,
            "lng": 126.9,
        },
    },
)
ORDER = [kind.value for kind in SectionKind]
GROOM_ACCOUNT = {
    "relation": "groom",
    "bank": "국민은행",
    "holder": "김도윤",
    "number": "123-456-78901",
}
BRIDE_ACCOUNT = {
    "relation": "bride",
    "bank": "신한은행",
    "holder": "박하은",
    "number": "110-222-333444",
}
ONE_ACCOUNT = merge_patch(EMPTY, {"gift_accounts": [GROOM_ACCOUNT]})
TWO_ACCOUNTS = merge_patch(EMPTY, {"gift_accounts": [GROOM_ACCOUNT, BRIDE_ACCOUNT]})
NO_VIEWER = merge_patch(EMPTY, {"gallery_view": {"viewer": False}})
PAY = "https://qr.kakaopay.com/Ej8abc123"


def sections(order: list[str] | None = None, hidden: tuple[str, ...] = ()) -> list[Any]:
    return [{"kind": kind, "visible": kind not in hidden} for kind in order or ORDER]


def moved(kind: str, position: int) -> list[str]:
    order = [k for k in ORDER if k != kind]
    order.insert(position, kind)
    return order


def groom(**fields: Any) -> dict[str, Any]:
    return {"couple": {"groom": fields}}


def bride(**fields: Any) -> dict[str, Any]:
    return {"couple": {"bride": fields}}


def couple(groom_name: str, bride_name: str) -> dict[str, Any]:
    return {"couple": {"groom": {"name": groom_name}, "bride": {"name": bride_name}}}


def starts(moment: str) -> dict[str, Any]:
    return {"ceremony": {"starts_at": moment}}


def venue(**fields: Any) -> dict[str, Any]:
    return {"venue": fields}


def both(*patches: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for patch in patches:
        merged = merge_patch(merged, patch)
    return merged


@attrs.frozen
class Case:
    text: str
    patch: dict[str, Any]
    page: dict[str, Any] = EMPTY
    korean: bool | None = None
    sections: tuple[SectionChange, ...] = ()
    tone: str | None = None
    undo: bool = False
    query: str | None = None
    problems: tuple[str, ...] = ()
    time_assumed: bool = False


CASES: dict[str, Case] = {
    # The whole example of the issue.
    "issue example": Case(
        "신랑 김도윤, 신부 박하은이에요. 2027년 10월 9일 오후 1시 30분에 더링크호텔에서 결혼해요.",
        both(
            couple("김도윤", "박하은"),
            starts("2027-10-09T13:30:00+09:00"),
            venue(name="더링크호텔"),
        ),
        korean=True,
        query="더링크호텔",
    ),
    # Names, Korean.
    "roles with particles": Case(
        "신랑은 김도윤이고 신부는 박하은입니다", couple("김도윤", "박하은")
    ),
    "speaker is the groom": Case(
        "저는 김도윤이고 예비신부는 박하은이에요", couple("김도윤", "박하은")
    ),
    "speaker is the bride": Case(
        "저는 박하은이에요, 예비신랑은 김도윤이고요", couple("김도윤", "박하은")
    ),
    "name with 이랑": Case("신랑 김도윤이랑 신부 박하은", couple("김도윤", "박하은")),
    "name after a vowel takes 예요": Case("신부는 이수아예요", bride(name="이수아")),
    "name after a vowel takes 고": Case(
        "신부는 이수아고 신랑은 최민준이에요", couple("최민준", "이수아")
    ),
    "name ending in 이 keeps it": Case("신부 김수이", bride(name="김수이")),
    "name ending in 은 keeps it": Case("신부 박지은", bride(name="박지은")),
    "subject particle after 은": Case("신부 박지은이 맞아요", bride(name="박지은")),
    "name with 님": Case("신랑님 성함은 김도윤님입니다", groom(name="김도윤")),
    "name field wording": Case("신랑 이름은 김도윤이에요", groom(name="김도윤")),
    "colon form": Case("신랑: 김도윤 / 신부: 박하은", couple("김도윤", "박하은")),
    "two-syllable name": Case("신랑은 남궁민이고 신부는 이솔이에요", couple("남궁민", "이솔")),
    "given name only": Case("신부는 하은이에요", bride(name="하은")),
    "not a name after the role word": Case("신랑 입장할 때 음악 틀어주세요", {}),
    "correction of a name": Case(
        "신부 이름은 박하은이 아니라 박하윤이에요", bride(name="박하윤"), page=STORED
    ),
    "name repeated changes nothing": Case("신랑은 김도윤이에요", {}, page=STORED),
    # Names, English.
    "groom colon bride colon": Case(
        "Groom: Tom Baker, Bride: Ana Silva", couple("Tom Baker", "Ana Silva"), korean=False
    ),
    "groom X, bride Y": Case("groom Tom, bride Ana", couple("Tom", "Ana")),
    "mixed languages": Case("신랑 Tom Baker, 신부 박하은", couple("Tom Baker", "박하은")),
    "english role, korean name": Case(
        "Groom 김도윤, bride 박하은이에요", couple("김도윤", "박하은")
    ),
    "typed in lower case": Case(
        "groom: tom baker, bride: ana silva", couple("Tom Baker", "Ana Silva")
    ),
    "we're": Case("We're Tom and Ana!", couple("Tom", "Ana")),
    "we are": Case("We are Tom Baker and Ana Silva", couple("Tom Baker", "Ana Silva")),
    "the groom is": Case(
        "The groom is Tom Baker and the bride is Ana Silva", couple("Tom Baker", "Ana Silva")
    ),
    "I'm the groom": Case("I'm the groom, Tom Baker", groom(name="Tom Baker")),
    "X is the bride": Case("Tom is the groom and Ana is the bride", couple("Tom", "Ana")),
    "my fiancé": Case(
        "My fiancé is Minjun Kim and I'm Seoyeon Lee", couple("Minjun Kim", "Seoyeon Lee")
    ),
    "I'm and my fiancée": Case("I'm Tom and my fiancée is Ana", couple("Tom", "Ana")),
    "bride's name is": Case("The bride's name is Ana de Silva", bride(name="Ana de Silva")),
    "english correction": Case(
        "Actually the bride is Ana, not Anna",
        bride(name="Ana"),
        page=merge_patch(EMPTY, bride(name="Anna")),
    ),
    # Dates.
    "korean date keeps the stored time": Case(
        "날짜는 2027년 11월 13일로 바꿔주세요",
        starts("2027-11-13T13:30:00+09:00"),
        page=STORED,
    ),
    "dotted date": Case("2027.10.9 오후 2시", starts("2027-10-09T14:00:00+09:00")),
    "dashed date": Case("2027-05-15 13:00", starts("2027-05-15T13:00:00+09:00")),
    "slash date without a year": Case("10/9 낮 12시", starts("2027-10-09T12:00:00+09:00")),
    "weekday that agrees": Case("10월 9일 토요일 오후 1시", starts("2027-10-09T13:00:00+09:00")),
    "weekday in brackets": Case(
        "2027년 10월 9일(토) 오전 11시", starts("2027-10-09T11:00:00+09:00")
    ),
    "weekday that does not agree": Case(
        "2027년 10월 9일 일요일 오후 1시",
        {},
        page=STORED,
        problems=("2027년 10월 9일은 토요일이에요, 일요일이 아니에요",),
    ),
    "weekday said before the date": Case(
        "일요일인 10월 16일 오후 1시",
        {},
        problems=("2027년 10월 16일은 토요일이에요, 일요일이 아니에요",),
    ),
    "english weekday that does not agree": Case(
        "Sunday, October 9, 2027",
        {},
        problems=("October 9, 2027 is a Saturday, not a Sunday",),
    ),
    "next year": Case("내년 3월 14일 오후 3시", starts("2027-03-14T15:00:00+09:00")),
    "month without a year is the next one": Case(
        "3월 14일 오후 3시", starts("2027-03-14T15:00:00+09:00")
    ),
    "this month's day still ahead": Case("12월 19일 오후 3시", starts("2026-12-19T15:00:00+09:00")),
    "next month": Case("다음 달 5일 오후 1시", starts("2027-01-05T13:00:00+09:00")),
    "next week's saturday": Case("다음 주 토요일 오후 2시", starts("2026-12-12T14:00:00+09:00")),
    "this saturday": Case("this Saturday at 3pm", starts("2026-12-05T15:00:00+09:00")),
    "american date with its year": Case(
        "Date: 10/16/2027", starts("2027-10-16T13:30:00+09:00"), page=STORED
    ),
    "day first when it cannot be a month": Case(
        "16/10/2027", starts("2027-10-16T13:30:00+09:00"), page=STORED
    ),
    "korean shorthand date": Case("27.10.16 오후 1시", starts("2027-10-16T13:00:00+09:00")),
    "nth weekday of a month": Case(
        "10월 셋째 주 토요일 오후 1시", starts("2027-10-16T13:00:00+09:00")
    ),
    "english nth weekday": Case(
        "the third Saturday of October at 1pm", starts("2027-10-16T13:00:00+09:00")
    ),
    "an nth weekday that does not exist": Case(
        "2월 다섯째 주 월요일", {}, problems=("2월 다섯째 주 월요일은 없는 날짜예요",)
    ),
    "a lunar date is refused": Case(
        "음력 8월 15일 오후 1시", {}, page=STORED, problems=("음력 날짜는 양력으로 알려주세요",)
    ),
    "a question about the calendar": Case("3월 14일은 무슨 요일이에요?", {}, page=STORED),
    "two-digit year": Case("27년 5월 15일 1시", starts("2027-05-15T13:00:00+09:00")),
    "date without time, nothing stored": Case(
        "2027년 10월 9일이에요", starts("2027-10-09T12:00:00+09:00"), time_assumed=True
    ),
    "date in the past": Case(
        "2025년 5월 3일 오후 1시", {}, problems=("2025년 5월 3일은 이미 지난 날짜예요",)
    ),
    "impossible date": Case("2월 30일 오후 1시", {}, problems=("2월 30일은 없는 날짜예요",)),
    "english impossible date": Case(
        "June 31, 2027 at 2pm", {}, problems=("June 31, 2027 is not a date that exists",)
    ),
    "english month first": Case(
        "June 5, 2027 at 3:30 pm", starts("2027-06-05T15:30:00+09:00"), korean=False
    ),
    "english day first": Case("5 June 2027, 15:30", starts("2027-06-05T15:30:00+09:00")),
    "english ordinal": Case(
        "October 9th at 1:30 in the afternoon", starts("2027-10-09T13:30:00+09:00")
    ),
    "english correction of the date": Case(
        "actually the date is June 6", starts("2027-06-06T13:30:00+09:00"), page=STORED
    ),
    "date moved from one day to another": Case(
        "10월 9일에서 10월 16일로 옮겼어요", starts("2027-10-16T13:30:00+09:00"), page=STORED
    ),
    # Times against a stored date.
    "time correction keeps the date": Case(
        "아 시간은 2시로 바꿔줘", starts("2027-10-09T14:00:00+09:00"), page=STORED
    ),
    "half past": Case("2시 반으로 해주세요", starts("2027-10-09T14:30:00+09:00"), page=STORED),
    "noon": Case("정오로 바꿔주세요", starts("2027-10-09T12:00:00+09:00"), page=STORED),
    "midday 12": Case("낮 12시", starts("2027-10-09T12:00:00+09:00"), page=STORED),
    "morning": Case("오전 11시로요", starts("2027-10-09T11:00:00+09:00"), page=STORED),
    "24-hour clock": Case("15:30", starts("2027-10-09T15:30:00+09:00"), page=STORED),
    "korean 24-hour": Case("13시 20분", starts("2027-10-09T13:20:00+09:00"), page=STORED),
    "english pm": Case("3:30 pm please", starts("2027-10-09T15:30:00+09:00"), page=STORED),
    "english o'clock in the afternoon": Case(
        "at 2 o'clock in the afternoon", starts("2027-10-09T14:00:00+09:00"), page=STORED
    ),
    "time corrected with 아니라": Case(
        "2시가 아니라 3시예요", starts("2027-10-09T15:00:00+09:00"), page=STORED
    ),
    "hour in native numbers": Case(
        "오후 두시로 바꿔줘", starts("2027-10-09T14:00:00+09:00"), page=STORED
    ),
    "not an hour": Case("한시도 쉬지 않고 준비했어요", {}, page=STORED),
    "time without any date": Case(
        "시간은 오후 2시예요",
        {},
        problems=("오후 2시에 하시는군요. 예식 날짜를 알려주시면 시간과 함께 저장할게요",),
    ),
    # Venue.
    "venue cue": Case("예식장은 더링크호텔이에요", venue(name="더링크호텔"), query="더링크호텔"),
    "venue with hall": Case(
        "예식장은 더링크호텔 3층 그랜드볼룸이에요",
        venue(name="더링크호텔", hall="3층 그랜드볼룸"),
        query="더링크호텔",
    ),
    "hall before 에서": Case(
        "더링크호텔 3층 그랜드볼룸에서 결혼합니다",
        venue(name="더링크호텔", hall="3층 그랜드볼룸"),
        query="더링크호텔",
    ),
    "venue correction clears the old place": Case(
        "장소는 더채플앳청담으로 변경",
        venue(name="더채플앳청담", hall=None, address=None, lat=None, lng=None),
        page=STORED,
        query="더채플앳청담",
    ),
    "venue name of several words": Case(
        "그랜드 하얏트 서울에서 식을 올려요",
        venue(name="그랜드 하얏트 서울"),
        query="그랜드 하얏트 서울",
    ),
    "venue by its look alone": Case(
        "더채플앳청담 3층 채플홀",
        venue(name="더채플앳청담", hall="3층 채플홀"),
        query="더채플앳청담",
    ),
    "korean address": Case(
        "주소는 서울 구로구 경인로 610이에요",
        venue(address="서울 구로구 경인로 610"),
        query="서울 구로구 경인로 610",
    ),
    "venue and address": Case(
        "예식장은 더링크호텔, 서울 구로구 경인로 610",
        venue(name="더링크호텔", address="서울 구로구 경인로 610"),
        query="더링크호텔 서울 구로구 경인로 610",
    ),
    "new address clears the coordinates": Case(
        "주소는 서울 구로구 경인로 620",
        venue(address="서울 구로구 경인로 620", lat=None, lng=None),
        page=STORED,
        query="서울 구로구 경인로 620",
    ),
    "english venue and address": Case(
        "The wedding is at Rosewood Hall, 12 Garden Road",
        venue(name="Rosewood Hall", address="12 Garden Road"),
        query="Rosewood Hall 12 Garden Road",
    ),
    "english room then venue": Case(
        "We're getting married at the Grand Ballroom, Lotte Hotel Seoul",
        venue(name="Lotte Hotel Seoul", hall="Grand Ballroom"),
        query="Lotte Hotel Seoul",
    ),
    "english venue change": Case(
        "Change the venue to The Plaza",
        venue(name="The Plaza", hall=None, address=None, lat=None, lng=None),
        page=STORED,
        query="The Plaza",
    ),
    "renamed venue at the same address keeps its pin": Case(
        "예식장 더링크호텔 서울 / 서울 구로구 경인로 610",
        venue(name="더링크호텔 서울", hall=None),
        page=STORED,
        query="더링크호텔 서울 서울 구로구 경인로 610",
    ),
    "a wedding business is no venue": Case("오늘 3시에 웨딩촬영 있어요", {}, page=STORED),
    "a room of the venue is no venue": Case("신부 대기실은 2층이에요", {}, page=STORED),
    "english venue in lower case": Case(
        "the venue is rosewood hall", venue(name="Rosewood Hall"), query="Rosewood Hall"
    ),
    "english venue cue": Case(
        "The venue is The Plaza Hotel", venue(name="The Plaza Hotel"), query="The Plaza Hotel"
    ),
    "where the venue is, then the venue": Case(
        "장소는 서울 강남구에 있는 더채플앳청담이에요",
        venue(name="더채플앳청담"),
        query="더채플앳청담",
    ),
    "a venue's address is no venue name": Case(
        "식장 주소는 서울특별시 강남구 선릉로 757이에요",
        venue(address="서울특별시 강남구 선릉로 757", lat=None, lng=None),
        page=STORED,
        query="서울특별시 강남구 선릉로 757",
    ),
    "venue before a floor": Case(
        "라비두스 3층 그랜드홀이에요",
        venue(name="라비두스", hall="3층 그랜드홀"),
        query="라비두스",
    ),
    "english venue with a date after it": Case(
        "The wedding will be held at The Shilla Seoul on Saturday, May 15, 2027 at noon.",
        both(venue(name="The Shilla Seoul"), starts("2027-05-15T12:00:00+09:00")),
        query="The Shilla Seoul",
    ),
    "venue after an arrow": Case(
        "예식장 변경했어요 → 아모리스 역삼",
        venue(name="아모리스 역삼", hall=None, address=None, lat=None, lng=None),
        page=STORED,
        query="아모리스 역삼",
    ),
    "venue as an object": Case(
        "장소를 라움아트센터로 바꿔줘", venue(name="라움아트센터"), query="라움아트센터"
    ),
    "everything in one line": Case(
        "신랑 김도윤 신부 박하은 예식장 더링크호텔 2027.10.9 13:30",
        both(
            couple("김도윤", "박하은"),
            venue(name="더링크호텔"),
            starts("2027-10-09T13:30:00+09:00"),
        ),
        query="더링크호텔",
    ),
    "hall alone": Case("홀은 2층 그랜드홀이에요", venue(hall="2층 그랜드홀"), page=STORED),
    "a church is no venue name": Case("교회에서 결혼해요", {}),
    "a city is no venue name": Case("서울에서 결혼해요", {}),
    # Parents, titles, phones.
    "groom's parents": Case(
        "신랑 아버지 김철수, 어머니 박영희",
        groom(father={"name": "김철수"}, mother={"name": "박영희"}),
    ),
    "bride's mother": Case("신부 어머니 이순자", bride(mother={"name": "이순자"})),
    "parents after a named role": Case(
        "신부 박하은, 아버지 박민호, 어머니 최은정",
        both(bride(name="박하은", father={"name": "박민호"}, mother={"name": "최은정"})),
    ),
    "father found by surname": Case(
        "아버지는 박민호예요", bride(father={"name": "박민호"}), page=STORED
    ),
    "late father": Case(
        "신랑 아버지 고 김철수", groom(father={"name": "김철수", "deceased": True})
    ),
    "english parent": Case(
        "The groom's father is John Baker", groom(father={"name": "John Baker"})
    ),
    "english mother of the bride": Case(
        "mother of the bride: Maria Silva", bride(mother={"name": "Maria Silva"})
    ),
    "whose parent is unknown": Case(
        "어머니 성함은 박영희예요",
        {},
        problems=("박영희님이 신랑 쪽인지 신부 쪽인지 알려주세요",),
    ),
    "titles": Case(
        "신랑 김도윤은 장남이고 신부 박하은은 차녀예요",
        both(couple("김도윤", "박하은"), groom(title="장남"), bride(title="차녀")),
    ),
    "phones": Case(
        "신랑 010-1234-5678, 신부 010 9876 5432",
        both(groom(phone="010-1234-5678"), bride(phone="010-9876-5432")),
    ),
    "parent's phone": Case(
        "신부 어머니 이순자 01055556666",
        bride(mother={"name": "이순자", "phone": "010-5555-6666"}),
    ),
    "english phone": Case("The bride's phone is 010-2222-3333", bride(phone="010-2222-3333")),
    "speaker's own phone": Case(
        "저는 신부예요. 제 번호는 010-1111-2222예요", bride(phone="010-1111-2222"), page=STORED
    ),
    "whose phone is unknown": Case(
        "제 번호는 010-1111-2222예요", {}, problems=("누구 연락처인지 알려주세요: 010-1111-2222",)
    ),
    "parent named by relation only": Case(
        "신랑 아버지 연락처 010-1234-5678", groom(father={"phone": "010-1234-5678"})
    ),
    "parent who passed away": Case(
        "신부측 아버지는 돌아가셨어요", bride(father={"deceased": True})
    ),
    "his father": Case(
        "The groom's mother is Mary Baker and his father is John Baker",
        groom(mother={"name": "Mary Baker"}, father={"name": "John Baker"}),
    ),
    "parents as a pair": Case(
        "신랑측 혼주는 김철수, 박영희입니다",
        groom(father={"name": "김철수"}, mother={"name": "박영희"}),
    ),
    "phone by the given name": Case(
        "도윤이 번호는 010-1111-2222", groom(phone="010-1111-2222"), page=STORED
    ),
    # Gift accounts.
    "groom's account": Case(
        "신랑 계좌 국민은행 123-45-6789 김도윤",
        {
            "gift_accounts": [
                {
                    "relation": "groom",
                    "bank": "국민은행",
                    "holder": "김도윤",
                    "number": "123-45-6789",
                }
            ]
        },
    ),
    "holder from the page": Case(
        "신부 카카오뱅크 3333-01-2345678",
        {
            "gift_accounts": [
                {
                    "relation": "bride",
                    "bank": "카카오뱅크",
                    "holder": "박하은",
                    "number": "3333-01-2345678",
                }
            ]
        },
        page=STORED,
    ),
    "holder unknown": Case(
        "신부 카카오뱅크 3333-01-2345678",
        {},
        problems=("예금주 이름을 알려주세요: 3333-01-2345678",),
    ),
    "우리 is a bank only before a number": Case(
        "우리 2027년 10월 9일 오후 1시에 결혼해요", starts("2027-10-09T13:00:00+09:00")
    ),
    # RSVP.
    "rsvp off": Case("참석 여부 받지 않을게요", {"rsvp": {"enabled": False}}),
    "rsvp deadline": Case(
        "참석 여부는 2027년 9월 30일까지 받아주세요",
        {"rsvp": {"deadline": "2027-09-30T23:59:59+09:00"}},
        page=STORED,
    ),
    "english rsvp deadline keeps the wedding date": Case(
        "RSVP by September 30, wedding on October 16",
        both(
            {"rsvp": {"deadline": "2027-09-30T23:59:59+09:00"}},
            starts("2027-10-16T13:30:00+09:00"),
        ),
        page=STORED,
    ),
    "ask about the meal": Case("식사 여부도 물어봐 주세요", {"rsvp": {"ask_meal": True}}),
    # Sections.
    "hide the gallery": Case(
        "갤러리 숨겨줘",
        {"sections": sections(hidden=("gallery",))},
        sections=(SectionChange("gallery", "hide"),),
    ),
    "show the map": Case(
        "show the map",
        {"sections": sections()},
        page=merge_patch(EMPTY, {"sections": sections(hidden=("venue",))}),
        sections=(SectionChange("venue", "show"),),
    ),
    "guestbook to the top": Case(
        "방명록을 맨 위로",
        {"sections": sections(moved("guestbook", 0))},
        sections=(SectionChange("guestbook", "move", 0),),
    ),
    "gallery after the greeting": Case(
        "move the gallery after the greeting",
        {"sections": sections(moved("gallery", 2))},
        sections=(SectionChange("gallery", "move", 2),),
    ),
    "korean move after": Case(
        "갤러리를 인사말 다음으로 옮겨줘",
        {"sections": sections(moved("gallery", 2))},
        sections=(SectionChange("gallery", "move", 2),),
    ),
    "move before": Case(
        "put the map before the calendar",
        {"sections": sections(moved("venue", ORDER.index("calendar")))},
        sections=(SectionChange("venue", "move", ORDER.index("calendar")),),
    ),
    "to the bottom": Case(
        "표지는 맨 아래로 내려줘",
        {"sections": sections(moved("cover", len(ORDER) - 1))},
        sections=(SectionChange("cover", "move", len(ORDER) - 1),),
    ),
    "hide two at once": Case(
        "갤러리랑 방명록 숨겨줘",
        {"sections": sections(hidden=("gallery", "guestbook"))},
        sections=(SectionChange("gallery", "hide"), SectionChange("guestbook", "hide")),
    ),
    "hide one and show another": Case(
        "hide the guestbook and show the calendar",
        {"sections": sections(hidden=("guestbook",))},
        page=merge_patch(EMPTY, {"sections": sections(hidden=("calendar",))}),
        sections=(SectionChange("guestbook", "hide"), SectionChange("calendar", "show")),
    ),
    "one place up": Case(
        "지도 좀 위로 올려줄래요?",
        {"sections": sections(moved("venue", ORDER.index("venue") - 1))},
        sections=(SectionChange("venue", "move", ORDER.index("venue") - 1),),
    ),
    "after, with 다음에": Case(
        "갤러리는 인사말 바로 다음에 넣어주세요",
        {"sections": sections(moved("gallery", 2))},
        sections=(SectionChange("gallery", "move", 2),),
    ),
    "turned off": Case(
        "방명록 기능 꺼주세요",
        {"sections": sections(hidden=("guestbook",))},
        sections=(SectionChange("guestbook", "hide"),),
    ),
    "not shown, korean": Case(
        "계좌번호는 안 보이게 해주세요",
        {"sections": sections(hidden=("gift_accounts",))},
        sections=(SectionChange("gift_accounts", "hide"),),
    ),
    # What guests use on their phones (guest_tools.py).
    "photo viewer on": Case(
        "사진 누르면 크게 넘겨 보게 해줘", {"gallery_view": {"viewer": True}}, page=NO_VIEWER
    ),
    "photo viewer, english": Case(
        "tap a photo to enlarge it", {"gallery_view": {"viewer": True}}, page=NO_VIEWER
    ),
    "photo viewer off keeps the gallery": Case(
        "사진 크게 보기 꺼줘", {"gallery_view": {"viewer": False}}
    ),
    "gallery as slides": Case("갤러리 슬라이드로 해줘", {"gallery_view": {"layout": "slide"}}),
    "gallery as a carousel": Case(
        "make the gallery a carousel", {"gallery_view": {"layout": "slide"}}
    ),
    "gallery as a grid again": Case(
        "갤러리는 바둑판으로 보여줘",
        {"gallery_view": {"layout": "grid"}},
        page=merge_patch(EMPTY, {"gallery_view": {"layout": "slide"}}),
    ),
    "kakao map off": Case("지도는 링크만 보여줘", {"map_view": {"interactive": False}}),
    "share buttons off": Case("공유 버튼 빼줘", {"share": {"buttons": False}}),
    "kakaopay on the only account": Case(
        f"카카오페이 링크 넣어줘 {PAY}",
        {"gift_accounts": [{**GROOM_ACCOUNT, "kakaopay_url": PAY}]},
        page=ONE_ACCOUNT,
    ),
    "kakaopay on the bride's account": Case(
        f"신부 카카오페이 {PAY} 넣어주세요",
        {"gift_accounts": [GROOM_ACCOUNT, {**BRIDE_ACCOUNT, "kakaopay_url": PAY}]},
        page=TWO_ACCOUNTS,
    ),
    "kakaopay with the account it goes with": Case(
        f"신랑 계좌 카카오뱅크 3333-01-2345678 김도윤, 카카오페이 {PAY}",
        {
            "gift_accounts": [
                {
                    "relation": "groom",
                    "bank": "카카오뱅크",
                    "holder": "김도윤",
                    "number": "3333-01-2345678",
                    "kakaopay_url": PAY,
                }
            ]
        },
    ),
    "kakaopay of whom": Case(
        f"카카오페이 {PAY}",
        {},
        page=TWO_ACCOUNTS,
        problems=("어느 분 계좌의 카카오페이 링크인지 알려주세요",),
    ),
    "not a kakaopay link": Case(
        "카카오페이 링크 https://qr.kakaopay.com.example.net/x",
        {},
        page=ONE_ACCOUNT,
        problems=(
            "카카오페이 송금 링크(https://qr.kakaopay.com/…)가 아니에요: "
            "https://qr.kakaopay.com.example.net/x",
        ),
    ),
    "toss links on every account": Case(
        "토스 송금 버튼도 넣어줘",
        {"gift_accounts": [{**GROOM_ACCOUNT, "toss": True}, {**BRIDE_ACCOUNT, "toss": True}]},
        page=TWO_ACCOUNTS,
    ),
    "toss without an account": Case("토스 링크 넣어줘", {}, problems=("계좌를 먼저 알려주세요",)),
    # How the page reads and moves, and after the wedding (occasion.py).
    "large serif text for elders": Case(
        "어른들도 보시니 글씨 크게, 명조체로", {"text": {"scale": 1.3, "font": "myeongjo"}}
    ),
    "slightly larger text": Case("글씨 조금 크게 해줘", {"text": {"scale": 1.15}}),
    "gothic back to normal size": Case(
        "고딕체로 바꾸고 글씨 크기는 원래대로",
        {"text": {"scale": 1, "font": "gothic"}},
        page=merge_patch(EMPTY, {"text": {"scale": 1.3}}),
    ),
    "larger text, english": Case(
        "Larger text please, in a serif font", {"text": {"scale": 1.3, "font": "myeongjo"}}
    ),
    "sans-serif is gothic": Case("use a sans-serif font", {"text": {"font": "gothic"}}),
    "thanks after the wedding": Case(
        "식 끝나면 감사 인사로 바꿔줘", {"after_wedding": {"mode": "thanks"}}
    ),
    "lock three hours after": Case(
        "식 끝나고 3시간 뒤에 청첩장 닫아줘", {"after_wedding": {"mode": "lock", "hours": 3}}
    ),
    "stay after the wedding": Case(
        "결혼식 끝나도 그대로 둬",
        {"after_wedding": {"mode": "stay"}},
        page=merge_patch(EMPTY, {"after_wedding": {"mode": "lock"}}),
    ),
    "thanks, english": Case(
        "After the wedding, show a thank-you message", {"after_wedding": {"mode": "thanks"}}
    ),
    "falling cherry blossom petals": Case("벚꽃잎 날리게 해줘", {"effects": {"falling": "petals"}}),
    "snow": Case("눈 내리게 해줘", {"effects": {"falling": "snow"}}),
    "petals off": Case(
        "꽃잎 효과 빼줘",
        {"effects": {"falling": "none"}},
        page=merge_patch(EMPTY, {"effects": {"falling": "petals"}}),
    ),
    "falling petals, english": Case("Add falling petals", {"effects": {"falling": "petals"}}),
    "opening line": Case(
        "오프닝 문구 '우리 결혼합니다'로 해줘", {"effects": {"opening": "우리 결혼합니다"}}
    ),
    "rsvp prompt on opening": Case("들어오면 참석 여부 먼저 물어봐줘", {"rsvp": {"prompt": True}}),
    "rsvp prompt, english": Case(
        "Ask guests to RSVP when they open the page", {"rsvp": {"prompt": True}}
    ),
    "sticky rsvp button": Case("참석 버튼 항상 떠 있게 해줘", {"rsvp": {"button": True}}),
    "sticky rsvp button, english": Case("add a sticky RSVP button", {"rsvp": {"button": True}}),
    "countdown off": Case("카운트다운 빼줘", {"calendar_view": {"countdown": False}}),
    "guests' album on": Case(
        "하객들이 사진 올릴 수 있게 해줘", {"guest_photos": {"enabled": True}}
    ),
    "guests' album off": Case(
        "하객 사진 그만 받아줘",
        {"guest_photos": {"enabled": False}},
        page=merge_patch(EMPTY, {"guest_photos": {"enabled": True}}),
    ),
    "guests' album, english": Case(
        "Let guests upload their photos", {"guest_photos": {"enabled": True}}
    ),
    # Greetings.
    "greeting draft": Case("인사말 써줘", {}, tone="warm"),
    "formal tone alone": Case("격식 있게", {}, tone="formal"),
    "playful greeting": Case("a playful greeting please", {}, tone="playful"),
    "modern greeting": Case("인사말 좀 모던하게 바꿔줘", {}, tone="modern"),
    "faith greeting": Case("신앙이 느껴지는 인사말로 만들어주세요", {}, tone="faith"),
    "more formal": Case("make it more formal", {}, tone="formal"),
    "tone word with no request": Case("축복 속에 결혼해요", {}),
    "dictated greeting": Case(
        "인사말은 '서로 아끼며 살겠습니다'로 해주세요", {"greeting": "서로 아끼며 살겠습니다"}
    ),
    # Undo.
    "undo, korean": Case("방금 바꾼 거 되돌려줘", {}, undo=True),
    "undo, english": Case("undo that", {}, undo=True, korean=False),
    "revert short": Case("되돌려", {}, undo=True),
    "cancel the last change": Case("취소해줘 방금 거", {}, undo=True),
    "cancel something else": Case("예약을 취소했어요", {}),
    # Nothing to read.
    "small talk": Case("안녕하세요! 잘 부탁드려요", {}, korean=True),
    "english small talk": Case("Hi there, how does this work?", {}, korean=False),
}


def read(case: Case) -> Understanding:
    return understand(case.text, page=case.page, today=TODAY)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_message_sets_exactly_these_fields(case: Case) -> None:
    understood = read(case)
    assert understood.patch == case.patch
    assert understood.sections == case.sections
    assert understood.greeting_tone == case.tone
    assert understood.undo is case.undo
    assert understood.problems == case.problems
    assert understood.time_assumed is case.time_assumed
    if case.query is not None or understood.venue_query is not None:
        assert understood.venue_query == case.query
    if case.korean is not None:
        assert understood.korean is case.korean


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_every_patch_is_a_valid_change_of_its_page(case: Case) -> None:
    reader = DocumentReader()
    read_content(merge_patch(case.page, read(case).patch), PagePolicy(), reader)
    assert reader.validator.errors == []


def test_there_are_enough_phrasings() -> None:
    assert len(CASES) >= 80


# Property tests: the reader never fails, and what it writes the page accepts.

FRAGMENTS = (
    "신랑",
    "신부",
    "예비신부는",
    "저는",
    "아버지",
    "어머니",
    "고",
    "김도윤",
    "박하은이에요",
    "이고",
    "은",
    "이",
    "2027년",
    "10월",
    "9일",
    "토요일",
    "오후",
    "1시",
    "30분",
    "반",
    "정오",
    "10/9",
    "2027.10.9",
    "15:30",
    "3:30 pm",
    "June 5, 2027",
    "5 June",
    "Saturday",
    "에서",
    "결혼해요",
    "예식장은",
    "더링크호텔",
    "3층",
    "그랜드볼룸",
    "서울 구로구 경인로 610",
    "at Rosewood Hall, 12 Garden Road",
    "Groom:",
    "Bride:",
    "Tom Baker",
    "We're",
    "and",
    "010-1234-5678",
    "장남",
    "갤러리",
    "숨겨줘",
    "맨 위로",
    "인사말",
    "써줘",
    "격식 있게",
    "되돌려줘",
    "아니라",
    "not",
    "말고",
    ",",
    ".",
    "!",
    "'",
    "\n",
    "😀",
    "💍",
    "故",
)
messages = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(FRAGMENTS), max_size=30).map(" ".join),
    st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join),
)
pages = st.sampled_from([EMPTY, STORED, {}])


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=messages, page=pages)
@example(text="신랑 " + "김" * 5000 + "에서 결혼해요 " * 300, page=STORED)
@example(text="Groom: " + "Tom " * 3000, page=EMPTY)
@example(text="💍" * 4000, page=EMPTY)
def test_any_message_gives_a_change_the_page_accepts(text: str, page: dict[str, Any]) -> None:
    understood = understand(text, page=page, today=TODAY)
    reader = DocumentReader()
    read_content(merge_patch(page, understood.patch), PagePolicy(), reader)
    assert reader.validator.errors == []
    read_edit(understood.patch, None, PagePolicy())


def korean_names() -> st.SearchStrategy[str]:
    syllable = st.integers(0xAC00, 0xD7A3).map(chr)
    return st.tuples(st.sampled_from(sorted(SURNAMES)), syllable, syllable).map("".join)


# The particle forms that follow a syllable with a final consonant, and those after a vowel.
AFTER_CONSONANT = ("이에요", "입니다", "이고", "이랑", "과", "은", "이", "이요")
AFTER_VOWEL = ("예요", "입니다", "고", "랑", "와", "는", "가", "요")
# A name's own last syllable that is also a particle cannot be told from one by sound alone.
PARTICLE_SYLLABLES = frozenset("이은는가고랑와과요의로을를님씨며야")


@given(name=korean_names(), pick=st.integers(0, 7), role=st.sampled_from(["신랑", "신부"]))
def test_a_korean_name_loses_exactly_its_particle(name: str, pick: int, role: str) -> None:
    endings = AFTER_CONSONANT if final_consonant(name[-1]) else AFTER_VOWEL
    understood = understand(f"{role} {name}{endings[pick]}", page=EMPTY, today=TODAY)
    key = "groom" if role == "신랑" else "bride"
    if name[-1] in PARTICLE_SYLLABLES or name[1:] in ("이름", "성함"):
        return
    assert understood.patch.get("couple", {}).get(key, {}).get("name") == name


@given(
    day=st.dates(date(2027, 1, 1), date(2099, 12, 31)),
    hour=st.integers(9, 20),
    minute=st.sampled_from([0, 10, 30, 45]),
)
def test_a_korean_date_and_time_come_back_exact(day: date, hour: int, minute: int) -> None:
    part = "오후" if hour >= 12 else "오전"
    shown = hour - 12 if hour > 12 else hour
    text = f"{day.year}년 {day.month}월 {day.day}일 {part} {shown}시 {minute}분"
    understood = understand(text, page=EMPTY, today=TODAY)
    expected = f"{day.isoformat()}T{hour:02d}:{minute:02d}:00+09:00"
    assert understood.patch == {"ceremony": {"starts_at": expected}}


@given(day=st.dates(date(2027, 1, 1), date(2099, 12, 31)), wrong=st.integers(1, 6))
def test_a_weekday_that_does_not_match_changes_nothing(day: date, wrong: int) -> None:
    said = "월화수목금토일"[(day.weekday() + wrong) % 7]
    text = f"{day.year}년 {day.month}월 {day.day}일 {said}요일 오후 1시"
    understood = understand(text, page=STORED, today=TODAY)
    assert understood.patch == {}
    assert len(understood.problems) == 1


@given(text=st.text(string.ascii_letters + " ,.'", max_size=80).filter(str.strip))
def test_plain_english_is_answered_in_english(text: str) -> None:
    assume(any(ch.isalpha() for ch in text))
    assert understand(text, page=EMPTY, today=TODAY).korean is False
