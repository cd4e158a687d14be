"""Article pages of the Kazakh conference-collection site (see ../shared/seeds/).

A page has a metadata table (tab-separated key/value rows, keys in Kazakh, Russian or
English), a site note (dropped), then the article as printed in the collection: section
headings, UDC line, title, author/e-mail/affiliation/supervisor lines, optional abstracts and
keywords, the body, and a numbered reference list under a heading in any of the three
languages. The table wins over the body where they disagree (with a warning); a truncated
table cell is completed from the body.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..dates import parse_date_range
from ..diagnostics import Diagnostic, Diagnostics
from ..errors import InputError
from ..hints import did_you_mean
from ..ids import check_isbn, find_doi, normalize_doi, normalize_isbn, normalize_orcid
from ..model import (
    Abstract,
    Affiliation,
    Article,
    ArticleKind,
    Block,
    Classification,
    Contributor,
    Event,
    Isbn,
    Journal,
    Keywords,
    Paragraph,
    PartialDate,
    Proceedings,
    Reference,
    Source,
    Title,
    plain_text,
)
from ..text import detect_language, fold, forbidden_chars, squash, strip_forbidden
from .markdown import BOLD_LINE_RE, HEADING_RE, CitationLinker, Line, parse_blocks
from .people import (
    ParsedName,
    has_initials,
    looks_like_affiliation,
    parse_affiliation,
    parse_name_list,
    parse_supervisor,
    same_person,
    supervisor_label,
    to_contributor,
)

# Metadata-table keys (folded: lower case, no spaces or punctuation) -> field.
_KEYS: dict[str, tuple[str, ...]] = {
    "collection": (
        "конференцияатауы",
        "сборник",
        "conference",
        "жинақ",
        "жинақатауы",
        "названиеконференции",
        "названиесборника",
        "conferencename",
        "conferencetitle",
        "collection",
        "proceedings",
        "жинақтыңатауы",
    ),
    "journal": ("журнал", "journal", "журналатауы", "названиежурнала"),
    "held": (
        "өткізілгенкүні",
        "датапроведения",
        "date",
        "conferencedate",
        "өткізілгенкүніменорны",
        "датаиместопроведения",
        "dateandplace",
        "өтетінкүні",
        "heldon",
    ),
    "place": ("өткізілгенорны", "местопроведения", "venue", "place", "location"),
    "isbn": ("isbn",),
    "issn": ("issn",),
    "number": (
        "жинақтағыжариялану",
        "жинақтағыжарияланунөмірі",
        "номервсборнике",
        "номерпубликации",
        "publicationno",
        "publicationnumber",
        "no",
        "№",
    ),
    "pages": (
        "жинақтағыбеттері",
        "страницы",
        "страницывсборнике",
        "pages",
        "беттері",
        "беттер",
        "бет",
    ),
    "udc": ("әожудкudc", "әож", "удк", "udc", "әожудк", "удкudc"),
    "irsti": ("мрнти", "грнти", "ғтахр", "irsti", "ғтамр"),
    "section": ("секция", "section", "бөлім", "секцияsection"),
    "authors": ("авторлар", "авторы", "автор", "authors", "author", "authors"),
    "status": ("мәртебесі", "статус", "status", "position", "лауазымы", "должность"),
    "supervisor": (
        "ғылымижетекші",
        "ғылымижетекшісі",
        "научныйруководитель",
        "supervisor",
        "scientificsupervisor",
        "ғылымикеңесші",
    ),
    "title": (
        "мақалаатауы",
        "названиестатьи",
        "articletitle",
        "title",
        "тақырыбы",
        "тема",
        "мақалатақырыбы",
    ),
    "doi": ("doi",),
    "orcid": ("orcid",),
    "email": ("email", "эпошта", "электроннаяпочта", "электрондықпошта", "почта"),
    "affiliation": (
        "ұйым",
        "организация",
        "affiliation",
        "мекеме",
        "оқуорны",
        "месторaботы",
        "местоработы",
        "organization",
        "organisation",
    ),
    "keywords": ("кілтсөздер", "түйінсөздер", "ключевыеслова", "keywords", "тірексөздер"),
    "year": ("жылы", "год", "year", "жариялананжылы", "годиздания"),
    "volume": ("том", "volume", "vol"),
    "issue": ("нөмір", "выпуск", "issue", "номер", "шығарылым"),
    "publisher": ("баспа", "издательство", "publisher", "баспагер"),
    "url": ("url", "сілтеме", "ссылка", "link"),
    "language": ("тілі", "язык", "language", "мақалатілі", "языкстатьи"),
}
_KEY_BY_FOLD = {alias: name for name, aliases in _KEYS.items() for alias in aliases}

_REF_HEADING_WORDS = (
    "әдебиет",
    "литератур",
    "reference",
    "bibliograph",
    "источник",
    "дереккөз",
    "пайдаланылған",
    "қолданылған",
    "sources",
    "works cited",
)
_ABSTRACT_LABELS = {
    "аңдатпа": "kk",
    "аннотация": None,
    "abstract": "en",
    "резюме": None,
    "түйіндеме": "kk",
    "summary": "en",
    "түйін": "kk",
}
# Labels that are also words a sentence may begin with: only before a stop or alone.
_STRICT_LABELS = ("түйін", "summary", "резюме")
_KEYWORD_LABELS = {
    "кілт сөздер": "kk",
    "түйін сөздер": "kk",
    "тірек сөздер": "kk",
    "ключевые слова": "ru",
    "keywords": "en",
    "key words": "en",
}
_UDC_LINE = re.compile(
    r"^(?:ӘОЖ|УДК|UDC|ӘОЖ/УДК/UDC)\s*:?\s*([\d][\d.:()\-+/=\"«»\s\w\[\]']*)$", re.IGNORECASE
)
_IRSTI_LINE = re.compile(r"^(?:МРНТИ|ГРНТИ|ҒТАХР|IRSTI)\s*:?\s*([\d.\s]+)$", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_EMAIL_LABEL = re.compile(
    r"^(?:e-?mail|эл\.?\s*пошта|эл\.?\s*почта|электрондық\s+пошта|электронная\s+почта)"
    r"(?!\w)\s*[:.]?\s*",
    re.IGNORECASE,
)
_ADDRESSES = r"[^\s,;]+(?:\s*[,;]\s*[^\s,;]+)*"  # what an e-mail label is followed by
_ORCID_IN_TEXT = re.compile(r"(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])")
_PAGES_RE = re.compile(r"^\s*(\d{1,5})\s*(?:[-–—]\s*(\d{1,5}))?\s*$")
_REF_ITEM = re.compile(r"^\s{0,3}(?:\[(\d{1,4})\]|(\d{1,4})[.)])\s+(.*)$")
_URL_IN_REF = re.compile(
    r"<(https?://[^>\s]+)>|\[[^\]]*\]\((https?://[^)\s]+)\)|(https?://[^\s<>]+)"
)


def _keyfold(key: str) -> str:
    return re.sub(r"[\W_]+", "", key.casefold())


@dataclass
class _Row:
    key: str
    value: str
    line: int


@dataclass
class _Front:
    names: list[tuple[ParsedName, int]] = field(default_factory=list)
    emails: list[tuple[str, int]] = field(default_factory=list)
    orcids: list[tuple[str, int]] = field(default_factory=list)
    affiliations: list[tuple[str, int]] = field(default_factory=list)
    supervisors: list[tuple[str, int]] = field(default_factory=list)
    abstracts: list[Abstract] = field(default_factory=list)
    keywords: list[Keywords] = field(default_factory=list)
    trans_titles: list[Title] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)  # errors, all reported at once


def looks_like_page(text: str) -> bool:
    """Whether `text` is an article page: a tab-separated metadata table near the top."""
    head = text[:6000]
    rows = [ln for ln in head.splitlines() if "\t" in ln and ln.split("\t", 1)[0].strip()]
    known = sum(1 for r in rows if _keyfold(r.split("\t", 1)[0]) in _KEY_BY_FOLD)
    return known >= 2


def read_page(text: str, path: str, diags: Diagnostics) -> Article:
    """One `Article` from an article page; warnings go to `diags`, fatal problems raise."""
    lines = _clean_lines(text, diags)
    if not any(s.strip() for _, s in lines):
        raise InputError.at("the file is empty", file=path, code="input.empty")

    rows, after_table = _read_table(lines, diags)
    fields, collections = _table_fields(rows, diags)
    body_start = _skip_note(lines, after_table)
    headings, title_idx, title_line = _find_title(lines, body_start, fields.get("title"), diags)
    if title_idx is None:
        raise InputError.at(
            "no article title: expected a 'Мақала атауы' / 'Название статьи' / 'Article title' "
            "row in the metadata table or a heading above the author line",
            file=path,
            code="page.no-title",
        )

    # The reference list: the last heading after the title whose words say so.
    ref_idx = None
    for i in range(title_idx + 1, len(lines)):
        hm = HEADING_RE.match(lines[i][1])
        if hm and any(w in hm.group(2).casefold() for w in _REF_HEADING_WORDS):
            ref_idx = i
    end_of_body = ref_idx if ref_idx is not None else len(lines)
    front, body_idx = _read_front(lines, title_idx + 1, end_of_body, diags)

    refs, ref_title = _reference_list(lines, ref_idx, front, diags)

    linker = CitationLinker({int(r.label): r.id for r in refs if r.label}, diags)
    body = parse_blocks(lines[body_idx:end_of_body], linker)
    linker.report(len(refs))

    printed_title = _heading_text(lines[title_idx][1]) if title_line else None
    title_text = _title(fields, printed_title, lines[title_idx][0], diags)
    language = _article_language(fields, title_text, body, diags)

    article = Article(
        kind=ArticleKind.CONFERENCE_PAPER,
        title=Title(squash(title_text), language),
        language=language,
        body=body,
        references=refs,
        ref_list_title=ref_title,
        abstracts=front.abstracts,
        keywords=front.keywords,
        trans_titles=[t for t in front.trans_titles if t.lang != language],
        source=Source(path, lines[title_idx][0]),
    )
    _apply_people(article, fields, front, diags)
    _apply_classifications(article, fields, lines[body_start:title_idx], diags)
    problems = front.problems
    _apply_pages_and_ids(article, fields, problems)
    article.container = _container(fields, collections, headings, diags, problems)
    if article.container is None:
        diags.warn("the page names no conference, collection or journal", code="page.no-container")
    elif isinstance(article.container, Journal):
        article.kind = ArticleKind.JOURNAL_ARTICLE
    if "section" in fields:
        article.section = squash(fields["section"].value)
    elif headings:
        article.section = squash(_heading_text(lines[headings[-1]][1]))
    if "keywords" in fields and not article.keywords:
        terms = [t.strip() for t in re.split(r"[;,]", fields["keywords"].value) if t.strip()]
        article.keywords.append(Keywords(detect_language(fields["keywords"].value), terms))
    if "email" in fields and not _EMAIL_RE.search(fields["email"].value):
        row = fields["email"]
        problems.append(_error(_no_address(row.value), row, "page.bad-email"))
    if problems:
        raise InputError(sorted(problems, key=lambda d: d.line or 0))
    return article


def _error(message: str, row: _Row, code: str) -> Diagnostic:
    return Diagnostic("error", message, None, row.line, None, row.key, code)


def _no_address(text: str) -> str:
    return f"{squash(text)!r} is not an e-mail address (no @); write it as name@example.kz"


# --- the metadata table -------------------------------------------------------------------


def _clean_lines(text: str, diags: Diagnostics) -> list[Line]:
    out: list[Line] = []
    # Split on line feeds only: str.splitlines() would also split on the vertical tabs and
    # form feeds that Word pastes, which must be removed, not turned into lines.
    for n, raw in enumerate(re.split(r"\r\n|\n|\r", text), start=1):
        bad = forbidden_chars(raw)
        if bad:
            diags.warn(
                f"removed {len(bad)} character(s) XML 1.0 forbids ({', '.join(sorted(set(bad)))})",
                line=n,
                code="text.forbidden-char",
            )
            raw = strip_forbidden(raw)
        out.append((n, raw.replace("\u00a0", " ").rstrip("\r")))
    return out


def _table_fields(rows: list[_Row], diags: Diagnostics) -> tuple[dict[str, _Row], list[_Row]]:
    """The table's rows by field (the first of a repeated key wins) and its collection rows
    (one per language)."""
    fields: dict[str, _Row] = {}
    collections: list[_Row] = []
    for row in rows:
        name = _KEY_BY_FOLD.get(_keyfold(row.key))
        if name is None:
            hint = did_you_mean(_keyfold(row.key), _KEY_BY_FOLD)
            diags.warn(
                f"unknown metadata key {row.key!r} ignored{hint}",
                line=row.line,
                code="page.unknown-key",
            )
        elif name == "collection":
            collections.append(row)
        elif name in fields:
            diags.warn(
                f"metadata key {row.key!r} repeats {fields[name].key!r}; first kept",
                line=row.line,
                code="page.duplicate-key",
            )
        else:
            fields[name] = row
    return fields, collections


def _title(fields: dict[str, _Row], printed: str | None, line: int, diags: Diagnostics) -> str:
    """The title: the table's wins over the printed one, with a warning if they differ."""
    table_title = fields["title"].value if "title" in fields else None
    if table_title and printed and fold(table_title) != fold(printed):
        diags.warn(
            f"title in the table ({table_title!r}) differs from the printed title "
            f"({printed!r}); the table's is kept",
            line=line,
            code="page.title-mismatch",
        )
    return table_title or printed or ""


