"""A typesetter's JATS (NLM 3.0, JATS 1.0-1.4) as JATS 1.3 or 1.4, with nothing of the article
lost: its body, back matter, floats and sub-articles are kept as they are, its metadata is
updated from the model (a DOI or landing page the config made), and the few differences
between the versions are resolved:

- the version marks: `@dtd-version` and the DOCTYPE of the target;
- `contrib-id` first in `contrib` (1.3 and 1.4 order a contributor's children);
- a value that an attribute's list lacks, where 1.3 added `custom` and `@custom-type`
  (`xref/@ref-type`, `fn/@fn-type`, `pub-id/@pub-id-type`, `article-id/@pub-id-type`,
  `person-group/@person-group-type`): `custom`, with the value kept in `@custom-type`;
- an `@id` that is not an XML name (`aff id="1"`): made one, and every `@rid` that points at
  it follows;
- the ALI namespace written without its final slash: the official one;
- children that 1.3 and 1.4 order and some typesetters do not: `journal-meta`'s
  (`issn` before the title group), `attrib` and `permissions` last in `fig` and `table-wrap`.

Each change is said, located; what the target still refuses is left for validation to name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from lxml import etree

from ..diagnostics import Diagnostic, Diagnostics
from ..model import Article
from ..safexml import local
from .jats import DOCTYPES, JatsOptions

ALI = "http://www.niso.org/schemas/ali/1.0/"
UPGRADED = "jats.upgraded"  # the code of every change the upgrade makes
XLINK = "http://www.w3.org/1999/xlink"
CUSTOMIZABLE = (
    ("xref", "ref-type"),
    ("fn", "fn-type"),
    ("pub-id", "pub-id-type"),
    ("article-id", "pub-id-type"),
    ("person-group", "person-group-type"),
)
_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")
# article-meta children that come after self-uri in 1.3 and 1.4: a new self-uri goes before
_AFTER_SELF_URI = ("related-article", "related-object", "abstract", "trans-abstract",
                   "kwd-group", "funding-group", "support-group", "conference", "counts",
                   "custom-meta-group", "processing-meta")  # fmt: skip


def upgrade(
    article: Article,
    original: bytes,
    options: JatsOptions,
    diags: Diagnostics,
    values: dict[tuple[str, str], frozenset[str]],
) -> bytes:
    """`original` (one <article>, as the reader found it) as the target version: the same
    article with its metadata updated from `article` and the version differences resolved.
    `values` are the target's allowed values of the customizable attributes."""
    root = etree.fromstring(original, etree.XMLParser(resolve_entities=False, no_network=True))
    say = _Sayer(article, diags)
    _metadata(root, article, say)
    root.set("dtd-version", options.version)
    _contrib_ids_first(root, say)
    _custom_values(root, values, say)
    _names(root, say)
    _ordered(root, say)
    root = _ali_namespace(root, say)
    public, system = DOCTYPES[(options.tag_set, options.version)]
    data: bytes = etree.tostring(
        root.getroottree(),
        xml_declaration=True,
        encoding="UTF-8",
        doctype=f'<!DOCTYPE article PUBLIC "{public}" "{system}">',
    )
    return data + b"\n"


class _Sayer:
    """Located warnings: the line in the source of the element that changed."""

    def __init__(self, article: Article, diags: Diagnostics) -> None:
        self.path = article.source.path if article.source else None
        self.start = article.source.line if article.source else None
        self.diags = diags

    def __call__(self, message: str, el: etree._Element, code: str) -> None:
        self.diags.add(Diagnostic("warning", message, self.path, el.sourceline, None, None, code))


def _metadata(root: etree._Element, article: Article, say: _Sayer) -> None:
    """A DOI or landing page the model has and the article lacks (made from the config's
    patterns) is written into the article's metadata."""
    meta = root.find("front/article-meta")
    if meta is None:
        return
    if article.doi and meta.find("article-id[@pub-id-type='doi']") is None:
        el = etree.Element("article-id", {"pub-id-type": "doi"})
        el.text = article.doi
        meta.insert(len(meta.findall("article-id")), el)
        say(f"the article had no DOI; {article.doi} is written", meta, "jats.doi-added")
    has_page = any(
        (s.get(f"{{{XLINK}}}href") or "").startswith(("http://", "https://"))
        and not s.get("content-type")
        for s in meta.findall("self-uri")
    )
    if article.url and not has_page:
        el = etree.Element("self-uri", {f"{{{XLINK}}}href": article.url})
        after = next((c for c in meta if local(c) in _AFTER_SELF_URI), None)
        if after is not None:
            after.addprevious(el)
        else:
            meta.append(el)
        say(f"the article had no landing page; {article.url} is written", meta, "jats.url-added")


def _contrib_ids_first(root: etree._Element, say: _Sayer) -> None:
    for contrib in root.iter("contrib"):
        ids = [c for c in contrib if local(c) == "contrib-id"]
        first = next((c for c in contrib if isinstance(c.tag, str)), None)
        if ids and first is not ids[0]:
            for position, el in enumerate(ids):
                contrib.insert(position, el)
            say(
                "contrib-id moved before the name (1.3 orders a contributor)",
                contrib,
                "jats.upgraded",
            )


