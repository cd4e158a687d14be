"""Parsing XML we did not write: no network, no external entities, no DTD loading, bounded."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from .diagnostics import Diagnostic
from .errors import InputError

MAX_XML_BYTES = 100 * 1024 * 1024
# An entity declaration inside a DOCTYPE's internal subset: <!DOCTYPE x [ ... <!ENTITY ...
_ENTITY_DECL = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*?<!ENTITY", re.DOTALL)


def parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,  # entity references stay unexpanded: no XXE, no billion laughs
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,  # libxml2's own depth and text-node limits stay on
        remove_comments=False,
    )


def parse_bytes(data: bytes, name: str = "<bytes>") -> etree._ElementTree:
    """Parse `data` safely; a located InputError for anything that is not well-formed XML."""
    if len(data) > MAX_XML_BYTES:
        raise InputError.at(
            f"file is {len(data)} bytes; the limit is {MAX_XML_BYTES}",
            file=name,
            code="xml.too-large",
        )
    if not data.strip():
        raise InputError.at("the file is empty", file=name, code="xml.syntax")
    m = _ENTITY_DECL.search(data, 0, 1 << 20)
    if m:
        raise InputError.at(
            "the DOCTYPE declares entities; they are not expanded or fetched (XXE and "
            "entity-expansion attacks), so the file is refused",
            file=name,
            line=data.count(b"\n", 0, m.start()) + 1,
            code="xml.entities",
        )
    try:
        return etree.ElementTree(etree.fromstring(data, parser()))
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (None, None)
        msg = str(exc.msg or exc).split(", line ")[0]
        if "encoding" in msg or "UTF-8" in msg:
            msg += " (not valid UTF-8, or not in the encoding its XML declaration names)"
        raise InputError(
            Diagnostic("error", f"not well-formed XML: {msg}", name, line, col, None, "xml.syntax")
        ) from None


def read_xml_file(path: str | Path) -> bytes:
    """The bytes of an XML file, refusing missing and oversized files before reading."""
    p = Path(path)
    if not p.is_file():
        raise InputError.at("no such file", file=str(path), code="input.missing")
    size = p.stat().st_size
    if size > MAX_XML_BYTES:
        raise InputError.at(
            f"file is {size} bytes; the limit is {MAX_XML_BYTES}",
            file=str(path),
            code="xml.too-large",
        )
    return p.read_bytes()


def parse_file(path: str | Path) -> etree._ElementTree:
    return parse_bytes(read_xml_file(path), str(path))
