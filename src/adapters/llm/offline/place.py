"""Where: the venue's name, its hall and its address, in Korean or English.

A venue is read from what introduces it ("예식장은 …", "장소는 … 으로 변경", "… 에서 결혼해요",
"at Rosewood Hall", "the venue is …"), and only as a last resort from a word that looks like
a venue by itself ("…호텔", "…웨딩홀"): venue names are brand names, so no list could know
them, while the phrases around them are few.
"""

from __future__ import annotations

import itertools
import re

import attrs

from adapters.llm.offline.korean import PLACE_ENDINGS, strip_ending

VENUE_NAME_MAX = 60
ADDRESS_MAX = 200

# Words that stand where a venue would but say only what kind of place it is.
GENERIC_PLACES = frozenset(
    {
        "예식장",
        "식장",
        "결혼식장",
        "웨딩홀",
        "호텔",
        "교회",
        "성당",
        "절",
        "집",
        "야외",
        "한국",
        "서울",
        "부산",
        "제주",
        "제주도",
        "해외",
        "하와이",
        "거기",
        "여기",
        "그곳",
        "이곳",
        "저기",
        "그",
        "이",
        "스몰",
        "야외웨딩",
        "하우스웨딩",
        "스몰웨딩",
        "웨딩",
        "가든",
        "채플",
        "컨벤션",
        "홀",
        "장소",
    }
)
_CLAUSE_END = r"[,.!?\n;]"
# "예식장은 …", "장소: …", "예식장 이름은 …" — but not "예식장 주소는 …" (an address), nor
# "…에 있는 X" where what comes first is only where the venue is ("서울 강남구에 있는 X").
_VENUE_CUE = re.compile(
    r"(?:예식\s*장소|웨딩\s*장소|결혼식\s*장소|결혼식장|예식장|웨딩홀|식장|장소|베뉴)\s*"
    r"(?!\s*(?:주소|위치|주차|시간|날짜|정보|안내))(?:이름|명)?\s*"
    r"(?:은|는|이|가|도|을|를)?\s*[:=]?\s*(?:[^,.!?\n;]{1,30}?(?:에\s*있는|에\s*위치한)\s+)?"
    r"(?:[^,.!?\n;→]{0,15}(?:→|->|=>)\s*)?(?P<rest>[^,.!?\n;]+)"
)

