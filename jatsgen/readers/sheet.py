"""CSV metadata sheets: one row per paper, as conference organisers keep them.

Columns (header names are case-insensitive; see examples/papers.csv):

- the paper: id, kind, language, title, subtitle, title_<lang> (a translated title),
  abstract, abstract_<lang>, keywords, keywords_<lang> (terms separated by ';'), udc,
  section, number, pages (12-18), article_number, published, published_print,
  published_online (the same paper's dates in print and online), received, accepted, doi, url,
  license_url, funder, funder_id, award, references (one per line inside the cell),
  pdf_url (the full text for Similarity Check and text mining; or similarity_check_url and
  text_mining_url), relations ("isPreprintOf 10.1234/abc; hasTranslation 10.1234/def"),
  updates ("correction 10.1234/old": this paper is a notice updating that DOI);
- authors, either repeated columns author1_surname, author1_given_names, author1_orcid,
  author1_email, author1_affiliation, author1_ror, author1_city, author1_country_code
  (author2_..., author3_..., in order), or one 'authors' cell such as
  "Abdugani, Zhanerke; Smith, John" (';' between people, ',' between surname and given names);
- the container, in columns or, when a sheet has none, from the config's [container]:
  container_type (proceedings, journal, book), container_title, container_title_<lang>,
  isbn, issn, publisher, publisher_place, container_published, volume, issue, event_name,
  event_acronym, event_location, event_start, event_end, editors (the volume's editors, as
  "Akhmetova, Aigul; Bekov, Nurlan").

Each row becomes a record in the JSON record format and goes through the same checks, so a
problem is reported by row and column. With `skip_invalid`, bad rows are reported and left
out; without it, any bad row fails the whole sheet.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import IO, Any

from ..diagnostics import Diagnostic, Diagnostics
from ..errors import InputError
from ..hints import did_you_mean
from ..model import Article
from .records import Path_, _Builder, _describe, _validator

CONTAINER_COLUMNS = {
    "container_type",
    "container_title",
    "isbn",
    "issn",
    "publisher",
    "publisher_place",
    "container_published",
    "volume",
    "issue",
    "event_name",
    "event_acronym",
    "event_location",
    "event_start",
    "event_end",
    "editors",
}
ARTICLE_COLUMNS = {
    "id",
    "kind",
    "language",
    "title",
    "subtitle",
    "abstract",
    "keywords",
    "udc",
    "section",
    "number",
    "pages",
    "article_number",
    "published",
    "received",
    "accepted",
    "doi",
    "url",
    "license_url",
    "funder",
    "funder_id",
    "award",
    "references",
    "authors",
    "published_print",
    "published_online",
    "pdf_url",
    "similarity_check_url",
    "text_mining_url",
    "relations",
    "updates",
}
AUTHOR_FIELDS = {
    "surname": "surname",
    "given_names": "given_names",
    "orcid": "orcid",
    "email": "email",
    "affiliation": "institution",
    "ror": "ror",
    "city": "city",
    "country_code": "country_code",
    "role": "role",
}
_AUTHOR_COL = re.compile(r"^author(\d+)_(\w+)$")
_LANG_COL = re.compile(r"^(title|abstract|keywords|container_title)_([a-z]{2,3})$")


def _norm(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def iter_sheet(
    text: str | IO[str],
    path: str,
    diags: Diagnostics,
    *,
    skip_invalid: bool = False,
    container: dict[str, Any] | None = None,
) -> Iterator[Article]:
    """Each good row's article as it is read; the problems of the sheet (every one of them)
    raise InputError at the end, unless `skip_invalid` makes the rows' problems warnings.
    A consumer that must write nothing on error writes what it gets to a private place."""
    source = io.StringIO(text) if isinstance(text, str) else text
    sample = source.read(4096)
    source.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(source, dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError.at("the sheet is empty", file=path, code="sheet.empty") from None
    except csv.Error as exc:
        raise _unreadable(exc, path, 1) from None
    columns = [_norm(h) for h in header]
    # An unknown column would be ignored, and its values lost: an error for the sheet (not
    # a row, so --skip-invalid does not pass it), reported with the rows' problems.
    sheet_problems = [
        Diagnostic(
            "error",
            f"unknown column {header[i]!r} (column {i + 1}){did_you_mean(col, _known(col))}",
            path,
            1,
            None,
            header[i],
            "sheet.unknown-column",
            1,
        )
        for i, col in enumerate(columns)
        if col and not _is_known(col)
    ]
    if "title" not in columns:
        raise InputError.at(
            "the sheet has no 'title' column",
            file=path,
            line=1,
            field="title",
            code="sheet.no-title",
        )
    has_container = any(c in CONTAINER_COLUMNS for c in columns)
    if not has_container and container is None:
        diags.warn(
            "the sheet has no container columns and none came from a config; the "
            "papers have no proceedings, journal or book",
            line=1,
            code="sheet.no-container",
        )
    good = 0
    problems: list[Diagnostic] = []
    start = 2
    number = 1  # the spreadsheet's row: the header is row 1, a cell's line breaks do not count
    for values in _rows(reader, path):
        line = start
        start = reader.line_num + 1
        number += 1
        if not any(v.strip() for v in values):
            continue
        row = {columns[i]: v.strip() for i, v in enumerate(values) if i < len(columns)}
        record, origin = _record(row, container if not has_container else None)
        said = Diagnostics(path)
        article, row_problems = _row(record, origin, path, line, said)
        diags.extend([replace(d, row=number) for d in said])
        row_problems = [replace(d, row=number) for d in row_problems]
        if article is not None and article.source is not None:
            article.source = replace(article.source, row=number)
        problems += row_problems
        if article is not None and not row_problems and not sheet_problems:
            good += 1
            if not problems or skip_invalid:  # after a bad row the sheet fails anyway
                yield article
    problems = _once(problems)
    if sheet_problems or (problems and not skip_invalid):
        raise InputError(sheet_problems + problems)
    for d in problems:
        diags.add(replace(d, severity="warning", message=f"row skipped: {d.message}",
                          code="sheet.row-skipped"))  # fmt: skip
    if not good and not problems:
        raise InputError.at(
            "the sheet has a header but no rows", file=path, line=1, code="sheet.empty"
        )


def _rows(reader: Any, path: str) -> Iterator[list[str]]:
    """The reader's rows; a row the csv module cannot read (a field over its size limit,
    a NUL) is a located error of the sheet."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _unreadable(exc, path, reader.line_num) from None


