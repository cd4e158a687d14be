"""Names, affiliation lines and countries as printed on Kazakh, Russian and English pages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Affiliation, Contributor
from ..text import fold, squash

UPPER = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
LOWER = "a-zа-яёәғқңөұүһі"
_WORD = rf"[{UPPER}][{LOWER}'’]+(?:-[{UPPER}]?[{LOWER}'’]+)*"
_INITIALS = rf"(?:[{UPPER}][{LOWER}]?\.\s?){{1,3}}"
_INITIALS_ONLY = re.compile(rf"(?:[{UPPER}][{LOWER}]?\.){{1,3}}")  # 'А.Б.' without spaces
_MARKERS = r"[\d¹²³⁴⁵⁶⁷⁸⁹⁰*,]*"
_SUP_DIGITS = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")

NAME_RE = re.compile(
    rf"^(?:(?P<i1>{_INITIALS})\s*(?P<s1>{_WORD})"  # И.И. Иванов
    rf"|(?P<s2>{_WORD})\s+(?P<i2>{_INITIALS})"  # Иванов И.И.
    rf"|(?P<full>{_WORD}(?:\s+{_WORD}){{1,3}}))$"  # Абдугани Жанерке Нұржанқызы / John Smith
)

# Academic degrees, titles and positions that precede or follow a name in a supervisor
# line, in the three languages ("з.ғ.м.", "PhD", "associate professor", "аға оқытушы").
_DEGREE = (
    rf"[{LOWER}]{{1,4}}\.\s?(?:[{LOWER}]{{1,4}}\.\s?)+"
    r"|Ph\.?\s?D\.?|D\.?Sc\.?|M\.?Sc\.?|MBA|Dr\.?|prof\.|доц\.|проф\.|акад\."
    r"|(?:associate|assistant|full|visiting)\s+professor|professor"
    r"|(?:қауымдастырылған|ассоциированный)\s+профессор(?:ы)?|профессор(?:ы)?|доцент(?:і)?"
    r"|аға\s+оқытушы(?:сы)?|оқытушы(?:сы)?|старший\s+преподаватель|преподаватель"
    r"|(?:senior\s+)?lecturer|академик|academician|магистр(?:і)?|master"
    r"|PhD\s+доктор(?:ы)?|доктор\s+PhD"
    r"|(?:candidate|doctor)\s+of\s+(?:[\w-]+\s+){1,3}sciences?"
    r"|(?:кандидат|доктор)\s+(?:[\w-]+\s+){1,3}наук"
    r"|(?:[\w-]+\s+){1,2}ғылымдарының\s+(?:кандидаты|докторы|магистрі)"
)
_DEGREES_RE = re.compile(rf"^(?:{_DEGREE})(?:[\s,;]+(?:{_DEGREE}))*$", re.IGNORECASE)


def is_degrees(text: str) -> bool:
    """Whether `text` is only degrees and titles ("PhD, associate professor")."""
    return bool(_DEGREES_RE.match(text.strip(" ,;")))


SUPERVISOR_LABELS = (
    "ғылыми жетекшісі",
    "ғылыми жетекші",
    "ғылыми кеңесші",
    "научный руководитель",
    "научный консультант",
    "scientific supervisor",
    "research supervisor",
    "scientific adviser",
    "scientific advisor",
    "supervisor",
)

INSTITUTION_WORDS = (
    "университет",
    "институт",
    "академия",
    "академиясы",
    "колледж",
    "мектеп",
    "лицей",
    "гимназия",
    "орталығы",
    "центр",
    "министрлігі",
    "министерство",
    "кафедра",
    "факультет",
    "university",
    "institute",
    "academy",
    "college",
    "school",
    "centre",
    "center",
    "laboratory",
    "ministry",
    "department",
)

# ISO 3166 code -> names as printed (kk, ru, en); matched after folding.
COUNTRIES: dict[str, tuple[str, ...]] = {
    "KZ": (
        "Қазақстан",
        "Қазақстан Республикасы",
        "Казахстан",
        "Республика Казахстан",
        "Kazakhstan",
        "Republic of Kazakhstan",
    ),
    "RU": (
        "Ресей",
        "Ресей Федерациясы",
        "Россия",
        "Российская Федерация",
        "Russia",
        "Russian Federation",
    ),
    "KG": ("Қырғызстан", "Кыргызстан", "Киргизия", "Кыргызская Республика", "Kyrgyzstan"),
    "UZ": ("Өзбекстан", "Узбекистан", "Республика Узбекистан", "Uzbekistan"),
    "TJ": ("Тәжікстан", "Таджикистан", "Tajikistan"),
    "TM": ("Түрікменстан", "Туркменистан", "Turkmenistan"),
    "AZ": ("Әзірбайжан", "Азербайджан", "Azerbaijan"),
    "BY": ("Беларусь", "Республика Беларусь", "Belarus"),
    "UA": ("Украина", "Ukraine"),
    "TR": ("Түркия", "Турция", "Turkey", "Türkiye"),
    "CN": ("Қытай", "Китай", "China", "ҚХР", "КНР"),
    "MN": ("Моңғолия", "Монголия", "Mongolia"),
    "DE": ("Германия", "Германия", "Germany"),
    "US": ("АҚШ", "США", "USA", "United States", "United States of America"),
    "GB": ("Ұлыбритания", "Великобритания", "United Kingdom", "UK"),
    "FR": ("Франция", "France"),
    "KR": ("Корея", "Южная Корея", "South Korea", "Republic of Korea"),
    "JP": ("Жапония", "Япония", "Japan"),
    "PL": ("Польша", "Poland"),
    "IT": ("Италия", "Italy"),
}
_COUNTRY_BY_FOLD = {fold(name): code for code, names in COUNTRIES.items() for name in names}

# Kazakh genitive endings: "университетінің" -> "университеті".
_KK_GENITIVE = re.compile(r"(\w+?)(ның|нің|дың|дің|тың|тің)$")
_CITY_PATTERNS = (
    re.compile(rf"^(?:г\.|город|қ\.|city of)\s*({_WORD}(?:[- ]{_WORD})?)$", re.I),
    re.compile(rf"^({_WORD}(?:[- ]{_WORD})?)\s+(?:қаласы|қ\.|city|обл\.)$", re.I),
)


def country_code(text: str) -> str | None:
    return _COUNTRY_BY_FOLD.get(fold(text.strip(" .")))


@dataclass
class ParsedName:
    surname: str | None
    given_names: str | None
    markers: list[str]

    def matches(self, other: ParsedName) -> bool:
        return fold(self.full) == fold(other.full)

    @property
    def full(self) -> str:
        return " ".join(p for p in (self.surname, self.given_names) if p)


def split_markers(token: str) -> tuple[str, list[str]]:
    """'Иванов И.И.¹,²*' -> ('Иванов И.И.', ['1', '2'])."""
    token = token.strip()
    token = re.sub(r"\^([\d,*]+)\^|<sup>([\d,*]+)</sup>", lambda m: m.group(1) or m.group(2), token)
    m = re.search(rf"(?<=[{LOWER}.])({_MARKERS})$", token)
    markers: list[str] = []
    if m and m.group(1):
        raw = m.group(1).translate(_SUP_DIGITS)
        markers = [d for d in re.split(r"[,*]", raw) if d]
        token = token[: m.start()].strip()
    return token, markers


def parse_name(text: str, *, script_order: str | None = None) -> ParsedName | None:
    """A personal name in any of the orders these pages use, or None if `text` is not one.

    `script_order` 'surname-first' makes full Latin names be read surname first too (used
    when the metadata table, written surname first, is the source).
    """
    clean, markers = split_markers(text)
    clean = squash(clean).rstrip(",;")
    m = NAME_RE.match(clean)
    if not m:
        return None
    if m.group("i1"):
        return ParsedName(m.group("s1"), m.group("i1").strip().replace(". ", "."), markers)
    if m.group("s2"):
        return ParsedName(m.group("s2"), m.group("i2").strip().replace(". ", "."), markers)
    words = m.group("full").split()
    if len(words) > 4:
        return None
    cyrillic = bool(re.search("[а-яА-ЯёЁәғқңөұүһіӘҒҚҢӨҰҮҺІ]", clean))
    if cyrillic or script_order == "surname-first":
        return ParsedName(words[0], " ".join(words[1:]), markers)
    return ParsedName(words[-1], " ".join(words[:-1]), markers)


def parse_name_list(text: str, *, script_order: str | None = None) -> list[ParsedName] | None:
    """'Иванов И.И.¹, Петров П.П.²' -> two names; None when any part is not a name."""
    text = re.sub(r"\s+(?:және|и|and)\s+", ", ", text.strip())
    parts = [p for p in re.split(r"\s*[,;]\s*(?![\d¹²³⁴⁵⁶⁷⁸⁹*]+(?:\s|$|,))", text) if p.strip()]
    names: list[ParsedName] = []
    for part in parts:
        name = parse_name(part, script_order=script_order)
        if name is None:
            return None
        names.append(name)
    return names or None


def supervisor_label(line: str) -> str | None:
    """The supervisor label a line starts with ('Ғылыми жетекшісі'), if any."""
    low = line.strip().lower()
    for label in SUPERVISOR_LABELS:
        if low.startswith(label):
            return line.strip()[: len(label)]
    return None


@dataclass
class ParsedSupervisor:
    name: ParsedName | None
    degrees: str | None
    position_and_place: str | None


def parse_supervisor(line: str) -> ParsedSupervisor:
    """A supervisor line's name, degrees and position/place, in any of the orders printed:
    'Ғылыми жетекшісі, <position and place>, з.ғ.м. Ерёменко Н.',
    'Научный руководитель – Сергеев С.С., к.т.н., доцент, КазНУ',
    'Scientific supervisor: PhD, associate professor Nurlanova A.B.',
    'Scientific supervisor: A.B. Nurlanova, PhD, Associate Professor, Atyrau University'."""
    label = supervisor_label(line) or ""
    rest = line.strip()[len(label) :].lstrip(" :,-–—")
    rest = re.sub(r"\s*\(([^()]*)\)", r", \1", rest)  # "Ахметов Н.К. (к.т.н., доцент)"
    segments = [s.strip() for s in rest.split(",") if s.strip()]
    found = None
    for strong in (True, False):  # a name with initials is surer than a run of capitals
        for k, seg in enumerate(segments):
            if not strong and 0 < k < len(segments) - 1:
                continue  # a full name stands first or last, never among the places
            hit = _name_with_degrees(seg, strong)
            if hit is not None:
                found = (k, *hit)
                break
        if found:
            break
    if found is None:
        return ParsedSupervisor(None, None, ", ".join(segments) or None)
    at, name, before, after = found
    degrees: list[str] = []
    place: list[str] = []
    for k, seg in enumerate(segments):
        if k == at:
            degrees += [d for d in (before, after) if d]
        elif is_degrees(seg):
            degrees.append(seg)
        else:
            place.append(seg)
    return ParsedSupervisor(name, ", ".join(degrees) or None, ", ".join(place) or None)


def _name_with_degrees(segment: str, strong: bool) -> tuple[ParsedName, str, str] | None:
    """(name, degrees before it, degrees after it) when `segment` is a name with only
    degrees around it; `strong` asks for a name written with initials."""
    words = segment.split()
    for k in range(len(words)):
        before = " ".join(words[:k])
        if before and not is_degrees(before):
            continue
        for j in range(len(words), k, -1):
            after = " ".join(words[j:])
            if after and not is_degrees(after):
                continue
            text = " ".join(words[k:j])
            name = parse_name(text)
            if name is None or (strong and not has_initials(name)):
                continue
            if not strong and looks_like_affiliation(text):
                continue
            return name, before, after
    return None


def same_person(a: ParsedName, b: ParsedName) -> bool:
    """The same surname (forgiving letter variants) and given names that agree letter by
    letter as far as the shorter form goes: 'А.С.' and 'Айгүл Сериковна', 'D.' and 'Dias'."""
    if fold(a.surname or "") != fold(b.surname or ""):
        return False
    first = [fold(w)[:1] for w in re.split(r"[\s.]+", a.given_names or "") if w]
    other = [fold(w)[:1] for w in re.split(r"[\s.]+", b.given_names or "") if w]
    n = min(len(first), len(other))
    return n > 0 and first[:n] == other[:n]


def has_initials(name: ParsedName) -> bool:
    """Whether the given names are written as initials ('А.Б.', 'A. B.')."""
    return bool(_INITIALS_ONLY.fullmatch((name.given_names or "").replace(" ", "")))


def _institution_phrase(segment: str) -> str | None:
    words = segment.split()
    key = next(
        (i for i, w in enumerate(words) if any(k in w.lower() for k in INSTITUTION_WORDS)),
        None,
    )
    if key is None:
        return None
    start = next(
        (i for i, w in enumerate(words[: key + 1]) if w[0].isupper() or w[0] in '«"“'), key
    )
    end = key + 1
    tail = words[end:]
    if tail and (all(not w[0].isupper() for w in tail[-1:]) and _KK_GENITIVE.match(words[key])):
        # Kazakh "X университетінің Ю-44 студенті": the institution ends at the keyword,
        # which is put back into the nominative.
        m = _KK_GENITIVE.match(words[key])
        assert m is not None
        phrase = [*words[start:key], m.group(1)]
    else:
        phrase = words[start:]
    return " ".join(phrase).strip(" ,.") or None


def _department(text: str) -> str | None:
    m = re.search(r"«[^»]+»\s+кафедра(?:сы)?", text)
    if m:
        return m.group(0)
    m = re.search(r"кафедра\s+«[^»]+»|(?:Department|Faculty|School) of [^,]+", text)
    return m.group(0) if m else None


def parse_affiliation(text: str, aff_id: str) -> Affiliation:
    """Structured parts of an affiliation line; the line itself is kept as `text`."""
    clean = squash(re.sub(r"^[\d¹²³⁴⁵⁶⁷⁸⁹*]+\s*", "", text))
    segments = [s.strip() for s in clean.split(",") if s.strip()]
    aff = Affiliation(id=aff_id, text=clean)
    rest: list[str] = []
    for seg in segments:
        code = country_code(seg)
        if code and aff.country is None:
            aff.country, aff.country_code = seg.strip(" ."), code
            continue
        city = next((m.group(1) for p in _CITY_PATTERNS if (m := p.match(seg))), None)
        if city and aff.city is None:
            aff.city = city
            continue
        rest.append(seg)
    if aff.city is None and aff.country and len(rest) > 1:
        # "..., Nazarbayev University, Astana, Kazakhstan": a bare name just before the country
        last = rest[-1]
        if re.fullmatch(rf"{_WORD}(?:[- ]{_WORD})?", last) and not _institution_phrase(last):
            aff.city = last
            rest = rest[:-1]
    for seg in rest:
        if aff.institution is None:
            aff.institution = _institution_phrase(seg)
    if aff.institution is None and rest:
        aff.institution = rest[0]
    aff.department = _department(clean)
    return aff


def looks_like_affiliation(line: str) -> bool:
    low = line.lower()
    if any(k in low for k in INSTITUTION_WORDS):
        return True
    return any(country_code(seg) for seg in line.split(","))


def to_contributor(name: ParsedName, role: str = "author") -> Contributor:
    return Contributor(surname=name.surname, given_names=name.given_names, role=role)
