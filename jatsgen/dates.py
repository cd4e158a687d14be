"""Dates as printed in Kazakh, Russian and English, to `PartialDate`s.

"7 сәуір 2025", "7–8 сәуірде 2025 ж.", "15 марта 2024 г.", "April 7, 2025", "7 April 2025",
"2025-04-07", "07.04.2025" and year-only values all parse. Month words are matched by stem,
so inflected forms ("қарашада", "марта") work too.
"""

from __future__ import annotations

import datetime as dt
import re

from .model import PartialDate

# (stem, month). Stems are matched against the start of a lower-cased word; longer stems first
# so "маусым" (June) is not taken for "мамыр" (May) and "қараша" (Nov) not for "қаңтар" (Jan).
_MONTH_STEMS: list[tuple[str, int]] = sorted(
    [
        # Kazakh
        ("қаңтар", 1),
        ("ақпан", 2),
        ("наурыз", 3),
        ("сәуір", 4),
        ("мамыр", 5),
        ("маусым", 6),
        ("шілде", 7),
        ("тамыз", 8),
        ("қыркүйек", 9),
        ("қазан", 10),
        ("қараша", 11),
        ("желтоқсан", 12),
        # Russian
        ("январ", 1),
        ("феврал", 2),
        ("март", 3),
        ("апрел", 4),
        ("мая", 5),
        ("май", 5),
        ("июн", 6),
        ("июл", 7),
        ("август", 8),
        ("сентябр", 9),
        ("октябр", 10),
        ("ноябр", 11),
        ("декабр", 12),
        # English (full names and three-letter abbreviations)
        ("january", 1),
        ("february", 2),
        ("march", 3),
        ("april", 4),
        ("may", 5),
        ("june", 6),
        ("july", 7),
        ("august", 8),
        ("september", 9),
        ("october", 10),
        ("november", 11),
        ("december", 12),
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("sept", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
    key=lambda s: -len(s[0]),
)

_DASH = "[-–—]"
_WORD = r"([^\W\d_]+)\.?"
_YEAR = r"(\d{4})"
_YEAR_SUFFIX = r"(?:\s*(?:ж\.|жыл\w*|г\.|года?|гг\.))?"

# day(-day)? month year      e.g. "7 сәуір 2025", "7–8 April 2025"
_DMY = re.compile(rf"\b(\d{{1,2}})(?:\s*{_DASH}\s*(\d{{1,2}}))?\s+{_WORD}\s+{_YEAR}{_YEAR_SUFFIX}")
# year (ж./жылғы)? day month  e.g. "2025 жылғы 7 сәуір"
_YDM = re.compile(rf"\b{_YEAR}\s*(?:ж\.|жылғы|жылы|г\.|года)?\s+(\d{{1,2}})\s+{_WORD}")
# month day(-day)?, year      e.g. "April 7, 2025", "April 7-8, 2025"
_MDY = re.compile(rf"\b{_WORD}\s+(\d{{1,2}})(?:\s*{_DASH}\s*(\d{{1,2}}))?,?\s+{_YEAR}")
_ISO = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b")
_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_MY = re.compile(rf"\b{_WORD}\s+{_YEAR}")
_Y = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")


def month_from_word(word: str) -> int | None:
    w = word.lower().rstrip(".")
    for stem, month in _MONTH_STEMS:
        if w.startswith(stem) and (len(stem) >= 4 or w == stem):
            return month
    return None


def _valid(year: int, month: int | None, day: int | None) -> PartialDate | None:
    try:
        if month is not None:
            dt.date(year, month, day or 1)
    except ValueError:
        return None
    return PartialDate(year, month, day)


def parse_date_range(text: str) -> tuple[PartialDate, PartialDate | None, tuple[int, int]] | None:
    """The first date (or day range) found in `text`: (start, end or None, (span start, end)).

    None when `text` holds no recognisable date; ValueError when it names a day that does
    not exist ("31 ақпан 2024").
    """
    for rx, kind in ((_DMY, "dmy"), (_YDM, "ydm"), (_MDY, "mdy")):
        for m in rx.finditer(text):
            if kind == "dmy":
                d1, d2, word, y = m.group(1), m.group(2), m.group(3), m.group(4)
            elif kind == "ydm":
                y, d1, word, d2 = m.group(1), m.group(2), m.group(3), None
            else:
                word, d1, d2, y = m.group(1), m.group(2), m.group(3), m.group(4)
            month = month_from_word(word)
            if month is None:
                continue
            start = _valid(int(y), month, int(d1))
            if start is None:
                raise ValueError(f"{m.group(0).strip()!r} is not a real date")
            end = _valid(int(y), month, int(d2)) if d2 else None
            return start, end, m.span()
    iso = _ISO.search(text)
    if iso:
        d = iso.group(3)
        start = _valid(int(iso.group(1)), int(iso.group(2)), int(d) if d else None)
        if start:
            return start, None, iso.span()
    dotted = _DOTTED.search(text)
    if dotted:
        start = _valid(int(dotted.group(3)), int(dotted.group(2)), int(dotted.group(1)))
        if start:
            return start, None, dotted.span()
    for m in _MY.finditer(text):
        month = month_from_word(m.group(1))
        if month:
            return PartialDate(int(m.group(2)), month), None, m.span()
    year = _Y.search(text)
    if year:
        return PartialDate(int(year.group(1))), None, year.span()
    return None


def parse_iso(value: object) -> PartialDate | None:
    """A record value: a YAML date, an int year, or 'YYYY', 'YYYY-MM', 'YYYY-MM-DD'."""
    if isinstance(value, dt.datetime):
        return PartialDate(value.year, value.month, value.day)
    if isinstance(value, dt.date):
        return PartialDate(value.year, value.month, value.day)
    if isinstance(value, int) and not isinstance(value, bool):
        return PartialDate(value)
    if isinstance(value, str):
        m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value.strip())
        if m:
            return _valid(
                int(m.group(1)),
                int(m.group(2)) if m.group(2) else None,
                int(m.group(3)) if m.group(3) else None,
            )
    return None


# Crossref's month codes for seasons (21-24) and quarters (31-34), by the words for them.
_SEASON_CODES = {
    "spring": 21,
    "summer": 22,
    "autumn": 23,
    "fall": 23,
    "winter": 24,
    "q1": 31,
    "first quarter": 31,
    "1st quarter": 31,
    "q2": 32,
    "second quarter": 32,
    "2nd quarter": 32,
    "q3": 33,
    "third quarter": 33,
    "3rd quarter": 33,
    "q4": 34,
    "fourth quarter": 34,
    "4th quarter": 34,
}


def season_code(season: str) -> int | None:
    """Crossref's month code for a season or quarter ("Spring" 21, "Q3" 33), or None."""
    return _SEASON_CODES.get(" ".join(season.lower().replace(".", "").split()))


def real_date(year: int, month: int | None, day: int | None) -> bool:
    """Whether the date exists in the calendar (a missing month or day is fine)."""
    if month is None:
        return day is None
    try:
        dt.date(year, month, day or 1)
    except ValueError:
        return False
    return True
