"""Record files: one article, or a container with its articles, in YAML or JSON.

The format is `schemas/record.schema.json`; every file is checked against it first, and each
problem is reported with the file, the line (when the parser can tell) and the JSON path.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError

from ..dates import parse_iso
from ..diagnostics import Diagnostic, Diagnostics
from ..errors import InputError
from ..hints import date_hint, did_you_mean, lookalikes
from ..ids import (
    check_doi,
    check_full_text_url,
    check_isbn,
    check_issn,
    check_orcid,
    find_doi,
    guess_mime,
    normalize_doi,
    normalize_isbn,
    normalize_issn,
    normalize_orcid,
    normalize_ror,
)
from ..model import (
    INTER_WORK,
    INTRA_WORK,
    Abstract,
    Affiliation,
    Article,
    ArticleKind,
    Block,
    Book,
    Classification,
    Container,
    Contributor,
    Event,
    FullText,
    Funding,
    Isbn,
    Issn,
    Journal,
    Keywords,
    License,
    PartialDate,
    Proceedings,
    Publisher,
    Reference,
    Relation,
    Source,
    Title,
    Update,
)
from ..text import forbidden_chars, squash, strip_forbidden
from ..versions import load_json
from .markdown import CitationLinker, parse_blocks

Path_ = tuple[str | int, ...]
_DOCS = ("$ref", "description", "examples")


@cache
def _validator(kind: str) -> jsonschema.Draft202012Validator:
    """A validator for a collection or an article, with every $ref inlined (the schema has no
    cycles): reference lookups were half of the validation time."""
    defs = load_json("record.schema.json")["$defs"]

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                # a property's own description says what it is; the definition's says the
                # form it takes, which is what an error message needs
                rest = {k: inline(v) for k, v in node.items() if k not in _DOCS}
                return {**inline(defs[ref.rsplit("/", 1)[1]]), **rest}
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return jsonschema.Draft202012Validator(inline(defs[kind]))


def _json_path(path: Path_) -> str:
    out = "$"
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster


def _line_map(root: yaml.Node | None) -> dict[Path_, int]:
    """JSON path -> 1-based line of each value, from the YAML node tree."""
    lines: dict[Path_, int] = {}

    def walk(node: yaml.Node, path: Path_) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                walk(v, (*path, k.value))
                lines[(*path, k.value)] = k.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, (*path, i))

    if root is not None:
        walk(root, ())
    return lines


def _parse_yaml(text: str) -> tuple[Any, dict[Path_, int]]:
    """Data and line map from one pass of the parser (JSON is YAML too, for line numbers)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _bounded(node)
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, _line_map(node)


MAX_VALUES = 2_000_000  # values a record file may expand to through YAML aliases


