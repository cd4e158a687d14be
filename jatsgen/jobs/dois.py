"""DOIs and landing-page URLs for works: from the record, or from the config's patterns.

A record's own DOI wins; otherwise the suffix pattern is filled from the record. Every DOI
is checked for syntax and prefix, and must be unique across the whole run (a duplicate is
an error that names both sources).

A DOI made from the pattern is remembered (`DoiMemory`, in the state folder beside the
timestamps) for its work, so the work keeps it: removing, reordering or skipping a row never
renumbers the others, and a new work never takes a DOI an earlier run gave to another.
"""

from __future__ import annotations

import functools
import os
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import DepositConfig
from ..diagnostics import Diagnostic
from ..errors import InputError, JatsgenError
from ..ids import check_doi, guess_mime
from ..model import Article, Book, FullText, Journal, Proceedings, Source, Work
from . import statefile

# Crossref's recommended DOI suffix characters: a-z A-Z 0-9 - . _ ; ( ) /
SAFE_SUFFIX = re.compile(r"^[A-Za-z0-9\-._;()/]+$")

_TRANSLIT = str.maketrans(
    {
        "а": "a",
        "ә": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "ғ": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "i",
        "і": "i",
        "к": "k",
        "қ": "q",
        "л": "l",
        "м": "m",
        "н": "n",
        "ң": "n",
        "о": "o",
        "ө": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ұ": "u",
        "ү": "u",
        "ф": "f",
        "х": "kh",
        "һ": "h",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "",
        "ы": "y",
        "ь": "",
        "э": "e",
        "ю": "iu",
        "я": "ia",
    }
)


# {seq} in a pattern, with or without a format spec ({seq:04d}): the number moves on past
# DOIs given to other works
SEQ = re.compile(r"\{\s*seq\s*(?::[^}]*)?\}")


def slug(text: str, limit: int = 40) -> str:
    """ASCII slug of a title in Latin, Kazakh or Russian script."""
    ascii_text = text.lower().translate(_TRANSLIT)
    words = re.findall(r"[a-z0-9]+", ascii_text)
    out = ""
    for w in words:
        candidate = f"{out}-{w}" if out else w
        if len(candidate) > limit:
            break
        out = candidate
    return out or "untitled"


def publication_year(article: Article) -> int | None:
    if article.published:
        return article.published.year
    c = article.container
    if c is not None and c.published:
        return c.published.year
    if isinstance(c, Proceedings) and c.event and c.event.start:
        return c.event.start.year
    return None


def placeholder_values(article: Article, seq: int, slugged: bool = True) -> dict[str, object]:
    """The values a DOI, URL or link pattern may use; `slugged=False` leaves the title's
    slug out (a run whose patterns do not use it need not make one per work)."""
    c = article.container
    values: dict[str, object] = {
        "year": publication_year(article),
        "number": article.number,
        "seq": seq,
        "fpage": article.fpage,
        "lpage": article.lpage,
        "id": article.id,
        "slug": slug(article.title.text) if slugged else None,
        "lang": article.language,
        "volume": c.volume if isinstance(c, Journal) else None,
        "issue": c.issue if isinstance(c, Journal) else None,
        "isbn": re.sub(r"\D", "", c.isbns[0].value)
        if isinstance(c, Proceedings | Book) and c.isbns
        else None,
        "issn": re.sub(r"[^\dX]", "", c.issns[0].value)
        if isinstance(c, Journal) and c.issns
        else None,
    }
    return values


# What a work lacks when a placeholder has no value, and where to give it
LACKING = {
    "year": "no publication date: give published (in the work or its volume) or the event's start",
    "number": "no article number: give number",
    "fpage": "no first page: give pages",
    "lpage": "no last page: give pages (as first-last)",
    "id": "no id: give id",
    "slug": "no title",
    "lang": "no language: give language",
    "volume": "no volume: give the journal's volume",
    "issue": "no issue: give the journal's issue",
    "isbn": "no ISBN: give the volume's isbn",
    "issn": "no ISSN: give the journal's issn",
}


