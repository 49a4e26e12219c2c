"""Makes the public page's Korean web fonts: Nanum Myeongjo and Nanum Gothic (SIL Open Font
License), subset to what invitations print and compressed as WOFF2.

The range kept is printable Latin, Latin-1, general punctuation, the Hangul compatibility
jamo, the 2,350 Hangul syllables of KS X 1001 (every syllable of everyday Korean; a rarer one
falls back to the phone's own font, character by character) and the few symbols the page
prints (♥, 故). ``python tools/make_fonts.py [SOURCE_DIR]`` reads the TrueType files of
Debian's ``fonts-nanum`` (the default directory) and writes the WOFF2 files and ``fonts.json``
(each file's sha256, which the tests check) into ``src/entrypoints/http/static/fonts``.
Needs ``fonttools[woff]`` (a dev dependency).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from fontTools import subset

SOURCE = Path("/usr/share/fonts/truetype/nanum")
TARGET = Path(__file__).resolve().parents[1] / "src/entrypoints/http/static/fonts"
FONTS = {"NanumMyeongjo.ttf": "nanum-myeongjo.woff2", "NanumGothic.ttf": "nanum-gothic.woff2"}
SYMBOLS = "♥♡·故○●※〒₩"


def ks_x_1001_syllables() -> list[int]:
    """The Hangul syllables EUC-KR (KS X 1001) encodes."""
    found = []
    for code in range(0xAC00, 0xD7A4):
        try:
            chr(code).encode("euc-kr")
        except UnicodeEncodeError:
            continue
        found.append(code)
    return found


def unicodes() -> list[int]:
    ranges = [(0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x203B), (0x3131, 0x318E)]
    codes = [c for low, high in ranges for c in range(low, high + 1)]
    return sorted({*codes, *ks_x_1001_syllables(), *(ord(s) for s in SYMBOLS)})


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    # Hinting instructions are half the bytes, and phones' high-density screens ignore them.
    options.hinting = False
    options.drop_tables += ["FFTM", "TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]
    TARGET.mkdir(parents=True, exist_ok=True)
    pins = {}
    for ttf, woff2 in FONTS.items():
        font = subset.load_font(str(source / ttf), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes())
        subsetter.subset(font)
        subset.save_font(font, str(TARGET / woff2), options)
        pins[woff2] = hashlib.sha256((TARGET / woff2).read_bytes()).hexdigest()
    manifest = {"source": "Debian fonts-nanum (SIL Open Font License 1.1)", "files": pins}
    (TARGET / "fonts.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