def _read_table(lines: list[Line], diags: Diagnostics) -> tuple[list[_Row], int]:
    """The key/value rows and the index of the first line after the table."""
    rows: list[_Row] = []
    start = None
    last = -1
    for i, (n, s) in enumerate(lines):
        if "\t" in s and s.split("\t", 1)[0].strip():
            key, value = s.split("\t", 1)
            rows.append(_Row(squash(key), squash(value.replace("\t", " ")), n))
            start = i if start is None else start
            last = i
        elif (m := re.match(r"^\s*\|([^|]+)\|([^|]*)\|\s*$", s)) and _keyfold(
            m.group(1)
        ) in _KEY_BY_FOLD:
            rows.append(_Row(squash(m.group(1)), squash(m.group(2)), n))
            start = i if start is None else start
            last = i
        elif start is not None and s.strip() and not s.lstrip().startswith("|"):
            break
    if not rows:
        diags.warn(
            "no metadata table found; everything is taken from the article text",
            code="page.no-table",
        )
        return [], 0
    return [r for r in rows if r.value], last + 1


def _skip_note(lines: list[Line], start: int) -> int:
    """Skip the site note (and any other text) between the table and the article."""
    for i in range(start, len(lines)):
        s = lines[i][1]
        if HEADING_RE.match(s) or _UDC_LINE.match(s.strip()):
            return i
    return start


