"""Parsing XML we did not write: no network, no external entities, no DTD loading, bounded."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from .diagnostics import Diagnostic
from .errors import InputError

MAX_XML_BYTES = 100 * 1024 * 1024


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
        raise InputError.at("the file is empty", file=name, code="xml.empty")
    try:
        return etree.ElementTree(etree.fromstring(data, parser()))
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (None, None)
        msg = str(exc.msg or exc).split(", line ")[0]
        raise InputError(
            Diagnostic("error", f"not well-formed XML: {msg}", name, line, col, None, "xml.syntax")
        ) from None


def parse_file(path: str | Path) -> etree._ElementTree:
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
    return parse_bytes(p.read_bytes(), str(path))
