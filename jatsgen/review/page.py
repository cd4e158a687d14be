"""The preview page: one self-contained HTML file (no network, no external CSS, fonts or
scripts), built with lxml's HTML builder. It works from file://, prints cleanly, and stays
usable for a volume of hundreds of papers: counts at the top, a contents list, and a filter
that leaves only the records with findings (without JavaScript, everything shows).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
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
.old { color: var(--muted); } .new-value { color: var(--ink); }
.notcarried { color: var(--muted); font-style: italic; }
.invisible { color: #fff; background: var(--err); border-radius: 3px; padding: 0 .15em;
             font-size: .8em; }
.filter { margin: .6rem 0; display: flex; flex-wrap: wrap; gap: .3rem 1.5rem; }
.counts a { color: inherit; text-decoration: none; border-bottom: 1px dashed var(--muted); }
.counts a.on { border-bottom: 2px solid var(--upd); }
body.only-findings [data-findings="0"] { display: none; }
del.diff { color: var(--err); background: #ffebe9; }
ins.diff { color: var(--new); background: #dafbe1; text-decoration: none; }
table.changes { table-layout: fixed; } table.changes td { overflow-wrap: anywhere; }
table.changes th:first-child { width: 22%; }
section.volume { border: 1px solid var(--line); border-radius: 6px; padding: .4rem 1rem .6rem;
                 margin: 1rem 0; background: #f6f8fa; }
.orcid { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85em; }
body[data-show="new"] [data-tags]:not([data-tags~="new"]) { display: none; }
body[data-show="updated"] [data-tags]:not([data-tags~="updated"]) { display: none; }
body[data-show="unchanged"] [data-tags]:not([data-tags~="unchanged"]) { display: none; }
body[data-show="pending"] [data-tags]:not([data-tags~="pending"]) { display: none; }
body[data-show="errors"] [data-tags]:not([data-tags~="errors"]) { display: none; }
body[data-show="warnings"] [data-tags]:not([data-tags~="warnings"]) { display: none; }
body[data-show="losses"] [data-tags]:not([data-tags~="losses"]) { display: none; }
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
function sync() {
  var shown = document.body.dataset.show || '';
  document.getElementById('changed-only').checked = shown === 'updated';
  document.querySelectorAll('[data-filter]').forEach(function (a) {
    a.classList.toggle('on', a.dataset.filter === shown);
  });
}
function show(tag) {
  if (!tag || document.body.dataset.show === tag) { delete document.body.dataset.show; }
  else { document.body.dataset.show = tag; }
  sync();
}
document.querySelectorAll('[data-filter]').forEach(function (a) {
  a.addEventListener('click', function (e) { e.preventDefault(); show(a.dataset.filter); });
});
document.getElementById('changed-only').addEventListener('change', function (e) {
  show(e.target.checked ? 'updated' : '');
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
            E.MAIN(*_volumes_and_records(entries)),
            E.SCRIPT(SCRIPT),
        ),
        lang="en",
    )
    data: bytes = lxml_html.tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8")
    return data


def _tags(e: Entry) -> str:
    """What a record is, as the words the filters show it by."""
    counted = (("errors", e.errors), ("warnings", e.warnings), ("losses", len(e.losses)))
    return " ".join([e.status, *(tag for tag, n in counted if n)])


def _top(review: Review, ledger: str) -> etree._Element:
    entries = review.entries
    status = Counter(e.status for e in entries)
    made = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    counts = [
        ("DOIs", len(entries), ""),
        ("new", status["new"], "new"),
        ("updated", status[UPDATED], UPDATED),
        ("unchanged", status[UNCHANGED], UNCHANGED),
        ("pending at the registry", status[PENDING], PENDING),
        ("with errors", sum(1 for e in entries if e.errors), "errors"),
        ("with warnings", sum(1 for e in entries if e.warnings), "warnings"),
        ("with something not carried", sum(1 for e in entries if e.losses), "losses"),
    ]
    by = "; deposited by " + ", ".join(review.depositors) if review.depositors else ""
    return E.HEADER(
        E.H1("Deposit preview"),
        E.P(
            f"Made {made} from {len(review.inputs)} input(s){by}; compared with the "
            f"deposits recorded for {review.endpoint} in {ledger}.",
            E.CLASS("meta"),
        ),
        E.UL(
            *[
                E.LI(
                    E.A(
                        E.B(str(n)),
                        f" {label}",
                        href="#contents",
                        **{"data-filter": tag, "title": f"show only: {label}"},
                    )
                )
                for label, n, tag in counts
            ],
            E.CLASS("counts"),
        ),
        E.DIV(
            E.LABEL(E.INPUT(type="checkbox", id="changed-only"), " Changed only (updated DOIs)"),
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
        **{"data-findings": str(len(e.findings)), "data-tags": _tags(e)},
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


def _volumes_and_records(entries: list[Entry]) -> list[etree._Element]:
    """Each record, its container (event, proceedings, publisher) shown once, before the
    first record of that volume, not under every paper."""
    out: list[etree._Element] = []
    works = Counter(tuple(e.record.container.items()) for e in entries)
    shown: set[tuple[tuple[str, str], ...]] = set()
    for i, e in enumerate(entries, start=1):
        key = tuple(e.record.container.items())
        if key and key not in shown:
            shown.add(key)
            out.append(_volume(e.record.container, works[key]))
        out.append(_record(i, e))
    return out


def _volume(container: dict[str, str], works: int) -> etree._Element:
    kinds = ("Proceedings", "Journal", "Book")
    kind = next((k for k in container if k in kinds), None)
    title = container[kind] if kind else "Container"
    rows = [(_label(k), _shown(k, v)) for k, v in container.items() if k != kind]
    return E.SECTION(
        E.H2(f"{kind}: " if kind else "", *_visible(title)),
        E.P(f"{works} DOI(s) of this preview are in it", E.CLASS("meta")),
        E.DL(*[x for label, value in rows for x in (E.DT(label), _dd(value))], CLASS="fields"),
        E.CLASS("volume"),
    )


def _record(i: int, e: Entry) -> etree._Element:
    r = e.record
    return E.ARTICLE(
        E.HEADER(
            _badge(e.status),
            *_finding_badges(e),
            _link(r.doi, f"https://doi.org/{r.doi}", "doi"),
            E.SPAN(r.kind.replace("_", " "), E.CLASS("kind")),
        ),
        _markup(r.title, "h2", r.language, "title"),
        E.P(f"Language: {r.language}", E.CLASS("lang")) if r.language else "",
        _titles(e),
        E.DIV(
            E.SECTION(*_metadata(r), E.CLASS("metadata")),
            E.ASIDE(_findings(e), _losses(e), _changes(e)),
            E.CLASS("columns"),
        ),
        E.P(_origin(e), E.CLASS("where")),
        id=f"r{i}",
        **{
            "class": "record",
            "data-findings": str(len(e.findings)),
            "data-status": e.status,
            "data-tags": _tags(e),
        },
    )


def _origin(e: Entry) -> str:
    if e.deposit:
        return f"In the deposit file {e.deposit}"
    if e.source:
        return f"Made from {e.source} as `jatsgen crossref` would make it"
    return "Made from the inputs as `jatsgen crossref` would make it"


def _link(text: str, url: str | None, cls: str | None = None) -> etree._Element:
    """`text` as a link only where `url` is http(s): a `javascript:` or `data:` address
    from a source is shown, never made live."""
    attrs = {"class": cls} if cls else {}
    if url and re.match(r"(?i)^https?://", url.strip()):
        return E.A(*_visible(text), href=url.strip(), **attrs)
    return E.SPAN(*_visible(text), **attrs)


_DATE_LABELS = {"publication": "Published", "acceptance": "Accepted", "posted": "Posted"}
_APPLIES_TO = {"vor": "version of record", "am": "accepted manuscript",
               "tdm": "text and data mining", "stm-asf": "STM article sharing"}  # fmt: skip


def _label(key: str) -> str:
    """A field's label as a person reads it ('Published', not 'Date publication')."""
    word, _, n = key.partition(" ")
    if word in _DATE_LABELS:
        return _DATE_LABELS[word] + (f" ({n})" if n else "")
    return key