def _heading_text(line: str) -> str:
    hm = HEADING_RE.match(line)
    return squash(hm.group(2)) if hm else squash(line)


def _find_title(
    lines: list[Line], start: int, table_title: _Row | None, diags: Diagnostics
) -> tuple[list[int], int | None, bool]:
    """(indices of section headings above the title, title index, whether it is a heading).

    The title is the heading that matches the table's title; failing that, the last heading
    of the run of headings (and UDC lines) that opens the article.
    """
    heads: list[int] = []
    i = start
    while i < len(lines):
        s = lines[i][1].strip()
        if not s or _UDC_LINE.match(s) or _IRSTI_LINE.match(s):
            i += 1
            continue
        if HEADING_RE.match(s):
            heads.append(i)
            i += 1
            continue
        break
    if table_title is not None:
        want = fold(table_title.value)
        for k, idx in enumerate(heads):
            if fold(_heading_text(lines[idx][1])) == want:
                return heads[:k], idx, True
        for idx in range(start, len(lines)):
            hm = HEADING_RE.match(lines[idx][1])
            if hm and fold(hm.group(2)) == want:
                return [h for h in heads if h < idx], idx, True
    if heads:
        return heads[:-1], heads[-1], True
    return [], None, False


# --- front matter: authors, e-mails, affiliations, supervisor, abstracts --------------------