_AT_ACTION = re.compile(
    r"에서\s*(?:의\s*)?"
    r"(?:결혼|식을|식\s|예식|웨딩|해요|합니다|할\s*거|할게|하기로|올려|올립|진행|만나|뵙|모십)"
)
_LAST_CLAUSE = re.compile(r"[^,.!?\n;]*$")
_HALL_CUE = re.compile(
    r"(?<![가-힣A-Za-z])(?:홀|홀\s*이름|웨딩홀\s*이름)\s*(?:은|는|이|가)\s*(?P<rest>[^,.!?\n;]+)"
)
_ADDRESS_CUE = re.compile(r"(?:주소|위치)\s*(?:는|은|가|이)?\s*[:=]?\s*(?P<rest>[^.!?\n;]+)")
_VERB_TOKEN = re.compile(
    r"^(?:변경|바꿔|바꾸|바뀌|수정|고쳐|해\s*주|해줘|해요|해주세요|할게|할께|할래|정했|정해|잡았|"
    r"예약|했|합니다|입니다|이에요|예요|에요|이야|야|부탁|돼|되|될|으로|로|이고|이랑|랑|에서|"
    r"결혼|예식|식을|올려|진행|맞아|맞고|이요|요)"
)
_HALL_TOKEN = re.compile(
    r"^(?:지하\s*)?(?:B\d+|\d+)\s*(?:층|F)(?:[가-힣A-Za-z]*)$"
    r"|^[가-힣A-Za-z]+(?:홀|볼룸|룸|채플|가든|관|스퀘어|테라스|Hall|Ballroom|Room)$"
)
_FLOOR_TOKEN = re.compile(r"^(?:지하\s*)?(?:B\d+|\d+)\s*(?:층|F)")
_STOP_WORD = re.compile(
    r"^(?:저희|우리|저희는|우리는|드디어|내년|올해|후년|오후|오전|낮|정오|저녁|봄|여름|가을|겨울|"
    r"주말|토요일|일요일|그리고|그래서|그날|당일|이번|다음|신랑|신부|아|음|네|저|제|또|꼭|"
    r"결혼|예식|식|장소는|장소|예식장은|정보|지도|위치|주소|지하|로비|입구|출구|홀|홀은|홀이)$"
)
# Rooms and services of a venue, and wedding businesses that are not where the wedding is:
# "신부 대기실은 2층", "웨딩촬영", "드레스샵".
_NOT_A_VENUE = re.compile(
    r"대기실|주차|폐백|연회|식당|뷔페|화장실|엘리베이터|촬영|스튜디오|드레스|메이크업|스냅|플래너|"
    r"박람회|카페|상담|투어|예약"
)
# A word that ends like a verb or a request is not a place: "장소 알려드릴게요", "장소 표시해줘".
_VERBISH = re.compile(r"(?:줘|줘요|요|다|까|죠|네|세요|해|자|게|지|니)$")
_PARTICLE_LAST = re.compile(r"(?:에|은|는|이|가|을|를|고|요|서|도|로|의|와|과|랑|며|다)$")
_VENUE_WORD = re.compile(
    r"^[가-힣A-Za-z0-9&]*(?:호텔|웨딩|컨벤션|채플|예식장|가든|하우스|센터|타워|클럽|성당|교회|"
    r"아트홀|웨딩홀|더\S+|스퀘어|빌라|그랜드|팰리스|베뉴|볼룸)[가-힣A-Za-z0-9&]*$"
)
# Korean road and lot addresses: a province or city, districts, then a road and number
# ("서울 구로구 경인로 610", "경기 성남시 분당구 판교역로 146번길 20", "서울 강남구 청담동 123-4").
_PROVINCE = (
    r"(?:서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주|"
    r"충청북|충청남|전라북|전라남|경상북|경상남)(?:특별시|광역시|특별자치시|특별자치도|도|시)?"
)
# Each word is bounded and starts a word, so that a long run of Hangul is scanned once.
KO_ADDRESS = re.compile(
    rf"(?<![가-힣0-9])(?:{_PROVINCE}\s+(?:[가-힣]{{1,8}}(?:시|군|구)\s+){{0,2}}"
    r"|(?:[가-힣]{1,8}(?:시|군|구)\s+){1,2})"
    r"(?:[가-힣0-9]{1,12}(?:로|길|대로)(?:\s*\d{1,4}(?:번)?길)?\s*\d{1,5}(?:-\d{1,5})?"
    r"|[가-힣0-9]{1,12}(?:동|읍|면|리|가)\s*\d{1,5}(?:-\d{1,5})?(?:번지)?)(?![\d가-힣])"
)
# Only where a venue is: "서울", "강남구", "서울 강남구", "반포동".
_REGION = re.compile(
    rf"(?:{_PROVINCE}|[가-힣]{{1,6}}(?:시|군|구|동|읍|면))(?:\s+[가-힣]{{1,6}}(?:시|군|구|동|읍|면))*"
)
_CALENDAR_WORDS = (
    "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|"
    "June|July|August|September|October|November|December|Noon"
)
_EN_WORD = rf"(?!(?:{_CALENDAR_WORDS})\b)[A-Z][\w'’&\-]*"
_EN_VENUE_NAME = rf"{_EN_WORD}(?:\s+(?:(?:of|at|on|the|de|la|&|and)\s+)?{_EN_WORD}){{0,5}}"
_EN_ADDRESS = (
    rf"\d+(?:-\d+)?\s+{_EN_WORD}(?:\s+{_EN_WORD}){{0,4}}"
    rf"(?:,\s*{_EN_WORD}(?:\s+{_EN_WORD}){{0,3}}){{0,3}}"
)
_NOT_EN_VENUES = re.compile(
    r"^(?:Noon|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|"
    r"April|May|June|July|August|September|October|November|December|Seoul|Busan|Korea|Home|"
    r"Church|Hotel|Hall|Chapel|The|I|We)$"
)
EN_VENUE = re.compile(
    r"(?:\b(?:[Vv]enue|[Ll]ocation|[Pp]lace)(?:\s+is\s+now|\s+will\s+be|\s+is|\s+to|\s*:)\s+(?:at\s+)?"
    r"|\b(?:[Aa]t|held\s+at)\s+)"
    rf"(?:the\s+)?(?P<name>{_EN_VENUE_NAME})(?:\s*,\s*(?P<address>{_EN_ADDRESS}))?"
)
_EN_ROOM = re.compile(r"(?:Ballroom|Room|Suite|Terrace|Hall|Chapel|Garden|Floor)$")
_EN_VENUE_AFTER_ROOM = re.compile(rf",\s*(?:the\s+)?(?P<venue>{_EN_VENUE_NAME})")
# "the venue is rosewood hall": typed in lower case, taken only after "venue is" / "venue:".
EN_VENUE_LOWER = re.compile(
    r"\b(?:venue|location)(?:\s+is\s+now|\s+will\s+be|\s+is|\s+to|\s*:)\s+(?:the\s+)?"
    r"(?P<name>[a-z][a-z'’&\-]*(?:\s+[a-z][a-z'’&\-]*){0,4})(?=\s*(?:[,.;!?\n]|$))",
    re.IGNORECASE,
)
EN_ADDRESS = re.compile(r"\baddress(?:\s+is|\s*:)\s+(?P<address>[^.!?\n;]+)", re.IGNORECASE)
EN_HALL = re.compile(
    r"\b(?:hall|room|ballroom)(?:\s+is|\s*:)\s+(?:the\s+)?(?P<hall>[A-Z][^,.!?\n;]*)",
    re.IGNORECASE,
)
_ADDRESS_TAIL = re.compile(r"\s*(?:이에요|입니다|이예요|예요|에요|이고요?|이요|이야|요)$")