def _bounded(root: yaml.Node) -> None:
    """Refuse a document whose aliases (*name) expand it beyond MAX_VALUES values (an
    "alias bomb": a few lines that would take gigabytes), counted without expanding."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 1  # a node inside itself (a cycle) counts once
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(v) for v in node.value)
        sizes[id(node)] = min(total, MAX_VALUES + 1)
        return sizes[id(node)]

    if size(root) > MAX_VALUES:
        raise yaml.YAMLError(
            f"through its aliases (*name) the document expands to over {MAX_VALUES:,} values; "
            "write the repeated parts out"
        )


def _line_for(lines: dict[Path_, int], path: Path_) -> int | None:
    p = tuple(path)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return lines.get(())


def _plain(value: Any) -> Any:
    """YAML dates and timestamps become ISO strings so the JSON Schema sees JSON types."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _describe(error: ValidationError) -> tuple[Path_, str]:
    """The most specific path and a plain-words message for a schema error."""
    if error.context:
        # Among the alternatives that failed, the one that got furthest into the data is the
        # one the author meant: report its problem, not "not valid under any schema".
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) > len(error.absolute_path):
            return _describe(deepest)
    path = tuple(error.absolute_path)
    v = error.validator
    if v == "required":
        m = re.match(r"'([^']+)'", error.message)
        missing = m.group(1) if m else "a field"
        return path, f"required field '{missing}' is missing"
    if v == "additionalProperties":
        m = re.search(r"\((.*) (?:was|were) unexpected\)", error.message)
        return path, f"unknown field(s) {m.group(1) if m else ''}; see schemas/record.schema.json"
    if v == "type":
        got = json.dumps(error.instance, ensure_ascii=False)[:60]
        quote = ""
        if error.validator_value == "string" and isinstance(error.instance, int | float):
            quote = f" (in YAML, quote it: '{error.instance}')"
        return path, f"expected {error.validator_value}, got {got}{quote}"
    hint: str | None
    if v == "pattern":
        hint = error.schema.get("description") if isinstance(error.schema, dict) else None
        odd = lookalikes(error.instance) if isinstance(error.instance, str) else None
        shown = json.dumps(error.instance, ensure_ascii=False)[:80]
        return path, f"{shown} is not in the expected form" + (
            f": {odd}" if odd else f" ({hint})" if hint else f" (pattern {error.validator_value})"
        )
    if v in ("oneOf", "anyOf"):
        hint = error.schema.get("description") if isinstance(error.schema, dict) else None
        if hint:
            yaml_hint = ""
            if isinstance(error.instance, dict) and len(error.instance) == 1:
                yaml_hint = " (in YAML, put text containing ': ' in quotes)"
            shown = json.dumps(error.instance, ensure_ascii=False)[:60]
            hint = hint.rstrip(".") if date_hint(error.instance) else hint
            return path, f"{shown} is not valid: {hint}{yaml_hint}{date_hint(error.instance)}"
        if isinstance(error.validator_value, list) and all(
            isinstance(s, dict) and list(s) == ["required"] for s in error.validator_value
        ):
            fields = " or ".join(f"'{s['required'][0]}'" for s in error.validator_value)
            return path, f"needs one of {fields}"
    if v == "enum":
        shown = json.dumps(error.instance, ensure_ascii=False)
        return path, f"{shown} is not one of {error.validator_value}"
    if v == "minItems":
        return path, "must not be empty"
    if v == "minLength":
        return path, "must not be empty"
    return path, error.message


def _colon_hint(text: str, line: int | None) -> str:
    """The quoting hint for the most common YAML mistake: a value holding ': ' (a title
    with a subtitle), which YAML reads as a key. Given when the line (or the one before
    it, where a flow mapping began) has a second ': ' after its key's."""
    if line is None:
        return ""
    rows = text.splitlines()
    for n in (line, line - 1):
        if 0 <= n < len(rows):
            m = re.search(r"([\w-]+): ([^'\"{\[,][^,}]*?: [^,}]*)", rows[n])
            if m:
                key, value = m.group(1), m.group(2).strip()
                return (
                    f" (in YAML, put text containing ': ' in quotes: "
                    f"{key}: {json.dumps(value, ensure_ascii=False)})"
                )
    return ""


