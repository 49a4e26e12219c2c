"""Gift accounts: "신랑 계좌 국민은행 123-45-6789 김도윤", "신부 어머니 카카오뱅크 3333-01-2345678".

An account is a bank name followed by a number of at least eight digits (Korean account
numbers have 10 to 14), so that "우리" ("we", and also a bank) is only a bank when a number
follows it. Whose account it is comes from the person named last before it, as for phones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from adapters.llm.offline.people import Mention, clean_korean_name, owner_before

# As written → as the page shows it.
_BANKS: dict[str, str] = {
    "kb국민": "국민은행",
    "국민": "국민은행",
    "신한": "신한은행",
    "우리": "우리은행",
    "keb하나": "하나은행",
    "하나": "하나은행",
    "nh농협": "농협은행",
    "농협": "농협은행",
    "ibk기업": "기업은행",
    "기업": "기업은행",
    "카카오뱅크": "카카오뱅크",
    "카카오": "카카오뱅크",
    "토스뱅크": "토스뱅크",
    "토스": "토스뱅크",
    "케이뱅크": "케이뱅크",
    "k뱅크": "케이뱅크",
    "sc제일": "SC제일은행",
    "제일": "SC제일은행",
    "씨티": "씨티은행",
    "부산": "부산은행",
    "대구": "대구은행",
    "im뱅크": "iM뱅크",
    "경남": "경남은행",
    "광주": "광주은행",
    "전북": "전북은행",
    "제주": "제주은행",
    "새마을금고": "새마을금고",
    "새마을": "새마을금고",
    "신협": "신협",
    "우체국": "우체국",
    "수협": "수협은행",
    "kdb산업": "산업은행",
    "산업": "산업은행",
    "kookmin": "KB Kookmin Bank",
    "shinhan": "Shinhan Bank",
    "woori": "Woori Bank",
    "hana": "Hana Bank",
    "nonghyup": "NH NongHyup Bank",
    "kakao": "KakaoBank",
    "kakaobank": "KakaoBank",
    "toss": "Toss Bank",
}
_BANK_WORDS = sorted(
    (re.sub(r"([a-z])", lambda m: f"[{m[1]}{m[1].upper()}]", key) for key in _BANKS),
    key=len,
    reverse=True,
)
ACCOUNT = re.compile(
    r"(?<![가-힣A-Za-z])(?P<bank>"
    + "|".join(w.replace("뱅크", r"\s*뱅크") for w in _BANK_WORDS)
    + r")"
    r"\s*(?:은행|[Bb]ank)?\s*(?:계좌)?\s*[:\-]?\s*"
    r"(?P<number>\d[\d -]{6,28}\d)(?![\d-])"
    r"(?:\s*\(?\s*(?:예금주\s*[:]?\s*)?(?P<holder>[가-힣]{2,6}|[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})\)?)?"
)
RELATIONS = {
    ("groom",): "groom",
    ("bride",): "bride",
    ("groom", "father"): "groom_father",
    ("groom", "mother"): "groom_mother",
    ("bride", "father"): "bride_father",
    ("bride", "mother"): "bride_mother",
}
NUMBER_MAX = 30


@attrs.frozen
class Account:
    relation: str
    bank: str
    number: str
    holder: str | None
    at: int


def read_accounts(
    text: str, mentions: Sequence[Mention], speaker: str | None
) -> tuple[list[Account], list[str]]:
    """The accounts given, and the numbers whose owner could not be told (to ask about)."""
    accounts: list[Account] = []
    unknown: list[str] = []
    for match in ACCOUNT.finditer(text):
        number = re.sub(r"\s+", " ", match["number"]).strip()
        if sum(ch.isdigit() for ch in number) < 8 or len(number) > NUMBER_MAX:
            continue
        owner = owner_before(match.start(), mentions, text, speaker)
        relation = RELATIONS.get(owner) if owner else None
        if relation is None:
            unknown.append(number)
            continue
        bank = _BANKS[re.sub(r"\s+", "", match["bank"]).lower()]
        holder = match["holder"]
        if holder and re.match(r"[가-힣]", holder):
            holder = clean_korean_name(holder)
        accounts.append(Account(relation, bank, number, holder, match.start()))
    return accounts, unknown


def merged_accounts(
    current: Any, accounts: Sequence[Account], names: Mapping[str, str | None]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The page's account list with ``accounts`` in it (a merge patch replaces a list whole).

    An invitation shows one account per person, so a new account of the same person replaces
    the old one. The holder, when not said, is the person's name as the page knows it;
    ``names`` maps a relation to it. Accounts whose holder is unknown are returned apart."""
    listed = (
        [dict(item) for item in current if isinstance(item, Mapping)]
        if isinstance(current, list)
        else []
    )
    without_holder: list[str] = []
    for account in accounts:
        holder = account.holder or names.get(account.relation)
        if not holder:
            without_holder.append(account.number)
            continue
        entry = {
            "relation": account.relation,
            "bank": account.bank,
            "holder": holder,
            "number": account.number,
        }
        same = [i for i, item in enumerate(listed) if item.get("relation") == account.relation]
        if same:
            # The transfer links set for the old account stay with the new number.
            kept = {k: listed[same[0]][k] for k in ("kakaopay_url", "toss") if k in listed[same[0]]}
            listed[same[0]] = {**entry, **kept}
        else:
            listed.append(entry)
    return listed, without_holder