@attrs.frozen
class Place:
    name: str | None = None
    hall: str | None = None
    address: str | None = None


def read_place(text: str) -> Place:
    name, hall = _korean_venue(text)
    english_name, english_hall, english_address = _english_venue(text)
    name = name or english_name
    hall = hall or english_hall or _hall(text)
    address = _address(text) or english_address
    if name and address and (name in address or address in name):
        name = None  # "주소는 서울 구로구 경인로 610" was read as a place too
    return Place(
        name=name if name and len(name) <= VENUE_NAME_MAX else None,
        hall=hall if hall and len(hall) <= VENUE_NAME_MAX else None,
        address=address if address and len(address) <= ADDRESS_MAX else None,
    )


def _korean_venue(text: str) -> tuple[str | None, str | None]:
    for match in _VENUE_CUE.finditer(text):
        tokens = _tokens_until_verb(match["rest"])
        found = _name_and_hall(tokens)
        if found[0]:
            return found
    for match in _AT_ACTION.finditer(text):
        # The words of the same clause before "에서", read backwards from it.
        head = text[max(0, match.start() - 4 * VENUE_NAME_MAX) : match.start()]
        before = _LAST_CLAUSE.search(head)
        found = _name_and_hall(_tokens_backward(before.group(0) if before else ""))
        if found[0]:
            return found
    if _HALL_CUE.search(text):
        return None, None  # "홀은 2층 그랜드홀": a hall is being named, not the venue
    return _venue_by_look(text)


def _venue_by_look(text: str) -> tuple[str | None, str | None]:
    """A venue said without a cue: the word before a floor ("라비두스 3층 그랜드홀"), or a word
    that looks like a venue by itself ("더채플앳청담", "…호텔"), with the hall words after it."""
    for clause in re.split(_CLAUSE_END, text):
        tokens = [
            strip_ending(token, PLACE_ENDINGS, keep=2, keep_single=3)
            for token in clause.split()
            if len(token) <= VENUE_NAME_MAX
        ]
        for index, word in enumerate(tokens):
            before_floor = index + 1 < len(tokens) and _FLOOR_TOKEN.match(tokens[index + 1])
            looks = _VENUE_WORD.match(word) or (before_floor and _looks_like_name(word))
            if looks and _name_and_hall([word])[0]:
                hall = list(itertools.takewhile(_HALL_TOKEN.match, tokens[index + 1 :]))
                return word, " ".join(hall) or None
    return None, None


