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
from .hints import did_you_mean
from .ids import check_doi, check_prefix, normalize_doi
from .versions import CROSSREF_VERSIONS, DEFAULT_CROSSREF_VERSION

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
MEDIA_TYPES = ("print", "online", "other")

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
    # full-text links made for each work from URL patterns (the resource pattern's fields)
    "links": {"pdf", "similarity_check", "text_mining", "mime_type", "text_mining_license"},
    "crossmark": {"policy", "domains", "exclusive"},
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
    schema_version: str = DEFAULT_CROSSREF_VERSION
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
    links: dict[str, str] = field(default_factory=dict)  # [links]: key -> URL pattern or value
    crossmark_policy: str | None = None  # the Crossmark policy page's DOI
    crossmark_domains: tuple[str, ...] = ()
    crossmark_exclusive: bool = False
    # 'table.key' -> line in the config file (messages about a pattern point at it)
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

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
    """Read and check a config file; every problem in it is reported at once (ConfigError)."""
    name = str(path)
    p = Path(path)
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
    reader = _ConfigReader(name, data, _lines(text))
    config = reader.config(p)
    if reader.problems:
        raise ConfigError(reader.problems)
    return config


class _ConfigReader:
    """Typed values from the parsed TOML, collecting a located problem for each bad one."""

    def __init__(self, name: str, data: dict[str, Any], lines: dict[str, int]) -> None:
        self.name = name
        self.data = data
        self.lines = lines
        self.problems: list[Diagnostic] = []
        self.unknown_keys()

    def bad(self, key: str, message: str) -> None:
        self.problems.append(
            Diagnostic(
                "error", message, self.name, self.lines.get(key), None, key, "config.invalid"
            )
        )

    def unknown_keys(self) -> None:
        for table, value in self.data.items():
            if table not in _KNOWN or not isinstance(value, dict):
                hint = did_you_mean(table, _KNOWN) or f"; known: {', '.join(sorted(_KNOWN))}"
                self.bad(table, f"unknown table [{table}]{hint}")
                continue
            for key in value:
                if key not in _KNOWN[table]:
                    known = sorted(_KNOWN[table])
                    hint = did_you_mean(key, known) or f"; [{table}] takes {', '.join(known)}"
                    self.bad(f"{table}.{key}", f"unknown key '{key}' in [{table}]{hint}")

    def table(self, table: str) -> dict[str, Any]:
        value = self.data.get(table)
        return value if isinstance(value, dict) else {}

    def get(self, table: str, key: str, required: bool = False) -> Any:
        value = self.table(table).get(key)
        if value is None and required:
            self.bad(
                table if table in self.lines else f"{table}.{key}",
                f"missing required key '{key}' in [{table}]",
            )
        return value

    def text(self, table: str, key: str, required: bool = False) -> str | None:
        value = self.get(table, key, required)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            self.bad(f"{table}.{key}", "expected a non-empty string")
            return None
        return value.strip() if isinstance(value, str) else None

    def integer(self, table: str, key: str, default: int, low: int, high: int) -> int:
        value = self.get(table, key)
        if value is None:
            return default
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.bad(f"{table}.{key}", f"expected a whole number from {low} to {high}")
            return default
        return value

    def choice(self, table: str, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(table, key) or default
        if value not in choices:
            self.bad(f"{table}.{key}", f"{value!r}; choose {_one_of(choices)}")
        return str(value)

    def depositor(self) -> tuple[str, str, str]:
        name = self.text("depositor", "name", required=True)
        email = self.text("depositor", "email", required=True)
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            self.bad("depositor.email", f"{email!r} is not an e-mail address")
        return name or "", email or "", self.text("registrant", "name", required=True) or ""

    def prefixes(self) -> tuple[str, ...]:
        out: list[str] = []
        single, many = self.get("doi", "prefix"), self.get("doi", "prefixes")
        if single is None and many is None:
            self.bad("doi", "missing required key 'prefix' in [doi]")
        for key, value in (("doi.prefix", single), ("doi.prefixes", many)):
            for v in value if isinstance(value, list) else [] if value is None else [value]:
                problem = (
                    check_prefix(v) if isinstance(v, str) else "expected a string like 10.1234"
                )
                if problem:
                    self.bad(key, problem)
                elif v not in out:
                    out.append(v)
        return tuple(out)

    def pattern(self, key: str, allowed: dict[str, str]) -> str | None:
        pattern = self.text("doi", key)
        if pattern is not None and (problem := check_pattern(pattern, allowed)):
            self.bad(f"doi.{key}", problem)
        return pattern

    def links(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key in ("pdf", "similarity_check", "text_mining", "text_mining_license"):
            value = self.text("links", key)
            if value is None:
                continue
            if key != "text_mining_license" and (problem := check_pattern(value, RESOURCE_FIELDS)):
                self.bad(f"links.{key}", problem)
            elif not re.match(r"^https://\S+$", value):
                self.bad(
                    f"links.{key}",
                    f"{value!r} is not an absolute https:// URL (registries crawl full texts "
                    "and read licences over https)",
                )
            out[key] = value
        mime = self.text("links", "mime_type")
        if mime is not None:
            if not re.fullmatch(r"[a-z]+/[A-Za-z0-9.+-]+", mime):
                self.bad("links.mime_type", f"{mime!r} is not a MIME type like application/pdf")
            out["mime_type"] = mime
        return out

    def crossmark(self) -> tuple[str | None, tuple[str, ...], bool]:
        policy = self.text("crossmark", "policy")
        if policy is not None:
            policy = normalize_doi(policy)
            if problem := check_doi(policy):
                self.bad("crossmark.policy", f"the Crossmark policy must be a DOI: {problem}")
        domains = self.get("crossmark", "domains") or []
        if isinstance(domains, str):
            domains = [domains]
        if not isinstance(domains, list) or not all(
            isinstance(d, str) and re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", d) for d in domains
        ):
            self.bad("crossmark.domains", 'expected a list of domain names like ["journal.org"]')
            domains = []
        exclusive = self.get("crossmark", "exclusive")
        if exclusive is not None and not isinstance(exclusive, bool):
            self.bad("crossmark.exclusive", "expected true or false")
        if (domains or exclusive is not None) and policy is None:
            self.bad("crossmark", "missing required key 'policy' in [crossmark]")
        return policy, tuple(domains), bool(exclusive)

    def registry(self, path: Path) -> dict[str, str]:
        registry = self.table("registry")
        if "password" in registry and os.name == "posix" and path.stat().st_mode & 0o077:
            self.bad(
                "registry.password",
                "the config file holds a password but others can read it; "
                f"run: chmod 600 {self.name} (or use $JATSGEN_PASSWORD)",
            )
        return {k: str(v) for k, v in registry.items()}

    def config(self, path: Path) -> DepositConfig:
        name, email, registrant = self.depositor()
        prefixes = self.prefixes()
        suffix = self.pattern("suffix", SUFFIX_FIELDS)
        resource = self.pattern("resource", RESOURCE_FIELDS)
        if resource is not None and not re.match(r"^https?://", resource):
            self.bad("doi.resource", "the resource URL pattern must start with http:// or https://")
        policy, domains, exclusive = self.crossmark()
        return DepositConfig(
            path=self.name,
            depositor_name=name,
            depositor_email=email,
            registrant=registrant,
            prefixes=prefixes,
            publisher_name=self.text("publisher", "name"),
            publisher_place=self.text("publisher", "place"),
            suffix_pattern=suffix,
            resource_pattern=resource,
            schema_version=self.choice(
                "crossref", "schema_version", CROSSREF_VERSIONS, DEFAULT_CROSSREF_VERSION
            ),
            max_records=self.integer("crossref", "max_records", DEFAULT_MAX_RECORDS, 1, 100_000),
            max_bytes=self.integer("crossref", "max_bytes", DEFAULT_MAX_BYTES, 10_000, 100_000_000),
            title_language=self.text("crossref", "title_language"),
            media_type=self.choice("crossref", "media_type", MEDIA_TYPES, "print"),
            timestamp_digits=self.integer(
                "crossref", "timestamp_digits", DEFAULT_TIMESTAMP_DIGITS, 15, 19
            ),
            state_dir=self.text("crossref", "state_dir"),
            registry=self.registry(path),
            undated=self.choice("crossref", "undated", UNDATED, "error"),
            container=_container(self.data.get("container")),
            links=self.links(),
            crossmark_policy=policy,
            crossmark_domains=domains,
            crossmark_exclusive=exclusive,
            lines=self.lines,
        )


def _one_of(choices: tuple[str, ...]) -> str:
    """'a, b or c' (the config's messages name every choice)."""
    return ", ".join(choices[:-1]) + " or " + choices[-1] if len(choices) > 1 else choices[0]


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
