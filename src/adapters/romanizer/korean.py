"""The Revised Romanization of Korean by ``korean-romanizer`` (pure Python, maintained)."""

from __future__ import annotations

from korean_romanizer.romanizer import Romanizer as _Romanizer


class KoreanRomanizer:
    def romanize(self, text: str) -> str:
        return str(_Romanizer(text).romanize())
