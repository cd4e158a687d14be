"""`jatsgen.toml`: who deposits, which DOI prefix, and how DOIs and landing URLs are made.

Every key is checked when the file is loaded, so a typo is a located error before any
record is read. See examples/jatsgen.toml for a complete, commented example.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic
from .errors import ConfigError
from .ids import check_prefix

SCHEMA_VERSIONS = ("5.3.1", "5.4.0", "5.5.0")
DEFAULT_SCHEMA_VERSION = "5.4.0"
# Crossref staff: "there is a 10M limit for submissions" (crossref/user_stories#286); no record
# count is documented, so batches default to a few hundred works, as deposit guides advise.
DEFAULT_MAX_BYTES = 10_000_000
DEFAULT_MAX_RECORDS = 500
DEFAULT_TIMESTAMP_DIGITS = 17

# Placeholders a DOI suffix or resource URL pattern may use.
SUFFIX_FIELDS = {
    "year": "publication year",
    "number": "the article's number in the collection or issue",
    "seq": "the article's position in its input file (1, 2, ...)",
    "fpage": "first page",
    "lpage": "last page",
    "volume": "journal volume",
    "issue": "journal issue",
    "id": "the record's id",
    "slug": "an ASCII slug of the title",
    "isbn": "the container's ISBN, digits only",
    "issn": "the container's ISSN, digits only",
    "lang": "the article's language",
}
RESOURCE_FIELDS = {
    **SUFFIX_FIELDS,
    "doi": "the DOI",
    "suffix": "the DOI suffix",
    "prefix": "the DOI prefix",
}

UNDATED = ("error", "deposit-date")

_KNOWN: dict[str, set[str]] = {
    "depositor": {"name", "email"},
    "registrant": {"name"},
    "publisher": {"name", "place"},
    "doi": {"prefix", "prefixes", "suffix", "resource"},
    "crossref": {
        "schema_version",
        "max_records",
        "max_bytes",
        "title_language",
        "media_type",
        "timestamp_digits",
        "state_dir",
        "undated",
    },
    "registry": {"endpoint", "user", "role", "password"},
    # the container of CSV sheets that have no container columns
    "container": {
        "type",
        "title",
        "isbn",
        "issn",
        "publisher",
        "publisher_place",
        "published",
        "volume",
        "issue",
        "event_name",
        "event_acronym",
        "event_location",
        "event_start",
        "event_end",
    },
}


@dataclass(frozen=True)
class DepositConfig:
    path: str
    depositor_name: str
    depositor_email: str
    registrant: str
    prefixes: tuple[str, ...]
    publisher_name: str | None = None
    publisher_place: str | None = None
    suffix_pattern: str | None = None
    resource_pattern: str | None = None
    schema_version: str = DEFAULT_SCHEMA_VERSION
    max_records: int = DEFAULT_MAX_RECORDS
    max_bytes: int = DEFAULT_MAX_BYTES
    title_language: str | None = None
    media_type: str = "print"
    timestamp_digits: int = DEFAULT_TIMESTAMP_DIGITS
    state_dir: str | None = None
    registry: dict[str, str] = field(default_factory=dict)
    # "deposit-date": an article with no publication date is dated on the day it is deposited
    # (publish-on-acceptance workflows); "error" (the default) refuses it
    undated: str = "error"
    container: dict[str, Any] | None = None  # in the record format (schemas/record.schema.json)

    @property
    def prefix(self) -> str:
        return self.prefixes[0]


def _lines(text: str) -> dict[str, int]:
    """'table.key' -> line number, from a plain scan (tomllib keeps no positions)."""
    out: dict[str, int] = {}
    table = ""
    for n, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        m = re.match(r"^\[([^\]]+)\]", s)
        if m:
            table = m.group(1).strip()
            out.setdefault(table, n)
            continue
        m = re.match(r"^([A-Za-z0-9_-]+)\s*=", s)
        if m:
            out.setdefault(f"{table}.{m.group(1)}" if table else m.group(1), n)
    return out


def load_config(path: str | Path) -> DepositConfig:
    p = Path(path)
    name = str(path)
    if not p.is_file():
        raise ConfigError.at("config file not found", file=name, code="config.missing")
    text = p.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError.at(
            f"not valid TOML: {exc}",
            file=name,
            line=int(m.group(1)) if m else None,
            code="config.syntax",
        ) from None
    lines = _lines(text)
    problems: list[Diagnostic] = []

    def bad(key: str, message: str) -> None:
        problems.append(
            Diagnostic("error", message, name, lines.get(key), None, key, "config.invalid")
        )

    for table, value in data.items():
        if table not in _KNOWN or not isinstance(value, dict):
            bad(table, f"unknown table [{table}]; known: {', '.join(sorted(_KNOWN))}")
            continue
        for key in value:
            if key not in _KNOWN[table]:
                bad(
                    f"{table}.{key}",
                    f"unknown key; [{table}] takes {', '.join(sorted(_KNOWN[table]))}",
                )

    def get(table: str, key: str, required: bool = False) -> Any:
        value = data.get(table, {}).get(key) if isinstance(data.get(table), dict) else None
        if value is None and required:
            bad(
                table if table in lines else f"{table}.{key}",
                f"missing required key '{key}' in [{table}]",
            )
        return value

    def text_value(table: str, key: str, required: bool = False) -> str | None:
        value = get(table, key, required)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            bad(f"{table}.{key}", "expected a non-empty string")
            return None
        return value.strip() if isinstance(value, str) else None

    def int_value(table: str, key: str, default: int, low: int, high: int) -> int:
        value = get(table, key)
        if value is None:
            return default
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            bad(f"{table}.{key}", f"expected a whole number from {low} to {high}")
            return default
        return value

    dep_name = text_value("depositor", "name", required=True)
    dep_email = text_value("depositor", "email", required=True)
    if dep_email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", dep_email):
        bad("depositor.email", f"{dep_email!r} is not an e-mail address")
    registrant = text_value("registrant", "name", required=True)

    prefixes: list[str] = []
    single = get("doi", "prefix")
    many = get("doi", "prefixes")
    if single is None and many is None:
        bad("doi", "missing required key 'prefix' in [doi]")
    for key, value in (("doi.prefix", single), ("doi.prefixes", many)):
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        for v in values:
            problem = check_prefix(v) if isinstance(v, str) else "expected a string like 10.1234"
            if problem:
                bad(key, problem)
            elif v not in prefixes:
                prefixes.append(v)

    suffix = text_value("doi", "suffix")
    resource = text_value("doi", "resource")
    for key, pattern, allowed in (
        ("doi.suffix", suffix, SUFFIX_FIELDS),
        ("doi.resource", resource, RESOURCE_FIELDS),
    ):
        if pattern is not None:
            problem = check_pattern(pattern, allowed)
            if problem:
                bad(key, problem)
    if resource is not None and not re.match(r"^https?://", resource):
        bad("doi.resource", "the resource URL pattern must start with http:// or https://")

    version = get("crossref", "schema_version") or DEFAULT_SCHEMA_VERSION
    if version not in SCHEMA_VERSIONS:
        bad("crossref.schema_version", f"{version!r}; choose one of {', '.join(SCHEMA_VERSIONS)}")
    media = get("crossref", "media_type") or "print"
    if media not in ("print", "online", "other"):
        bad("crossref.media_type", f"{media!r}; choose print, online or other")
    undated = get("crossref", "undated") or "error"
    if undated not in UNDATED:
        bad("crossref.undated", f"{undated!r}; choose {' or '.join(UNDATED)}")
    registry = data.get("registry", {}) if isinstance(data.get("registry"), dict) else {}
    if "password" in registry:
        mode = p.stat().st_mode & 0o077
        if mode and os.name == "posix":
            bad(
                "registry.password",
                "the config file holds a password but others can read it; "
                f"run: chmod 600 {name} (or use $JATSGEN_PASSWORD)",
            )

    config = DepositConfig(
        path=name,
        depositor_name=dep_name or "",
        depositor_email=dep_email or "",
        registrant=registrant or "",
        prefixes=tuple(prefixes),
        publisher_name=text_value("publisher", "name"),
        publisher_place=text_value("publisher", "place"),
        suffix_pattern=suffix,
        resource_pattern=resource,
        schema_version=str(version),
        max_records=int_value("crossref", "max_records", DEFAULT_MAX_RECORDS, 1, 100_000),
        max_bytes=int_value("crossref", "max_bytes", DEFAULT_MAX_BYTES, 10_000, 100_000_000),
        title_language=text_value("crossref", "title_language"),
        media_type=str(media),
        timestamp_digits=int_value(
            "crossref", "timestamp_digits", DEFAULT_TIMESTAMP_DIGITS, 15, 30
        ),
        state_dir=text_value("crossref", "state_dir"),
        registry={k: str(v) for k, v in registry.items()},
        undated=str(undated),
        container=_container(data.get("container")),
    )
    if problems:
        raise ConfigError(problems)
    return config


def check_pattern(pattern: str, allowed: dict[str, str]) -> str | None:
    """None when every {placeholder} in `pattern` is known and the pattern is well formed."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
    except ValueError as exc:
        return f"malformed pattern {pattern!r}: {exc}"
    unknown = [f for f in fields if f not in allowed]
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}}; use one of " + ", ".join(
            f"{{{k}}}" for k in allowed
        )
    return None


def _container(table: Any) -> dict[str, Any] | None:
    """[container] as a record-format container (checked like any record when used)."""
    if not isinstance(table, dict) or not table:
        return None
    c: dict[str, Any] = {"type": table.get("type", "proceedings")}
    for key in ("title", "isbn", "issn", "published", "volume", "issue"):
        if key in table:
            c[key] = table[key]
    if "publisher" in table:
        c["publisher"] = {
            "name": table["publisher"],
            **({"place": table["publisher_place"]} if "publisher_place" in table else {}),
        }
    if "event_name" in table:
        c["event"] = {
            "name": table["event_name"],
            **{
                k: table[f"event_{k}"]
                for k in ("acronym", "location", "start", "end")
                if f"event_{k}" in table
            },
        }
    return c