def _tokens_until_verb(rest: str) -> list[str]:
    """The words of a venue after its cue: up to a verb, a separator or the address."""
    tokens: list[str] = []
    for word in re.finditer(r"\S+", rest):
        piece = word.group(0)
        if (
            _VERB_TOKEN.match(piece)
            or piece in "/|·("
            or KO_ADDRESS.match(rest, word.start())
            or (piece[0].isdigit() and not _FLOOR_TOKEN.match(piece))  # a date or a time
        ):
            break
        tokens.append(piece)
        if strip_ending(piece, PLACE_ENDINGS, keep=2, keep_single=3) != piece:
            break  # "더채플앳청담으로 변경": the ending closes the name
    return tokens


def _tokens_backward(before: str) -> list[str]:
    """The words just before "에서": the hall words, the name, and at most two more words of a
    name ("그랜드 하얏트 서울"), stopping at a particle, a number or a word of the sentence."""
    words = before.split()
    if not words:
        return []
    taken = [words.pop()]
    while words and _HALL_TOKEN.match(taken[0]):
        taken.insert(0, words.pop())
    name_words = 1
    while words and name_words < 3 and not _VENUE_WORD.match(taken[0]):
        word = words.pop()
        if _STOP_WORD.match(word) or _PARTICLE_LAST.search(word) or not _looks_like_name(word):
            break
        taken.insert(0, word)
        name_words += 1
    return taken


def _looks_like_name(word: str) -> bool:
    return re.fullmatch(r"[가-힣A-Za-z&'’]+", word) is not None


def _name_and_hall(tokens: list[str]) -> tuple[str | None, str | None]:
    if not tokens:
        return None, None
    tokens = [*tokens[:-1], strip_ending(tokens[-1], PLACE_ENDINGS, keep=2, keep_single=3)]
    split = next((i for i in range(1, len(tokens)) if _HALL_TOKEN.match(tokens[i])), len(tokens))
    name = " ".join(tokens[:split]).strip()
    hall = " ".join(tokens[split:]).strip() or None
    last = name.split()[-1] if name else ""
    if (
        not name
        or name in GENERIC_PLACES
        or _NOT_A_VENUE.search(name)
        or _STOP_WORD.match(last)
        or _VERBISH.search(last)
        or _REGION.fullmatch(name)
    ):
        return None, hall
    return name, hall


def _hall(text: str) -> str | None:
    match = _HALL_CUE.search(text)
    if match:
        tokens = _tokens_until_verb(match["rest"])
        if tokens:
            tokens[-1] = strip_ending(tokens[-1], PLACE_ENDINGS, keep=2, keep_single=3)
            return " ".join(tokens)
    english = EN_HALL.search(text)
    return english["hall"].strip() if english else None


def _address(text: str) -> str | None:
    match = KO_ADDRESS.search(text)
    if match:
        return re.sub(r"\s+", " ", match.group(0))
    cue = _ADDRESS_CUE.search(text) or EN_ADDRESS.search(text)
    if cue:
        rest = cue["rest"] if "rest" in cue.groupdict() else cue["address"]
        address = _ADDRESS_TAIL.sub("", rest.strip())
        if re.search(r"\d", address):
            return address
    return None


def _english_venue(text: str) -> tuple[str | None, str | None, str | None]:
    """Name, hall and address. "at the Grand Ballroom, Lotte Hotel Seoul": a room first, then
    the venue it is in."""
    for match in EN_VENUE.finditer(text):
        name = match["name"].strip()
        if _NOT_EN_VENUES.match(name):
            continue
        inside = _EN_VENUE_AFTER_ROOM.match(text, match.end("name"))
        if _EN_ROOM.search(name) and inside:
            return inside["venue"], name, None
        return name, None, match["address"]
    lower = EN_VENUE_LOWER.search(text)
    if lower and lower["name"].islower():
        return lower["name"].title(), None, None
    return None, None, None
