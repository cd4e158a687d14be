"""Text hygiene shared by readers and writers: XML 1.0 characters, whitespace, scripts."""

from __future__ import annotations

import re
import unicodedata

# XML 1.0 allows TAB, LF, CR and everything from U+0020 up, except surrogates and U+FFFE/F.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")

KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
# Kazakh letters folded to the nearest Russian letter: "Абдуғани" and "Абдугани" compare equal.
_FOLD = str.maketrans("әғқңөұүһіёӘҒҚҢӨҰҮҺІЁ", "агкноуухиеАГКНОУУХИЕ")


def forbidden_chars(text: str) -> list[str]:
    """The characters XML 1.0 does not allow, each as U+XXXX, in order of appearance."""
    return [f"U+{ord(c):04X}" for c in _FORBIDDEN.findall(text)]


def has_forbidden(text: str) -> bool:
    # Every forbidden character is a control, surrogate or non-character, none printable,
    # so the C test settles most strings before the regex is needed.
    return not text.isprintable() and _FORBIDDEN.search(text) is not None


def strip_forbidden(text: str) -> str:
    return _FORBIDDEN.sub("", text)


def show_forbidden(text: str) -> str:
    """`text` with each character XML 1.0 forbids written as its code point ("U+0001"), so
    something about it can still be said in XML (a name with a control character)."""
    return _FORBIDDEN.sub(lambda m: f"U+{ord(m.group()):04X}", text)


def squash(text: str) -> str:
    """Collapse runs of whitespace to one space and trim; NFC-normalise."""
    return unicodedata.normalize("NFC", _SPACE.sub(" ", text).strip())


def fold(text: str) -> str:
    """A comparison key that forgives case, Kazakh/Russian letter variants and spacing."""
    return squash(text).translate(_FOLD).casefold().replace(" .", ".")


def detect_language(text: str) -> str | None:
    """kk, ru or en from the script of `text` (None when it has no letters).

    Good enough to tag the trilingual metadata of Kazakh collections; not a general
    language identifier.
    """
    cyr = lat = kaz = 0
    for ch in text:
        if ch in KAZAKH_LETTERS:
            kaz += 1
            cyr += 1
        elif "\u0400" <= ch <= "\u04ff":
            cyr += 1
        elif ch.isascii() and ch.isalpha():
            lat += 1
    if cyr == 0 and lat == 0:
        return None
    if cyr >= lat:
        return "kk" if kaz else "ru"
    return "en"
