"""What kind of file is this: a file's schema set from its root element, namespace,
`dtd-version` and DOCTYPE."""

from __future__ import annotations

import re

from lxml import etree

CROSSREF_NS = re.compile(r"^http://www\.crossref\.org/schema/(\d+\.\d+\.\d+)$")

_DOCTYPE_VERSION = re.compile(r"v(\d+\.\d+)(?:d\d+)?\b")


def detect_schema(tree: etree._ElementTree) -> tuple[str | None, str]:
    """(schema set id, description) for a parsed document; id None when unknown."""
    root = tree.getroot()
    qn = etree.QName(root)
    if qn.localname == "doi_batch" and qn.namespace:
        m = CROSSREF_NS.match(qn.namespace)
        if m:
            return f"crossref-{m.group(1)}", f"Crossref deposit {m.group(1)}"
        return None, f"a doi_batch in an unknown namespace {qn.namespace}"
    if qn.localname == "article" and not qn.namespace:
        return _jats(tree)
    if qn.localname == "pmc-articleset":
        return None, (
            "a PMC article set (<pmc-articleset>): its articles may be of different versions; "
            "`jatsgen jats` or `crossref` reads each of them"
        )
    where = f"{{{qn.namespace}}}" if qn.namespace else ""
    return None, f"root element <{where}{qn.localname}> is not a JATS article or a Crossref deposit"


def _jats(tree: etree._ElementTree) -> tuple[str | None, str]:
    """A JATS or NLM article's set: the version of its DOCTYPE's PUBLIC identifier (what it
    declares to be valid against), else its dtd-version (a draft, 1.1d3, is its release);
    without either, or front/article-meta, it is not taken for JATS."""
    root = tree.getroot()
    public = tree.docinfo.public_id or ""
    declared = "//DTD JATS" in public or "//NLM//DTD" in public
    version = ""
    if declared and (m := _DOCTYPE_VERSION.search(public)):
        version = m.group(1)
    version = re.sub(r"d\d+$", "", version or root.get("dtd-version") or "")
    meta = root.find("front/article-meta")
    if not version and not declared and meta is None:
        return None, (
            "a no-namespace <article> with no JATS marks (no dtd-version, no JATS or NLM "
            "DOCTYPE, no front/article-meta): not taken for JATS"
        )
    version = version or "1.3"
    if "Archiving" in public or "Archive" in public:
        tag_set = "archiving"
    elif "Authoring" in public:
        tag_set = "authoring"
    else:
        tag_set = "publishing"
    nlm = ("//NLM//DTD" in public and "JATS" not in public) or version.startswith(("2.", "3."))
    family = "nlm" if nlm else "jats"
    name = "NLM" if family == "nlm" else "JATS"
    return f"{family}-{version}-{tag_set}", f"{name} {version} {tag_set.title()}"


def kind_of(schema_id: str) -> str:
    return "crossref" if schema_id.startswith("crossref") else "jats"


_PEEK_CROSSREF = re.compile(rb'xmlns(?::\w+)?="http://www\.crossref\.org/schema/([\d.]+)"')
_PEEK_JATS = re.compile(rb'<article\b[^>]*\bdtd-version="([^"]+)"')


def peek_schema(path: str) -> str:
    """A cheap guess of a file's schema from its first 4 KB, to plan work across processes
    (each process then compiles as few schemas as possible). The real detection follows."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return "?"
    if b"doi_batch" in head and (m := _PEEK_CROSSREF.search(head)):
        return f"crossref-{m.group(1).decode()}"
    if m := _PEEK_JATS.search(head):
        return f"jats-{m.group(1).decode()}"
    return "?"