def _unreadable(exc: csv.Error, path: str, line: int) -> InputError:
    why = str(exc)
    if "field larger" in why:
        why = f"a cell is longer than {csv.field_size_limit():,} characters"
    return InputError.at(
        f"the sheet cannot be read at this row: {why}",
        file=path,
        line=line,
        code="sheet.unreadable",
    )


def _is_known(col: str) -> bool:
    author = _AUTHOR_COL.match(col)
    if author:
        return author.group(2) in AUTHOR_FIELDS
    return col in ARTICLE_COLUMNS or col in CONTAINER_COLUMNS or bool(_LANG_COL.match(col))


def _known(col: str) -> list[str]:
    """The names an unknown column may have meant (author columns with its number)."""
    n = m.group(1) if (m := re.match(r"^author(\d+)", col)) else "1"
    return [
        *ARTICLE_COLUMNS,
        *CONTAINER_COLUMNS,
        *(f"author{n}_{f}" for f in AUTHOR_FIELDS),
        *(f"{k}_en" for k in ("title", "abstract", "keywords", "container_title")),
    ]


def _row(
    record: dict[str, Any], origin: dict[Path_, str], path: str, line: int, diags: Diagnostics
) -> tuple[Article | None, list[Diagnostic]]:
    """One row's article and every problem in it: the schema's, and the check digits,
    dates and ranges of the cells the schema did not refuse."""
    problems = _check(record, origin, path, line)
    builder = _Builder(path, {(): line}, diags)
    try:
        article = builder.article(record, (), None)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError):
        article = None  # the schema has said why it cannot be built
    refused = {(d.field, d.message) for d in problems}
    columns = {d.field for d in problems}
    for d in builder.problems:
        moved = _relocate(d, origin, line)
        if moved.field not in columns and (moved.field, moved.message) not in refused:
            problems.append(moved)
    return article, problems


