"""The preview page: one self-contained HTML file (no network, no external CSS, fonts or
scripts), built with lxml's HTML builder. It works from file://, prints cleanly, and stays
usable for a volume of hundreds of papers: counts at the top, a contents list, and a filter
that leaves only the records with findings (without JavaScript, everything shows).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from lxml import etree
from lxml import html as lxml_html
from lxml.html import builder as E

from ..hints import INVISIBLE
from ..registration import Person, Registered
from .collect import PENDING, UNCHANGED, UPDATED, Entry, Review

STYLE = """
:root { --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --err:#b42318; --warn:#9a6700;
        --new:#1a7f37; --upd:#0969da; --same:#59636e; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, "Segoe UI", "Noto Sans", "DejaVu Sans", Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem; }
h1 { font-size: 1.6rem; margin: .2rem 0; } h2 { font-size: 1.2rem; margin: .4rem 0; }
h3 { font-size: .95rem; margin: .8rem 0 .3rem; text-transform: uppercase; letter-spacing: .03em;
     color: var(--muted); }
a { color: var(--upd); }
.meta, .kind, .lang, .where { color: var(--muted); font-size: .9rem; }
.counts { display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; padding: 0; margin: .6rem 0; }
.counts li { list-style: none; } .counts b { font-size: 1.15rem; }
.badge { display: inline-block; border-radius: 1em; padding: 0 .6em; font-size: .8rem;
         color: #fff; background: var(--same); vertical-align: middle; }
.badge.new { background: var(--new); } .badge.updated { background: var(--upd); }
.badge.pending { background: var(--warn); }
.badge.error { background: var(--err); } .badge.warning { background: var(--warn); }
nav ol { columns: 2; column-gap: 2rem; font-size: .9rem; padding-left: 1.4rem; }
nav li { break-inside: avoid; margin-bottom: .15rem; }
article.record { border-top: 2px solid var(--line); padding: .8rem 0 1rem; }
.record > header { display: flex; flex-wrap: wrap; gap: .5rem; align-items: baseline; }
.doi { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-weight: 600; }
.columns { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1.5rem; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem;
            margin: 0; }
dl.fields dt { color: var(--muted); } dl.fields dd { margin: 0; overflow-wrap: anywhere; }
ol.references { font-size: .88rem; padding-left: 1.6rem; } ol.references li { margin: .2rem 0; }
aside section { border: 1px solid var(--line); border-radius: 6px; padding: .3rem .8rem .6rem;
                margin-bottom: .8rem; }
.findings li.error { color: var(--err); } .findings li.warning { color: var(--warn); }
.rule { font-family: ui-monospace, monospace; font-size: .85em; }
table.changes { border-collapse: collapse; width: 100%; font-size: .88rem; }
table.changes td, table.changes th { border-bottom: 1px solid var(--line); padding: .2rem .3rem;
                                     text-align: left; vertical-align: top; }
.old { color: var(--err); text-decoration: line-through; } .new-value { color: var(--new); }
.notcarried { color: var(--muted); font-style: italic; }
.invisible { color: #fff; background: var(--err); border-radius: 3px; padding: 0 .15em;
             font-size: .8em; }
.filter { margin: .6rem 0; }
body.only-findings [data-findings="0"] { display: none; }
@media (max-width: 800px) { .columns { grid-template-columns: 1fr; } nav ol { columns: 1; } }
@media print {
  .filter { display: none; } body { max-width: none; font-size: 11pt; }
  article.record { break-inside: avoid-page; } nav ol { columns: 2; }
  a { color: inherit; text-decoration: none; }
}
"""

NOTE = E.CLASS("notcarried")

SCRIPT = """
document.getElementById('only-findings').addEventListener('change', function (e) {
  document.body.classList.toggle('only-findings', e.target.checked);
});
"""


def render(review: Review, ledger: str) -> bytes:
    """The preview page as UTF-8 HTML bytes."""
    entries = review.entries
    page = E.HTML(
        E.HEAD(
            E.META(charset="utf-8"),
            E.META(name="viewport", content="width=device-width, initial-scale=1"),
            E.TITLE(f"Deposit preview: {len(entries)} DOI(s)"),
            E.STYLE(STYLE),
        ),
        E.BODY(
            _top(review, ledger),
            E.MAIN(*[_record(i, e) for i, e in enumerate(entries, start=1)]),
            E.SCRIPT(SCRIPT),
        ),
        lang="en",
    )
    data: bytes = lxml_html.tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8")
    return data


def _top(review: Review, ledger: str) -> etree._Element:
    entries = review.entries
    status = Counter(e.status for e in entries)
    made = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    counts = [
        ("DOIs", len(entries)),
        ("new", status["new"]),
        ("updated", status[UPDATED]),
        ("unchanged", status[UNCHANGED]),
        ("pending at the registry", status[PENDING]),
        ("with errors", sum(1 for e in entries if e.errors)),
        ("with warnings", sum(1 for e in entries if e.warnings)),
        ("with something not carried", sum(1 for e in entries if e.losses)),
    ]
    return E.HEADER(
        E.H1("Deposit preview"),
        E.P(
            f"Made {made} from {len(review.inputs)} input(s); compared with the deposits "
            f"recorded for {review.endpoint} in {ledger}.",
            E.CLASS("meta"),
        ),
        E.UL(*[E.LI(E.B(str(n)), f" {label}") for label, n in counts], E.CLASS("counts")),
        E.P(
            E.LABEL(E.INPUT(type="checkbox", id="only-findings"), " Only records with findings"),
            E.CLASS("filter"),
        ),
        _problems(review),
        E.NAV(
            E.H2("Contents"),
            E.OL(*[_contents_item(i, e) for i, e in enumerate(entries, start=1)]),
            id="contents",
        ),
    )


def _problems(review: Review) -> etree._Element | str:
    if not review.problems:
        return ""
    return E.SECTION(
        E.H2(f"Not in the deposit ({len(review.problems)})"),
        E.UL(*[E.LI(str(d), E.CLASS(d.severity)) for d in review.problems]),
        E.CLASS("findings"),
        id="not-shown",
    )


def _visible(text: str) -> list[etree._Element | str]:
    """`text` with each invisible character (a zero-width space, a bidi control, a soft
    hyphen: hints.INVISIBLE) shown as a marked ⟨U+200B⟩, for a person to see it is there."""
    out: list[etree._Element | str] = []
    for ch in text:
        if ch in INVISIBLE:
            out.append(E.SPAN(f"\u27e8U+{ord(ch):04X}\u27e9", E.CLASS("invisible"),
                              title="an invisible character"))  # fmt: skip
        elif out and isinstance(out[-1], str):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _contents_item(i: int, e: Entry) -> etree._Element:
    return E.LI(
        E.A(*_visible(e.record.doi), href=f"#r{i}", CLASS="doi"),
        " ",
        _badge(e.status),
        *_finding_badges(e),
        " ",
        _markup(e.record.title, "span", e.record.language),
        **{"data-findings": str(len(e.findings))},
    )


def _badge(status: str) -> etree._Element:
    return E.SPAN(status, E.CLASS(f"badge {status}"))


def _finding_badges(e: Entry) -> list[etree._Element | str]:
    out: list[etree._Element | str] = []
    if e.errors:
        out += [" ", E.SPAN(f"{e.errors} error(s)", E.CLASS("badge error"))]
    if e.warnings:
        out += [" ", E.SPAN(f"{e.warnings} warning(s)", E.CLASS("badge warning"))]
    return out


def _record(i: int, e: Entry) -> etree._Element:
    r = e.record
    return E.ARTICLE(
        E.HEADER(
            _badge(e.status),
            *_finding_badges(e),
            E.A(*_visible(r.doi), href=f"https://doi.org/{r.doi}", CLASS="doi"),
            E.SPAN(r.kind.replace("_", " "), E.CLASS("kind")),
        ),
        _markup(r.title, "h2", r.language, "title"),
        E.P(f"Language: {r.language or 'not given'}", E.CLASS("lang")),
        _titles(e),
        E.DIV(
            E.SECTION(*_metadata(r), E.CLASS("metadata")),
            E.ASIDE(_findings(e), _losses(e), _changes(e)),
            E.CLASS("columns"),
        ),
        E.P(_origin(e), E.CLASS("where")),
        id=f"r{i}",
        **{"class": "record", "data-findings": str(len(e.findings)), "data-status": e.status},
    )


def _origin(e: Entry) -> str:
    if e.deposit:
        return f"In the deposit file {e.deposit}"
    return f"Made from {e.source} as `jatsgen crossref` would make it"


def _titles(e: Entry) -> etree._Element | str:
    deposited = [(None, t) for t in e.record.other_titles]
    carried = {_plain(t) for _, t in deposited} | {_plain(e.record.title)}
    source = [(lang, t) for lang, t in e.trans_titles if t not in carried]
    if not deposited and not source:
        return ""
    items = [E.LI(_markup(t, "span")) for _, t in deposited]
    items += [
        E.LI(E.SPAN(t, lang=lang or ""), E.SPAN(f" [{lang or '?'}] not deposited", NOTE))
        for lang, t in source
    ]
    return E.DIV(E.H3("Translated titles"), E.UL(*items))


def _metadata(r: Registered) -> list[etree._Element | str]:
    rows: list[tuple[str, etree._Element | str]] = [
        ("Landing page", E.A(*_visible(r.resource), href=r.resource) if r.resource else "none"),
    ]
    if r.subtitle:
        rows.append(("Subtitle", _markup(r.subtitle, "span")))
    if r.pages or r.article_number:
        rows.append(("Pages" if r.pages else "Article number", r.pages or r.article_number or ""))
    rows += [(f"Date {k}", v) for k, v in r.dates.items()]
    rows += [(k, v) for k, v in r.container.items()]
    rows += [("Licence", x) for x in r.license] + [("Funding", x) for x in r.funding]
    rows += [("Full-text link", x) for x in r.links] + [("Relation", x) for x in r.relations]
    out: list[etree._Element | str] = [
        E.H3("Metadata"),
        E.DL(*[x for label, value in rows for x in (E.DT(label), _dd(value))], CLASS="fields"),
    ]
    if r.updates:  # a notice: what it corrects or retracts, said before anything else
        out += [
            E.H3("Updates (Crossmark)"),
            E.UL(*[E.LI(u) for u in r.updates], CLASS="updates"),
        ]
    out += [
        E.H3(f"Contributors ({len(r.people)})"),
        E.OL(*[_person(p) for p in r.people]),
    ]
    for lang, text in r.abstracts:
        out += [E.H3(f"Abstract [{lang or '?'}]"), _markup(text, "div", lang)]
    out += [E.H3(f"References ({len(r.citations)})"), _references(r)]
    return out


def _dd(value: etree._Element | str) -> etree._Element:
    return E.DD(*_visible(value)) if isinstance(value, str) else E.DD(value)


def _person(p: Person) -> etree._Element:
    parts: list[etree._Element | str] = [E.B(p.name), f" ({p.role})"]
    if p.orcid:
        parts += [" ", E.A("ORCID", href=p.orcid, title=p.orcid)]
        if any(ch in INVISIBLE for ch in p.orcid):
            parts += [" ", E.SPAN(*_visible(p.orcid), E.CLASS("invisible-in"))]
    if p.affiliations:
        parts.append(E.UL(*[E.LI(a) for a in p.affiliations]))
    return E.LI(*parts)


def _references(r: Registered) -> etree._Element:
    items = []
    for c in r.citations:
        doi = [" ", E.A("doi:", *_visible(c.doi), href=f"https://doi.org/{c.doi}")] if c.doi else []
        items.append(E.LI(c.text, *doi))
    return E.OL(*items, CLASS="references")


def _findings(e: Entry) -> etree._Element:
    if not e.findings:
        return E.SECTION(E.H3("Findings"), E.P("none"), E.CLASS("findings"))
    items = []
    for d in e.findings:
        where = f"{d.file}:{d.line}" if d.file and d.line else (d.file or "")
        items.append(
            E.LI(
                E.B(d.severity),
                " ",
                E.SPAN(f"[{d.code}]", E.CLASS("rule")) if d.code else "",
                f" {d.message}",
                E.SPAN(f" ({where})", E.CLASS("where")) if where else "",
                E.CLASS(d.severity),
            )
        )
    return E.SECTION(E.H3(f"Findings ({len(e.findings)})"), E.UL(*items), E.CLASS("findings"))


def _losses(e: Entry) -> etree._Element | str:
    if not e.losses:
        return ""
    return E.SECTION(
        E.H3("Not carried by the deposit"), E.UL(*[E.LI(m) for m in e.losses]), E.CLASS("losses")
    )


def _changes(e: Entry) -> etree._Element | str:
    if e.status == UNCHANGED:
        return E.SECTION(E.H3("Since the last deposit"), E.P("unchanged"), E.CLASS("changes"))
    note = E.P(e.note, E.CLASS("note")) if e.note else ""
    if not e.changes:
        return E.SECTION(E.H3("Since the last deposit"), note, E.CLASS("changes")) if note else ""
    rows = [
        E.TR(
            E.TD(c.field),
            E.TD(c.old if c.old is not None else "(none)", E.CLASS("old")),
            E.TD(c.new if c.new is not None else "(removed)", E.CLASS("new-value")),
        )
        for c in e.changes
    ]
    return E.SECTION(
        E.H3(f"Changed since the last deposit ({len(e.changes)})"),
        note,
        E.TABLE(E.TR(E.TH("field"), E.TH("was"), E.TH("now")), *rows, CLASS="changes"),
        E.CLASS("changes"),
    )


def _markup(html: str, tag: str, lang: str | None = None, cls: str | None = None) -> etree._Element:
    """Safe HTML (text escaped, only face markup: see registration.markup) in an element."""
    el = lxml_html.fragment_fromstring(f"<{tag}>{html}</{tag}>")
    if lang:
        el.set("lang", lang)
    if cls:
        el.set("class", cls)
    return el


def _plain(html: str) -> str:
    return "".join(lxml_html.fragment_fromstring(f"<span>{html}</span>").itertext())


def summary_rows(entries: Iterable[Entry]) -> list[tuple[str, str, str, str, str]]:
    """(DOI, status, pages, first author, title) per entry: the terminal summary."""
    rows = []
    for e in entries:
        r = e.record
        first = next((p.name for p in r.people if p.role.startswith("author")), "")
        rows.append((r.doi, e.status, r.pages or r.article_number or "", first, _plain(r.title)))
    return rows