def _custom_values(
    root: etree._Element, values: dict[tuple[str, str], frozenset[str]], say: _Sayer
) -> None:
    for tag, attr in CUSTOMIZABLE:
        allowed = values.get((tag, attr))
        if not allowed:
            continue
        for el in root.iter(tag):
            value = el.get(attr)
            if value is None or value in allowed:
                continue
            if value.lower() in allowed:  # "COI-statement" for "coi-statement"
                el.set(attr, value.lower())
                continue
            el.set(attr, "custom")
            el.set("custom-type", value)
            say(
                f"{tag} {attr}={value!r} is not a value of the target version: written as "
                f'{attr}="custom" custom-type={value!r}',
                el,
                UPGRADED,
            )


def _names(root: etree._Element, say: _Sayer) -> None:
    """IDs that are not XML names made names, and the references to them kept."""
    renamed: dict[str, str] = {}
    taken = {el.get("id") for el in root.iter() if isinstance(el.tag, str)}
    for el in root.iter():
        value = el.get("id") if isinstance(el.tag, str) else None
        if value is None or _NAME.match(value):
            continue
        new = "id-" + re.sub(r"[^\w.-]", "_", value)
        while new in taken:
            new += "_"
        taken.add(new)
        renamed[value] = new
        el.set("id", new)
        say(f"id {value!r} is not an XML name: written as {new!r}", el, UPGRADED)
    if renamed:
        for el in root.iter():
            rid = el.get("rid") if isinstance(el.tag, str) else None
            if rid:
                el.set("rid", " ".join(renamed.get(r, r) for r in rid.split()))


# journal-meta's children in the order 1.3 and 1.4 require them
_JOURNAL_META = ("journal-id", "journal-title-group", "contrib-group", "aff", "aff-alternatives",
                 "issn", "issn-l", "isbn", "publisher", "notes", "self-uri")  # fmt: skip
_JOURNAL_META_RANK = {name: i for i, name in enumerate(_JOURNAL_META)}


def _ordered(root: etree._Element, say: _Sayer) -> None:
    """Children in the target's order where a typesetter's order differs and nothing is
    lost by moving them (a stable sort: same-named children keep their order)."""
    for meta in root.iter("journal-meta"):
        _sort(meta, lambda el: _JOURNAL_META_RANK.get(local(el), len(_JOURNAL_META)), say)
    for float_ in (*root.iter("fig"), *root.iter("table-wrap")):
        _sort(float_, lambda el: local(el) in ("attrib", "permissions"), say)


def _sort(parent: etree._Element, key: Callable[[etree._Element], int], say: _Sayer) -> None:
    children = [c for c in parent if isinstance(c.tag, str)]
    ordered = sorted(children, key=key)
    if ordered == children:
        return
    for el in ordered:
        parent.append(el)  # moves it to the end, with its children (these hold no text)
    say(f"the children of {local(parent)} put in the order the target requires", parent, UPGRADED)


def _ali_namespace(root: etree._Element, say: _Sayer) -> etree._Element:
    """ALI elements in the namespace written without its final slash, moved into the
    official one (the JATS schemas import it by that name)."""
    wrong = ALI.rstrip("/")
    found = [el for el in root.iter(f"{{{wrong}}}*")]
    if not found:
        return root
    for el in found:
        el.tag = f"{{{ALI}}}{local(el)}"
    say(
        f"the ALI namespace {wrong!r} is written as the official {ALI!r}", found[0], "jats.upgraded"
    )
    etree.cleanup_namespaces(root, top_nsmap={"ali": ALI})
    return root


@cache
def customizable_values(xsd: Path) -> dict[tuple[str, str], frozenset[str]]:
    """The allowed values of the customizable attributes, read from the target's official
    XSD (its elements module) or DTD, so no list of ours can drift from the schema. (An
    Archiving DTD declares them CDATA: any value is allowed, none is customized.)"""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    out: dict[tuple[str, str], frozenset[str]] = {}
    if xsd.suffix == ".dtd":
        wanted = dict(CUSTOMIZABLE)
        for decl in etree.DTD(str(xsd)).iterelements():
            for attr in decl.iterattributes():
                if wanted.get(decl.name) == attr.name and attr.type == "enumeration":
                    out[(decl.name, attr.name)] = frozenset(attr.values())
        return out
    for module in sorted(xsd.parent.glob("*elements.xsd")) or [xsd]:
        doc = etree.parse(str(module), parser)
        for tag, attr in CUSTOMIZABLE:
            found = doc.xpath(
                f"//*[local-name()='element'][@name='{tag}']//*[local-name()='attribute']"
                f"[@name='{attr}']//*[local-name()='enumeration']/@value"
            )
            if found:
                out[(tag, attr)] = frozenset(str(v) for v in found)
    return out