def _once(problems: list[Diagnostic]) -> list[Diagnostic]:
    """A container cell repeated on every row (an ISBN, an event date) says its problem
    once, with the rows it affects."""
    rows: dict[tuple[str | None, str], list[Diagnostic]] = {}
    for d in problems:
        key = (d.field, d.message) if d.field in CONTAINER_COLUMNS else (None, str(id(d)))
        rows.setdefault(key, []).append(d)
    out = []
    for group in rows.values():
        first = group[0]
        if len(group) > 1:
            at = ", ".join(str(d.row if d.row is not None else d.line) for d in group)
            first = replace(first, message=f"{first.message} (rows {at}: {len(group)} rows)")
        out.append(first)
    return out


def _record(
    row: dict[str, str], container: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[Path_, str]]:
    """The row as a JSON record, and for each record field the column it came from."""
    rec: dict[str, Any] = {}
    origin: dict[Path_, str] = {}

    def put(path: tuple[str, ...], value: Any, column: str) -> None:
        node = rec
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
        origin[path] = column

    simple = {
        "id": "id",
        "kind": "kind",
        "language": "language",
        "title": "title",
        "subtitle": "subtitle",
        "section": "section",
        "number": "number",
        "pages": "pages",
        "article_number": "article_number",
        "doi": "doi",
        "url": "url",
    }
    for col, key in simple.items():
        if row.get(col):
            put((key,), row[col], col)
    for col in ("received", "accepted"):
        if row.get(col):
            put(("dates", col), row[col], col)
    _dates(row, rec, origin)
    _additions(row, rec, origin)
    _languages(row, rec, origin)
    if row.get("udc"):
        put(("classifications",), [{"scheme": "udc", "code": row["udc"]}], "udc")
    if row.get("license_url"):
        put(("license", "url"), row["license_url"], "license_url")
    if row.get("funder") or row.get("funder_id"):
        funding: dict[str, Any] = {}
        if row.get("funder"):
            funding["funder"] = row["funder"]
        if row.get("funder_id"):
            funding["funder_id"] = row["funder_id"]
        if row.get("award"):
            funding["awards"] = _split(row["award"])
        put(("funding",), [funding], "funder")
    if row.get("references"):
        refs = [r.strip() for r in re.split(r"\r?\n", row["references"]) if r.strip()]
        rec["references"] = refs
        for i in range(len(refs)):
            origin[("references", i)] = "references"
    _authors(row, rec, origin)
    _container(row, rec, origin, container)
    return rec, origin


def _dates(row: dict[str, str], rec: dict[str, Any], origin: dict[Path_, str]) -> None:
    """The publication date, or the dates in print and online (published_print,
    published_online), as the record's dates.published."""
    dated = [
        ({"date": row[col], **({"media_type": media} if media else {})}, col)
        for col, media in (
            ("published", None),
            ("published_online", "online"),
            ("published_print", "print"),
        )
        if row.get(col)
    ]
    if len(dated) == 1 and dated[0][1] == "published":
        rec.setdefault("dates", {})["published"] = row["published"]
        origin[("dates", "published")] = "published"
    elif dated:
        rec.setdefault("dates", {})["published"] = [d for d, _ in dated]
        origin[("dates", "published")] = dated[0][1]
        for i, (_, col) in enumerate(dated):
            origin[("dates", "published", i)] = col


