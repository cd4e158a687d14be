"""The registry's checks that can be pinned on one work, run on the work before it is batched.

Run on an assembled batch, a bad ORCID check digit would fail the whole run at a line of a
file that is never written; run here, it is an error of that work, located in its source, so
`--skip-invalid` can leave the work out and deposit the rest. The batch is still validated
as a whole afterwards (the official schema is the judge); these checks are the rules of
`validation/rules.py` that concern one work's own facts, applied to the model.
"""

from __future__ import annotations

import datetime as dt

from ..dates import real_date
from ..diagnostics import Diagnostic
from ..ids import check_isbn, check_issn, check_orcid, check_ror
from ..model import Article, Book, Journal, PartialDate, Proceedings
from ..validation.rules import FAR_FUTURE_YEARS


def work_problems(a: Article, today: dt.date | None = None) -> list[Diagnostic]:
    """Every problem of the work's own facts that the registry or its schema would refuse,
    located at the work's source (its container's at the container's), each with the rule
    id `jatsgen validate` gives it."""
    found: list[tuple[str, str]] = []
    for person in a.contributors:
        if person.orcid and (problem := check_orcid(person.orcid)):
            parts = (person.given_names, person.surname)
            name = " ".join(x for x in parts if x) or person.collab or "?"
            found.append(("id.orcid", f"contributor {name}: {problem}"))
    for aff in a.affiliations:
        if aff.ror and (problem := check_ror(aff.ror)):
            found.append(("id.ror", problem))
    c = a.container
    of_container: list[tuple[str, str]] = []  # said once, where the container is given
    if isinstance(c, Proceedings | Book):
        of_container += [("id.isbn", p) for i in c.isbns if (p := check_isbn(i.value))]
    if isinstance(c, Journal):
        of_container += [("id.issn", p) for i in c.issns if (p := check_issn(i.value))]
    pages = (a.fpage or "", a.lpage or "")
    if all(p.isdigit() for p in pages) and int(pages[1]) < int(pages[0]):
        found.append(("pages.order", f"last page {a.lpage} is before first page {a.fpage}"))
    limit = (today or dt.date.today()).year + FAR_FUTURE_YEARS
    for what, d in (("publication", a.published), ("acceptance", a.accepted)):
        found += _date_problems(what, d, limit)
    of_container += _date_problems("container publication", c.published if c else None, limit)
    there = (c.source if c is not None else None) or a.source
    return [Diagnostic.at_source("error", m, a.source, code) for code, m in found] + [
        Diagnostic.at_source("error", m, there, code) for code, m in of_container
    ]


def _date_problems(what: str, d: PartialDate | None, limit: int) -> list[tuple[str, str]]:
    if d is None:
        return []
    if not real_date(d.year, d.month, d.day):
        return [("date.real", f"the {what} date {d} does not exist in the calendar")]
    if d.year > limit:
        return [("date.far-future", f"the {what} date {d} is over {FAR_FUTURE_YEARS} years ahead")]
    return []


def work_warnings(article: Article) -> list[Diagnostic]:
    """What a deposit and a JATS file are valid without but is almost always a mistake."""
    out = []
    pageless = not (article.fpage or article.lpage or article.article_number)
    if isinstance(article.container, Proceedings) and pageless:
        out.append(
            Diagnostic.at_source(
                "warning",
                "the paper has no pages and no article number, although it is in a "
                "proceedings volume (pages: 12-18, or article_number)",
                article.source,
                "pages.missing",
            )
        )
    return out
