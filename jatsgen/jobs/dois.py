"""DOIs and landing-page URLs for works: from the record, or from the config's patterns.

A record's own DOI wins; otherwise the suffix pattern is filled from the record. Every DOI
is checked for syntax and prefix, and must be unique across the whole run (a duplicate is
an error that names both sources).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from ..config import DepositConfig
from ..diagnostics import Diagnostic
from ..errors import InputError
from ..ids import check_doi
from ..model import Article, Book, Journal, Proceedings, Source, Work

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


def placeholder_values(article: Article, seq: int) -> dict[str, object]:
    c = article.container
    values: dict[str, object] = {
        "year": publication_year(article),
        "number": article.number,
        "seq": seq,
        "fpage": article.fpage,
        "lpage": article.lpage,
        "id": article.id,
        "slug": slug(article.title.text),
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


def fill(pattern: str, values: dict[str, object], what: str) -> str:
    """`pattern` with its placeholders filled; InputError-ready message if one is missing."""
    needed = [f for _, f, _, _ in string.Formatter().parse(pattern) if f]
    missing = [f for f in needed if values.get(f) in (None, "")]
    if missing:
        raise ValueError(
            f"the {what} pattern {pattern!r} needs {{{missing[0]}}}, "
            f"which this record does not have"
        )
    return pattern.format(**values)


@dataclass
class DoiPlanner:
    config: DepositConfig
    any_prefix: bool = False
    seen: dict[str, str] = field(default_factory=dict)  # lower-case DOI -> where

    def plan(self, article: Article, seq: int) -> Work:
        """The work's DOI and landing page, claimed for this run (`make` then `claim`)."""
        work = self.make(article, seq)
        self.claim(work.doi, work.where, article.source)
        return work

    def make(self, article: Article, seq: int) -> Work:
        """The work's DOI and landing page; InputError if they cannot be made or checked."""
        values = placeholder_values(article, seq)
        try:
            if article.doi:
                doi = article.doi
            elif self.config.suffix_pattern:
                suffix = fill(self.config.suffix_pattern, values, "DOI suffix")
                if not SAFE_SUFFIX.match(suffix):
                    raise ValueError(
                        f"the DOI suffix {suffix!r} made from the pattern has "
                        "characters outside a-z A-Z 0-9 - . _ ; ( ) /"
                    )
                doi = f"{self.config.prefix}/{suffix}"
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
            if article.url:
                resource = article.url
            elif self.config.resource_pattern:
                values.update(doi=doi, suffix=doi.split("/", 1)[1], prefix=prefix)
                resource = fill(self.config.resource_pattern, values, "resource URL")
            else:
                raise ValueError(
                    "the article has no landing-page URL (self-uri in JATS, url in a record) "
                    "and the config has no [doi] resource pattern to make one"
                )
            if not re.match(r"^https?://\S+$", resource):
                raise ValueError(f"resource URL {resource!r} is not an absolute http(s) URL")
        except ValueError as exc:
            raise InputError(
                Diagnostic.at_source("error", str(exc), article.source, "doi.invalid")
            ) from None
        return Work(article, doi, resource)

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