def _additions(row: dict[str, str], rec: dict[str, Any], origin: dict[Path_, str]) -> None:
    """Full-text links (pdf_url, or one column per purpose), relations and updates."""
    links = [
        (url, purpose, col)
        for col, purposes in (
            ("pdf_url", ("similarity-check", "text-mining")),
            ("similarity_check_url", ("similarity-check",)),
            ("text_mining_url", ("text-mining",)),
        )
        if (url := row.get(col))
        for purpose in purposes
    ]
    chosen = {}
    for url, purpose, col in links:  # a column for one purpose wins over pdf_url
        if purpose not in chosen or col != "pdf_url":
            chosen[purpose] = (url, col)
    if chosen:
        rec["full_text"] = [{"url": u, "purpose": p} for p, (u, _) in chosen.items()]
        for i, (_, col) in enumerate(chosen.values()):
            origin[("full_text", i)] = col
    for col, key, fields in (
        ("relations", "relations", ("type", "id")),
        ("updates", "updates", ("type", "doi")),
    ):
        if row.get(col):
            items = [dict(zip(fields, p.split(None, 1), strict=False)) for p in _split(row[col])]
            rec[key] = items
            for i in range(len(items)):
                origin[(key, i)] = col


def _languages(row: dict[str, str], rec: dict[str, Any], origin: dict[Path_, str]) -> None:
    """Translated titles, and abstracts and keywords in each language, with their columns."""
    translated: list[tuple[dict[str, Any], str]] = []
    abstracts: list[tuple[dict[str, Any], str]] = []
    keywords: list[tuple[dict[str, Any], str]] = []
    if row.get("abstract"):
        abstracts.append(
            ({"lang": row.get("language") or None, "text": row["abstract"]}, "abstract")
        )
    if row.get("keywords"):
        keywords.append(
            ({"lang": row.get("language") or None, "terms": _split(row["keywords"])}, "keywords")
        )
    for col, value in row.items():
        m = _LANG_COL.match(col)
        if not m or not value:
            continue
        kind, lang = m.groups()
        if kind == "title":
            translated.append(({"lang": lang, "title": value}, col))
        elif kind == "abstract":
            abstracts.append(({"lang": lang, "text": value}, col))
        elif kind == "keywords":
            keywords.append(({"lang": lang, "terms": _split(value)}, col))
    for name, items in (
        ("translated_titles", translated),
        ("abstracts", abstracts),
        ("keywords", keywords),
    ):
        if items:
            rec[name] = [{k: v for k, v in item.items() if v is not None} for item, _ in items]
            for i, (_, col) in enumerate(items):
                origin[(name, i)] = col


def _people(cell: str, role: str | None = None) -> list[dict[str, Any]]:
    """'Surname, Given; Surname, Given' as record contributors."""
    out: list[dict[str, Any]] = []
    for part in _split(cell):
        surname, _, given = part.partition(",")
        person: dict[str, Any] = {"surname": surname.strip()}
        if given.strip():
            person["given_names"] = given.strip()
        if role:
            person["role"] = role
        out.append(person)
    return out


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


def _authors(row: dict[str, str], rec: dict[str, Any], origin: dict[Path_, str]) -> None:
    people: dict[int, dict[str, Any]] = {}
    columns: dict[int, dict[str, str]] = {}
    for col, value in row.items():
        m = _AUTHOR_COL.match(col)
        if not m or not value:
            continue
        n, field = int(m.group(1)), m.group(2)
        if field not in AUTHOR_FIELDS:
            continue
        people.setdefault(n, {})[field] = value
        columns.setdefault(n, {})[field] = col
    contributors: list[dict[str, Any]] = []
    if row.get("authors"):
        for person in _people(row["authors"]):
            origin[("contributors", len(contributors))] = "authors"
            contributors.append(person)
    for n in sorted(people):
        fields = people[n]
        person = {
            AUTHOR_FIELDS[f]: v
            for f, v in fields.items()
            if f not in ("affiliation", "ror", "city", "country_code")
        }
        aff = {
            AUTHOR_FIELDS[f]: v
            for f, v in fields.items()
            if f in ("affiliation", "ror", "city", "country_code")
        }
        if aff:
            person["affiliations"] = [aff]
        index = len(contributors)
        origin[("contributors", index)] = next(iter(columns[n].values()))
        for f, col in columns[n].items():
            key = AUTHOR_FIELDS[f]
            if f in ("affiliation", "ror", "city", "country_code"):
                origin[("contributors", index, "affiliations", 0, key)] = col
            else:
                origin[("contributors", index, key)] = col
        contributors.append(person)
    if contributors:
        rec["contributors"] = contributors


