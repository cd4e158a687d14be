"""Parsing XML we did not write: no network, no external entities, no DTD loading, bounded."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from .diagnostics import Diagnostic
from .errors import InputError

MAX_XML_BYTES = 100 * 1024 * 1024
# An entity declaration inside a DOCTYPE's internal subset: <!DOCTYPE x [ ... <!ENTITY ...
_ENTITY_DECL = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*?<!ENTITY", re.DOTALL)


def local(el: etree._Element) -> str:
    """An element's name without its namespace ("" for comments and processing
    instructions), so publishers' namespaced and plain JATS read alike."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag if tag[0] != "{" else tag.rpartition("}")[2]


def replace_node(node: etree._Element, text: str) -> None:
    """Take `node` (an entity reference, a comment, ...) out of its parent, leaving `text`
    and the node's tail where it was."""
    parent = node.getparent()
    if parent is None:
        return
    joined = text + (node.tail or "")
    before = node.getprevious()
    if before is not None:
        before.tail = (before.tail or "") + joined
    else:
        parent.text = (parent.text or "") + joined
    parent.remove(node)


def parser(keep_cdata: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,  # entity references stay unexpanded: no XXE, no billion laughs
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,  # libxml2's own depth and text-node limits stay on
        remove_comments=False,
        strip_cdata=not keep_cdata,  # (kept for a DTD, which tells them from text)
    )


def _entity_declaration(data: bytes, limit: int = 1 << 20) -> re.Match[bytes] | None:
    """The first entity declaration in a DOCTYPE within `limit` bytes (a DOCTYPE comes
    before the root, so this looks only where one starts: much faster than a regex search)."""
    at = data.find(b"<!DOCTYPE", 0, limit)
    while at >= 0:
        m = _ENTITY_DECL.match(data, at, limit)
        if m:
            return m
        if data.rfind(b"<!--", 0, at) <= data.rfind(b"-->", 0, at):
            return None  # not inside a comment: the one real DOCTYPE, with no entities
        at = data.find(b"<!DOCTYPE", at + 1, limit)
    return None


def parse_bytes(data: bytes, name: str = "<bytes>", keep_cdata: bool = False) -> etree._ElementTree:
    """Parse `data` safely; a located InputError for anything that is not well-formed XML.
    `keep_cdata`: CDATA sections stay in the tree as such (text, otherwise)."""
    if len(data) > MAX_XML_BYTES:
        raise too_large(name, len(data), MAX_XML_BYTES, "xml.too-large")
    if not data.strip():
        raise InputError.at("the file is empty", file=name, code="xml.syntax")
    m = _entity_declaration(data)
    if m:
        raise InputError.at(
            "the DOCTYPE declares entities; they are not expanded or fetched (XXE and "
            "entity-expansion attacks), so the file is refused",
            file=name,
            line=data.count(b"\n", 0, m.start()) + 1,
            code="xml.entities",
        )
    try:
        return etree.ElementTree(etree.fromstring(data, parser(keep_cdata)))
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (None, None)
        msg = str(exc.msg or exc).split(", line ")[0]
        if "encoding" in msg or "UTF-8" in msg:
            msg += " (not valid UTF-8, or not in the encoding its XML declaration names)"
        raise InputError(
            Diagnostic("error", f"not well-formed XML: {msg}", name, line, col, None, "xml.syntax")
        ) from None


def read_limited(path: str | Path, limit: int, code: str) -> bytes:
    """A file's bytes, refusing a missing file, a folder and more than `limit` bytes (with
    `code`) with a located InputError, before reading more than the limit."""
    with open_input(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        data = b""
        if size <= limit:
            # read(limit + 1) would allocate the whole limit (100 MB) for every file: a
            # tenth of a millisecond each, 2% of a backfile run; a file that grew since
            # fstat is read on, up to the limit
            data = fh.read(size + 1)
            if len(data) > size:
                data += fh.read(limit + 1 - len(data))
        if size > limit or len(data) > limit:
            raise too_large(str(path), max(size, len(data)), limit, code)
        return data


def too_large(name: str, size: int, limit: int, code: str) -> InputError:
    return InputError.at(f"file is {size} bytes; the limit is {limit}", file=name, code=code)


@contextmanager
def open_input(path: str | Path) -> Iterator[BinaryIO]:
    """An input file opened for reading in binary; a missing file, a folder or one that
    cannot be read is a located InputError."""
    name = str(path)
    try:
        with open(path, "rb") as fh:
            if stat.S_ISDIR(os.fstat(fh.fileno()).st_mode):
                raise IsADirectoryError(name)
            yield fh
    except FileNotFoundError:
        raise InputError.at("no such file", file=name, code="input.missing") from None
    except IsADirectoryError:
        raise InputError.at("is a folder, not a file", file=name, code="input.missing") from None
    except OSError as exc:
        raise InputError.at(
            f"cannot be read: {exc.strerror or exc}", file=name, code="input.unreadable"
        ) from None


def read_xml_file(path: str | Path) -> bytes:
    """The bytes of an XML file, refusing missing and oversized files before reading."""
    return read_limited(path, MAX_XML_BYTES, "xml.too-large")
