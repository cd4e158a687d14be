"""Parsing XML we did not write: no network, no external entities, no DTD loading, bounded."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from .diagnostics import Diagnostic
from .errors import InputError

MAX_XML_BYTES = 100 * 1024 * 1024
HEAD_BYTES = 1 << 20  # where a DOCTYPE's entity declarations are looked for; a file no larger
# is read whole before it is parsed, a larger one as it is parsed (`parse_file`)
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


def _entity_declaration(data: bytes, limit: int = HEAD_BYTES) -> re.Match[bytes] | None:
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
    _refuse_entities(data, name)
    try:
        return etree.ElementTree(etree.fromstring(data, parser(keep_cdata)))
    except etree.XMLSyntaxError as exc:
        raise _not_well_formed(exc, name) from None


def _refuse_entities(head: bytes, name: str) -> None:
    m = _entity_declaration(head)
    if m:
        raise InputError.at(
            "the DOCTYPE declares entities; they are not expanded or fetched (XXE and "
            "entity-expansion attacks), so the file is refused",
            file=name,
            line=head.count(b"\n", 0, m.start()) + 1,
            code="xml.entities",
        )


def _not_well_formed(exc: etree.XMLSyntaxError, name: str) -> InputError:
    line, col = exc.position if exc.position else (None, None)
    msg = str(exc.msg or exc).split(", line ")[0]
    if "encoding" in msg or "UTF-8" in msg:
        msg += " (not valid UTF-8, or not in the encoding its XML declaration names)"
    return InputError(
        Diagnostic("error", f"not well-formed XML: {msg}", name, line, col, None, "xml.syntax")
    )


@dataclass(frozen=True)
class ReadBytes:
    """What was seen of a file's bytes on their way to the parser: exactly the bytes parsed."""

    size: int
    sha256: str
    cdata: bool  # a CDATA section opens somewhere
    long_run: bool  # some run of more than the asked number of bytes may hold no "<"
    # (False: certainly none does)
    data: bytes | None  # the bytes themselves, for a file read whole (most: a small one)


def parse_file(path: str | Path, run: int) -> tuple[etree._ElementTree, ReadBytes]:
    """Parse a file safely (as `parse_bytes`), and say what its bytes held (`ReadBytes`;
    `run`: the length of a run without "<" that counts as long).

    A file larger than HEAD_BYTES is parsed as it is read, its bytes seen once in small
    pieces on their way and never held whole: a 10 MB batch's validation held its bytes
    beside its tree, and a process validating batch after batch kept a heap large enough
    for both (86 MB against 79 for the first batch). Its first HEAD_BYTES are read first,
    for the DOCTYPE's entity declarations, as `parse_bytes` looks for them."""
    name = str(path)
    with open_input(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_XML_BYTES:
            raise too_large(name, size, MAX_XML_BYTES, "xml.too-large")
        n = min(size, HEAD_BYTES)
        head = fh.read(n + 1)  # (not more: read(k) allocates k bytes first)
        if n < HEAD_BYTES or len(head) <= n or not head.strip():
            # small, or blank so far: read whole, as `read_limited` reads it (a file that
            # grew since it was measured is read on, up to the limit)
            data = head if len(head) <= n else head + fh.read(MAX_XML_BYTES + 1 - len(head))
            if len(data) > MAX_XML_BYTES:
                raise too_large(name, len(data), MAX_XML_BYTES, "xml.too-large")
            tap = _Tap(None, data, run)
            tap.read(len(data))  # seen as the parser would see it
            return parse_bytes(data, name), tap.seen(data)
        _refuse_entities(head, name)
        tap = _Tap(fh, head, run)
        try:
            tree = etree.parse(tap, parser())
        except etree.XMLSyntaxError as exc:
            if tap.size > MAX_XML_BYTES:
                raise too_large(name, tap.size, MAX_XML_BYTES, "xml.too-large") from None
            raise _not_well_formed(exc, name) from None
        if tap.size > MAX_XML_BYTES:
            raise too_large(name, tap.size, MAX_XML_BYTES, "xml.too-large")
        return tree, tap.seen(None)


def long_run_possible(data: bytes, run: int, start: int = 0, end: int | None = None) -> bool:
    """Whether some run of more than `run` bytes of `data[start:end]` may hold no "<"
    (False: certainly none does), in microseconds for megabytes: such a run holds a whole
    block of half its length at a multiple of that half from `start`, so when every such
    block has a "<", there is none."""
    half = run // 2
    stop = len(data) if end is None else end
    return any(data.find(b"<", at, at + half) < 0 for at in range(start, stop - half + 1, half))


class _Tap:
    """A file as a parser reads it (`read(n)`), beginning with the bytes already read from
    it; each piece is hashed and looked at once on its way."""

    def __init__(self, fh: BinaryIO | None, first: bytes, run: int) -> None:
        self.fh, self.first, self.at, self.run = fh, first, 0, run
        self.hash = hashlib.sha256()
        self.size = 0
        self.since = 0  # bytes since the last "<"
        self.long_run = False
        self.end = b""  # the last bytes seen, for a "<![CDATA[" cut between two pieces
        self.cdata = False

    def read(self, n: int) -> bytes:
        if self.at < len(self.first):
            piece = self.first[self.at : self.at + n]
            self.at += len(piece)
            if self.fh is not None and len(piece) < n:
                piece += self.fh.read(n - len(piece))
        else:
            piece = self.fh.read(n) if self.fh is not None else b""
        if self.size + len(piece) > MAX_XML_BYTES:  # it grew since it was measured
            self.size = MAX_XML_BYTES + 1  # (too large: the parser is told the file ended)
            return b""
        self.size += len(piece)
        if piece:
            self._look(piece)
        return piece

    def _look(self, piece: bytes) -> None:
        self.hash.update(piece)
        if not self.cdata:
            self.cdata = b"<![CDATA[" in self.end + piece
            self.end = piece[-8:]
        first = piece.find(b"<")
        if first < 0:
            self.since += len(piece)
        else:
            last = piece.rfind(b"<")
            # a run inside the piece is looked for only in a piece longer than `run`
            inside = len(piece) > self.run and long_run_possible(piece, self.run, first, last)
            self.long_run |= self.since + first > self.run or inside
            self.since = len(piece) - 1 - last
        self.long_run |= self.since > self.run

    def seen(self, data: bytes | None) -> ReadBytes:
        return ReadBytes(self.size, self.hash.hexdigest(), self.cdata, self.long_run, data)


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