def load_record_data(text: str, path: str, fmt: str) -> tuple[Any, dict[Path_, int]]:
    try:
        if fmt == "json":
            data = json.loads(text)
            try:
                lines = _parse_yaml(text)[1]
            except yaml.YAMLError:
                lines = {}  # a JSON feature YAML lacks: errors keep their JSON path only
        else:
            data, lines = _parse_yaml(text)
    except json.JSONDecodeError as exc:
        raise InputError.at(
            f"malformed JSON: {exc.msg}", file=path, line=exc.lineno, code="record.syntax"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError.at(
            f"malformed YAML: {problem}{_colon_hint(text, mark.line if mark else None)}",
            file=path,
            line=mark.line + 1 if mark else None,
            code="record.syntax",
        ) from None
    if not isinstance(data, dict):
        raise InputError.at(
            "expected a mapping with 'title' (one article) or 'articles' (a collection) at the top",
            file=path,
            line=1,
            code="record.shape",
        )
    return _plain(data), lines


def read_records(text: str, path: str, fmt: str, diags: Diagnostics) -> list[Article]:
    data, lines = load_record_data(text, path, fmt)
    kind = "collection" if "articles" in data else "article"
    errors = list(_validator(kind).iter_errors(data))
    problems, refused = [], set()
    for epath, message in map(_describe, errors):
        at = _json_path(epath)
        problems.append(
            Diagnostic("error", message, path, _line_for(lines, epath), None, at, "record.schema")
        )
        missing = re.match(r"required field '([^']+)'", message)
        refused.add(_json_path((*epath, missing.group(1))) if missing else at)
    # Then what the schema cannot check (check digits, real dates, page ranges), in every
    # part the schema did not refuse outright, so one run reports every problem.
    builder = _Builder(path, lines, diags)
    articles = _build(builder, _patched(data, errors), kind)
    problems += [d for d in builder.problems if not _under(d.field, refused)]
    if problems:
        raise InputError(sorted(problems, key=lambda d: (d.line or 0, d.field or "")))
    return [a for a in articles if a is not None]


def _build(builder: _Builder, data: dict[str, Any], kind: str) -> list[Article | None]:
    """Each article built on its own: one whose data the schema refused so badly that it
    cannot be built (a missing part) is None, and the others are still checked."""

    def attempt(make: Callable[[], Any]) -> Any:
        try:
            return make()
        except (KeyError, TypeError, AttributeError, ValueError, IndexError):
            return None  # the schema has said what is wrong with it

    if kind != "collection":
        return [attempt(lambda: builder.article(data, (), None))]
    container = None
    if isinstance(data.get("container"), dict):
        container = attempt(lambda: builder.container(data["container"], ("container",)))
    items = data["articles"] if isinstance(data.get("articles"), list) else []
    return [
        attempt(lambda a=a, i=i: builder.article(a, ("articles", i), container))  # type: ignore[misc]
        for i, a in enumerate(items)
        if isinstance(a, dict)
    ]


def _patched(data: dict[str, Any], errors: list[ValidationError]) -> dict[str, Any]:
    """A copy to build from, with each missing required text field present but empty, so
    the builder reaches the fields after it."""
    if not errors:
        return data
    copy: dict[str, Any] = json.loads(json.dumps(data))
    for error in errors:
        if error.validator != "required" or not isinstance(error.schema, dict):
            continue
        node: Any = copy
        for key in error.absolute_path:
            node = node[key]
        properties = error.schema.get("properties", {})
        for name in error.schema.get("required", []):
            wanted = properties.get(name, {}).get("type")
            if isinstance(node, dict) and name not in node and wanted == "string":
                node[name] = ""
    return copy


def _under(field: str | None, refused: set[str]) -> bool:
    """Whether a builder finding is at or inside a value the schema already refused."""
    if field is None:
        return False
    return any(field == r or field.startswith((r + ".", r + "[")) for r in refused)


class _Builder:
    """Model objects from schema-valid data, with the checks a schema cannot make."""

    def __init__(self, path: str, lines: dict[Path_, int], diags: Diagnostics) -> None:
        self.path = path
        self.lines = lines
        self.diags = diags
        self.problems: list[Diagnostic] = []

    def _error(self, at: Path_, message: str, code: str) -> None:
        self.problems.append(
            Diagnostic(
                "error", message, self.path, _line_for(self.lines, at), None, _json_path(at), code
            )
        )

    def text(self, value: Any, at: Path_) -> str:
        s = str(value)
        bad = forbidden_chars(s)
        if bad:
            self.diags.warn(
                f"removed {len(bad)} character(s) XML 1.0 forbids ({', '.join(sorted(set(bad)))})",
                line=_line_for(self.lines, at),
                field=_json_path(at),
                code="text.forbidden-char",
                file=self.path,
            )
            s = strip_forbidden(s)
        return s

    def opt(self, data: dict[str, Any], key: str, at: Path_) -> str | None:
        return squash(self.text(data[key], (*at, key))) if data.get(key) is not None else None

    def date(self, data: dict[str, Any], key: str, at: Path_) -> PartialDate | None:
        if key not in data:
            return None
        value = parse_iso(data[key])
        if value is None:
            self._error(
                (*at, key),
                f"{data[key]!r} is not a real date{date_hint(data[key])}",
                "record.bad-date",
            )
        return value

    def titles(self, value: Any, at: Path_) -> list[Title]:
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            where = (*at, i) if isinstance(value, list) else at
            if isinstance(item, str):
                out.append(Title(squash(self.text(item, where))))
            else:
                out.append(
                    Title(
                        squash(self.text(item["text"], where)),
                        item.get("lang"),
                        self.opt(item, "subtitle", where),
                    )
                )
        return out

    def identifiers(
        self,
        value: Any,
        at: Path_,
        check: Callable[[str], str | None],
        normalize: Callable[[str], str],
        code: str,
    ) -> list[tuple[str, str]]:
        """(normalised value, media type) for an ISBN or ISSN field: one string, one
        {value, media_type} object or a list of either; each is checked where it stands."""
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            where = (*at, i) if isinstance(value, list) else at
            raw, media = (
                (item, "print")
                if isinstance(item, str)
                else (item["value"], item.get("media_type", "print"))
            )
            problem = check(raw)
            if problem:
                self._error(where, problem, code)
            out.append((normalize(raw), media))
        return out

    def isbns(self, value: Any, at: Path_) -> list[Isbn]:
        found = self.identifiers(value, at, check_isbn, normalize_isbn, "record.bad-isbn")
        return [Isbn(v, m) for v, m in found]

    def issns(self, value: Any, at: Path_) -> list[Issn]:
        found = self.identifiers(value, at, check_issn, normalize_issn, "record.bad-issn")
        return [Issn(v, m) for v, m in found]

    def publisher(self, value: Any, at: Path_) -> Publisher:
        if isinstance(value, str):
            return Publisher(squash(self.text(value, at)))
        return Publisher(squash(self.text(value["name"], at)), self.opt(value, "place", at))

    def doi(self, value: str, at: Path_) -> str:
        doi = normalize_doi(value)
        problem = check_doi(doi)
        if problem:
            self._error(at, problem, "record.bad-doi")
        return doi

    def container(self, data: dict[str, Any], at: Path_) -> Container:
        titles = self.titles(data["title"], (*at, "title"))
        publisher = (
            self.publisher(data["publisher"], (*at, "publisher")) if "publisher" in data else None
        )
        published = self.date(data, "published", at)
        kind = data["type"]
        editors = [
            self.contributor(c, (*at, "contributors", i), default_role="editor")
            for i, c in enumerate(data.get("contributors", []))
        ]
        if kind == "journal":
            return Journal(
                titles=titles,
                issns=self.issns(data["issn"], (*at, "issn")) if "issn" in data else [],
                abbrev_title=self.opt(data, "abbrev_title", at),
                journal_id=self.opt(data, "journal_id", at),
                volume=self.opt(data, "volume", at),
                issue=self.opt(data, "issue", at),
                publisher=publisher,
                published=published,
                contributors=editors,
                source=self.at(at),
            )
        isbns = self.isbns(data["isbn"], (*at, "isbn")) if "isbn" in data else []
        doi = self.doi(data["doi"], (*at, "doi")) if "doi" in data else None
        if kind == "book":
            return Book(
                titles=titles,
                isbns=isbns,
                publisher=publisher,
                published=published,
                edition=self.opt(data, "edition", at),
                doi=doi,
                url=data.get("url"),
                contributors=editors,
                source=self.at(at),
            )
        event = None
        if "event" in data:
            ev, eat = data["event"], (*at, "event")
            event = Event(
                names=self.titles(ev["name"], (*eat, "name")),
                acronym=self.opt(ev, "acronym", eat),
                number=self.opt(ev, "number", eat),
                location=self.opt(ev, "location", eat),
                start=self.date(ev, "start", eat),
                end=self.date(ev, "end", eat),
                date_text=self.opt(ev, "date_text", eat),
                theme=self.opt(ev, "theme", eat),
                sponsors=[
                    squash(self.text(s, (*eat, "sponsors", i)))
                    for i, s in enumerate(ev.get("sponsors", []))
                ],
            )
        return Proceedings(
            titles=titles,
            event=event,
            isbns=isbns,
            publisher=publisher,
            published=published,
            subject=self.opt(data, "subject", at),
            doi=doi,
            url=data.get("url"),
            contributors=editors,
            source=self.at(at),
        )

    def at(self, at: Path_) -> Source:
        return Source(self.path, _line_for(self.lines, at), _json_path(at))

    def affiliation(self, data: dict[str, Any], at: Path_, default_id: str) -> Affiliation:
        ror = normalize_ror(data["ror"]) if "ror" in data else None
        return Affiliation(
            id=data.get("id", default_id),
            institution=self.opt(data, "institution", at),
            department=self.opt(data, "department", at),
            city=self.opt(data, "city", at),
            country=self.opt(data, "country", at),
            country_code=data.get("country_code"),
            ror=ror,
            text=self.opt(data, "text", at),
        )

    def article(self, data: dict[str, Any], at: Path_, shared: Container | None) -> Article:
        container = (
            self.container(data["container"], (*at, "container")) if "container" in data else shared
        )
        kind = data.get("kind") or {Journal: "journal-article", Book: "book-chapter"}.get(
            type(container), "conference-paper"
        )
        language = data.get("language")
        contributors, affs = self.people(data, at)
        refs = self.references(data, at)
        fpage = lpage = None
        if "pages" in data:
            fpage, lpage = self.pages(data["pages"], (*at, "pages"))
        dates, dat = data.get("dates", {}), (*at, "dates")
        published = self.publication_dates(dates, dat)
        article = Article(
            kind=ArticleKind(kind),
            title=Title(
                squash(self.text(data["title"], (*at, "title"))),
                language,
                self.opt(data, "subtitle", at),
            ),
            language=language,
            trans_titles=self.trans_titles(data, at),
            contributors=contributors,
            affiliations=affs,
            abstracts=self.abstracts(data, at),
            keywords=[
                Keywords(
                    k.get("lang"), [squash(self.text(t, (*at, "keywords", i))) for t in k["terms"]]
                )
                for i, k in enumerate(data.get("keywords", []))
            ],
            classifications=[
                Classification(c["scheme"].lower(), squash(c["code"]))
                for c in data.get("classifications", [])
            ],
            section=self.opt(data, "section", at),
            number=self.opt(data, "number", at),
            fpage=fpage,
            lpage=lpage,
            article_number=self.opt(data, "article_number", at),
            published=published[0] if published else None,
            more_published=published[1:],
            received=self.date(dates, "received", dat),
            accepted=self.date(dates, "accepted", dat),
            license=self.license(data, at),
            funding=self.funding(data, at),
            doi=self.doi(data["doi"], (*at, "doi")) if "doi" in data else None,
            url=data.get("url"),
            references=refs,
            ref_list_title=self.opt(data, "reference_list_title", at),
            full_text=self.full_text(data, at),
            updates=self.updates(data, at),
            relations=[
                self.relation(r, (*at, "relations", i))
                for i, r in enumerate(data.get("relations", []))
            ],
            container=container,
            source=Source(self.path, _line_for(self.lines, at), _json_path(at)),
            id=data.get("id"),
        )
        if "body" in data:
            article.body = self.body(data, at, refs)
        if article.fpage and article.article_number:
            self._error(
                (*at, "article_number"),
                "give either pages or an article number, not both",
                "record.pages-and-number",
            )
        return article

    def trans_titles(self, data: dict[str, Any], at: Path_) -> list[Title]:
        out = []
        for i, t in enumerate(data.get("translated_titles", [])):
            tat = (*at, "translated_titles", i)
            out.append(
                Title(squash(self.text(t["title"], tat)), t["lang"], self.opt(t, "subtitle", tat))
            )
        return out

    def abstracts(self, data: dict[str, Any], at: Path_) -> list[Abstract]:
        out = []
        for i, a in enumerate(data.get("abstracts", [])):
            aat = (*at, "abstracts", i)
            text = self.text(a["text"], aat)
            paragraphs = [squash(p) for p in re.split(r"\n\s*\n", text) if p.strip()]
            out.append(Abstract(a.get("lang"), paragraphs, self.opt(a, "title", aat)))
        return out

    def people(
        self, data: dict[str, Any], at: Path_
    ) -> tuple[list[Contributor], list[Affiliation]]:
        """The contributors, and the affiliations they name by id or give inline (an inline
        affiliation equal to one already listed is that one)."""
        affs = [
            self.affiliation(a, (*at, "affiliations", i), f"aff{i + 1}")
            for i, a in enumerate(data.get("affiliations", []))
        ]
        known = {a.id for a in affs}
        contributors = []
        for i, c in enumerate(data.get("contributors", [])):
            cat = (*at, "contributors", i)
            contributor = self.contributor(c, cat)
            for j, a in enumerate(c.get("affiliations", [])):
                aat = (*cat, "affiliations", j)
                if isinstance(a, str):
                    if a not in known:
                        self._error(
                            aat,
                            f"affiliation {a!r} is not an id in 'affiliations' "
                            f"(known: {', '.join(sorted(known)) or 'none'})",
                            "record.bad-affiliation-ref",
                        )
                    contributor.affiliation_ids.append(a)
                    continue
                aff = self.affiliation(a, aat, f"aff{len(affs) + 1}")
                twin = next((x for x in affs if _same_place(x, aff)), None)
                if twin is None:
                    affs.append(aff)
                    known.add(aff.id)
                    twin = aff
                contributor.affiliation_ids.append(twin.id)
            contributors.append(contributor)
        return contributors, affs

    def publication_dates(self, dates: dict[str, Any], at: Path_) -> list[PartialDate]:
        """dates.published: one date, or a list of {date, media_type}."""
        value = dates.get("published")
        if not isinstance(value, list):
            one = self.date(dates, "published", at)
            return [one] if one else []
        out = []
        for i, item in enumerate(value):
            d = self.date(item, "date", (*at, "published", i))
            if d is not None:
                d.media = item.get("media_type")
                out.append(d)
        return out

    def updates(self, data: dict[str, Any], at: Path_) -> list[Update]:
        return [
            Update(
                self.doi(u["doi"], (*at, "updates", i, "doi")),
                u["type"],
                self.date(u, "date", (*at, "updates", i)),
            )
            for i, u in enumerate(data.get("updates", []))
        ]

    def relation(self, r: dict[str, Any], at: Path_) -> Relation:
        kind, id_type = r["type"], r.get("id_type", "doi")
        if kind not in INTER_WORK | INTRA_WORK:
            hint = did_you_mean(kind, INTER_WORK | INTRA_WORK) or (
                "; Crossref's relation types include isPreprintOf, hasPreprint, "
                "isTranslationOf, hasTranslation, isVersionOf, isSupplementedBy"
            )
            self._error((*at, "type"), f"unknown relation type {kind!r}{hint}", "record.relation")
        ident = self.doi(str(r["id"]), (*at, "id")) if id_type == "doi" else squash(str(r["id"]))
        return Relation(kind, ident, id_type, self.opt(r, "description", at))

    def full_text(self, data: dict[str, Any], at: Path_) -> list[FullText]:
        out = []
        for i, f in enumerate(data.get("full_text", [])):
            fat = (*at, "full_text", i)
            for key in ("url", "license"):
                if key in f and (problem := check_full_text_url(f[key])):
                    self._error((*fat, key), problem, "record.bad-link")
            mine = f["purpose"] == "text-mining"
            mime = f.get("mime_type") or (guess_mime(f["url"]) if mine else None)
            out.append(FullText(f["url"], f["purpose"], mime, f.get("license")))
        return out

    def contributor(
        self, c: dict[str, Any], cat: Path_, default_role: str = "author"
    ) -> Contributor:
        contributor = Contributor(
            surname=self.opt(c, "surname", cat),
            given_names=self.opt(c, "given_names", cat),
            role=c.get("role", default_role),
            name_style=c.get("name_style", "western"),
            email=c.get("email"),
            degrees=self.opt(c, "degrees", cat),
            position=self.opt(c, "position", cat),
            role_label=self.opt(c, "role_label", cat),
            collab=self.opt(c, "collab", cat),
            orcid_authenticated=bool(c.get("orcid_authenticated", False)),
        )
        if "name" in c and contributor.surname is None:
            contributor.given_names = self.opt(c, "name", cat)
            contributor.name_style = "given-only"
        if "orcid" in c:
            contributor.orcid = normalize_orcid(c["orcid"])
            problem = check_orcid(str(c["orcid"]))  # as the user wrote it
            if problem:
                self._error((*cat, "orcid"), problem, "record.bad-orcid")
        return contributor

    def references(self, data: dict[str, Any], at: Path_) -> list[Reference]:
        refs = []
        for i, r in enumerate(data.get("references", [])):
            rat = (*at, "references", i)
            if isinstance(r, str):
                r = {"text": r}
            text = squash(self.text(r["text"], rat))
            urls = list(r.get("urls", [])) + ([r["url"]] if "url" in r else [])
            urls = urls or re.findall(r"https?://[^\s<>]+[^\s<>.,;)]", text)
            doi = self.doi(r["doi"], (*rat, "doi")) if "doi" in r else find_doi(text)
            label = str(r.get("label", i + 1))
            refs.append(
                Reference(id=r.get("id", f"ref{label}"), text=text, label=label, doi=doi, urls=urls)
            )
        ids = [r.id for r in refs]
        for i, rid in enumerate(ids):
            if ids.index(rid) != i:
                self._error(
                    (*at, "references", i),
                    f"reference id {rid!r} is used twice",
                    "record.duplicate-ref",
                )
        return refs

    def license(self, data: dict[str, Any], at: Path_) -> License | None:
        if "license" not in data:
            return None
        lic, lat = data["license"], (*at, "license")
        return License(
            lic.get("url"), self.opt(lic, "text", lat), self.date(lic, "start_date", lat)
        )

    def funding(self, data: dict[str, Any], at: Path_) -> list[Funding]:
        return [
            Funding(
                self.opt(f, "funder", (*at, "funding", i)),
                f.get("funder_id"),
                [str(a) for a in f.get("awards", [])],
            )
            for i, f in enumerate(data.get("funding", []))
        ]

    def body(self, data: dict[str, Any], at: Path_, refs: list[Reference]) -> list[Block]:
        """The Markdown body, with its citations linked to the references (warnings located
        at the body's lines)."""
        body_line = _line_for(self.lines, (*at, "body")) or 1
        text = self.text(data["body"], (*at, "body"))
        numbered = [(body_line + k + 1, s) for k, s in enumerate(text.splitlines())]
        by_number = {int(r.label): r.id for r in refs if r.label and r.label.isdigit()}
        linker = CitationLinker(by_number, Diagnostics(self.path))
        blocks = parse_blocks(numbered, linker)
        linker.report(len(refs))
        for d in linker.diagnostics:
            self.diags.add(
                Diagnostic(
                    d.severity,
                    d.message,
                    self.path,
                    d.line,
                    None,
                    _json_path((*at, "body")),
                    d.code,
                )
            )
        return blocks

    def pages(self, value: Any, at: Path_) -> tuple[str, str | None]:
        if isinstance(value, dict):
            first, last = str(value["first"]), str(value["last"]) if "last" in value else None
        else:
            parts = re.split(r"\s*[-–]\s*", str(value).strip())
            first, last = parts[0], parts[1] if len(parts) > 1 else None
        if last is not None and first.isdigit() and last.isdigit() and int(last) < int(first):
            self._error(at, f"last page {last} is before first page {first}", "record.bad-pages")
        return first, last


def _same_place(a: Affiliation, b: Affiliation) -> bool:
    return (a.institution, a.department, a.city, a.country_code, a.ror, a.text) == (
        b.institution,
        b.department,
        b.city,
        b.country_code,
        b.ror,
        b.text,
    )
