"""Readers: every input format becomes a list of `Article`s plus located diagnostics.

`read(path)` detects the format from the file name and content; `fmt=` overrides it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostics
from ..errors import InputError
from ..model import Article
from ..safexml import read_limited, read_xml_file
from .jats import read_jats
from .page import looks_like_page, read_page
from .records import read_records
from .sheet import read_sheet

FORMATS = ("page", "yaml", "json", "jats", "csv")
MAX_INPUT_BYTES = 50 * 1024 * 1024

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
    name = str(path)
    data = read_limited(path, MAX_INPUT_BYTES, "input.too-large")
    if not data.strip():
        raise InputError.at("the file is empty", file=name, code="input.empty")
    if b"\x00" in data[:8192]:
        raise InputError.at(
            "binary file (contains NUL bytes); expected a text file", file=name, code="input.binary"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError.at(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            file=name,
            line=line,
            code="input.encoding",
        ) from None
    return text


def detect_format(path: str | Path, text: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return "json"
    if looks_like_page(text):
        return "page"
    if suffix == ".xml" or stripped.startswith("<"):
        raise InputError.at(
            "XML input (existing JATS) is not supported by this version; "
            "use a record file or an article page",
            file=str(path),
            code="input.format",
        )
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
    name = str(path)
    if fmt is not None and fmt not in FORMATS:
        raise InputError.at(
            f"unknown input format {fmt!r}; choose one of {', '.join(FORMATS)}",
            file=name,
            code="input.format",
        )
    if fmt == "jats" or (fmt is None and Path(path).suffix.lower() in (".xml", ".nxml")):
        data = read_xml_file(path)
        fmt, text = "jats", ""
    else:
        text = read_text(path)
        fmt = fmt or detect_format(path, text)
        data = text.encode("utf-8") if fmt == "jats" else b""
    diags = Diagnostics(name)
    try:
        if fmt == "page":
            articles = [read_page(text, name, diags)]
        elif fmt == "jats":
            articles = [read_jats(data, name, diags, body=body)]
        elif fmt == "csv":
            articles = read_sheet(text, name, diags, skip_invalid=skip_invalid, container=container)
        else:
            articles = read_records(text, name, fmt, diags)
    except InputError as exc:
        located = [d if d.file else replace(d, file=name) for d in exc.diagnostics]
        raise InputError(located) from None
    return ReadResult(name, fmt, articles, diags)