def _container(
    row: dict[str, str],
    rec: dict[str, Any],
    origin: dict[Path_, str],
    default: dict[str, Any] | None,
) -> None:
    if not any(row.get(c) for c in CONTAINER_COLUMNS | {"container_title"}) and not any(
        _LANG_COL.match(c) and c.startswith("container_title") for c in row
    ):
        if default is not None:
            rec["container"] = default
        return
    c: dict[str, Any] = {"type": row.get("container_type") or "proceedings"}
    origin[("container", "type")] = "container_type"
    titles = []
    if row.get("container_title"):  # its language is unknown unless given by a _<lang> column
        titles.append({"text": row["container_title"]})
    for col, value in row.items():
        m = _LANG_COL.match(col)
        if m and m.group(1) == "container_title" and value:
            titles.append({"text": value, "lang": m.group(2)})
    if titles:
        c["title"] = [{k: v for k, v in t.items() if v} for t in titles]
        origin[("container", "title")] = "container_title"
    plain = {
        "isbn": "isbn",
        "issn": "issn",
        "volume": "volume",
        "issue": "issue",
        "container_published": "published",
    }
    for col, key in plain.items():
        if row.get(col):
            c[key] = _split(row[col]) if key in ("isbn", "issn") else row[col]
            origin[("container", key)] = col
    if row.get("publisher"):
        c["publisher"] = {
            "name": row["publisher"],
            **({"place": row["publisher_place"]} if row.get("publisher_place") else {}),
        }
        origin[("container", "publisher")] = "publisher"
    if row.get("event_name"):
        event: dict[str, Any] = {"name": row["event_name"]}
        for col, key in (
            ("event_acronym", "acronym"),
            ("event_location", "location"),
            ("event_start", "start"),
            ("event_end", "end"),
        ):
            if row.get(col):
                event[key] = row[col]
                origin[("container", "event", key)] = col
        origin[("container", "event")] = "event_name"
        c["event"] = event
    if row.get("editors"):
        c["contributors"] = _people(row["editors"], "editor")
        origin[("container", "contributors")] = "editors"
    rec["container"] = c


def _column(origin: dict[Path_, str], path: Path_) -> str | None:
    p = tuple(path)
    while p:
        if p in origin:
            return origin[p]
        p = p[:-1]
    return None


def _check(
    record: dict[str, Any], origin: dict[Path_, str], path: str, line: int
) -> list[Diagnostic]:
    out = []
    rest = {k: v for k, v in record.items() if k != "container"}
    found = [_describe(e) for e in _validator("article").iter_errors(rest)]
    if "container" in record:
        found += [(("container", *p), m) for p, m in _container_errors(record["container"])]
    for epath, message in found:
        column = _column(origin, epath) or "row"
        missing = re.match(r"required field '(\w+)' is missing", message)
        if missing:  # name the (empty) column the field comes from
            column = origin.get((*epath, missing.group(1))) or (
                missing.group(1) if not epath else column
            )
        out.append(Diagnostic("error", message, path, line, None, column, "sheet.cell"))
    return out


_CONTAINERS: dict[str, list[tuple[Path_, str]]] = {}


def _container_errors(container: Any) -> list[tuple[Path_, str]]:
    """The schema's errors for a container: checked once per distinct container, since
    every row of a volume repeats the same one (it was two thirds of a row's time)."""
    key = json.dumps(container, sort_keys=True, ensure_ascii=False)
    if key not in _CONTAINERS:
        if len(_CONTAINERS) >= 256:
            _CONTAINERS.clear()
        _CONTAINERS[key] = [_describe(e) for e in _validator("container").iter_errors(container)]
    return _CONTAINERS[key]


def _relocate(d: Diagnostic, origin: dict[Path_, str], line: int) -> Diagnostic:
    """A record-builder problem (located by JSON path) located by row and column instead."""
    parts: list[str | int] = []
    for m in re.finditer(r"\.(\w+)|\[(\d+)\]", d.field or ""):
        parts.append(m.group(1) if m.group(1) else int(m.group(2)))
    column = _column(origin, tuple(parts)) or "row"
    return Diagnostic("error", d.message, d.file, line, None, column, d.code)
