"""How to fix it: the part of a message that tells a person what to write instead.

Shared by every reader and the config, so the same mistake gets the same advice wherever it
is made: a misspelt name (the closest known one), a look-alike character (its name and code
point), a date in a local form (the ISO form it stands for).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

# What people type for a column or key in the languages our users work in, and the name
# jatsgen uses for it (a hint only: the name must still be written in English).
TRANSLATED = {
    "язык": "language", "тіл": "language", "название": "title", "заголовок": "title",
    "тақырып": "title", "атауы": "title", "аннотация": "abstract", "андатпа": "abstract",
    "ключевые_слова": "keywords", "түйін_сөздер": "keywords", "страницы": "pages",
    "беттер": "pages", "авторы": "authors", "автор": "authors", "авторлар": "authors",
    "удк": "udc", "әож": "udc", "doi_статьи": "doi", "ссылка": "url", "литература": "references",
    "список_литературы": "references", "әдебиеттер": "references", "дата": "published",
}  # fmt: skip
_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan", "январь", "января", "қаңтар"),
            ("february", "feb", "февраль", "февраля", "ақпан"),
            ("march", "mar", "март", "марта", "наурыз"),
            ("april", "apr", "апрель", "апреля", "сәуір"),
            ("may", "май", "мая", "мамыр"),
            ("june", "jun", "июнь", "июня", "маусым"),
            ("july", "jul", "июль", "июля", "шілде"),
            ("august", "aug", "август", "августа", "тамыз"),
            ("september", "sep", "sept", "сентябрь", "сентября", "қыркүйек"),
            ("october", "oct", "октябрь", "октября", "қазан"),
            ("november", "nov", "ноябрь", "ноября", "қараша"),
            ("december", "dec", "декабрь", "декабря", "желтоқсан"),
        ],
        start=1,
    )
    for name in names
}


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known name `word` most likely meant, if any is close."""
    word = word.strip().lower()
    if word in TRANSLATED:
        return TRANSLATED[word]
    found = difflib.get_close_matches(word, sorted(set(known)), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """'; did you mean 'x'?' (or nothing): to end an unknown-name message."""
    match = closest(word, known)
    return f"; did you mean {match!r}?" if match else ""


# Characters that show nothing (or only change the direction of what follows): in an
# identifier or a URL they pass every schema and break every match and resolver.
INVISIBLE = frozenset(
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)


def invisible(value: str) -> str | None:
    """The invisible characters of an identifier or URL, each named with its code point and
    place: "U+200B ZERO WIDTH SPACE at position 12"; None when it has none."""
    if value.isascii():  # (every invisible character is beyond ASCII: the common case)
        return None
    found = [(i, ch) for i, ch in enumerate(value, start=1) if ch in INVISIBLE]
    if not found:
        return None
    named = ", ".join(
        f"U+{ord(ch):04X} {unicodedata.name(ch, 'INVISIBLE CHARACTER')} at position {i}"
        for i, ch in found[:3]
    )
    more = f" and {len(found) - 3} more" if len(found) > 3 else ""
    return f"it holds {named}{more}, which show nothing; delete {'them' if found[1:] else 'it'}"


def show_invisible(value: str) -> str:
    """`value` with each invisible character written as ⟨U+200B⟩, for a person to see."""
    return "".join(f"\u27e8U+{ord(ch):04X}\u27e9" if ch in INVISIBLE else ch for ch in value)


def lookalikes(value: str) -> str | None:
    """The characters of an identifier that only look like ASCII, each named with its code
    point: "'Х' (U+0425 CYRILLIC CAPITAL LETTER HA)"; None when it is all ASCII, or has no
    ASCII letter or digit at all."""
    if value.isascii():
        return None
    odd = [ch for ch in dict.fromkeys(value) if ord(ch) > 127]
    if not odd or not any(ch.isascii() and ch.isalnum() for ch in value):
        return None  # all ASCII, or written in another script altogether (not a look-alike)
    named = ", ".join(
        f"{ch!r} (U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED CHARACTER')})" for ch in odd
    )
    return f"it contains {named}; type it with ASCII letters, digits and '-'"


def iso_date(value: str) -> str | None:
    """The ISO form of a date written the local way ('07.04.2025', '7 April 2025',
    'April 7, 2025', '2025/04/07'), or None when it is not one of those."""
    v = value.strip().lower().rstrip(".")
    if m := re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", v):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{4})[./](\d{1,2})[./](\d{1,2})", v):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{1,2})\s+(\w+)\.?,?\s+(\d{4})(?:\s*(?:г|ж)\.?)?", v):
        day, month, year = int(m[1]), _MONTHS.get(m[2], 0), int(m[3])
    elif m := re.fullmatch(r"(\w+)\.?\s+(\d{1,2}),?\s+(\d{4})", v):
        day, month, year = int(m[2]), _MONTHS.get(m[1], 0), int(m[3])
    elif m := re.fullmatch(r"(\w+)\s+(\d{4})", v):
        day, month, year = 0, _MONTHS.get(m[1], 0), int(m[2])
        return f"{year:04d}-{month:02d}" if month else None
    else:
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def date_hint(value: object) -> str:
    """'; write 2025-04-07' for a date in a local form, else nothing."""
    iso = iso_date(value) if isinstance(value, str) else None
    return f"; write {iso}" if iso else ""
