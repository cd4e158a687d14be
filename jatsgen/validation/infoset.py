"""The document a schema judges, as the official engines see it.

Files are parsed without loading any DTD (`safexml`): an entity reference stays in the tree
as it was written, and CDATA sections are merged into text. Before a schema judges the tree:

- an entity reference is declared only by the official DTD the DOCTYPE names (found locally
  through the DTD packages' catalogs, never fetched); any other is an error, as xmllint says
  ("Entity 'nbsp' not defined"), and a declared one stands for its replacement text;
- for a DTD, CDATA sections are kept: XML 1.0 says white space in a CDATA section is not the
  white space element content allows (xmllint --valid agrees); for an XSD they are text,
  as the infoset has them (libxml2's XSD validator alone says otherwise);
- for xmlschema, comments and processing instructions are taken out: they are not content
  (XSD, libxml2), but xmlschema refuses them inside an element of simple content; and the
  characters Python takes for white space but XML does not (a no-break space, U+2028,
  U+3000, ...) are masked: xmlschema's str.strip() and split() would remove them where XSD
  keeps them (`masked_spaces`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from lxml import etree

from ..diagnostics import Diagnostic
from ..safexml import replace_node
from .schemas import SchemaLocator, manifest

ENTITY_RULE = "xml.entity-undeclared"


def entity_refs(tree: etree._ElementTree) -> list[etree._Element]:
    """The entity references left in a tree (only a document with a DOCTYPE may hold any)."""
    if tree.docinfo.doctype == "":
        return []
    return list(tree.getroot().iter(etree.Entity))


def declared_entities(tree: etree._ElementTree, locator: SchemaLocator) -> Mapping[str, str]:
    """Name -> replacement text of the general entities the DTD named by the document's
    DOCTYPE (its PUBLIC identifier, in an installed official DTD package) declares; empty
    when it names none we hold."""
    public = tree.docinfo.public_id
    path = _dtd_file(public, locator) if public else None
    return _entities(path) if path is not None else {}


def _dtd_file(public: str, locator: SchemaLocator) -> Path | None:
    from .engines import dtd_catalog  # (engines imports this module)

    for s in manifest().values():
        if s.format != "dtd":
            continue
        try:
            resolved = locator.find(s.id)
        except Exception:
            continue
        found = dtd_catalog(resolved).get(public)
        if found is not None:
            return found
    return None


@cache
def _entities(path: Path) -> dict[str, str]:
    from .engines import compile_dtd

    return {
        e.name: e.content
        for e in compile_dtd(path).iterentities()
        if e.content is not None and e.system_url is None
    }


def entity_problems(
    refs: list[etree._Element], declared: Mapping[str, str], name: str, where: str
) -> list[Diagnostic]:
    """An error for each reference to an entity `declared` does not hold, at its line."""
    out = []
    for ref in refs:
        if ref.name in declared:
            continue
        out.append(
            Diagnostic(
                "error",
                f"the entity &{ref.name}; is not declared ({where}); write the character "
                f"itself or a character reference such as &#x00A0;",
                name,
                ref.sourceline,
                None,
                None,
                ENTITY_RULE,
            )
        )
    return out


def expanded(tree: etree._ElementTree, declared: Mapping[str, str]) -> etree._ElementTree:
    """A copy with each entity reference replaced by its replacement text (an undeclared one
    by nothing: it is reported apart)."""
    out = copy.deepcopy(tree)
    for ref in list(out.getroot().iter(etree.Entity)):
        replace_node(ref, declared.get(ref.name, ""))
    return out


def without_comments(tree: etree._ElementTree) -> etree._ElementTree:
    """A copy without the comments and processing instructions inside the root (what they
    are is no part of what a schema validates); the tree itself when it has none."""
    found = [
        n
        for n in tree.getroot().iter(etree.Comment, etree.ProcessingInstruction)
        if n.getparent() is not None
    ]
    if not found:
        return tree
    out = copy.deepcopy(tree)
    for node in list(out.getroot().iter(etree.Comment, etree.ProcessingInstruction)):
        if node.getparent() is not None:
            replace_node(node, "")
    return out


# What Python's str.split() takes for white space and XML does not (XML: space, tab, CR, LF)
ODD_SPACES = "".join(c for c in map(chr, range(0x3001)) if c.isspace() and c not in " \t\r\n")
_MASKS = {c: chr(0xE000 + i) for i, c in enumerate(ODD_SPACES)}  # private-use characters
_MASKING = str.maketrans(_MASKS)
UNMASKING = str.maketrans({m: f"U+{ord(c):04X}" for c, m in _MASKS.items()})


def masked_spaces(tree: etree._ElementTree) -> etree._ElementTree:
    """A copy where each character of `ODD_SPACES` is a private-use character of its own:
    neither white space nor a digit to Python, one character long like the original, so
    xmlschema judges lengths, numbers and white space as XSD does. (Its messages name them
    again through `UNMASKING`.) The tree itself when it holds none."""
    root = tree.getroot()
    odd = frozenset(ODD_SPACES)
    if not any(
        odd.intersection(t)
        for el in root.iter()
        for t in (el.text or "", el.tail or "", *el.attrib.values())
    ):
        return tree
    out = copy.deepcopy(tree)
    for el in out.getroot().iter():
        if el.text:
            el.text = el.text.translate(_MASKING)
        if el.tail:
            el.tail = el.tail.translate(_MASKING)
        for name, value in el.attrib.items():
            el.set(name, value.translate(_MASKING))
    return out
