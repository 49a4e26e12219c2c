"""Who is marrying, their parents, titles and phone numbers, in Korean or English.

A Korean name is taken from right after a role word (신랑, 예비신부, 신랑 아버지 …) and
cleaned of its particles by the sound rule of ``korean.py``. What is left must look like a
person's name: 2 to 4 syllables (Korean full names are almost all three: a one-syllable
surname and a two-syllable given name; two and four occur), starting with a common surname
syllable (this refuses words that follow a role word but are not names: "신랑 입장", "신부
소개"), and not one of the words couples write there instead (이름, 연락처, 아버지 …).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import attrs

from adapters.llm.offline.korean import NAME_ENDINGS, has_hangul, strip_ending

Path = tuple[str, ...]
Fact = tuple[Path, object]

# The common Korean surnames, one syllable each (the hundred-odd that nearly all Koreans
# bear); 남궁, 황보, 제갈, 선우 and 독고 start with one of these too.
SURNAMES = frozenset(
    "김이박최정강조윤장임한오서신권황안송전홍유고문양손배백허남심노하곽성차주우구민류나진지엄"
    "채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예봉경사부"
    "갈독라피좌감음빈동온호범계시태견당화가리림로"
)
NOT_NAMES = frozenset(
    {
        "이름",
        "성함",
        "아버지",
        "아버님",
        "어머니",
        "어머님",
        "부모님",
        "부친",
        "모친",
        "아빠",
        "엄마",
        "연락처",
        "전화",
        "전화번호",
        "번호",
        "휴대폰",
        "핸드폰",
        "계좌",
        "계좌번호",
        "혼주",
        "신랑",
        "신부",
        "입장",
        "소개",
        "사진",
        "정보",
        "이름은",
        "측",
        "쪽",
        "이번",
        "이제",
        "이미",
        "이렇게",
        "정말",
        "진짜",
        "조금",
        "지금",
        "정해",
        "정했",
        "고민",
        "나중",
        "아직",
        "미정",
        "성당",
        "교회",
        "장소",
        "예식",
        "결혼",
        "인사말",
        "인사",
        "청첩장",
        "결혼식",
        "갤러리",
        "예요",
        "에요",
        "이에요",
        "입니다",
        "이고",
        "이요",
    }
)
_NOT_NAME_STARTS = ("아버", "어머", "부모", "연락", "전화", "계좌", "번호", "휴대", "핸드")

TITLES = (
    r"장남|차남|삼남|사남|막내\s*아들|외\s*아들|외동\s*아들|독자|장녀|차녀|삼녀|사녀|막내\s*딸|"
    r"외동\s*딸|외딸|무남독녀|(?:첫째|둘째|셋째|넷째|큰|작은)\s*(?:아들|딸)"
)
_TITLE_RE = re.compile(rf"(?<![가-힣])(?P<title>{TITLES})")
_TITLE_WORDS = re.compile(rf"^(?:{TITLES})$")

_ROLE_KO = (
    r"(?P<role>예비\s*신랑|예비\s*신부|신랑|신부|남편|아내|와이프|남자\s*친구|여자\s*친구|남친|여친|"
    r"예랑|예신)"
)
_BRIDE_WORDS = ("신부", "아내", "와이프", "여자친구", "여친", "예신")
# A name stands apart from the role word, by a space, a colon or a particle: "신부예요" names
# no one.
_HANGUL_RUN = r"(?<=[\s:=\-은는이가의])(?P<name>[가-힣]{2,10})"
# What may stand between a role word and the name: "신랑님의 성함은 ", "신부는 ", "신랑: ". A
# particle is written against the word before it, never after a space: in "신부 이순자" the 이
# begins the name.
_IS = (
    r"(?:\s*(?:님|측|쪽))?(?:\s*의)?(?:\s*(?:이름|성함)(?:은|는|이|가)?)?(?:은|는|이|가)?"
    r"\s*[:=\-]?\s*"
)
KO_ROLE_NAME = re.compile(_ROLE_KO + _IS + _HANGUL_RUN)
KO_SPEAKER = re.compile(r"(?:^|(?<=[\s,.!?]))(?:저는|전|저|제\s*이름은|나는|난)\s+" + _HANGUL_RUN)
_PARENT_KO = r"(?P<rel>아버지|아버님|부친|아빠|어머니|어머님|모친|엄마)"
KO_PARENT = re.compile(
    r"(?:(?P<role>신랑|신부)\s*(?:측|쪽)?\s*(?:의\s*)?)?"
    + _PARENT_KO
    + _IS
    + r"(?P<late>고\s+|故\s*)?"
    + _HANGUL_RUN
)
KO_PARENTS_PAIR = re.compile(
    r"(?:(?P<role>신랑|신부)\s*(?:측|쪽)?\s*(?:의\s*)?)?(?:부모님|혼주)\s*(?:은|는|이|가)?\s*[:=]?\s*"
    r"(?P<father>[가-힣]{2,10})\s*[,&·/]?\s*(?P<mother>[가-힣]{2,10})"
)

_EN_WORD = r"(?!(?:Groom|Bride|And|The|On|At|In|Is|We|Our|My|I|Of|Her|His)\b)[A-Z][a-zA-Z'’\-]+"
EN_NAME = rf"{_EN_WORD}(?:\s+(?:(?:de|da|van|von|del|der|la|le|di|du)\s+)?{_EN_WORD}){{0,2}}"
_EN_IS = r"(?:'s\s+name|’s\s+name)?\s*(?:is\s+|:\s*|-\s*|=\s*|\s+)"
EN_ROLE_NAME = re.compile(
    r"(?<!of\sthe\s)\b(?P<role>[Gg]room|[Bb]ride|GROOM|BRIDE)" + _EN_IS + rf"(?P<name>{EN_NAME})"
)
EN_COUPLE = re.compile(
    rf"\b(?:[Ww]e(?:'re|’re|\s+are)|[Tt]his\s+is|[Ii]t'?s)\s+(?P<groom>{EN_NAME})\s+(?:and|&)\s+"
    rf"(?P<bride>{EN_NAME})\b"
    rf"|\b(?P<groom2>{EN_NAME})\s+(?:and|&)\s+(?P<bride2>{EN_NAME})(?:'s|’s)?\s+"
    r"(?:are\s+getting\s+married|are\s+marrying|are\s+tying\s+the\s+knot|wedding)"
)
EN_SPEAKER = re.compile(rf"\b(?:I'm|I’m|I\s+am|[Mm]y\s+name\s+is)\s+(?P<name>{EN_NAME})")
EN_SPEAKER_ROLE = re.compile(
    rf"\b(?:I'm|I’m|I\s+am)\s+(?:(?P<name>{EN_NAME}),?\s+)?the\s+(?P<role>[Gg]room|[Bb]ride)\b"
    rf"(?:,?\s+(?P<after>{EN_NAME}))?"
)
# "groom: tom baker": typed in lower case, taken only after a colon, and capitalised.
EN_ROLE_COLON_LOWER = re.compile(
    r"\b(?P<role>groom|bride)\s*:\s*(?P<name>[a-z][a-z'’\-]+(?:\s+[a-z][a-z'’\-]+){0,2})"
    r"(?=\s*(?:[,.;!?\n/]|$|\s+(?:and|bride|groom)\b))",
    re.IGNORECASE,
)
# Mixed: "신랑 Tom Baker", "Groom 김도윤".
KO_ROLE_EN_NAME = re.compile(_ROLE_KO + _IS + rf"(?P<name>{EN_NAME})")
EN_ROLE_KO_NAME = re.compile(
    r"(?<!of\sthe\s)\b(?P<role>[Gg]room|[Bb]ride|GROOM|BRIDE)" + _EN_IS + r"(?P<name>[가-힣]{2,10})"
)
# "Tom is the groom", "Ana will be the bride".
EN_NAME_ROLE = re.compile(
    rf"(?P<name>{EN_NAME})\s+(?:is|will\s+be)\s+the\s+(?P<role>[Gg]room|[Bb]ride)\b"
)
EN_PARTNER = re.compile(
    r"\b[Mm]y\s+(?P<partner>fianc[ée]e|fiancee|fianc[ée]|fiance|bride|groom|wife|husband|"
    r"future\s+wife|future\s+husband|partner)(?:-to-be)?" + _EN_IS + rf"(?P<name>{EN_NAME})"
)
# "the groom's father is …", "father of the bride: …", "his mother is …" (his: the groom's).
EN_PARENT = re.compile(
    r"\b(?:(?P<role>[Gg]room|[Bb]ride|[Hh]is|[Hh]er)(?:'s|’s)?\s+(?P<rel>father|dad|mother|mom|mum)"
    r"|(?P<rel2>[Ff]ather|[Mm]other)\s+of\s+the\s+(?P<role2>groom|bride))"
    r"(?:'s\s+name)?\s*(?:is\s+|:\s*|-\s*|\s+)(?P<late>(?:[Tt]he\s+)?late\s+)?"
    rf"(?P<name>{EN_NAME})"
)
# "신부 아버지는 돌아가셨어요", "the bride's father passed away": shown as 故 on the page.
_PASSED_AWAY = re.compile(
    r"[^.!?\n]{0,30}?(?:돌아가|작고|별세|고인|세상을\s*떠나|passed\s+away|is\s+deceased|died)"
)
_FATHER_WORDS = frozenset({"아버지", "아버님", "부친", "아빠", "father", "dad"})
PARENT_WORD = re.compile(
    r"(?:(?P<role>신랑|신부)\s*(?:측|쪽)?\s*(?:의\s*)?)?"
    + _PARENT_KO
    + r"|\b(?P<role2>[Gg]room|[Bb]ride|[Hh]is|[Hh]er)(?:'s|’s)?\s+"
    r"(?P<rel2>[Ff]ather|[Dd]ad|[Mm]other|[Mm]om|[Mm]um)"
    r"|\b(?P<rel3>[Ff]ather|[Mm]other)\s+of\s+the\s+(?P<role3>groom|bride)"
)
EN_ROLE_WORD = re.compile(r"\b(?P<role>groom|bride)\b", re.IGNORECASE)
KO_ROLE_WORD = re.compile(_ROLE_KO)
EN_SPEAKER_WORD = re.compile(r"\b(?:my|I|me)\b")
KO_SPEAKER_WORD = re.compile(r"(?:^|(?<=[\s,.!?]))(?:저|제|전|나|내)(?=[\s는가])")

PHONE = re.compile(
    r"(?<![\d\-+])(?:\+\s?82[\s.\-]?(?:\(0\))?\s?|0)(?P<carrier>1[016789])[\s.\-]?"
    r"(?P<middle>\d{3,4})[\s.\-]?(?P<last>\d{4})(?![\d\-])"
)


@attrs.frozen
class Mention:
    """A word that says whose the next detail is: "신랑", "신부 어머니", "groom's father"."""

    at: int
    owner: Path


@attrs.frozen
class People:
    facts: tuple[Fact, ...] = ()
    mentions: tuple[Mention, ...] = ()
    speaker: str | None = None
    problems: tuple[str, ...] = ()


def role_of(word: str) -> str:
    word = re.sub(r"\s", "", word).lower()
    return "bride" if word.endswith(_BRIDE_WORDS) or word in ("bride", "wife") else "groom"


def clean_korean_name(run: str) -> str | None:
    """The name in a run of Hangul that follows a role word, or None when it is no name."""
    name = strip_ending(run, NAME_ENDINGS, keep=2, keep_single=3)
    if not 2 <= len(name) <= 4 or name in NOT_NAMES or _TITLE_WORDS.match(name):
        return None
    if name.startswith(_NOT_NAME_STARTS) or name[0] not in SURNAMES:
        return None
    return name


def read_people(text: str, *, korean: bool, known: Mapping[str, str | None]) -> People:
    """``known``: the couple's names already on the page (``groom``, ``bride``), which tell
    whose father a father is when the message does not say (he shares his child's surname)."""
    facts: list[Fact] = []
    mentions: list[Mention] = []
    names, speaker = _couple_names(text, mentions)
    for role, name in names.items():
        facts.append(((role, "name"), name))
    everyone = {**known, **names}
    mentions.extend(_name_mentions(text, everyone))
    parents, problems = _parents(text, mentions, everyone, speaker, korean)
    facts.extend(parents)
    facts.extend(_titles(text))
    phones, phone_problems = _phones(text, mentions, speaker, korean)
    facts.extend(phones)
    return People(
        facts=tuple(facts),
        mentions=tuple(sorted(mentions, key=lambda m: m.at)),
        speaker=speaker,
        problems=(*problems, *phone_problems),
    )


def _name_mentions(text: str, names: Mapping[str, str | None]) -> list[Mention]:
    """Where the groom or the bride is named: "Tom's number", "도윤이 번호" say whose."""
    mentions = []
    for role, name in names.items():
        if not name:
            continue
        forms = {name, name.split()[0]} if " " in name else {name}
        if len(name) == 3 and has_hangul(name):
            forms.add(name[1:])  # the given name alone
        for form in forms:
            start = text.find(form)
            while start != -1:
                mentions.append(Mention(start, (role,)))
                start = text.find(form, start + len(form))
    return mentions


def _couple_names(text: str, mentions: list[Mention]) -> tuple[dict[str, str], str | None]:
    """``groom`` and ``bride`` when named, and the role of "저" / "I" when known."""
    names: dict[str, str] = {}
    for match in KO_ROLE_WORD.finditer(text):
        mentions.append(Mention(match.start(), (role_of(match["role"]),)))
    for match in EN_ROLE_WORD.finditer(text):
        mentions.append(Mention(match.start(), (match["role"].lower(),)))
    for match in KO_ROLE_NAME.finditer(text):
        name = clean_korean_name(match["name"])
        if name:
            names[role_of(match["role"])] = name
    for match in EN_ROLE_NAME.finditer(text):
        names[match["role"].lower()] = match["name"]
    for match in KO_ROLE_EN_NAME.finditer(text):
        names[role_of(match["role"])] = match["name"]
    for match in EN_ROLE_KO_NAME.finditer(text):
        name = clean_korean_name(match["name"])
        if name:
            names[match["role"].lower()] = name
    for match in EN_NAME_ROLE.finditer(text):
        names[match["role"].lower()] = match["name"]
    for match in EN_ROLE_COLON_LOWER.finditer(text):
        if match["name"].islower():
            names.setdefault(match["role"].lower(), match["name"].title())
    for match in EN_COUPLE.finditer(text):
        # "We're Tom and Ana": the groom is named first, as invitations print the couple.
        names.setdefault("groom", match["groom"] or match["groom2"])
        names.setdefault("bride", match["bride"] or match["bride2"])
    return names, _speaker(text, names)


def _speaker(text: str, names: dict[str, str]) -> str | None:
    """The role of the one writing: said ("저는 신랑이에요", "I'm the groom"), or the role
    their partner is not ("저는 김도윤이고 예비신부는 박하은", "I'm Tom and my fiancée is Ana")."""
    for match in EN_PARTNER.finditer(text):
        partner = match["partner"].lower()
        if partner != "partner":
            role = "bride" if partner.endswith(("ée", "ee", "wife", "bride")) else "groom"
            names.setdefault(role, match["name"])
    said: str | None = None
    speaker_name: str | None = None
    for match in KO_SPEAKER.finditer(text):
        word = strip_ending(match["name"], NAME_ENDINGS, keep=2, keep_single=3)
        if word in ("신랑", "신부", "예비신랑", "예비신부"):
            said = role_of(word)
        else:
            speaker_name = clean_korean_name(match["name"]) or speaker_name
    for match in EN_SPEAKER.finditer(text):
        speaker_name = match["name"]
    said_en = EN_SPEAKER_ROLE.search(text)
    if said_en:
        said = said_en["role"].lower()
        speaker_name = said_en["name"] or said_en["after"] or speaker_name
    named = [role for role in ("groom", "bride") if role in names]
    if said is None and speaker_name and len(named) == 1:
        said = "bride" if named == ["groom"] else "groom"
    if said and speaker_name:
        names.setdefault(said, speaker_name)
    return said


def _parents(
    text: str,
    mentions: list[Mention],
    names: Mapping[str, str | None],
    speaker: str | None,
    korean: bool,
) -> tuple[list[Fact], list[str]]:
    facts: list[Fact] = []
    problems: list[str] = []
    last_father_role: str | None = None
    found: list[tuple[int, str | None, str, str, bool]] = []
    for match in KO_PARENT.finditer(text):
        name = clean_korean_name(match["name"])
        relation = "father" if match["rel"] in _FATHER_WORDS else "mother"
        role = role_of(match["role"]) if match["role"] else None
        if name:
            found.append((match.start(), role, relation, name, bool(match["late"])))
    for match in KO_PARENTS_PAIR.finditer(text):
        role = role_of(match["role"]) if match["role"] else None
        father, mother = clean_korean_name(match["father"]), clean_korean_name(match["mother"])
        if father and mother:
            found.append((match.start(), role, "father", father, False))
            found.append((match.start() + 1, role, "mother", mother, False))
    for match in EN_PARENT.finditer(text):
        role_word = (match["role"] or match["role2"]).lower()
        role = {"his": "groom", "her": "bride"}.get(role_word, role_word)
        relation_word = (match["rel"] or match["rel2"]).lower()
        relation = "father" if relation_word in _FATHER_WORDS else "mother"
        found.append((match.start(), role, relation, match["name"], bool(match["late"])))
    named_at = {item[0] for item in found}
    for match in PARENT_WORD.finditer(text):
        # A parent named by relation only ("신랑 아버지 연락처 …") still says whose the
        # next detail is.
        if match.start() not in named_at:
            role_word = (match["role"] or match["role2"] or match["role3"] or "").lower()
            role = {"his": "groom", "her": "bride"}.get(role_word, role_word)
            relation_word = (match["rel"] or match["rel2"] or match["rel3"]).lower()
            relation = "father" if relation_word in _FATHER_WORDS else "mother"
            found.append((match.start(), role_of(role) if role else None, relation, "", False))
    for at, said_role, relation, name, late in sorted(found):
        role = said_role or _whose_parent(
            at, relation, name, names, mentions, speaker, last_father_role
        )
        if relation == "father" and name:
            last_father_role = role
        late = late or bool(_PASSED_AWAY.match(text, at))
        if not name:
            if role:
                mentions.append(Mention(at, (role, relation)))
                if late:
                    facts.append(((role, relation, "deceased"), True))
            continue
        if role is None:
            problems.append(
                f"{name}님이 신랑 쪽인지 신부 쪽인지 알려주세요"
                if korean
                else f"Tell me whether {name} is the groom's or the bride's parent"
            )
            continue
        mentions.append(Mention(at, (role, relation)))
        facts.append(((role, relation, "name"), name))
        if late:
            facts.append(((role, relation, "deceased"), True))
    return facts, problems


def _whose_parent(
    at: int,
    relation: str,
    name: str,
    names: Mapping[str, str | None],
    mentions: list[Mention],
    speaker: str | None,
    last_father_role: str | None,
) -> str | None:
    if relation == "father" and name:
        # A Korean father shares his child's surname; only a surname that tells the two
        # apart decides.
        sharing = [role for role, child in names.items() if child and child[0] == name[0]]
        if len(sharing) == 1 and re.match(r"[가-힣]", name):
            return sharing[0]
    elif last_father_role:
        return last_father_role  # "아버지 김철수, 어머니 박영희": one family named together
    before = [mention for mention in mentions if mention.at < at and len(mention.owner) == 1]
    if before:
        return before[-1].owner[0]
    return speaker


def _titles(text: str) -> list[Fact]:
    # A title says whose child: sons are the groom, daughters the bride.
    facts: list[Fact] = []
    for match in _TITLE_RE.finditer(text):
        title = re.sub(r"\s+", " ", match["title"])
        role = "bride" if title.endswith(("녀", "딸")) else "groom"
        facts.append(((role, "title"), title))
    return facts


def _phones(
    text: str, mentions: list[Mention], speaker: str | None, korean: bool
) -> tuple[list[Fact], list[str]]:
    facts: list[Fact] = []
    problems: list[str] = []
    for match in PHONE.finditer(text):
        number = f"010-{match['middle']}-{match['last']}".replace("010", f"0{match['carrier']}", 1)
        owner = owner_before(match.start(), mentions, text, speaker)
        if owner is None:
            problems.append(
                f"누구 연락처인지 알려주세요: {number}"
                if korean
                else f"Tell me whose phone number {number} is"
            )
            continue
        facts.append(((*owner, "phone"), number))
    return facts, problems


def owner_before(
    at: int, mentions: Sequence[Mention], text: str, speaker: str | None
) -> Path | None:
    """Whose a detail at ``at`` is: the last person named before it, or the speaker ("제 번호")."""
    before = [mention for mention in mentions if mention.at < at]
    if before:
        return max(before, key=lambda mention: (mention.at, len(mention.owner))).owner
    if speaker and (KO_SPEAKER_WORD.search(text, 0, at) or EN_SPEAKER_WORD.search(text, 0, at)):
        return (speaker,)
    return None
