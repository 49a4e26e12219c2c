"""Korean word endings: which particle follows a word depends on the word's last sound.

A particle alternates with the last syllable of the word it follows: after a final
consonant (받침) it is 이에요 / 이고 / 이랑 / 과 / 은 / 이 / 으로, after a vowel 예요 / 고 / 랑 /
와 / 는 / 가 / 로. Stripping only the form that fits the word is what keeps a name's own
last syllable: "박하은이에요" loses 이에요 (은 ends in ㄴ), while "김수이" keeps its 이 (수
ends in a vowel, so a subject particle there would have been 가).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
_FINAL_RIEUL = 8  # ㄹ: takes 로 like a vowel does ("서울로", not "서울으로")

AFTER_CONSONANT = "C"
AFTER_VOWEL = "V"
AFTER_ANY = "A"

HANGUL_RE = re.compile(r"[가-힣]")


def is_syllable(ch: str) -> bool:
    return HANGUL_FIRST <= ord(ch) <= HANGUL_LAST


def final_consonant(ch: str) -> int:
    """The index of the syllable's 받침 (0 when it ends in a vowel or is not Hangul)."""
    return (ord(ch) - HANGUL_FIRST) % 28 if is_syllable(ch) else 0


def _fits(last: str, after: str, particle: str) -> bool:
    if after == AFTER_ANY:
        return True
    final = final_consonant(last)
    if particle in ("로", "로요"):
        return final in (0, _FINAL_RIEUL)
    if particle.startswith("으로"):
        return final not in (0, _FINAL_RIEUL)
    return (final != 0) == (after == AFTER_CONSONANT)


# Endings that may follow a name. The longest that fits is taken: "이에요" before "이".
_NAME_ENDINGS = (
    ("이라고요", AFTER_CONSONANT),
    ("이라고", AFTER_CONSONANT),
    ("라고요", AFTER_VOWEL),
    ("라고", AFTER_VOWEL),
    ("이에요", AFTER_CONSONANT),
    ("입니다", AFTER_ANY),
    ("이예요", AFTER_CONSONANT),
    ("이랑은", AFTER_CONSONANT),
    ("이구요", AFTER_CONSONANT),
    ("이고요", AFTER_CONSONANT),
    ("예요", AFTER_VOWEL),
    ("에요", AFTER_VOWEL),
    ("이고", AFTER_CONSONANT),
    ("이구", AFTER_CONSONANT),
    ("이랑", AFTER_CONSONANT),
    ("이며", AFTER_CONSONANT),
    ("이요", AFTER_CONSONANT),
    ("이야", AFTER_CONSONANT),
    ("이가", AFTER_CONSONANT),
    ("이는", AFTER_CONSONANT),
    ("고요", AFTER_VOWEL),
    ("구요", AFTER_VOWEL),
    ("으로", AFTER_CONSONANT),
    ("님이", AFTER_ANY),
    ("님은", AFTER_ANY),
    ("님", AFTER_ANY),
    ("씨", AFTER_ANY),
    ("의", AFTER_ANY),
    ("고", AFTER_VOWEL),
    ("랑", AFTER_VOWEL),
    ("며", AFTER_VOWEL),
    ("요", AFTER_VOWEL),
    ("야", AFTER_VOWEL),
    ("로", AFTER_VOWEL),
    ("와", AFTER_VOWEL),
    ("과", AFTER_CONSONANT),
    ("은", AFTER_CONSONANT),
    ("는", AFTER_VOWEL),
    ("이", AFTER_CONSONANT),
    ("가", AFTER_VOWEL),
    ("을", AFTER_CONSONANT),
    ("를", AFTER_VOWEL),
)
NAME_ENDINGS: dict[str, str] = dict(_NAME_ENDINGS)

# Endings that may follow a place: "더링크호텔에서", "더채플앳청담으로", "라비두스예요".
_PLACE_ENDINGS = (
    ("에서예요", AFTER_ANY),
    ("에서요", AFTER_ANY),
    ("에서는", AFTER_ANY),
    ("에서", AFTER_ANY),
    ("이에요", AFTER_CONSONANT),
    ("입니다", AFTER_ANY),
    ("이예요", AFTER_CONSONANT),
    ("으로요", AFTER_CONSONANT),
    ("으로", AFTER_CONSONANT),
    ("로요", AFTER_VOWEL),
    ("예요", AFTER_VOWEL),
    ("에요", AFTER_VOWEL),
    ("이고", AFTER_CONSONANT),
    ("이요", AFTER_CONSONANT),
    ("이라고", AFTER_CONSONANT),
    ("라고", AFTER_VOWEL),
    ("이랑", AFTER_CONSONANT),
    ("에", AFTER_ANY),
    ("로", AFTER_VOWEL),
    ("고", AFTER_VOWEL),
    ("요", AFTER_VOWEL),
    ("은", AFTER_CONSONANT),
    ("는", AFTER_VOWEL),
    ("이", AFTER_CONSONANT),
    ("가", AFTER_VOWEL),
    ("을", AFTER_CONSONANT),
    ("를", AFTER_VOWEL),
    ("의", AFTER_ANY),
)
PLACE_ENDINGS: dict[str, str] = dict(_PLACE_ENDINGS)
# Looked up by a word's last letters instead of trying every ending: four lookups a word.
_LONGEST = max(len(ending) for ending in (*NAME_ENDINGS, *PLACE_ENDINGS))


def strip_ending(word: str, endings: Mapping[str, str], *, keep: int, keep_single: int) -> str:
    """``word`` without the particles that fit it (at most two: "김도윤님이에요").

    ``keep`` is the fewest syllables a longer ending may leave, ``keep_single`` the fewest a
    one-syllable ending may leave: a one-syllable ending is also a common last syllable of a
    name (이, 은, 가), so for names it is only taken off a word that stays at full-name length.
    """
    for _ in range(2):
        for size in range(min(_LONGEST, len(word) - 1), 0, -1):
            ending = word[-size:]
            after = endings.get(ending)
            rest = word[:-size]
            least = keep_single if size == 1 else keep
            if after and len(rest) >= least and _fits(rest[-1], after, ending):
                word = rest
                break
        else:
            return word
    return word


def has_hangul(text: str) -> bool:
    return HANGUL_RE.search(text) is not None
