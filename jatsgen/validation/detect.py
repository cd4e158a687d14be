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
        public = tree.docinfo.public_id or ""
        version = root.get("dtd-version") or ""
        if not version and (m := _DOCTYPE_VERSION.search(public)):
            version = m.group(1)
        version = re.sub(r"d\d+$", "", version) or "1.3"
        if "Archiving" in public or "Archive" in public:
            tag_set = "archiving"
        elif "Authoring" in public:
            tag_set = "authoring"
        else:
            tag_set = "publishing"
        family = "nlm" if version.startswith(("2.", "3.")) else "jats"
        name = "NLM" if family == "nlm" else "JATS"
        return f"{family}-{version}-{tag_set}", f"{name} {version} {tag_set.title()}"
    where = f"{{{qn.namespace}}}" if qn.namespace else ""
    return None, f"root element <{where}{qn.localname}> is not a JATS article or a Crossref deposit"


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