class PatternError(ValueError):
    """A config pattern that cannot format a work's value (`{number:03d}` on 'a1'): the
    config's fault, said once at its line, with the works it hit."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key  # 'doi.suffix', 'doi.resource', 'links.pdf', ...


def fill(pattern: str, values: dict[str, object], what: str, key: str = "doi.suffix") -> str:
    """`pattern` with its placeholders filled: ValueError naming what the work lacks if one
    has no value, PatternError if the pattern's format cannot take a work's value. A value
    of digits formatted as a number (`{number:03d}`) is taken as the number it spells."""
    parsed = [(f, spec) for _, f, spec, _ in string.Formatter().parse(pattern) if f]
    missing = [f for f, _ in parsed if values.get(f) in (None, "")]
    if missing:
        lacks = LACKING.get(missing[0], f"no {missing[0]}")
        raise ValueError(
            f"the {what} pattern {pattern!r} needs {{{missing[0]}}}, but this work has "
            f"{lacks}; or leave {{{missing[0]}}} out of the pattern"
        )
    numeric = {
        f: int(str(values[f]))
        for f, spec in parsed
        if spec and spec[-1:] in ("d", "x", "X", "o", "b") and str(values[f]).isdigit()
    }
    try:
        return pattern.format(**{**values, **numeric})
    except (ValueError, TypeError):
        bad = " and ".join(f"{{{f}:{spec}}}" for f, spec in parsed if spec) or pattern
        raise PatternError(
            f"the {what} pattern {pattern!r} formats {bad} as a whole number, but a work's "
            "value is text: write the placeholder without its format, or give every work a "
            "value of digits",
            key,
        ) from None


def work_identity(article: Article) -> str:
    """What a work is known by across runs, to keep its DOI: its landing page, else the
    source's id for it, else its title and first author; the last two within its container
    (an id such as "p1", or an "Editorial" by the same editor, recurs in every volume)."""
    if article.url:
        return f"url:{article.url.strip()}"
    c = article.container
    where = ""
    if c is not None:
        title = c.titles[0].text if c.titles else ""
        parts = [type(c).__name__, title, getattr(c, "volume", None), getattr(c, "issue", None),
                 publication_year(article)]  # fmt: skip
        where = "|in:" + "|".join(_norm(str(x)) for x in parts if x)
    if article.id:
        return f"id:{article.id.strip()}{where}"
    people = article.authors or article.contributors
    first = (people[0].surname or people[0].collab or "") if people else ""
    return f"work:{_norm(article.title.text)}|{_norm(first)}{where}"


def _config_field(key: str) -> str:
    """'doi.suffix' as a person finds it in the file: '[doi] suffix'."""
    table, _, name = key.partition(".")
    return f"[{table}] {name}"


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


MEMORY = "dois.json"
_LOADED: dict[Path, tuple[tuple[int, int], dict[str, dict[str, str]]]] = {}


class DoiMemory:
    """DOIs made from the suffix pattern, per prefix and work identity, kept in `directory`
    (the state folder). Read once per process (a forked worker shares what was read before
    it started); `remember` adds a run's DOIs under a lock, once the run has written its
    batches. With `record` False (preview, the JATS job) it is only read."""

    def __init__(self, directory: Path, *, record: bool = True) -> None:
        self.path = Path(directory) / MEMORY
        self.record = record

    def works(self, prefix: str) -> dict[str, str]:
        """Identity -> DOI, for `prefix`."""
        return self._read().get(prefix, {})

    def owners(self, prefix: str) -> dict[str, str]:
        """DOI (lower case) -> identity, for `prefix`."""
        key = (self.path, prefix)
        cached = _OWNERS.get(key)
        works = self.works(prefix)
        if cached is None or cached[0] is not works:
            cached = _OWNERS[key] = (works, {d.lower(): w for w, d in works.items()})
        return cached[1]

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            st = os.stat(self.path)
        except OSError:
            return {}
        stamp = (st.st_mtime_ns, st.st_size)
        held = _LOADED.get(self.path)
        if held is None or held[0] != stamp:
            held = _LOADED[self.path] = (stamp, self._parse())
        return held[1]

    def _parse(self) -> dict[str, dict[str, str]]:
        fix = "move it aside to start afresh (DOIs already made stay in the batches and ledger)"
        data = statefile.read(self.path, "the DOIs made here", fix)
        prefixes = data.get("prefixes") if isinstance(data, dict) else None
        if not isinstance(prefixes, dict) or not all(
            isinstance(v, dict) for v in prefixes.values()
        ):
            raise JatsgenError(f"{self.path}: not a record of the DOIs made here; {fix}")
        return prefixes

    def remember(self, made: list[tuple[str, str, str]]) -> None:
        """Add (prefix, identity, DOI) triples; a work already remembered keeps its DOI."""
        if not self.record or not made:
            return
        with statefile.locked(self.path):
            _LOADED.pop(self.path, None)
            prefixes = {k: dict(v) for k, v in self._read().items()}
            for prefix, identity, doi in made:
                prefixes.setdefault(prefix, {}).setdefault(identity, doi)
            data = {"version": 1, "prefixes": prefixes}
            statefile.write(self.path, data, indent=0, ensure_ascii=False, sort_keys=True)
            _LOADED.pop(self.path, None)

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "record": self.record}  # a worker reads it itself


_OWNERS: dict[tuple[Path, str], tuple[dict[str, str], dict[str, str]]] = {}


@dataclass
class DoiPlanner:
    config: DepositConfig
    any_prefix: bool = False
    seen: dict[str, str] = field(default_factory=dict)  # lower-case DOI -> where
    works: dict[str, str] = field(default_factory=dict)  # work identity -> where
    memory: DoiMemory | None = None
    # DOIs made from the pattern in this input: lower-case DOI -> (prefix, identity, DOI)
    made: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    notes: list[Diagnostic] = field(default_factory=list)  # what `make` said, to be taken

    @functools.cached_property
    def slugged(self) -> bool:
        """Whether any of the config's patterns uses the title's slug."""
        c = self.config
        patterns = (c.suffix_pattern, c.resource_pattern, *c.links.values())
        return any("{slug" in p for p in patterns if p)

    def plan(self, article: Article, seq: int) -> Work:
        """The work's DOI and landing page, claimed for this run (`make` then `claim`)."""
        work = self.make(article, seq)
        self.claim(work.doi, work.where, article.source)
        return work

    def make(self, article: Article, seq: int) -> Work:
        """The work's DOI and landing page; InputError if they cannot be made or checked."""
        values = placeholder_values(article, seq, self.slugged)
        try:
            if article.doi:
                doi = article.doi
            elif self.config.suffix_pattern:
                doi = self._from_pattern(article, values)
            else:
                raise ValueError(
                    'the article has no DOI (article-id pub-id-type="doi" in JATS, doi in a '
                    "record) and the config has no [doi] suffix pattern to make one"
                )
            problem = check_doi(doi)
            if problem:
                raise ValueError(problem)
            prefix = doi.split("/", 1)[0]
            if not self.any_prefix and prefix not in self.config.prefixes:
                hint = (
                    " (it is the source's own DOI: add its prefix to [doi] prefixes if it is "
                    "yours, or deposit with --any-prefix as a service provider)"
                    if article.doi
                    else ""
                )
                raise ValueError(
                    f"DOI {doi} does not start with the configured prefix "
                    f"{' or '.join(self.config.prefixes)}{hint}"
                )
            values.update(doi=doi, suffix=doi.split("/", 1)[1], prefix=prefix)
            resource = self._resource(article, values)
            self._full_text(article, values)
        except PatternError as exc:  # the config's fault: at its line, said once for all
            c = self.config
            line, where = c.lines.get(exc.key), _config_field(exc.key)
            raise InputError(
                Diagnostic("error", str(exc), c.path, line, None, where, "config.pattern")
            ) from None
        except ValueError as exc:
            raise InputError(
                Diagnostic.at_source("error", str(exc), article.source, "doi.invalid")
            ) from None
        return Work(article, doi, resource)

    def _from_pattern(self, article: Article, values: dict[str, object]) -> str:
        """The DOI the pattern makes for the work: the one it was given before, if it was;
        else the pattern's, moving {seq} on past DOIs given to other works."""
        pattern, prefix = self.config.suffix_pattern or "", self.config.prefix
        identity = work_identity(article)
        if self.memory is not None and (kept := self.memory.works(prefix).get(identity)):
            self.made[kept.lower()] = (prefix, identity, kept)
            return kept
        owners = self.memory.owners(prefix) if self.memory is not None else {}
        taken = {k: v[1] for k, v in self.made.items()}
        first = None
        while True:
            suffix = fill(pattern, values, "DOI suffix")
            if not SAFE_SUFFIX.match(suffix):
                raise ValueError(
                    f"the DOI suffix {suffix!r} made from the pattern has "
                    "characters outside a-z A-Z 0-9 - . _ ; ( ) /"
                )
            doi = f"{prefix}/{suffix}"
            owner = owners.get(doi.lower()) or taken.get(doi.lower())
            if owner is None or owner == identity:
                break
            if not SEQ.search(pattern):
                raise ValueError(
                    f"the DOI pattern makes {doi} for this work, but an earlier run gave it to "
                    f"another work ({owner}); a DOI stays with its work: give this one a DOI "
                    "of its own (doi in the record), or use {seq} in the pattern"
                )
            first = first or (doi, owner)
            values = {**values, "seq": int(str(values["seq"])) + 1}
        if first is not None:
            self.notes.append(
                Diagnostic.at_source(
                    "warning",
                    f"the DOI pattern makes {first[0]} for this work, but an earlier run gave it "
                    f"to another work ({first[1]}): this work gets {doi} (a DOI stays with its "
                    "work; if this is that work corrected, give it the same landing page or id)",
                    article.source,
                    "doi.kept",
                )
            )
        self.made[doi.lower()] = (prefix, identity, doi)
        return doi

    def _resource(self, article: Article, values: dict[str, object]) -> str:
        if article.url:
            resource = article.url
        elif self.config.resource_pattern:
            resource = fill(self.config.resource_pattern, values, "resource URL", "doi.resource")
        else:
            raise ValueError(
                "the article has no landing-page URL (self-uri in JATS, url in a record) "
                "and the config has no [doi] resource pattern to make one"
            )
        if not re.match(r"^https?://\S+$", resource):
            raise ValueError(f"resource URL {resource!r} is not an absolute http(s) URL")
        return resource

    def _full_text(self, article: Article, values: dict[str, object]) -> None:
        """Full-text links from the config's [links] patterns, for each purpose the work
        does not link itself (a record's or a JATS self-uri's link wins)."""
        links = self.config.links
        have = {f.purpose for f in article.full_text}
        for purpose, key in (
            ("similarity-check", "similarity_check"),
            ("text-mining", "text_mining"),
        ):
            pattern = links.get(key) or links.get("pdf")
            if purpose in have or not pattern:
                continue
            used = key if key in links else "pdf"
            url = fill(pattern, values, f"[links] {used} URL", f"links.{used}")
            mine = purpose == "text-mining"
            article.full_text.append(
                FullText(
                    url,
                    purpose,
                    (links.get("mime_type") or guess_mime(url)) if mine else None,
                    links.get("text_mining_license") if mine else None,
                )
            )

    def claim_work(self, identity: str, loc: str, source: Source | None) -> None:
        """Register the work known as `identity` (`work_identity`) for the run: two works
        known alike would share the DOI kept for them in the next run."""
        if identity in self.works:
            raise InputError(
                Diagnostic.at_source(
                    "error",
                    f"this work is known by the same {identity.split(':', 1)[0]} as the work "
                    f"at {self.works[identity]} ({identity[:120]}), and a DOI made from the "
                    "pattern is kept for what a work is known by: give one of them an id or "
                    "a landing page of its own (or remove a repeated row)",
                    source,
                    "doi.same-work",
                )
            )
        self.works[identity] = loc

    def claim(self, doi: str, loc: str, source: Source | None) -> None:
        """Register `doi` for the work at `loc`; a DOI may be deposited once per run."""
        key = doi.lower()
        if key in self.seen:
            raise InputError(
                Diagnostic.at_source(
                    "error",
                    f"duplicate DOI {doi}: also given to the work at {self.seen[key]}",
                    source,
                    "doi.duplicate",
                )
            )
        self.seen[key] = loc
