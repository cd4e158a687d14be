"""A tiny builder in lxml's ElementMaker idiom that never writes a character XML 1.0 forbids.

    b = Builder(diags, nsmap={...})
    b("article", b("front", ...), {"article-type": "research-article"})

Children may be elements, strings (mixed content), None (skipped) or lists of those;
attribute dicts may appear anywhere and None values are dropped. Text is cleaned once,
here, so no writer can emit a vertical tab pasted from Word.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

from ..diagnostics import Diagnostics
from ..safexml import local
from ..text import forbidden_chars, has_forbidden, strip_forbidden

XLINK = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

Child = Any  # etree._Element | str | None | dict[str, str | None] | Iterable[Child]


class Builder:
    def __init__(
        self,
        diags: Diagnostics,
        namespace: str | None = None,
        nsmap: dict[str | None, str] | None = None,
    ) -> None:
        self.diags = diags
        self.namespace = namespace
        self.nsmap = nsmap
        self._root_made = False
        self._qnames: dict[str, str] = {}

    def clean(self, text: str, where: str = "") -> str:
        if not has_forbidden(text):
            return text
        bad = forbidden_chars(text)
        if bad:
            self.diags.warn(
                f"removed {len(bad)} character(s) XML 1.0 forbids ({', '.join(sorted(set(bad)))})"
                + (f" from {where}" if where else ""),
                code="text.forbidden-char",
            )
            return strip_forbidden(text)
        return text

    def qname(self, tag: str) -> str:
        known = self._qnames.get(tag)
        if known is None:
            known = self._qnames[tag] = self._qname(tag)
        return known

    def _qname(self, tag: str) -> str:
        if tag.startswith("{"):
            return tag
        if ":" in tag:
            prefix, local = tag.split(":", 1)
            ns = {"xlink": XLINK, "xml": XML_NS}.get(prefix) or (self.nsmap or {}).get(prefix)
            if ns is None:
                raise ValueError(f"unknown namespace prefix {prefix!r}")
            return f"{{{ns}}}{local}"
        return f"{{{self.namespace}}}{tag}" if self.namespace else tag

    def attr_name(self, name: str) -> str:
        """Attributes are unqualified unless prefixed ("xml:lang", "xlink:href")."""
        return self.qname(name) if ":" in name or name.startswith("{") else name

    def __call__(self, tag: str, *children: Child) -> etree._Element:
        if not self._root_made and self.nsmap is not None:
            el = etree.Element(self.qname(tag), nsmap=self.nsmap)
            self._root_made = True
        else:
            el = etree.Element(self.qname(tag))
        if len(children) == 1 and type(children[0]) is str:
            el.text = self.clean(children[0])  # the commonest case: an element with text
        else:
            self.fill(el, children)
        return el

    def fill(self, el: etree._Element, children: Iterable[Child]) -> etree._Element:
        for child in children:
            if child is None:
                continue
            if isinstance(child, dict):
                for k, v in child.items():
                    if v is not None:
                        el.set(self.attr_name(k), self.clean(str(v), k))
            elif isinstance(child, str):
                text = self.clean(child)
                if len(el):
                    last = el[-1]
                    last.tail = (last.tail or "") + text
                else:
                    el.text = (el.text or "") + text
            elif isinstance(child, etree._Element):
                el.append(child)
            else:
                self.fill(el, child)
        return el


# Elements that may hold text and inline markup; their inside is never re-indented.
MIXED = frozenset(
    {
        "p",
        "title",
        "article-title",
        "trans-title",
        "subtitle",
        "trans-subtitle",
        "mixed-citation",
        "td",
        "th",
        "label",
        "kwd",
        "subject",
        "aff",
        "institution",
        "license-p",
        "conf-name",
        "journal-title",
        "publisher-name",
        "role",
        "given-names",
        "surname",
        "bold",
        "italic",
        "sup",
        "sub",
        "ext-link",
        "email",
        "xref",
        "unstructured_citation",
        "jats:p",
        "collab",
    }
)


def serialize(root: etree._Element, doctype: str | None = None) -> bytes:
    """UTF-8 bytes with an XML declaration, indented only where content is element-only."""
    indent(root, 0)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype=doctype)
    return data + b"\n"


_PADS = ["\n" + "  " * n for n in range(64)]


def indent(el: etree._Element, level: int = 0, mixed: frozenset[str] = MIXED) -> None:
    """Indent element-only content; elements named in `mixed` (which may hold text and
    inline markup) and elements that already hold text keep their inside untouched."""
    if el.text is not None or not len(el) or local(el) in mixed:
        return
    children = list(el)
    for c in children:
        if c.tail is not None:
            return
    pad = _PADS[level + 1] if level < 63 else "\n" + "  " * (level + 1)
    el.text = pad
    for c in children:
        if len(c):  # leaves (most elements) need no call
            indent(c, level + 1, mixed)
        c.tail = pad
    children[-1].tail = _PADS[level] if level < 64 else "\n" + "  " * level
