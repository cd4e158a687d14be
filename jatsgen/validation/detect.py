"""What kind of file is this: a file's schema set from what it declares - its root element and
namespace, its DOCTYPE, `@dtd-version` and `xsi:noNamespaceSchemaLocation`."""

from __future__ import annotations

import re

from lxml import etree

# the namespaces of Crossref's deposit, resource-only and grant schemas, with the set ids
CROSSREF_NAMESPACES = (
    (re.compile(r"^http://www\.crossref\.org/schema/(\d+\.\d+\.\d+)$"), "crossref",
     "Crossref deposit"),
    (re.compile(r"^http://www\.crossref\.org/doi_resources_schema/(\d+\.\d+\.\d+)$"),
     "doi-resources", "Crossref resource-only deposit"),
    (re.compile(r"^http://www\.crossref\.org/grant_id/(\d+\.\d+\.\d+)$"), "grant-id",
     "Crossref grant deposit"),
)  # fmt: skip
CROSSREF_FAMILIES = tuple(family for _, family, _ in CROSSREF_NAMESPACES)
CROSSREF_NS = CROSSREF_NAMESPACES[0][0]

_DOCTYPE_VERSION = re.compile(r"v(\d+\.\d+)(?:d\d+)?\b")
_XSD_VERSION = re.compile(r"(\d+)-(\d+)(?:d\d+)?(?:-mathml\d)?\.xsd$")  # ...archivearticle1-3-...
XSI_NO_NS = "{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation"


def detect_schema(tree: etree._ElementTree) -> tuple[str | None, str]:
    """(schema set id, description) for a parsed document; id None when unknown."""
    root = tree.getroot()
    qn = etree.QName(root)
    if qn.localname == "doi_batch" and qn.namespace:
        for pattern, family, label in CROSSREF_NAMESPACES:
            if m := pattern.match(qn.namespace):
                return f"{family}-{m.group(1)}", f"{label} {m.group(1)}"
        return None, f"a doi_batch in an unknown namespace {qn.namespace}"
    if qn.localname == "article" and not qn.namespace:
        return _jats(tree)
    if qn.localname in ("book", "book-part-wrapper") and not qn.namespace:
        return _bits(tree)
    if qn.localname == "pmc-articleset":
        return None, (
            "a PMC article set (<pmc-articleset>): its articles may be of different versions; "
            "`jatsgen jats` or `crossref` reads each of them"
        )
    where = f"{{{qn.namespace}}}" if qn.namespace else ""
    return None, (
        f"root element <{where}{qn.localname}> is not a JATS article, a BITS book or a "
        "Crossref deposit"
    )


def _declared(tree: etree._ElementTree) -> tuple[str, str]:
    """What the document says it is valid against: its DOCTYPE's PUBLIC and SYSTEM
    identifiers and its xsi:noNamespaceSchemaLocation, joined (for looking into)."""
    info = tree.docinfo
    hint = tree.getroot().get(XSI_NO_NS) or ""
    return info.public_id or "", f"{info.system_url or ''} {hint}"


def _jats(tree: etree._ElementTree) -> tuple[str | None, str]:
    """A JATS or NLM article's set: the version of its DOCTYPE's PUBLIC identifier (what it
    declares to be valid against), else its dtd-version (a draft, 1.1d3, is its release);
    without either, or front/article-meta, it is not taken for JATS. The tag set is the
    one the DOCTYPE or the schema location names (Archiving, Authoring), else Publishing."""
    root = tree.getroot()
    public, located = _declared(tree)
    declared = "//DTD JATS" in public or "//NLM//DTD" in public
    version = ""
    if declared and (m := _DOCTYPE_VERSION.search(public)):
        version = m.group(1)
    if not version and (m := _XSD_VERSION.search(located.strip())):
        version = f"{m.group(1)}.{m.group(2)}"
    version = re.sub(r"d\d+$", "", version or (root.get("dtd-version") or "").strip())
    meta = root.find("front/article-meta")
    if not version and not declared and meta is None:
        return None, (
            "a no-namespace <article> with no JATS marks (no dtd-version, no JATS or NLM "
            "DOCTYPE, no front/article-meta): not taken for JATS"
        )
    version = version or "1.3"
    names = f"{public} {located}"
    if "Archiving" in names or "Archive" in names or "archivearticle" in names:
        tag_set = "archiving"
    elif "Authoring" in names or "articleauthoring" in names:
        tag_set = "authoring"
    else:
        tag_set = "publishing"
    nlm = ("//NLM//DTD" in public and "JATS" not in public) or version.startswith(("2.", "3."))
    family = "nlm" if nlm else "jats"
    name = "NLM" if family == "nlm" else "JATS"
    return f"{family}-{version}-{tag_set}", f"{name} {version} {tag_set.title()}"


def _bits(tree: etree._ElementTree) -> tuple[str | None, str]:
    """A BITS book's set: the version its DOCTYPE, schema location or dtd-version names."""
    root = tree.getroot()
    public, located = _declared(tree)
    version = ""
    if "BITS" in public and (m := _DOCTYPE_VERSION.search(public)):
        version = m.group(1)
    elif m := re.search(r"BITS-book(\d+)-(\d+)\.xsd", located):
        version = f"{m.group(1)}.{m.group(2)}"
    version = re.sub(r"d\d+$", "", version or (root.get("dtd-version") or "").strip())
    if not version and root.find("book-meta") is None:
        return None, (
            f"a no-namespace <{root.tag}> with no BITS marks (no dtd-version, no BITS DOCTYPE "
            "or schema location, no book-meta): not taken for a BITS book"
        )
    version = version or "2.2"
    return f"bits-{version}", f"BITS {version} book"


def kind_of(schema_id: str) -> str:
    """crossref (any deposit: metadata, resource-only, grants) or jats (JATS, NLM, BITS)."""
    return "crossref" if schema_id.startswith(CROSSREF_FAMILIES) else "jats"


_PEEK_CROSSREF = re.compile(
    rb'xmlns(?::\w+)?="http://www\.crossref\.org/(schema|doi_resources_schema|grant_id)/([\d.]+)"'
)
_PEEK_FAMILY = {
    b"schema": "crossref",
    b"doi_resources_schema": "doi-resources",
    b"grant_id": "grant-id",
}
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
        return f"{_PEEK_FAMILY[m.group(1)]}-{m.group(2).decode()}"
    if m := _PEEK_JATS.search(head):
        return f"jats-{m.group(1).decode()}"
    return "?"