def _labelled(line: str, labels: Mapping[str, str | None]) -> tuple[str, str | None, str] | None:
    """(label, language, rest) when `line` starts with one of `labels` followed by . or :"""
    stripped = re.sub(r"^\*\*([^*]+)\*\*", r"\1", line.strip())
    low = stripped.lower()
    for label, lang in labels.items():
        if low.startswith(label):
            rest = stripped[len(label) :]
            stops = (
                (".", ":", "—", "–", "-", "*")
                if label in _STRICT_LABELS
                else (".", ":", " ", "—", "–", "-", "*")
            )
            if rest[:1] in stops or not rest:
                return stripped[: len(label)], lang, rest.lstrip(" .:—–-*").strip()
    return None


def _read_front(lines: list[Line], start: int, end: int, diags: Diagnostics) -> tuple[_Front, int]:
    """Read the lines between the title and the body; return them and the body's first index."""
    front = _Front()
    i = start
    while i < end:
        n, raw = lines[i]
        s = raw.strip()
        if not s:
            i += 1
            continue
        kind = _classify_front_line(s)
        if kind is None:
            break
        if kind == "abstract":
            found = _labelled(s, _ABSTRACT_LABELS)
            assert found is not None
            paras = [found[2]] if found[2] else []
            i += 1
            while i < end and lines[i][1].strip() and _classify_front_line(lines[i][1]) is None:
                paras[-1:] = [squash(" ".join([*paras[-1:], lines[i][1]]))]
                i += 1
            front.abstracts.append(
                Abstract(
                    found[1] or detect_language(" ".join(paras)),
                    [squash(p) for p in paras if p.strip()],
                )
            )
            continue
        if kind == "keywords":
            found = _labelled(s, _KEYWORD_LABELS)
            assert found is not None
            terms = [t.strip(" .") for t in re.split(r"[;,]", found[2]) if t.strip(" .")]
            front.keywords.append(Keywords(found[1] or detect_language(found[2]), terms))
        elif kind == "email":
            addresses = _EMAIL_RE.findall(re.sub(r"\(mailto:[^)]*\)", "", s))
            for email in addresses:
                front.emails.append((email, n))
            if not addresses:
                bad = _EMAIL_LABEL.sub("", re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", s))
                front.problems.append(
                    Diagnostic("error", _no_address(bad), None, n, None, None, "page.bad-email")
                )
        elif kind == "orcid":
            for orcid in _ORCID_IN_TEXT.findall(s):
                front.orcids.append((normalize_orcid(orcid), n))
        elif kind == "supervisor":
            front.supervisors.append((s, n))
        elif kind == "affiliation":
            front.affiliations.append((s, n))
        elif kind == "names":
            names = parse_name_list(s)
            assert names is not None
            front.names.extend((nm, n) for nm in names)
        i += 1
    return front, i


def _classify_front_line(line: str) -> str | None:
    s = line.strip()
    if _labelled(s, _KEYWORD_LABELS):  # first: "Түйін сөздер" begins with "Түйін"
        return "keywords"
    if _labelled(s, _ABSTRACT_LABELS):
        return "abstract"
    if supervisor_label(s):
        return "supervisor"
    without_links = re.sub(r"\[([^\]]*)\]\((?:mailto:)?[^)]*\)", r"\1", s)
    without_emails = _EMAIL_RE.sub("", without_links)
    label = _EMAIL_LABEL.match(without_links)
    if (label and re.fullmatch(_ADDRESSES, without_links[label.end() :])) or re.fullmatch(
        r"\[[^\]]*\]\(mailto:[^)]*\)", s
    ):
        return "email"  # addresses, even ones without their @
    if _EMAIL_RE.search(without_links) and not re.sub(
        r"(?i)e-?mail|эл\.?\s*пошта|почта|[\s,;:*¹²³⁴⁵⁶⁷⁸⁹\d<>]", "", without_emails
    ):
        return "email"
    if "orcid" in s.lower() and _ORCID_IN_TEXT.search(s):
        return "orcid"
    if len(s) < 300 and not re.search(r"\[\d", s) and looks_like_affiliation(s):
        return "affiliation"
    if len(s) < 250 and parse_name_list(s):
        return "names"
    return None


def _apply_people(
    article: Article, fields: dict[str, _Row], front: _Front, diags: Diagnostics
) -> None:
    affs: list[Affiliation] = []
    for k, (line, _) in enumerate(front.affiliations, start=1):
        affs.append(parse_affiliation(line, f"aff{k}"))
    if not affs and "affiliation" in fields:
        affs.append(parse_affiliation(fields["affiliation"].value, "aff1"))
    contributors = _authors(fields, front, affs, diags)
    _contact_details(contributors, fields, front, diags)
    for line in _supervisor_lines(fields, front, diags):
        sup = parse_supervisor(line)
        if sup.name is None:
            diags.warn(f"cannot find the supervisor's name in {line!r}", code="page.bad-supervisor")
            continue
        c = to_contributor(sup.name, role="supervisor")
        c.degrees = sup.degrees
        c.role_label = supervisor_label(line)
        if sup.position_and_place:
            aff = parse_affiliation(sup.position_and_place, f"aff{len(affs) + 1}")
            affs.append(aff)
            c.affiliation_ids = [aff.id]
        contributors.append(c)
    article.contributors = contributors
    article.affiliations = affs


def _authors(
    fields: dict[str, _Row], front: _Front, affs: list[Affiliation], diags: Diagnostics
) -> list[Contributor]:
    """The authors: the table's names win; the body's fill gaps and are compared."""
    table_names: list[ParsedName] = []
    if "authors" in fields:
        row = fields["authors"]
        parsed = parse_name_list(row.value, script_order="surname-first")
        if parsed is None:
            diags.warn(
                f"cannot read the author names {row.value!r}; using the article text",
                line=row.line,
                code="page.bad-authors",
            )
        else:
            table_names = parsed
    body_names = [nm for nm, _ in front.names]
    names = table_names or body_names
    if not names:
        diags.warn("no author found in the table or under the title", code="page.no-authors")
    if table_names and body_names:
        _compare_names(table_names, front.names, fields["authors"], diags)
        names = [_fuller(t, body_names) for t in table_names]
    status = squash(fields["status"].value) if "status" in fields else None
    contributors: list[Contributor] = []
    for idx, name in enumerate(names):
        c = to_contributor(name)
        c.position = status
        body_twin = body_names[idx] if idx < len(body_names) else None
        markers = name.markers or (body_twin.markers if body_twin else [])
        if markers and affs:
            c.affiliation_ids = [f"aff{m}" for m in markers if 0 < int(m) <= len(affs)]
        elif len(affs) == len(names):
            c.affiliation_ids = [affs[idx].id]
        elif len(affs) == 1:
            c.affiliation_ids = [affs[0].id]
        elif affs:
            c.affiliation_ids = [a.id for a in affs]
        contributors.append(c)
    return contributors


def _contact_details(
    contributors: list[Contributor], fields: dict[str, _Row], front: _Front, diags: Diagnostics
) -> None:
    """E-mails and ORCIDs, from the text under the title or the table, matched in order."""
    emails = [e for e, _ in front.emails]
    if "email" in fields:
        emails = emails or _EMAIL_RE.findall(fields["email"].value)
    if contributors and emails:
        if len(emails) != len(contributors) and len(emails) != 1:
            diags.warn(
                f"{len(emails)} e-mail addresses for {len(contributors)} authors; matched in order",
                line=front.emails[0][1] if front.emails else None,
                code="page.email-count",
            )
        for c, e in zip(contributors, emails, strict=False):
            c.email = e
    orcids = [o for o, _ in front.orcids]
    if "orcid" in fields:
        orcids = orcids or [
            normalize_orcid(o) for o in _ORCID_IN_TEXT.findall(fields["orcid"].value)
        ]
    for c, o in zip(contributors, orcids, strict=False):
        c.orcid = o


def _supervisor_lines(fields: dict[str, _Row], front: _Front, diags: Diagnostics) -> list[str]:
    """The supervisor lines. The table's cell wins over the article text, except where the
    text says more about the same person: a truncated cell is completed from it, a cell
    that names no one gives way to it, and of one person written in two orders the fuller
    line is kept."""
    sup_lines = [s for s, _ in front.supervisors]
    if "supervisor" not in fields:
        return sup_lines
    row = fields["supervisor"]
    cell = _labelled_supervisor(row.value)
    if not sup_lines:
        return [cell]
    key = fold(_unlabelled(cell))
    twin = next((s for s in sup_lines if fold(_unlabelled(s)).startswith(key)), None)
    if twin is not None:
        if fold(_unlabelled(twin)) != key:
            diags.warn(
                "the table's supervisor cell is truncated; completed from the article text",
                line=row.line,
                code="page.truncated-cell",
            )
        return [twin]
    mine = parse_supervisor(cell).name
    named = [(s, n) for s in sup_lines if (n := parse_supervisor(s).name) is not None]
    if mine is None and named:
        diags.warn(
            f"the table's supervisor cell ({row.value!r}) names no one; the article text's "
            f"line is used ({named[0][0]!r})",
            line=row.line,
            code="page.supervisor-from-text",
        )
        return sup_lines
    same = next((s for s, n in named if mine is not None and same_person(mine, n)), None)
    if same is not None:
        said, printed = _facts(cell), _facts(same)
        if said <= printed:
            return [same]  # the same person and facts (or more), in another order
        if printed <= said:
            return [cell]
    diags.warn(
        f"supervisor in the table ({row.value!r}) differs from the article text "
        f"({sup_lines[0]!r}); the table's is kept",
        line=row.line,
        code="page.supervisor-mismatch",
    )
    return [cell]


def _facts(line: str) -> set[str]:
    """What a supervisor line says, in any order: its name's letters, degrees, places."""
    sup = parse_supervisor(line)
    name = (sup.name.surname or "") if sup.name else ""
    parts = [name, *(sup.degrees or "").split(","), *(sup.position_and_place or "").split(",")]
    return {fold(p).strip() for p in parts if p.strip()}


def _unlabelled(line: str) -> str:
    label = supervisor_label(line) or ""
    return line.strip()[len(label) :].lstrip(" :,-–—")


def _labelled_supervisor(cell: str) -> str:
    """A table cell as a supervisor line (the cell may leave the label out)."""
    if supervisor_label(cell):
        return cell
    label = {"kk": "Ғылыми жетекшісі", "ru": "Научный руководитель"}.get(
        detect_language(cell) or "", "Scientific supervisor"
    )
    return f"{label}, {cell}"


def _fuller(name: ParsedName, others: list[ParsedName]) -> ParsedName:
    """`name` with the full given names another list writes for the same person, where
    `name` has only initials (the table's 'Ахметова А.С.', the text's 'Ахметова Айгүл
    Сериковна')."""
    if not has_initials(name):
        return name
    twin = next((o for o in others if same_person(name, o) and not has_initials(o)), None)
    return replace(name, given_names=twin.given_names) if twin else name


def _compare_names(
    table: list[ParsedName], body: list[tuple[ParsedName, int]], row: _Row, diags: Diagnostics
) -> None:
    if len(table) != len(body):
        diags.warn(
            f"the table lists {len(table)} author(s), the article text {len(body)}; "
            "the table's are kept",
            line=row.line,
            code="page.author-count",
        )
    for t, (b, line) in zip(table, body, strict=False):
        if t.full == b.full:
            continue
        if same_person(t, b) and has_initials(t) != has_initials(b):
            # initials in one place, full given names in the other: the same spelling
            if t.surname != b.surname:
                diags.warn(
                    f"surname spelled {t.surname!r} in the table but {b.surname!r} in the "
                    "article text; the table's spelling is kept",
                    line=line,
                    code="page.author-spelling",
                )
            continue
        if t.matches(b):
            diags.warn(
                f"author spelled {t.full!r} in the table but {b.full!r} in the article "
                "text; the table's spelling is kept",
                line=line,
                code="page.author-spelling",
            )
        elif fold(t.surname or "") != fold(b.surname or ""):
            diags.warn(
                f"author {t.full!r} in the table does not match {b.full!r} in the article "
                "text; the table's is kept",
                line=line,
                code="page.author-mismatch",
            )


# --- classifications, pages, identifiers, container ---------------------------------------


def _apply_classifications(
    article: Article, fields: dict[str, _Row], lines: list[Line], diags: Diagnostics
) -> None:
    printed = None
    for _, s in lines:
        m = _UDC_LINE.match(s.strip())
        if m:
            printed = squash(m.group(1))
    udc = None
    if "udc" in fields:
        value = squash(re.sub(r"^(?:ӘОЖ|УДК|UDC)\s*:?\s*", "", fields["udc"].value, flags=re.I))
        udc = value or None
        if printed and udc and printed.replace(" ", "") != udc.replace(" ", ""):
            diags.warn(
                f"UDC in the table ({udc}) differs from the printed UDC ({printed}); "
                "the table's is kept",
                line=fields["udc"].line,
                code="page.udc-mismatch",
            )
    udc = udc or printed
    if udc:
        article.classifications.append(Classification("udc", udc))
    if "irsti" in fields:
        article.classifications.append(Classification("irsti", squash(fields["irsti"].value)))


def _apply_pages_and_ids(
    article: Article, fields: dict[str, _Row], problems: list[Diagnostic]
) -> None:
    if "pages" in fields:
        row = fields["pages"]
        m = _PAGES_RE.match(row.value)
        if not m:
            why = f"pages {row.value!r} are not a page or a range like 323-329"
            problems.append(_error(why, row, "page.bad-pages"))
        elif m.group(2) and int(m.group(2)) < int(m.group(1)):
            why = f"last page {m.group(2)} is before first page {m.group(1)}"
            problems.append(_error(why, row, "page.bad-pages"))
        else:
            article.fpage, article.lpage = m.group(1), m.group(2) or m.group(1)
    if "number" in fields:
        article.number = fields["number"].value.strip()
    if "doi" in fields:
        article.doi = normalize_doi(fields["doi"].value)
    if "url" in fields:
        article.url = fields["url"].value.strip("<> ")


def _container(
    fields: dict[str, _Row],
    collections: list[_Row],
    headings: list[int],
    diags: Diagnostics,
    problems: list[Diagnostic],
) -> Proceedings | Journal | None:
    titles = [Title(squash(r.value), detect_language(r.value)) for r in collections]
    isbns: list[Isbn] = []
    if "isbn" in fields:
        row = fields["isbn"]
        for value in re.split(r"[;,]\s*|\s{2,}", row.value):
            value = value.strip()
            if not value:
                continue
            problem = check_isbn(value)
            if problem:
                problems.append(_error(problem, row, "page.bad-isbn"))
            else:
                isbns.append(Isbn(normalize_isbn(value)))
    if "journal" in fields:
        row = fields["journal"]
        journal = Journal(titles=[Title(squash(row.value), detect_language(row.value))])
        journal.volume = fields["volume"].value if "volume" in fields else None
        journal.issue = fields["issue"].value if "issue" in fields else None
        if "issn" in fields:
            from ..model import Issn

            journal.issns = [Issn(v.strip()) for v in re.split(r"[;,]", fields["issn"].value)]
        if "year" in fields:
            journal.published = _year(fields["year"], diags)
        return journal
    if not titles:
        return None
    event = Event(names=list(titles))
    if "held" in fields:
        row = fields["held"]
        place_text = row.value
        try:
            found = parse_date_range(row.value)
        except ValueError as exc:
            problems.append(_error(str(exc), row, "page.bad-date"))
            found, place_text = None, ""
        else:
            if found is None:
                diags.warn(f"no date found in {row.value!r}", line=row.line, code="page.bad-date")
        if found is not None:
            event.start, event.end, (a, b) = found
            event.date_text = squash(row.value[a:b])
            place_text = row.value[:a] + row.value[b:]
        place = _place(place_text)
        if place:
            event.location = place
    if "place" in fields:
        event.location = _place(fields["place"].value) or event.location
    published = _year(fields["year"], diags) if "year" in fields else None
    if published is None and event.start is not None:
        published = PartialDate(event.start.year)
    return Proceedings(titles=titles, event=event, isbns=isbns, published=published)


def _year(row: _Row, diags: Diagnostics) -> PartialDate | None:
    m = re.search(r"\b(1[89]\d\d|2\d\d\d)\b", row.value)
    if not m:
        diags.warn(f"no year in {row.value!r}", line=row.line, code="page.bad-date")
        return None
    return PartialDate(int(m.group(1)))


def _place(text: str) -> str | None:
    place = squash(re.sub(r"^[\s,.;:–—-]+|[\s,.;:–—-]+$", "", text))
    place = re.sub(r"^(?:г\.|город|қ\.|city of)\s*", "", place, flags=re.I)
    place = re.sub(r"\s+(?:қаласы|қ\.)$", "", place)
    return place or None


def _article_language(
    fields: dict[str, _Row], title: str, body: list[Block], diags: Diagnostics
) -> str | None:
    if "language" in fields:
        value = fields["language"].value.strip().lower()
        names = {
            "қазақ": "kk",
            "казах": "kk",
            "kazakh": "kk",
            "орыс": "ru",
            "рус": "ru",
            "russian": "ru",
            "ағылшын": "en",
            "англ": "en",
            "english": "en",
        }
        for stem, code in names.items():
            if value.startswith(stem):
                return code
        if re.fullmatch(r"[a-z]{2,3}", value):
            return value
        diags.warn(
            f"unknown language {value!r}; detected from the text instead",
            line=fields["language"].line,
            code="page.bad-language",
        )
    sample = (
        title + " " + " ".join(plain_text(b.inlines) for b in body[:20] if isinstance(b, Paragraph))
    )
    return detect_language(sample)


# --- references and what follows them -------------------------------------------------------


def _reference_list(
    lines: list[Line], ref_idx: int | None, front: _Front, diags: Diagnostics
) -> tuple[list[Reference], str | None]:
    """The references under the heading at `ref_idx`, and its title; what follows the list
    (summaries in other languages) goes into `front`."""
    if ref_idx is None:
        diags.warn(
            "no reference list heading found; the article has no references",
            code="page.no-references",
        )
        return [], None
    hm = HEADING_RE.match(lines[ref_idx][1])
    assert hm is not None
    refs, trailing = _read_references(lines[ref_idx + 1 :], diags)
    _read_trailing(trailing, front, diags)
    return refs, squash(hm.group(2))


def _read_references(lines: list[Line], diags: Diagnostics) -> tuple[list[Reference], list[Line]]:
    refs: list[Reference] = []
    current: list[str] = []
    label = None
    start_line = 0
    i = 0

    def flush() -> None:
        if label is None:
            return
        text = squash(" ".join(current))
        urls = [next(u for u in m.groups() if u) for m in _URL_IN_REF.finditer(text)]
        display = _URL_IN_REF.sub(lambda m: next(u for u in m.groups() if u), text)
        doi = None
        for u in urls:
            if re.match(r"https?://(dx\.)?doi\.org/", u, re.I):
                doi = normalize_doi(u)
                break
        doi = doi or find_doi(display)
        if any(r.label == label for r in refs):
            diags.warn(
                f"reference number {label} appears twice; the second is numbered {label}-2",
                line=start_line,
                code="page.duplicate-reference",
            )
        rid = f"ref{label}" if not any(r.label == label for r in refs) else f"ref{label}-2"
        refs.append(Reference(id=rid, text=display, label=label, doi=doi, urls=urls))

    while i < len(lines):
        n, s = lines[i]
        m = _REF_ITEM.match(s)
        if m:
            flush()
            label = m.group(1) or m.group(2)
            current = [m.group(3)]
            start_line = n
        elif HEADING_RE.match(s) or _ends_references(lines, i):
            break
        elif s.strip() and label is not None:
            current.append(s)
        elif s.strip() and label is None:
            current, label, start_line = [s], str(len(refs) + 1), n
            diags.warn(
                "reference without a number; numbered by position",
                line=n,
                code="page.unnumbered-reference",
            )
        i += 1
    flush()
    expected = [str(k) for k in range(1, len(refs) + 1)]
    if [r.label for r in refs] != expected and refs:
        diags.warn(
            "the reference list is not numbered 1..N in order",
            line=start_line,
            code="page.reference-order",
        )
    return refs, lines[i:]


@dataclass
class _Summary:
    """A title, abstract and keywords printed again in another language."""

    title: str | None = None
    label_lang: str | None = None
    paras: list[str] = field(default_factory=list)
    keywords: Keywords | None = None
    in_abstract: bool = False

    @property
    def started(self) -> bool:
        return bool(self.title or self.paras or self.keywords or self.in_abstract)

    def add_to(self, front: _Front) -> None:
        text = " ".join(self.paras) or (self.keywords and " ".join(self.keywords.terms)) or ""
        lang = (
            self.label_lang
            or (self.keywords.lang if self.keywords else None)
            or detect_language(text or self.title or "")
        )
        if self.title:
            front.trans_titles.append(Title(self.title, lang))
        if self.paras:
            front.abstracts.append(Abstract(lang, self.paras))
        if self.keywords:
            front.keywords.append(self.keywords)


def _ends_references(lines: list[Line], i: int) -> bool:
    """Whether line `i` starts what follows the reference list: a paragraph (after a blank
    line) that is a title in capitals or begins with an abstract or keywords label."""
    s = lines[i][1].strip()
    if not s or i == 0 or lines[i - 1][1].strip():
        return False  # a line right under an entry continues it
    return _in_capitals(s) or _classify_front_line(s) in ("abstract", "keywords")


def _read_trailing(lines: list[Line], front: _Front, diags: Diagnostics) -> None:
    """The summaries printed after the references, in the article's other languages: each
    a title (a heading or a line in capitals, or a 'Түйін'/'Резюме'/'Summary' heading), the
    authors again (skipped), an abstract (labelled or not) and keywords."""
    summary = _Summary()
    for n, s in lines:
        st = s.strip()
        if not st:
            continue
        heading = HEADING_RE.match(st)
        bold = None if heading else BOLD_LINE_RE.match(st)
        text = squash(heading.group(2)) if heading else (bold.group(1) if bold else st)
        kind = _classify_front_line(text)
        if kind == "keywords":
            found = _labelled(text, _KEYWORD_LABELS)
            assert found is not None
            terms = [t.strip(" .") for t in re.split(r"[;,]", found[2]) if t.strip(" .")]
            summary.keywords = Keywords(found[1] or detect_language(found[2]), terms)
            summary.in_abstract = False
            continue
        if kind == "abstract":
            found = _labelled(text, _ABSTRACT_LABELS)
            assert found is not None
            if summary.paras or summary.keywords:
                summary.add_to(front)
                summary = _Summary()
            summary.label_lang = found[1]
            summary.in_abstract = True
            if found[2]:
                summary.paras.append(squash(found[2]))
            continue
        if heading or bold or _in_capitals(text):
            if summary.started and not (summary.in_abstract and not summary.paras):
                summary.add_to(front)
                summary = _Summary()
            if summary.title is None:
                summary.title = squash(text)
                summary.in_abstract = True  # an unlabelled abstract may follow the authors
            continue
        if kind in ("names", "affiliation", "email", "orcid", "supervisor") and not summary.paras:
            continue  # the authors and their places, again in this language
        if summary.in_abstract and not summary.keywords:
            summary.paras.append(squash(text))
            continue
        diags.warn(
            "text after the reference list is not part of the article; ignored",
            line=n,
            code="page.trailing-text",
        )
        break
    if summary.started:
        summary.add_to(front)


def _in_capitals(line: str) -> bool:
    """A title set in capitals ('ТЕХНОЛОГИИ ОЧИСТКИ ПИТЬЕВОЙ ВОДЫ'), not an acronym."""
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 8 and len(line) < 400 and all(ch.isupper() for ch in letters)
