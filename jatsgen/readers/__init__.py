"""Readers: every input format becomes a list of `Article`s plus located diagnostics.

`read(path)` detects the format from the file name and content; `fmt=` overrides it. The
readers themselves are imported when first used, so the command line starts fast.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..diagnostics import Diagnostics
from ..errors import InputError

if TYPE_CHECKING:
    from ..model import Article

FORMATS = ("page", "yaml", "json", "jats", "csv")
MAX_INPUT_BYTES = 50 * 1024 * 1024
# A sheet is read as a stream, so its size does not bound memory; this bounds the time.
MAX_SHEET_BYTES = 2 * 1024 * 1024 * 1024
_CHUNK = 1 << 20

_BY_SUFFIX = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".txt": "page",
    ".md": "page",
    ".xml": "jats",
    ".nxml": "jats",
    ".csv": "csv",
    ".tsv": "csv",
}


@dataclass
class ReadResult:
    path: str
    format: str
    articles: list[Article]
    diagnostics: Diagnostics


def read_text(path: str | Path) -> str:
    """The file as UTF-8 text, or a located InputError saying why it cannot be."""
    from ..safexml import read_limited

    name = str(path)
    data = read_limited(path, MAX_INPUT_BYTES, "input.too-large")
    if not data.strip():
        raise InputError.at("the file is empty", file=name, code="input.empty")
    if b"\x00" in data[:8192]:
        raise _binary(name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _not_utf8(name, data, exc.start, exc.start, line) from None
    return text


def _binary(name: str) -> InputError:
    return InputError.at(
        "binary file (contains NUL bytes); expected a text file", file=name, code="input.binary"
    )


def _not_utf8(name: str, data: bytes, at: int, offset: int, line: int) -> InputError:
    """The byte at `at` in `data` (at `offset` in the file) is not UTF-8."""
    return InputError.at(
        f"not UTF-8 text (byte 0x{data[at]:02x} at offset {offset}){_saved_as(data)}",
        file=name,
        line=line,
        code="input.encoding",
    )


def check_text_file(path: str | Path, limit: int) -> None:
    """What `read_text` checks (size, emptiness, NUL bytes, UTF-8, with the same located
    messages), reading the file a megabyte at a time so that it need not fit in memory."""
    from ..safexml import open_input, too_large

    name = str(path)
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = lines = 0
    blank = True
    with open_input(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise too_large(name, size, limit, "input.too-large")
        while chunk := fh.read(_CHUNK):
            if done == 0 and b"\x00" in chunk[:8192]:
                raise _binary(name)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = max(exc.start - pending, 0)
                line = lines + chunk.count(b"\n", 0, at) + 1
                raise _not_utf8(name, chunk, at, done + at, line) from None
            blank = blank and not chunk.strip().lstrip(codecs.BOM_UTF8).strip()
            done += len(chunk)
            lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InputError.at(
            f"not UTF-8 text (the file ends inside a character, at offset {done})",
            file=name,
            line=lines + 1,
            code="input.encoding",
        ) from None
    if blank:
        raise InputError.at("the file is empty", file=name, code="input.empty")


def open_text(path: str | Path) -> IO[str]:
    """A checked text file (see `check_text_file`) opened for reading as it goes."""
    return open(path, encoding="utf-8-sig", newline="")


def _saved_as(data: bytes) -> str:
    """What to do about text in another encoding: Excel's "CSV" on a Russian or Kazakh
    Windows is Windows-1251, which cannot hold the Kazakh letters (so it is not read)."""
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        return "; save it as UTF-8"
    odd = [ch for ch in text if ord(ch) > 127]
    cyrillic = sum("\u0400" <= ch <= "\u04ff" for ch in odd)
    if odd and cyrillic >= 0.8 * len(odd):
        return (
            '; it looks like Windows-1251 (Cyrillic): in Excel, "Save As" "CSV UTF-8 (Comma '
            'delimited)" (Windows-1251 has no Kazakh letters, so they may already be lost)'
        )
    return "; save it as UTF-8"


def detect_format(path: str | Path, text: str) -> str:
    """The format of an input: by its file name, else by its first characters."""
    from .page import looks_like_page

    suffix = Path(path).suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return "json"
    if stripped.startswith("<"):
        return "jats"  # XML with no telling name: existing JATS
    if looks_like_page(text):
        return "page"
    return "yaml"


def read(
    path: str | Path,
    fmt: str | None = None,
    *,
    skip_invalid: bool = False,
    container: dict[str, Any] | None = None,
    body: bool = True,
) -> ReadResult:
    """Read one input file into articles; warnings are in the result, errors raise InputError.

    `body=False` lets a reader skip the article body where that saves work (JATS input), for
    targets that carry none, such as Crossref deposits.

    For CSV sheets, `skip_invalid` leaves bad rows out (reported as warnings) instead of
    failing the sheet, and `container` is the record-format container for sheets without
    container columns.
    """
    stream = read_stream(path, fmt, skip_invalid=skip_invalid, container=container, body=body)
    return ReadResult(stream.path, stream.format, list(stream), stream.diagnostics)


@dataclass
class ArticleStream:
    """An input's articles one at a time (a sheet of 100,000 rows is never all in memory):
    iterating may raise the InputError that `read` raises; warnings gather in
    `diagnostics` as it goes."""

    path: str
    format: str
    diagnostics: Diagnostics
    articles: Iterator[Article]

    def __iter__(self) -> Iterator[Article]:
        try:
            yield from self.articles
        except InputError as exc:
            located = [d if d.file else replace(d, file=self.path) for d in exc.diagnostics]
            raise InputError(located) from None
        except RecursionError:
            raise InputError.at(
                "nested too deeply (lists or mappings inside each other beyond what a record "
                "needs); flatten it",
                file=self.path,
                code="input.too-deep",
            ) from None
        except ValueError as exc:  # e.g. a number of more digits than Python converts
            why = str(exc)
            if "integer string conversion" in why:
                why = "a number has more than 4,300 digits; if it is an identifier, quote it"
            raise InputError.at(
                f"cannot be read: {why}", file=self.path, code="input.unreadable"
            ) from None


def is_sheet(path: str | Path, fmt: str | None = None) -> bool:
    """Whether `read_stream` reads this input row by row (a CSV sheet)."""
    return fmt == "csv" or (fmt is None and _BY_SUFFIX.get(Path(path).suffix.lower()) == "csv")


def read_stream(
    path: str | Path,
    fmt: str | None = None,
    *,
    skip_invalid: bool = False,
    container: dict[str, Any] | None = None,
    body: bool = True,
) -> ArticleStream:
    """`read`, one article at a time: CSV sheets are read row by row."""
    name = str(path)
    if fmt is not None and fmt not in FORMATS:
        raise InputError.at(
            f"unknown input format {fmt!r}; choose one of {', '.join(FORMATS)}",
            file=name,
            code="input.format",
        )
    from ..safexml import read_xml_file

    suffix = Path(path).suffix.lower()
    if fmt == "jats" or (fmt is None and suffix in (".xml", ".nxml")):
        data = read_xml_file(path)
        fmt, text = "jats", ""
    elif is_sheet(path, fmt):
        check_text_file(path, MAX_SHEET_BYTES)  # and then read row by row
        fmt, text, data = "csv", "", b""
    else:
        text = read_text(path)
        fmt = fmt or detect_format(path, text)
        data = text.encode("utf-8") if fmt == "jats" else b""
    diags = Diagnostics(name)
    articles = _read_as(fmt, text, data, name, diags, skip_invalid, container, body)
    return ArticleStream(name, fmt, diags, articles)


def _read_as(
    fmt: str,
    text: str,
    data: bytes,
    name: str,
    diags: Diagnostics,
    skip_invalid: bool,
    container: dict[str, Any] | None,
    body: bool,
) -> Iterator[Article]:
    """The reader for `fmt`, run as its articles are asked for."""
    if fmt == "page":
        from .page import read_page

        yield read_page(text, name, diags)
    elif fmt == "jats":
        from .jats import read_jats

        yield from read_jats(data, name, diags, body=body)
    elif fmt == "csv":
        from .sheet import iter_sheet

        with open_text(name) as fh:
            yield from iter_sheet(fh, name, diags, skip_invalid=skip_invalid, container=container)
    else:
        from .records import read_records

        yield from read_records(text, name, fmt, diags)
