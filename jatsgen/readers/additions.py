"""What to add to registered DOIs, for a resource-only deposit: a CSV sheet or a record file
keyed by DOI.

A row (or a `resources` item) names a DOI and what it gains: full-text links, a licence,
funding, relations, references. The fields are the record format's (and the sheet's
columns), checked the same way; an unknown column is an error naming the closest known one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema

from ..diagnostics import Diagnostic, Diagnostics
from ..errors import InputError
from ..hints import did_you_mean
from ..model import Article, ArticleKind, Source, Title
from ..versions import load_json
from . import read_text
from .records import Path_, _Builder, _describe, _json_path, _line_for, load_record_data
from .sheet import _column, _norm, _record

# the sheet columns a resource row may have, and the record fields they fill
COLUMNS = (
    "doi",
    "pdf_url",
    "similarity_check_url",
    "text_mining_url",
    "license_url",
    "funder",
    "funder_id",
    "award",
    "relations",
    "references",
)
FIELDS = ("doi", "full_text", "license", "funding", "relations", "references")


def _validator() -> jsonschema.Draft202012Validator:
    """The record format's article fields that a resource deposit carries, DOI required."""
    schema = load_json("record.schema.json")
    article = schema["$defs"]["article"]
    item = {
        "type": "object",
        "required": ["doi"],
        "additionalProperties": False,
        "properties": {k: article["properties"][k] for k in FIELDS},
    }
    return jsonschema.Draft202012Validator(
        {
            "$defs": schema["$defs"],
            "type": "object",
            "required": ["resources"],
            "additionalProperties": False,
            "properties": {"resources": {"type": "array", "minItems": 1, "items": item}},
        }
    )


def read_additions(path: str | Path, diags: Diagnostics) -> list[Article]:
    """Each DOI of the file with what to add to it (an Article holding only those facts and
    its DOI); every problem of the file at once, as InputError."""
    name = str(path)
    text = read_text(path)
    if name.lower().endswith((".csv", ".tsv")):
        return _from_sheet(text, name, diags)
    fmt = "json" if name.lower().endswith(".json") else "yaml"
    data, lines = load_record_data(text, name, fmt)
    problems = [
        Diagnostic(
            "error",
            message,
            name,
            _line_for(lines, where),
            None,
            _json_path(where),
            "record.schema",
        )
        for where, message in map(_describe, _validator().iter_errors(data))
    ]
    if problems:
        raise InputError(problems)
    builder = _Builder(name, lines, diags)
    out = [_addition(builder, item, ("resources", i)) for i, item in enumerate(data["resources"])]
    if builder.problems:
        raise InputError(builder.problems)
    return out


def _addition(builder: _Builder, item: dict[str, Any], at: Path_) -> Article:
    a = Article(ArticleKind.JOURNAL_ARTICLE, Title(""))
    a.doi = builder.doi(item["doi"], (*at, "doi"))
    a.full_text = builder.full_text(item, at)
    a.license = builder.license(item, at)
    a.funding = builder.funding(item, at)
    a.relations = [
        builder.relation(r, (*at, "relations", i)) for i, r in enumerate(item.get("relations", []))
    ]
    a.references = builder.references(item, at)
    a.source = Source(builder.path, _line_for(builder.lines, at), _json_path(at))
    return a


def _from_sheet(text: str, name: str, diags: Diagnostics) -> list[Article]:
    reader = csv.reader(io.StringIO(text))
    header = [_norm(h) for h in next(reader, [])]
    problems = [
        Diagnostic(
            "error",
            f"unknown column {col!r} (column {i + 1}){did_you_mean(col, COLUMNS)}; a resource "
            f"sheet takes {', '.join(COLUMNS)}",
            name,
            1,
            None,
            col,
            "sheet.unknown-column",
            1,
        )
        for i, col in enumerate(header)
        if col and col not in COLUMNS
    ]
    if "doi" not in header:
        problems.append(
            Diagnostic(
                "error",
                "the sheet has no 'doi' column: each row names the registered DOI it adds to",
                name,
                1,
                None,
                "doi",
                "sheet.no-doi",
                1,
            )
        )
    if problems:
        raise InputError(problems)
    out: list[Article] = []
    validator = _validator()
    number, start = 1, 2  # the spreadsheet's row (header = 1) and the file line it starts on
    for values in reader:
        line, start, number = start, reader.line_num + 1, number + 1
        row = {header[i]: v.strip() for i, v in enumerate(values) if i < len(header)}
        if not any(row.values()):
            continue
        record, origin = _record(row, None)
        item = {k: v for k, v in record.items() if k in FIELDS}
        builder = _Builder(name, {(): line}, diags)
        found = [
            Diagnostic(
                "error",
                message,
                name,
                line,
                None,
                _column(origin, where[2:]),
                "sheet.invalid",
                number,
            )
            for where, message in map(_describe, validator.iter_errors({"resources": [item]}))
        ]
        if found:
            problems += found
            continue
        addition = _addition(builder, item, ())
        addition.source = Source(name, line, row=number)
        problems += [replace(d, row=number) for d in builder.problems]
        out.append(addition)
    if problems:
        raise InputError(problems)
    if not out:
        raise InputError.at(
            "the sheet has a header but no rows", file=name, line=1, code="sheet.empty"
        )
    return out
