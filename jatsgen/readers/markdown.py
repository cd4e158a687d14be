"""The Markdown subset used by article pages and by the `body` field of record files.

Blocks: `#` headings (sections), paragraphs, dash/bullet and numbered lists, pipe tables, and
a paragraph that is entirely bold taken as a heading. Inlines: links, autolinks, bare URLs and
e-mail addresses, **bold**, *italic*, and numbered in-text citations such as [1], [2;5],
[3, 4], [5-7] or [2, p. 15], linked to the reference list through a `CitationLinker`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..diagnostics import Diagnostics
from ..model import (
    Block,
    CiteRef,
    Email,
    Inline,
    Link,
    ListBlock,
    Paragraph,
    Section,
    Styled,
    Table,
    Text,
)

Line = tuple[int, str]  # (1-based line number, text without newline)

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
BULLET_RE = re.compile(r"^\s{0,3}([–—•*-])\s+(.*)$")
NUMBERED_RE = re.compile(r"^\s{0,3}(\d{1,3})[.)]\s+(.*)$")
TABLE_RE = re.compile(r"^\s*\|.*\|\s*$")
TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
BOLD_LINE_RE = re.compile(r"^\*\*([^*]{1,200})\*\*:?$")

_URL = r"https?://[^\s<>\[\]]*[^\s<>\[\].,;:!?»\"')]"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"
_INLINE_RE = re.compile(
    r"(?P<mdlink>\[(?P<ltext>[^\]]+)\]\((?P<lurl>[^)\s]+)\))"
    r"|(?P<auto><(?P<aurl>(?:https?://|mailto:)[^>\s]+|" + _EMAIL + r")>)"
    r"|(?P<cite>\[(?P<cinner>\d[^\[\]]{0,80})\])"
    r"|(?P<url>" + _URL + r")"
    r"|(?P<email>" + _EMAIL + r")"
    r"|(?P<bold>\*\*(?P<btext>[^*]+?)\*\*)"
    r"|(?P<italic>(?<![*\w])\*(?P<itext>[^*\s](?:[^*]*?[^*\s])?)\*(?![*\w]))"
)

# A citation part: a number, a range, or a page locator, the word before the page ("p. 15",
# "с. 12–14", "б. 27", "pp. 1-2") or, in Kazakh, after it ("45-б.", "5-бет", "12–14 бб.").
_CITE_NUM = re.compile(r"^\s*(\d{1,4})\s*(?:[-–—]\s*(\d{1,4}))?\s*$")
_CITE_LOCATOR = re.compile(
    r"^\s*(?:(?:p|pp|s|с|б|бб|бет|стр|p\.p|т|vol|v|ч|chap|ch|fig|табл|сур)\.?\s*"
    r"[\dIVXLC][\d\s,–—\-]*"
    r"|\d{1,5}(?:\s*[-–—]\s*\d{1,5})?\s*-?\s*(?:б|бб|бет|беттер|с|стр|p|pp)\.?)\s*$",
    re.IGNORECASE,
)


@dataclass
class CitationLinker:
    """Turns reference numbers into ref ids, warning about numbers with no entry."""

    ids_by_number: dict[int, str]
    diagnostics: Diagnostics
    unresolved: dict[int, int] = field(default_factory=dict)  # number -> first line seen
    cited: set[str] = field(default_factory=set)

    def link(self, inner: str, line: int) -> list[Inline] | None:
        """The inlines for the bracket content `inner`, or None if it is not a citation."""
        parts = re.split(r"([;,])", inner)
        kinds: list[str] = []
        for i in range(0, len(parts), 2):
            if _CITE_NUM.match(parts[i]):
                kinds.append("num")
            elif _CITE_LOCATOR.match(parts[i]) and i > 0:
                kinds.append("loc")
            else:
                return None
        out: list[Inline] = [Text("[")]
        for i, part in enumerate(parts):
            if i % 2 == 1:
                out.append(Text(part))
                continue
            if kinds[i // 2] == "loc":
                out.append(Text(part))
                continue
            m = _CITE_NUM.match(part)
            assert m is not None
            lo = int(m.group(1))
            hi = int(m.group(2)) if m.group(2) else lo
            numbers = list(range(lo, hi + 1)) if 0 < hi - lo < 100 else [lo]
            found = [self.ids_by_number[n] for n in numbers if n in self.ids_by_number]
            for n in numbers:
                if n not in self.ids_by_number:
                    self.unresolved.setdefault(n, line)
            lead = part[: len(part) - len(part.lstrip())]
            trail = part[len(part.rstrip()) :]
            if lead:
                out.append(Text(lead))
            if found:
                out.append(CiteRef(found, part.strip()))
                self.cited.update(found)
            else:
                out.append(Text(part.strip()))
            if trail:
                out.append(Text(trail))
        out.append(Text("]"))
        return _merge_text(out)

    def report(self, total: int) -> None:
        """One warning per number cited without an entry in the list."""
        for n in sorted(self.unresolved):
            self.diagnostics.warn(
                f"citation [{n}] has no entry in the reference list ({total} entries); "
                "left unlinked",
                line=self.unresolved[n],
                code="cite.unresolved",
            )


def _merge_text(nodes: list[Inline]) -> list[Inline]:
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, Text) and out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].text + node.text)
        elif not (isinstance(node, Text) and node.text == ""):
            out.append(node)
    return out


def parse_inlines(text: str, line: int = 0, linker: CitationLinker | None = None) -> list[Inline]:
    out: list[Inline] = []
    pos = 0
    for m in _INLINE_RE.finditer(text):
        node: list[Inline] | None
        if m.group("mdlink"):
            url = m.group("lurl")
            if url.lower().startswith("mailto:"):
                node = [Email(url[7:])]
            else:
                node = [Link(url, m.group("ltext"))]
        elif m.group("auto"):
            url = m.group("aurl")
            if url.lower().startswith("mailto:"):
                node = [Email(url[7:])]
            elif "@" in url and "://" not in url:
                node = [Email(url)]
            else:
                node = [Link(url, url)]
        elif m.group("cite"):
            node = linker.link(m.group("cinner"), line) if linker else None
        elif m.group("url"):
            node = [Link(m.group("url"), m.group("url"))]
        elif m.group("email"):
            node = [Email(m.group("email"))]
        elif m.group("bold"):
            node = [Styled("bold", parse_inlines(m.group("btext"), line, linker))]
        else:
            node = [Styled("italic", parse_inlines(m.group("itext"), line, linker))]
        if node is None:
            continue  # not what it looked like: leave it in the surrounding text
        if m.start() > pos:
            out.append(Text(text[pos : m.start()]))
        out.extend(node)
        pos = m.end()
    if pos < len(text):
        out.append(Text(text[pos:]))
    return _merge_text(out)


def _join(lines: list[str]) -> str:
    return " ".join(s.strip() for s in lines if s.strip())


def _table_cells(row: str) -> list[str]:
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|"):
        row = row[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)]


Flat = list[tuple[int, Block | tuple[int, str, int]]]  # headings as (level, text, line)


def parse_blocks(lines: list[Line], linker: CitationLinker | None = None) -> list[Block]:
    """Blocks of a body, nested into sections by heading level."""
    flat: Flat = []
    i = 0
    n = len(lines)
    while i < n:
        lineno, raw = lines[i]
        if not raw.strip():
            i += 1
            continue
        hm = HEADING_RE.match(raw)
        bm = BOLD_LINE_RE.match(raw.strip())
        if hm or (bm and (i + 1 >= n or not lines[i + 1][1].strip())):
            if hm:
                flat.append((lineno, (len(hm.group(1)), hm.group(2), lineno)))
            else:
                assert bm is not None
                flat.append((lineno, (7, bm.group(1).strip(), lineno)))  # below any '#'
            i += 1
            continue
        if TABLE_RE.match(raw):
            i = _table(lines, i, linker, flat)
        elif BULLET_RE.match(raw) or NUMBERED_RE.match(raw):
            i = _list(lines, i, linker, flat)
        else:
            i = _paragraph(lines, i, linker, flat)
    return _nest(flat, linker)


def _table(lines: list[Line], i: int, linker: CitationLinker | None, flat: Flat) -> int:
    """The pipe table starting at line `i`; returns the index after it."""
    lineno = lines[i][0]
    rows: list[str] = []
    header_rows = 0
    while i < len(lines) and TABLE_RE.match(lines[i][1]):
        if TABLE_RULE_RE.match(lines[i][1]):
            header_rows = len(rows)
        else:
            rows.append(lines[i][1])
        i += 1
    table = Table(
        rows=[[parse_inlines(c, lineno, linker) for c in _table_cells(r)] for r in rows],
        header_rows=header_rows,
    )
    flat.append((lineno, table))
    return i


def _list(lines: list[Line], i: int, linker: CitationLinker | None, flat: Flat) -> int:
    """The bulleted or numbered list starting at line `i`; returns the index after it."""
    n = len(lines)
    lineno, raw = lines[i]
    bullet = BULLET_RE.match(raw)
    ordered = bullet is None
    item_re = NUMBERED_RE if ordered else BULLET_RE
    items: list[list[Inline]] = []
    while i < n:
        ln, text = lines[i]
        m = item_re.match(text)
        if m:
            item_lines = [m.group(2)]
            i += 1
            while (
                i < n
                and lines[i][1].strip()
                and not BULLET_RE.match(lines[i][1])
                and not NUMBERED_RE.match(lines[i][1])
                and not HEADING_RE.match(lines[i][1])
                and not TABLE_RE.match(lines[i][1])
            ):
                item_lines.append(lines[i][1])
                i += 1
            items.append(parse_inlines(_join(item_lines), ln, linker))
            continue
        if not text.strip():
            # a blank line continues the list only if the next line is another item
            j = i
            while j < n and not lines[j][1].strip():
                j += 1
            if item_re.match(lines[j][1] if j < n else ""):
                i = j
                continue
        break
    prefix = bullet.group(1) if bullet else None
    flat.append((lineno, ListBlock(items=items, ordered=ordered, prefix=prefix)))
    return i


def _paragraph(lines: list[Line], i: int, linker: CitationLinker | None, flat: Flat) -> int:
    """The paragraph starting at line `i` (up to a blank line or another block)."""
    para: list[str] = []
    start = lines[i][0]
    while i < len(lines) and lines[i][1].strip():
        text = lines[i][1]
        if para and (
            HEADING_RE.match(text)
            or BULLET_RE.match(text)
            or NUMBERED_RE.match(text)
            or TABLE_RE.match(text)
        ):
            break
        para.append(text)
        i += 1
    flat.append((start, Paragraph(parse_inlines(_join(para), start, linker))))
    return i


def _nest(flat: Flat, linker: CitationLinker | None) -> list[Block]:
    root: list[Block] = []
    stack: list[tuple[int, Section]] = []
    for _, item in flat:
        if isinstance(item, tuple):
            level, title, line = item
            while stack and stack[-1][0] >= level:
                stack.pop()
            sec = Section(title=parse_inlines(title, line, linker))
            (stack[-1][1].blocks if stack else root).append(sec)
            stack.append((level, sec))
        else:
            (stack[-1][1].blocks if stack else root).append(item)
    return root
