"""Registry and quality rules beyond the XSD, in one place.

Each rule has a stable id, a severity, the kinds of file it applies to, and a check that
yields located findings. `jatsgen validate --list-rules` prints this table and `--ignore RULE`
switches one off. Rules read the parsed tree only; facts from outside the file (configured
DOI prefixes, the deposit ledger, other files of the run) come in through `RuleContext`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain

from lxml import etree

from ..diagnostics import Severity
from ..hints import invisible
from ..ids import DOI_RE, check_doi, check_isbn, check_issn, check_orcid, check_ror
from ..safexml import ReadBytes, local, long_run_possible

Kind = str  # "crossref" | "jats"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FAR_FUTURE_YEARS = 2


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    line: int | None
    where: str | None = None  # a short path such as doi_data/doi


@dataclass
class RuleContext:
    kind: Kind
    prefixes: tuple[str, ...] = ()
    today: dt.date = field(default_factory=dt.date.today)
    # findings that several rules split between them, worked out once per tree
    memo: dict[tuple[str, int], tuple[etree._ElementTree, list[Finding]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    # known from the file's bytes: no text and no attribute value is longer than
    # NUMBER_DIGITS characters (`short_values_of`); False: not known
    short: bool = False


Check = Callable[[etree._ElementTree, RuleContext], Iterator[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    kinds: tuple[Kind, ...]
    summary: str
    check: Check | None = None  # None: checked elsewhere (XSD, parsing, across files)


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str, severity: Severity, kinds: tuple[Kind, ...], summary: str
) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        RULES[rule_id] = Rule(rule_id, severity, kinds, summary, fn)
        return fn

    return register


def declare(rule_id: str, severity: Severity, kinds: tuple[Kind, ...], summary: str) -> None:
    RULES[rule_id] = Rule(rule_id, severity, kinds, summary)


BOTH: tuple[Kind, ...] = ("crossref", "jats")
declare("xml.syntax", "error", BOTH, "the file is well-formed XML (located parser message)")
declare(
    "xml.entities",
    "error",
    BOTH,
    "no entity declarations in the DOCTYPE (blocks XXE and entity expansion attacks)",
)
declare("xml.too-large", "error", BOTH, "the file is under the size limit")
declare(
    "xml.entity-undeclared",
    "error",
    BOTH,
    "every entity reference (&name;) is declared by the official DTD the DOCTYPE names",
)
declare(
    "kind.unknown", "error", BOTH, "the file is a JATS article, a BITS book or a Crossref deposit"
)
declare("schema.missing", "error", BOTH, "the official schema for the file's version is installed")
declare("xsd", "error", BOTH, "valid against the official XSD for its kind and version")
declare(
    "dtd",
    "error",
    ("jats",),
    "JATS 1.0-1.2, Archiving and Authoring, NLM 2.3/3.0 files: valid against the official "
    "DTD their DOCTYPE names",
)
declare(
    "crossref.batch-id-unique",
    "warning",
    ("crossref",),
    "doi_batch_id is not used by another file of the same run",
)
# Checked when a deposit is planned (`deposit`, `deposit --dry-run`, `preview`), not by
# `validate`: they are about what an endpoint was sent, not about the file.
declare(
    "deposit.timestamp-newer",
    "error",
    ("crossref",),
    "at deposit time: each DOI sent has a timestamp newer than the one this machine last "
    "sent it to the same endpoint with",
)
declare(
    "deposit.doi-moved",
    "error",
    ("crossref",),
    "at deposit time: a registered DOI is not put on another work (title, authors and "
    "landing page all different) unless --reassign DOI says so",
)
declare(
    "deposit.doi-twice",
    "error",
    ("crossref",),
    "at deposit time: a work's DOI is sent by one file of a run, not two",
)


def elements(tree: etree._ElementTree, *names: str) -> Iterator[etree._Element]:
    """Elements with any of `names`, in any namespace, in document order: from the index
    `run_rules` makes of the tree (one pass for every rule), else found by lxml in C.
    "doi": only those `plain_doi` does not settle (every rule on DOIs settles them first)."""
    held = _INDEX.get(id(tree))
    if held is not None and held[0] is tree and _INDEXED.issuperset(names):
        index = held[1]
        if len(names) == 1:
            return (el for _, el in index.get(names[0], ()))
        # (positions are unique: the sort, in C, never compares two elements)
        return (el for _, el in sorted(chain.from_iterable(index.get(n, ()) for n in names)))
    found: Iterator[etree._Element] = tree.getroot().iter(*(f"{{*}}{n}" for n in names))
    if "doi" in names:
        return (el for el in found if local(el) != "doi" or not plain_doi(el))
    return found


def plain_doi(el: etree._Element) -> bool:
    """A doi element, a leaf holding ASCII that is not a URL: the rules that look at every
    doi element (crossref.citation-doi, text.invisible) settle it first and say nothing of
    it, and a batch has tens of thousands (the citations'), so the index leaves them out."""
    if len(el):
        return False
    text = el.text or ""
    return text.isascii() and not _URL_LIKE.match(text.lstrip())


# The names the rules look for: a batch of 10 MB has some 150,000 elements, and a pass of
# lxml over them costs 5 ms whatever it finds, so each rule making its own pass cost more
# than all the rules' own work; `run_rules` makes one pass for all of them
_INDEXED = frozenset(
    {"doi", "isbn", "issn", "ORCID", "contrib-id", "institution_id", "institution-id", "doi_data",
     "resource", "citation_list", "doi_batch_id", "timestamp", "article-id", "pub-id",
     "pages", "article-meta", "conference_paper", "publication_date", "acceptance_date",
     "pub-date", "date", "conference_date", "ref", "xref", "ref-list", "body", "uri",
     "self-uri", "license_ref", "crossmark_policy", "intra_work_relation",
     "inter_work_relation", "object-id", "ext-link", "email", "email_address"}
)  # fmt: skip
_INDEX_TAGS = tuple(f"{{*}}{n}" for n in sorted(_INDEXED))
# id(tree) -> (tree, local name -> [(position in document order, element)]), while
# `run_rules` runs on it
_INDEX: dict[int, tuple[etree._ElementTree, dict[str, list[tuple[int, etree._Element]]]]] = {}


def _index(tree: etree._ElementTree) -> dict[str, list[tuple[int, etree._Element]]]:
    index: dict[str, list[tuple[int, etree._Element]]] = {}
    for at, el in enumerate(tree.getroot().iter(*_INDEX_TAGS)):
        name = local(el)
        if name == "doi" and plain_doi(el):
            continue  # (not held: their proxies would keep the heap larger)
        found = index.get(name)
        if found is None:
            index[name] = [(at, el)]
        else:
            found.append((at, el))
    return index


def child(el: etree._Element, name: str) -> etree._Element | None:
    return next(el.iterchildren(f"{{*}}{name}"), None)


def text_of(el: etree._Element | None) -> str:
    if el is None:
        return ""
    if not len(el):  # a leaf (most): its text, without walking it
        return (el.text or "").strip()
    return "".join(el.itertext()).strip()


_URL_LIKE = re.compile(r"(?i)(https?://|doi:)")


def path_of(el: etree._Element, depth: int = 2) -> str:
    names: list[str] = []
    node: etree._Element | None = el
    while node is not None and len(names) < depth:
        names.append(local(node))
        node = node.getparent()
    return "/".join(reversed(names))


# --- identifiers -----------------------------------------------------------------------------


@rule("id.isbn", "error", BOTH, "every ISBN has a valid check digit")
def _isbn(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el in elements(tree, "isbn"):
        value = text_of(el)
        if value and (problem := check_isbn(value)):
            yield Finding("id.isbn", problem, el.sourceline, path_of(el))


@rule("id.issn", "error", BOTH, "every ISSN has a valid check digit")
def _issn(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el in elements(tree, "issn"):
        value = text_of(el)
        if not value:
            if el.get("content-type") != "not-assigned":
                yield Finding(
                    "id.issn",
                    "empty ISSN element; remove it or give the ISSN",
                    el.sourceline,
                    path_of(el),
                )
        elif problem := check_issn(value):
            yield Finding("id.issn", problem, el.sourceline, path_of(el))


def _orcids(tree: etree._ElementTree) -> Iterator[tuple[etree._Element, str]]:
    for el in elements(tree, "ORCID", "contrib-id"):
        if local(el) == "contrib-id" and (el.get("contrib-id-type") or "").lower() != "orcid":
            continue
        yield el, text_of(el)


_ORCID_URL = ("https://orcid.org/", "http://orcid.org/")


@rule("id.orcid", "error", BOTH, "every ORCID has the ORCID form and a valid check digit")
def _orcid(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el, value in _orcids(tree):
        problem = check_orcid(value)
        if problem is None and ctx.kind == "crossref" and not value.startswith(_ORCID_URL):
            problem = f"ORCID {value!r} must be written as https://orcid.org/{value}"
        if problem:
            yield Finding("id.orcid", problem, el.sourceline, path_of(el))


@rule(
    "jats.orcid-url",
    "warning",
    ("jats",),
    "an ORCID in contrib-id is written as its https://orcid.org/ URL (as JATS4R recommends)",
)
def _orcid_url(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el, value in _orcids(tree):
        if check_orcid(value) is None and not value.startswith(_ORCID_URL):
            yield Finding(
                "jats.orcid-url",
                f"ORCID {value!r} is bare; JATS4R recommends the URL form "
                f"https://orcid.org/{value} (the schema allows both)",
                el.sourceline,
                path_of(el),
            )


@rule("id.ror", "error", BOTH, "every ROR id has the form https://ror.org/0xxxxxxNN")
def _ror(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el in elements(tree, "institution_id", "institution-id"):
        kind = el.get("type") or el.get("institution-id-type") or ""
        if kind.lower() == "ror" and (problem := check_ror(text_of(el))):
            yield Finding("id.ror", problem, el.sourceline, path_of(el))


# --- DOIs and URLs ---------------------------------------------------------------------------


def work_doi_elements(tree: etree._ElementTree) -> Iterator[etree._Element]:
    """The works' own doi elements (doi_data/doi), in document order."""
    for data in elements(tree, "doi_data"):
        yield from data.iterchildren("{*}doi")


def _work_dois(tree: etree._ElementTree) -> Iterator[tuple[etree._Element, str]]:
    return ((el, text_of(el)) for el in work_doi_elements(tree))


@rule(
    "crossref.doi-syntax",
    "error",
    ("crossref",),
    "DOIs are 10.NNNN/suffix with no spaces or look-alike dashes",
)
def _doi_syntax(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el, doi in _work_dois(tree):
        if problem := check_doi(doi):
            yield Finding("crossref.doi-syntax", problem, el.sourceline, "doi_data/doi")


@rule(
    "crossref.citation-doi",
    "error",
    ("crossref",),
    "a citation's DOI is a bare DOI, not a URL (the registry rejects https://doi.org/...)",
)
def _citation_doi(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el in elements(tree, "doi"):  # (the plain ones left out)
        if not len(el) and not _URL_LIKE.match((el.text or "").lstrip()):
            continue  # the commonest case, a bare DOI, settled without a Python call
        parent = el.getparent()
        if parent is None or local(parent) != "citation":
            continue
        doi = text_of(el)
        if _URL_LIKE.match(doi):
            yield Finding(
                "crossref.citation-doi",
                f"citation DOI {doi!r} is a URL; write the bare DOI (10.NNNN/...)",
                el.sourceline,
                "citation/doi",
            )
        elif not DOI_RE.match(doi):
            yield Finding(
                "crossref.citation-doi",
                f"citation DOI {doi!r} is not of the form 10.NNNN/suffix",
                el.sourceline,
                "citation/doi",
            )


@rule(
    "crossref.doi-prefix",
    "error",
    ("crossref",),
    "every DOI starts with a configured prefix (with --config or --prefix)",
)
def _doi_prefix(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    if not ctx.prefixes:
        return
    for el, doi in _work_dois(tree):
        if DOI_RE.match(doi) and doi.split("/", 1)[0] not in ctx.prefixes:
            yield Finding(
                "crossref.doi-prefix",
                f"DOI {doi} does not start with the configured prefix {' or '.join(ctx.prefixes)}",
                el.sourceline,
                "doi_data/doi",
            )


@rule(
    "crossref.one-prefix",
    "error",
    ("crossref",),
    "all DOIs in a file share one prefix (the registry rejects mixed prefixes)",
)
def _one_prefix(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    first: str | None = None
    for el, doi in _work_dois(tree):
        if not DOI_RE.match(doi):
            continue
        prefix = doi.split("/", 1)[0]
        if first is None:
            first = prefix
        elif prefix != first:
            yield Finding(
                "crossref.one-prefix",
                f"DOI {doi} has prefix {prefix} but the file "
                f"started with {first}; split the file by prefix",
                el.sourceline,
                "doi_data/doi",
            )


@rule("crossref.doi-unique", "error", ("crossref",), "a DOI is deposited once per file")
def _doi_unique(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    seen: dict[str, int | None] = {}
    for el, doi in _work_dois(tree):
        key = doi.lower()
        if key in seen:
            yield Finding(
                "crossref.doi-unique",
                f"DOI {doi} appears again (first at line {seen[key]})",
                el.sourceline,
                "doi_data/doi",
            )
        else:
            seen[key] = el.sourceline


@rule(
    "crossref.resource-url", "error", ("crossref",), "every resource URL is an absolute http(s) URL"
)
def _resource(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el in elements(tree, "resource"):
        url = text_of(el)
        if not re.match(r"^https?://[^\s/]+\.[^\s]+$", url):
            yield Finding(
                "crossref.resource-url",
                f"resource {url!r} is not an absolute http(s) URL",
                el.sourceline,
                path_of(el),
            )


@rule(
    "crossref.citation-key-unique",
    "error",
    ("crossref",),
    "citation keys are unique within a citation list",
)
def _citation_keys(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for lst in elements(tree, "citation_list"):
        citations = list(lst.iterchildren("{*}citation"))
        keys = [c.get("key") for c in citations]
        if len(set(keys)) == len(keys):
            continue  # all different: the usual case (a set, in C, where a Counter is not)
        counts = Counter(keys)
        for c, key in zip(citations, keys, strict=True):
            if counts[key] > 1:
                yield Finding(
                    "crossref.citation-key-unique",
                    f"citation key {key!r} is used more than once in this citation list",
                    c.sourceline,
                    "citation/@key",
                )


@rule("crossref.batch-id", "error", ("crossref",), "doi_batch_id is present and not blank")
def _batch_id(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    found = list(elements(tree, "doi_batch_id"))
    if not found:
        yield Finding("crossref.batch-id", "head has no doi_batch_id", tree.getroot().sourceline)
    for el in found:
        if not text_of(el):
            yield Finding("crossref.batch-id", "doi_batch_id is blank", el.sourceline)


MAX_TIMESTAMP = 2**63 - 1  # what the registry and the deposit ledger store (SQLite INTEGER)
_ASCII_DIGITS = re.compile(r"[0-9]+")


@rule(
    "crossref.timestamp-range",
    "error",
    ("crossref",),
    f"timestamps are whole numbers of at most 19 digits, below 2^63 ({MAX_TIMESTAMP + 1}), as "
    "the registry and the ledger store them",
)
def _timestamp_range(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el in elements(tree, "timestamp"):
        value = text_of(el)
        if not _ASCII_DIGITS.fullmatch(value):
            continue  # not a number at all: the schema says so
        if len(value.lstrip("0")) > 19 or int(value) > MAX_TIMESTAMP:
            yield Finding(
                "crossref.timestamp-range",
                f"timestamp {value[:30]}{'…' if len(value) > 30 else ''} is larger than a "
                f"timestamp can be ({MAX_TIMESTAMP}): the registry and the ledger store at most "
                "19 digits; make the batch again (jatsgen crossref issues timestamps of 17)",
                el.sourceline,
                path_of(el),
            )


@rule("jats.doi-syntax", "error", ("jats",), "article and citation DOIs are 10.NNNN/suffix")
def _jats_doi(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el in elements(tree, "article-id", "pub-id"):
        if (el.get("pub-id-type") or "").lower() != "doi":
            continue
        doi = text_of(el)
        if problem := check_doi(doi):
            yield Finding("jats.doi-syntax", problem, el.sourceline, path_of(el))


# identifiers and URLs judged here (those of DOIs, ISBNs, ISSNs, ORCIDs and ROR ids are judged
# by their own rules, which name an invisible character too)
_LINK_TEXT = ("resource", "uri", "self-uri", "license_ref", "crossmark_policy",
              "intra_work_relation", "inter_work_relation", "institution_id", "object-id",
              "ext-link", "email", "email_address")  # fmt: skip


@rule(
    "text.invisible",
    "error",
    BOTH,
    "URLs, links and cited DOIs hold no invisible character (zero-width space, joiner, "
    "word joiner, byte-order mark, bidi control, soft hyphen)",
)
def _invisible(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el in elements(tree, *_LINK_TEXT, "doi", "pub-id"):
        if not len(el) and (el.text or "").isascii():
            continue  # every invisible character is beyond ASCII: most values, settled in C
        value = text_of(el)
        name, parent = local(el), el.getparent()
        if name == "doi" and parent is not None and local(parent) == "doi_data":
            continue  # crossref.doi-syntax says it
        if name == "pub-id" and (el.get("pub-id-type") or "").lower() == "doi":
            continue  # jats.doi-syntax says it
        if hidden := invisible(value):
            yield Finding("text.invisible", f"{name} {value!r}: {hidden}", el.sourceline,
                          path_of(el))  # fmt: skip
    for href in _HREFS(tree):  # (found in C: most deposits have none)
        el = href.getparent()
        if href and (hidden := invisible(href)):
            yield Finding("text.invisible", f"link {href!r}: {hidden}", el.sourceline,
                          f"{path_of(el)}/@xlink:href")  # fmt: skip


NUMBER_DIGITS = 200_000  # the longest number read (see engines._read_long_numbers)
_LONG_ATTRIBUTE = etree.XPath("boolean(//@*[string-length(.) > $n])")
# (the attributes themselves: libxml2 finds them twice as fast as the elements that have one)
_HREFS = etree.XPath("//@xl:href", namespaces={"xl": "http://www.w3.org/1999/xlink"})


@rule(
    "xml.number-too-long",
    "error",
    BOTH,
    f"no value is a number of more than {NUMBER_DIGITS:,} digits (none is read beyond that)",
)
def _long_numbers(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    root = tree.getroot()
    if ctx.short:
        return  # nothing that long between two tags of the file: no value that long
    if max(map(len, root.itertext()), default=0) <= NUMBER_DIGITS and not _LONG_ATTRIBUTE(
        tree, n=NUMBER_DIGITS
    ):
        return  # no text and no attribute that long (found in C): no number that long
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for where, value in (("", el.text or ""), *((f"/@{k}", v) for k, v in el.attrib.items())):
            if len(value) > NUMBER_DIGITS and _ASCII_DIGITS.fullmatch(value.strip().lstrip("+-")):
                yield Finding(
                    "xml.number-too-long",
                    f"a number of {len(value.strip()):,} digits; jatsgen reads numbers of up "
                    f"to {NUMBER_DIGITS:,} (the registry fewer)",
                    el.sourceline,
                    path_of(el) + where,
                )


def short_values_of(tree: etree._ElementTree, data: bytes) -> bool:
    """Whether the bytes `tree` was parsed from show that no text and no attribute value
    is longer than NUMBER_DIGITS characters, in microseconds where walking the tree takes
    milliseconds.

    A text or an attribute value holds no "<", and in UTF-8 (or ASCII) a character is at
    least one byte and "<" is the only byte 0x3C, so one that long is a run of more than
    NUMBER_DIGITS bytes without "<" (`safexml.long_run_possible` rules them out). A CDATA
    section (its text joins the text around it, across the "<" that opens it) or another
    encoding: not known here (False)."""
    if not _one_byte_lt(tree) or b"<![CDATA[" in data:
        return False
    return not long_run_possible(data, NUMBER_DIGITS)


def short_values_read(tree: etree._ElementTree, read: ReadBytes) -> bool:
    """`short_values_of`, from what was seen of the bytes as they were parsed (`parse_file`
    with a run of NUMBER_DIGITS): the same argument, made piece by piece."""
    return _one_byte_lt(tree) and not read.cdata and not read.long_run


def _one_byte_lt(tree: etree._ElementTree) -> bool:
    """The document's encoding makes "<" the byte 0x3C and no character less than a byte."""
    encoding = (tree.docinfo.encoding or "").upper().replace("-", "")
    return encoding in ("UTF8", "ASCII", "USASCII")


# --- pages and dates -------------------------------------------------------------------------


def _page_pairs(tree: etree._ElementTree) -> Iterator[tuple[etree._Element, str, str]]:
    for pages in elements(tree, "pages"):
        first, last = child(pages, "first_page"), child(pages, "last_page")
        if first is not None and last is not None:
            yield last, text_of(first), text_of(last)
    for meta in elements(tree, "article-meta"):
        first, last = child(meta, "fpage"), child(meta, "lpage")
        if first is not None and last is not None:
            yield last, text_of(first), text_of(last)


def _number(text: str) -> int | None:
    """A whole number written in ASCII digits (what a page or a year is), else None: "²",
    "٣" and 5,000 digits are not read (int() takes the first two, and fails on the last)."""
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > 18:
        return None
    return int(text)


@rule("pages.order", "error", BOTH, "the last page is not before the first page")
def _pages(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el, first, last in _page_pairs(tree):
        a, b = _number(first), _number(last)
        if a is not None and b is not None and b < a:
            yield Finding(
                "pages.order",
                f"last page {last} is before first page {first}",
                el.sourceline,
                path_of(el),
            )


@rule(
    "pages.missing",
    "warning",
    BOTH,
    "a paper in proceedings has pages or an article number",
)
def _pages_missing(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    papers = list(elements(tree, "conference_paper"))
    if not papers:  # JATS: an article of a conference (article-meta/conference)
        papers = [m for m in elements(tree, "article-meta") if child(m, "conference") is not None]
    for paper in papers:
        located = ("pages", "publisher_item", "fpage", "elocation-id")
        if all(child(paper, name) is None for name in located):
            yield Finding(
                "pages.missing",
                "the paper has no pages and no article number, although it is in a "
                "proceedings volume",
                paper.sourceline,
                path_of(paper),
            )


def _check_date(
    year: str, month: str, day: str, ctx: RuleContext, seasons: bool
) -> tuple[str, str, str] | None:
    """(rule, message, the part at fault: year, month or day) or None for a good date."""
    y = _number(year)
    if y is None:
        return ("date.real", f"year {year[:30]!r} is not a number in the digits 0-9", "year")
    if not 1 <= y <= 9999:
        return (
            "date.year-range",
            f"year {year[:30]} cannot be a publication year; write one from 1 to 9999",
            "year",
        )
    m = _number(month)
    if month and m is None:
        return ("date.real", f"month {month[:30]!r} is not a number in the digits 0-9", "month")
    if m is not None and not (1 <= m <= 12 or (seasons and (21 <= m <= 24 or 31 <= m <= 34))):
        codes = " or a season code" if seasons else ""
        return ("date.real", f"month {month} is not 01-12{codes}", "month")
    if day and m is not None and m > 12 and _number(day) is not None:
        return (
            "date.season-day",
            f"day {day} with the {'season' if m < 30 else 'quarter'} code {month}: the "
            "registry keeps the code and ignores the day",
            "day",
        )
    if day:
        d = _number(day)
        if d is None or m is None or m > 12:
            return ("date.real", f"day {day[:30]!r} without a calendar month", "day")
        try:
            when = dt.date(y, m, d)
        except ValueError:
            return ("date.real", f"{year}-{month}-{day} is not a real date", "day")
    else:
        when = dt.date(y, m if m and m <= 12 else 1, 1)
    if when.year > ctx.today.year + FAR_FUTURE_YEARS:
        return (
            "date.far-future",
            f"year {when.year} is more than {FAR_FUTURE_YEARS} years in the future",
            "year",
        )
    return None


_ISO_DATES = etree.XPath("//@iso-8601-date")


def _date_findings(tree: etree._ElementTree, ctx: RuleContext) -> list[Finding]:
    """Every date problem in the tree; the two date rules each take their own."""
    key = ("dates", id(tree))
    held = ctx.memo.get(key)
    if held is None or held[0] is not tree:  # the tree is held, so its id is not reused
        held = ctx.memo[key] = (tree, list(_find_date_problems(tree, ctx)))
    return held[1]


def _find_date_problems(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el in elements(tree, "publication_date", "acceptance_date", "pub-date", "date"):
        year = child(el, "year")
        if year is None:
            continue
        parts = {"year": year, "month": child(el, "month"), "day": child(el, "day")}
        found = _check_date(
            text_of(year),
            text_of(parts["month"]),
            text_of(parts["day"]),
            ctx,
            seasons=ctx.kind == "crossref",
        )
        if found:
            at = parts[found[2]]
            target = at if at is not None else el
            yield Finding(found[0], found[1], target.sourceline, path_of(target))
    for el in elements(tree, "conference_date"):
        for side in ("start", "end"):
            y = el.get(f"{side}_year")
            if y:
                month, day = el.get(f"{side}_month") or "", el.get(f"{side}_day") or ""
                found = _check_date(y, month, day, ctx, seasons=False)
                if found:
                    yield Finding(
                        found[0],
                        f"conference {side}: {found[1]}",
                        el.sourceline,
                        "conference_date",
                    )
    if ctx.kind != "jats":
        return  # @iso-8601-date is JATS; no need to search a deposit for it
    for iso in _ISO_DATES(tree):
        el = iso.getparent()
        if iso and (m := re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", iso)):
            found = _check_date(m.group(1), m.group(2) or "", m.group(3) or "", ctx, False)
            if found:
                yield Finding(found[0], f"@iso-8601-date: {found[1]}", el.sourceline, path_of(el))


@rule(
    "date.real",
    "error",
    BOTH,
    "dates exist in the calendar (month 01-12, or a season code "
    "in Crossref; day valid for the month)",
)
def _dates_real(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    yield from (f for f in _date_findings(tree, ctx) if f.rule == "date.real")


@rule(
    "date.year-range",
    "error",
    BOTH,
    "a date's year is from 1 to 9999 (a year of 0 or of five digits cannot be checked as a date)",
)
def _dates_year_range(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    yield from (f for f in _date_findings(tree, ctx) if f.rule == "date.year-range")


@rule(
    "date.far-future", "error", BOTH, f"no date is more than {FAR_FUTURE_YEARS} years in the future"
)
def _dates_future(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    yield from (f for f in _date_findings(tree, ctx) if f.rule == "date.far-future")


@rule(
    "date.season-day",
    "warning",
    ("crossref",),
    "a Crossref date with a season or quarter code (21-24, 31-34) has no day",
)
def _dates_season_day(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    yield from (f for f in _date_findings(tree, ctx) if f.rule == "date.season-day")


# --- JATS internal consistency ---------------------------------------------------------------


@rule("jats.id-unique", "error", ("jats",), "every @id is used once")
def _ids_unique(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    seen: dict[str, int | None] = {}
    for el in tree.getroot().iter():
        if not isinstance(el.tag, str):
            continue
        value = el.get("id")
        if value is None:
            continue
        if value in seen:
            yield Finding(
                "jats.id-unique",
                f"id {value!r} is used again (first at line {seen[value]})",
                el.sourceline,
                path_of(el),
            )
        else:
            seen[value] = el.sourceline


@rule("jats.rid-resolves", "error", ("jats",), "every @rid names an element's @id")
def _rids(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    ids = {el.get("id") for el in tree.getroot().iter() if isinstance(el.tag, str)}
    for el in tree.getroot().iter():
        if not isinstance(el.tag, str) or el.get("rid") is None:
            continue
        for rid in (el.get("rid") or "").split():
            if rid not in ids:
                yield Finding(
                    "jats.rid-resolves",
                    f"{local(el)} rid {rid!r} names no element with that id",
                    el.sourceline,
                    path_of(el),
                )


@rule(
    "jats.bibr-target",
    "error",
    ("jats",),
    "a bibliographic xref points at a reference in the reference list",
)
def _bibr(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    refs = {el.get("id") for el in elements(tree, "ref")}
    others = {
        el.get("id")
        for el in tree.getroot().iter()
        if isinstance(el.tag, str) and local(el) != "ref"
    }
    for el in elements(tree, "xref"):
        if el.get("ref-type") != "bibr":
            continue
        for rid in (el.get("rid") or "").split():
            if rid in others and rid not in refs:
                yield Finding(
                    "jats.bibr-target",
                    f"citation xref rid {rid!r} points at a non-reference element",
                    el.sourceline,
                    "xref",
                )


_LANG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
_ISO639_1 = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu "
    "cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi "
    "ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks "
    "ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl "
    "nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl "
    "sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve "
    "vi vo wa wo xh yi yo za zh zu".split()
)


@rule(
    "jats.lang-tag",
    "error",
    ("jats",),
    "xml:lang values are language tags (an ISO 639 language, optional subtags)",
)
def _lang(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    for el in tree.getroot().iter():
        if not isinstance(el.tag, str):
            continue
        value = el.get(XML_LANG)
        if value is None:
            continue
        primary = value.split("-", 1)[0].lower()
        if not _LANG.match(value) or (len(primary) == 2 and primary not in _ISO639_1):
            yield Finding(
                "jats.lang-tag",
                f"xml:lang {value!r} is not a language tag (e.g. kk, ru, en, pt-BR)",
                el.sourceline,
                path_of(el),
            )


_BRACKETS = re.compile(r"\[(\d{1,4}(?:\s*[-–,;]\s*\d{1,4})*)(?:[,;]\s*[^\]\d][^\]]{0,20})?\]")


@rule(
    "jats.cited-present",
    "warning",
    ("jats",),
    "numbers cited in the text ([9], [2;5]) have an entry in the reference list",
)
def _cited(tree: etree._ElementTree, ctx: RuleContext) -> Iterator[Finding]:
    ref_lists = list(elements(tree, "ref-list"))
    if not ref_lists:
        return
    count = sum(1 for lst in ref_lists for r in lst if local(r) == "ref")
    for body in elements(tree, "body"):
        for el in body.iter():
            if not isinstance(el.tag, str) or local(el) not in ("p", "td", "th", "title"):
                continue
            text = "".join(el.itertext())
            for m in _BRACKETS.finditer(text):
                numbers = [int(n) for n in re.findall(r"\d+", m.group(1))]
                missing = [n for n in numbers if n > count]
                if missing:
                    yield Finding(
                        "jats.cited-present",
                        f"the text cites [{missing[0]}] but the reference list has {count} entries",
                        el.sourceline,
                        path_of(el),
                    )


def run_rules(tree: etree._ElementTree, ctx: RuleContext, ignore: frozenset[str]) -> list[Finding]:
    """Every rule's findings; a rule that fails on a file (a bug) is that file's finding,
    never the end of the run."""
    out: list[Finding] = []
    with indexed(tree):
        for r in RULES.values():
            if r.check is None or r.id in ignore or ctx.kind not in r.kinds:
                continue
            try:
                out.extend(f for f in r.check(tree, ctx) if f.rule not in ignore)
            except Exception as exc:
                out.append(
                    Finding("internal", f"the rule {r.id} could not read this file "
                            f"({type(exc).__name__}: {exc}); a bug in jatsgen", None)
                )  # fmt: skip
    return out


@contextmanager
def indexed(tree: etree._ElementTree) -> Iterator[None]:
    """The one-pass index of `tree` (`elements`) held while the block runs: for the rules,
    and for what a caller reads of the same elements after them; the tree is not held
    beyond it."""
    held = _INDEX.get(id(tree))
    if held is not None and held[0] is tree:
        yield
        return
    _INDEX[id(tree)] = (tree, _index(tree))
    try:
        yield
    finally:
        del _INDEX[id(tree)]