def _shown(key: str, value: str) -> str:
    """A value as a person reads it: licence scopes spelt out, a conference's dates once."""
    if key == "Licence":
        value = re.sub(r"\((\w[\w-]*)", lambda m: "(" + _APPLIES_TO.get(m[1], m[1]), value)
    if key == "Conference dates" and (m := re.fullmatch(r"(.*) \((.*)\)", value)):
        value = m[1] if m[2] in m[1] else value
    return value


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
        ("Landing page", _link(r.resource, r.resource) if r.resource else "none"),
    ]
    if r.subtitle:
        rows.append(("Subtitle", _markup(r.subtitle, "span")))
    if r.pages or r.article_number:
        rows.append(("Pages" if r.pages else "Article number", r.pages or r.article_number or ""))
    rows += [(_label(k), v) for k, v in r.dates.items()]
    rows += [("Licence", _shown("Licence", x)) for x in r.license]
    rows += [("Funding", x) for x in r.funding]
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
    if p.orcid:  # the iD itself, a link only if the deposit gives it as an http(s) URL
        iid = p.orcid.rstrip("/").rsplit("/", 1)[-1]
        parts += [" ", E.SPAN("ORCID iD ", _link(iid, p.orcid), E.CLASS("orcid"))]
    if p.affiliations:
        parts.append(E.UL(*[E.LI(a) for a in p.affiliations]))
    return E.LI(*parts)


def _references(r: Registered) -> etree._Element:
    items = []
    for c in r.citations:
        doi = [" ", "doi:", _link(c.doi, f"https://doi.org/{c.doi}")] if c.doi else []
        items.append(E.LI(c.text, *doi))
    return E.OL(*items, CLASS="references")


def _findings(e: Entry) -> etree._Element:
    if not e.findings:
        return E.SECTION(E.H3("Findings"), E.P("none"), E.CLASS("findings"))
    items = []
    for d in e.findings:
        where = d.place
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
    rows = []
    for c in e.changes:
        was, now = _diff(c.old, c.new)
        cells = [E.TD(_label(c.field)), E.TD(*was, E.CLASS("old"))]
        rows.append(E.TR(*cells, E.TD(*now, E.CLASS("new-value"))))
    return E.SECTION(
        E.H3(f"Changed since the last deposit ({len(e.changes)})"),
        note,
        E.TABLE(E.TR(E.TH("field"), E.TH("was"), E.TH("now")), *rows, CLASS="changes"),
        E.CLASS("changes"),
    )


def _diff(
    old: str | None, new: str | None
) -> tuple[list[etree._Element | str], list[etree._Element | str]]:
    """The old and new value with what changed marked where it is, word by word (a changed
    given name inside a list of contributors, not the whole list struck out)."""
    if old is None or new is None:
        return [old if old is not None else "(none)"], [new if new is not None else "(removed)"]
    a, b = re.split(r"(\s+|[;,])", old), re.split(r"(\s+|[;,])", new)
    was: list[etree._Element | str] = []
    now: list[etree._Element | str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            was.append("".join(a[i1:i2]))
            now.append("".join(b[j1:j2]))
            continue
        if i2 > i1:
            was.append(E.DEL("".join(a[i1:i2]), CLASS="diff"))
        if j2 > j1:
            now.append(E.INS("".join(b[j1:j2]), CLASS="diff"))
    return was, now


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
