"""What a deposit registers for each DOI, read back from the deposit XML.

One `Registered` per DOI the file registers (works; containers that carry a DOI of their own;
and every other holder of a DOI, of whatever kind, read generically): the fields a person
checks before registering, with their container's, and the DOI's canonical form - exactly
what the deposit carries for it (the work element and its container's metadata, as C14N 2.0
with indentation dropped), without the batch head (its id, timestamp and depositor) or the
DOI's own timestamp. The preview page shows the fields; the ledger keeps both; a deposit
decides what changed by the canonical form alone, and the fields say how, for people (with
the XML's own paths where the fields do not show the change).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .safexml import local

# Crossref's face markup (and the JATS inline elements of jats:abstract), as HTML
FACES = {
    "i": "i",
    "italic": "i",
    "b": "b",
    "bold": "b",
    "u": "u",
    "underline": "u",
    "sup": "sup",
    "sub": "sub",
    "scp": "small",
    "sc": "small",
    "tt": "code",
    "monospace": "code",
}
# works: a DOI of their own in a doi_data child (a report-paper or a standard registers
# its DOI in its *_metadata, as a container does)
WORKS = ("conference_paper", "journal_article", "content_item", "posted_content", "dissertation",
         "component", "dataset", "book_series", "peer_review")  # fmt: skip
CONTAINER_METADATA = ("proceedings_metadata", "book_metadata", "journal_metadata")
# works that stand side by side in one container, each with a DOI of its own: a DOI's
# registration holds its container's metadata but none of its siblings
SIBLINGS = frozenset({"conference_paper", "journal_article", "content_item", "component",
                      "dataset"})  # fmt: skip


@dataclass
class Person:
    name: str
    role: str
    orcid: str | None = None
    affiliations: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        extra = [self.role]
        if self.orcid:
            extra.append(self.orcid)
        extra += self.affiliations
        return f"{self.name} ({'; '.join(extra)})"


@dataclass
class Citation:
    key: str
    text: str
    doi: str | None = None

    def __str__(self) -> str:
        return f"{self.text} [doi:{self.doi}]" if self.doi else self.text


@dataclass
class Registered:
    """One DOI as a deposit registers it."""

    doi: str
    kind: str  # the Crossref element: conference_paper, journal_article, ...
    line: int | None = None  # where its element starts in the deposit file
    title: str = ""  # with face markup, as safe HTML (see `markup`)
    language: str | None = None
    subtitle: str | None = None
    other_titles: list[str] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    resource: str = ""
    pages: str | None = None
    article_number: str | None = None
    dates: dict[str, str] = field(default_factory=dict)  # published, accepted, posted
    abstracts: list[tuple[str | None, str]] = field(default_factory=list)  # (lang, HTML)
    license: list[str] = field(default_factory=list)
    funding: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # full-text links: "crawler-based: URL"
    relations: list[str] = field(default_factory=list)  # "isPreprintOf 10.x/y (doi)"
    updates: list[str] = field(default_factory=list)  # Crossmark: "correction of 10.x/y on ..."
    container: dict[str, str] = field(default_factory=dict)  # label -> value
    canonical_xml: bytes = b""  # the registration as C14N 2.0 (see `canonical_form`)
    container_doi: bool = False  # a container's own DOI, sent again with each of its works
    # what jatsgen's writer could not carry, as it noted in the work (`NOT_CARRIED` comments:
    # not registered, not part of the canonical form; a review of the batch shows them)
    not_carried: list[str] = field(default_factory=list)

    @property
    def canonical(self) -> str:
        """sha256 of what the deposit registers for this DOI: equal exactly when the XML
        registered is equal (whatever batch, timestamp, indentation or prefixes)."""
        return hashlib.sha256(self.canonical_xml).hexdigest()

    def flat(self) -> dict[str, str]:
        """Every field as a labelled line, in display order: what the ledger keeps and
        what a change is reported against."""
        out: dict[str, str] = {"Type": self.kind.replace("_", " "), "Title": self.title}
        for label, value in (
            ("Language", self.language),
            ("Subtitle", self.subtitle),
            ("Landing page", self.resource),
            ("Pages", self.pages),
            ("Article number", self.article_number),
        ):
            if value:
                out[label] = value
        out.update(_numbered("Other title", self.other_titles))
        out.update(_numbered("Contributor", [str(p) for p in self.people]))
        out.update({f"Date {k}": v for k, v in self.dates.items()})
        out.update(
            _numbered("Abstract", [f"[{lang or '?'}] {text}" for lang, text in self.abstracts])
        )
        out.update(_numbered("Licence", self.license))
        out.update(_numbered("Funding", self.funding))
        out.update(_numbered("Full-text link", self.links))
        out.update(_numbered("Relation", self.relations))
        out.update(_numbered("Updates", self.updates))
        out.update(self.container)
        out.update(_numbered("Reference", [str(c) for c in self.citations]))
        return out

    @property
    def digest(self) -> str:
        """sha256 of the fields (`flat`): what the ledger compared before the canonical form
        (a summary: equal fields do not mean equal XML)."""
        text = json.dumps(self.flat(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _numbered(label: str, items: list[str]) -> dict[str, str]:
    if len(items) == 1:
        return {label: items[0]}
    return {f"{label} {i}": item for i, item in enumerate(items, start=1)}


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None  # None: the field is new
    new: str | None  # None: the field is gone


def changes(old: dict[str, str], new: dict[str, str]) -> list[Change]:
    """What differs between two `flat()` records, in the new record's field order."""
    out = [Change(k, old.get(k), v) for k, v in new.items() if old.get(k) != v]
    out += [Change(k, v, None) for k, v in old.items() if k not in new]
    return out


# --- reading a deposit ---------------------------------------------------------------------


def depositor(tree: etree._ElementTree) -> str | None:
    """Who a deposit says deposits it, as "name <e-mail>", from its head."""
    el = tree.getroot().find("{*}head/{*}depositor")
    if el is None:
        return None
    name = (el.findtext("{*}depositor_name") or "").strip()
    mail = (el.findtext("{*}email_address") or "").strip()
    return f"{name} <{mail}>" if mail else name or None


def registered(tree: etree._ElementTree) -> list[Registered]:
    """Every DOI a Crossref deposit registers, in document order, each with its canonical
    form: the kinds this module knows field by field, and any other holder of a DOI
    (pending_publication, peer_review, database, a resource-only deposit's ...) generically."""
    body = next((c for c in tree.getroot() if local(c) == "body"), None)
    if body is None:
        return []
    if is_resource_only(tree):
        return _resources(body)
    out: list[Registered] = []
    for holder in body:
        name = local(holder)
        if name in WORKS:
            out += _works([holder], {})
        else:  # conference, journal, book, report-paper, standard, database, ...
            out += _container(holder)
    holders = doi_holders(body)
    read = {r.doi.lower() for r in out}
    for el, doi in holders.items():
        if doi.lower() not in read:
            out.append(_generic(el, doi))
            read.add(doi.lower())
    by_doi = {doi.lower(): el for el, doi in holders.items()}
    for record in out:
        el = by_doi.get(record.doi.lower())
        if el is not None:
            record.canonical_xml = canonical_form(el)
            record.container_doi = is_container(el, body)
    return sorted(out, key=lambda r: r.line or 0)


RESOURCES_NS = "http://www.crossref.org/doi_resources_schema/"
RESOURCES_KIND = "resources"  # the kind of a resource-only deposit's record of a DOI


def is_resource_only(tree: etree._ElementTree) -> bool:
    """Whether a deposit is resource-only (doi_resources): it adds to registered DOIs."""
    return (etree.QName(tree.getroot()).namespace or "").startswith(RESOURCES_NS)


def _resources(body: etree._Element) -> list[Registered]:
    """A resource-only deposit's DOIs, each with everything the file adds to it: its
    canonical form is every part of the file for that DOI, in order."""
    parts: dict[str, list[etree._Element]] = {}
    records: dict[str, Registered] = {}
    for holder, doi in doi_holders(body).items():
        key = doi.lower()
        if key not in records:
            records[key] = Registered(doi, RESOURCES_KIND, holder.sourceline)
        record = records[key]
        parts.setdefault(key, []).append(holder)
        for part in holder:
            name = local(part)
            if name == "program":
                _program(record, part)
            elif name == "collection":
                wrapper = etree.Element("doi_data")
                wrapper.append(copy.deepcopy(part))
                record.links += _collections(wrapper)
            elif name == "citation_list":
                record.citations = [_citation(c) for c in part if local(c) == "citation"]
            elif name == "crossmark":
                _crossmark(record, part)
    for key, record in records.items():
        record.canonical_xml = b"".join(canonical_form(h) for h in parts[key])
    return list(records.values())


def is_container(holder: etree._Element, body: etree._Element) -> bool:
    """Whether a DOI holder is a container's metadata (proceedings, journal, issue, book,
    series): below a child of the body, and neither it nor what holds it a sibling work."""
    if holder.getparent() is body:
        return False
    node: etree._Element | None = holder
    while node is not None and node is not body:
        if local(node) in SIBLINGS:
            return False
        node = node.getparent()
    return True


def doi_holders(body: etree._Element) -> dict[etree._Element, str]:
    """Each element that registers a DOI, with the DOI: the parent of a doi_data, or a child
    of the body holding a bare doi (pending_publication; a resource-only deposit's
    doi_resources, doi_relations, ...). Citations' DOIs are references, not registrations."""
    found: dict[etree._Element, str] = {}
    for d in body.iter("{*}doi"):
        parent = d.getparent()
        if parent is None:
            continue
        if local(parent) == "doi_data":
            holder = parent.getparent()
        elif parent.getparent() is body:
            holder = parent
        else:
            continue
        doi = "".join(d.itertext()).strip()
        if holder is not None and doi and holder not in found:
            found[holder] = doi
    return found


def _generic(el: etree._Element, doi: str) -> Registered:
    """A DOI of a kind not read field by field: its kind, title and landing page."""
    data = _doi_data(el)
    record = Registered(doi, local(el), el.sourceline, resource=data[1] if data else "")
    record.language = el.get("language")
    title = next((t for t in el.iter("{*}title", "{*}project-title")), None)
    if title is not None:
        record.title = markup(title)
    return record


def canonical_form(el: etree._Element) -> bytes:
    """What a deposit registers for the DOI `el` holds, as C14N 2.0: `el` whole, inside its
    containers up to the body, each container with its metadata but without its other works
    (`SIBLINGS`) or the container's own DOI registration; without the DOI's own timestamp,
    comments, or whitespace-only text that holds a line break (indentation). Prefixes are
    rewritten, attributes sorted: only what the registry reads can make two forms differ."""
    path: list[etree._Element] = [el]
    node = el.getparent()
    while node is not None and local(node) != "body":
        path.append(node)
        node = node.getparent()
    scoped = _scoped(path[-1], set(path), el)
    for stamp in scoped.iter("{*}timestamp"):
        parent = stamp.getparent()
        if parent is not None and local(parent) == "doi_data":
            parent.remove(stamp)  # its tail is whitespace, dropped below anyway
    for part in scoped.iter():
        if part.text is not None and not part.text.strip() and "\n" in part.text:
            part.text = None
        if part.tail is not None and not part.tail.strip() and "\n" in part.tail:
            part.tail = None
    scoped.tail = None
    text: str = etree.canonicalize(scoped, rewrite_prefixes=True, with_comments=False)
    return text.encode("utf-8")


def _scoped(node: etree._Element, path: set[etree._Element], target: etree._Element) -> Any:
    """A copy of `node` holding the way down to `target` and every part beside it that is
    not a sibling work, nor another DOI's registration (a container's doi_data registers
    the container: a work's registration holds its container's metadata, not its DOI)."""
    if node is target:
        return copy.deepcopy(node)
    out = etree.Element(node.tag, dict(node.attrib), nsmap=node.nsmap)
    out.text = node.text
    for child in node:
        if child in path:
            out.append(_scoped(child, path, target))
        elif isinstance(child.tag, str) and local(child) in SIBLINGS | {"doi_data"}:
            continue
        else:
            part = copy.deepcopy(child)
            for data in list(part.iter("{*}doi_data")) if isinstance(part.tag, str) else ():
                parent = data.getparent()
                if parent is not None:
                    parent.remove(data)
            out.append(part)
    return out


def pack(xml: bytes) -> bytes:
    """A canonical form as the ledger keeps it (compressed)."""
    return zlib.compress(xml, 6)


def unpack(data: bytes | None) -> bytes:
    return zlib.decompress(data) if data else b""


def xml_changes(old: bytes, new: bytes, limit: int = 20) -> list[Change]:
    """What differs between two canonical forms, as XML paths with their old and new text
    (for a change the fields do not show); at most `limit`, then one line saying how many
    more."""
    before, after = _leaves(old), _leaves(new)
    out = [Change(k, before.get(k), v) for k, v in after.items() if before.get(k) != v]
    out += [Change(k, v, None) for k, v in before.items() if k not in after]
    if len(out) > limit:
        out = [*out[:limit], Change(f"... and {len(out) - limit} more", None, None)]
    return out


def _leaves(xml: bytes) -> dict[str, str]:
    """Each text and attribute of a canonical form by its path (names without prefixes,
    positions among same-named siblings)."""
    if not xml:
        return {}
    # C14N 2.0 with rewritten prefixes writes xmlns:n0="" for the empty namespace, which no
    # parser takes: for this diff (only) it is left out
    xml = re.sub(rb' xmlns:n\d+=""', b"", xml)
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    out: dict[str, str] = {}

    def walk(el: etree._Element, at: str, namespace: str | None) -> None:
        if etree.QName(el).namespace != namespace:  # where it changes: the schema version
            out[f"{at}/namespace()"] = etree.QName(el).namespace or ""
        for name, value in sorted(el.attrib.items()):
            out[f"{at}/@{etree.QName(name).localname}"] = value
        if el.text and el.text.strip():
            out[f"{at}/text()"] = " ".join(el.text.split())
        counts: dict[str, int] = {}
        for child in el:
            if not isinstance(child.tag, str):
                continue
            name = local(child)
            counts[name] = counts.get(name, 0) + 1
            walk(child, f"{at}/{name}[{counts[name]}]", etree.QName(el).namespace)
            if child.tail and child.tail.strip():
                out[f"{at}/{name}[{counts[name]}]/following-text()"] = " ".join(child.tail.split())

    walk(root, f"/{local(root)}", None)
    return out


def _container(holder: etree._Element) -> list[Registered]:
    context: dict[str, str] = {}
    own: list[Registered] = []
    works: list[etree._Element] = []
    for part in holder:
        name = local(part)
        if name == "event_metadata":
            context.update(_event(part))
        elif name in CONTAINER_METADATA:
            context.update(_publication(part))
            doi = _doi_data(part)
            if doi is not None:
                record = Registered(doi[0], name.removesuffix("_metadata"), part.sourceline)
                record.title = context.get("Proceedings", context.get("Book", ""))
                record.resource = doi[1]
                own.append(record)
        elif name.endswith("_metadata") and (doi := _doi_data(part)) is not None:
            # report-paper_metadata, standard_metadata, ...: the holder's own DOI
            record = Registered(doi[0], local(holder), part.sourceline, resource=doi[1])
            record.language = part.get("language")
            _fill(record, part)
            own.append(record)
        elif name == "journal_issue":
            context.update(_issue(part))
        elif name in WORKS:
            works.append(part)
        elif name == "component_list":  # sa_component: components of a published work
            works += [c for c in part if local(c) == "component"]
    for record in own:
        record.container = dict(context)
    return [*own, *_works(works, context)]


def _works(elements: list[etree._Element], context: dict[str, str]) -> Iterator[Registered]:
    for el in elements:
        doi = _doi_data(el)
        if doi is None:
            continue
        record = Registered(doi[0], local(el), el.sourceline, resource=doi[1])
        record.language = el.get("language")
        record.container = dict(context)
        _fill(record, el)
        yield record


NOT_CARRIED = " jatsgen: "  # how a batch's work notes what its source had and it does not


def not_carried_comment(message: str) -> etree._Element:
    """The comment a work of a batch carries for what the deposit could not (a comment may
    not hold '--' nor end with '-')."""
    text = message.replace("--", "- -").rstrip("-")
    return etree.Comment(f"{NOT_CARRIED}{text} ")


def _fill(record: Registered, el: etree._Element) -> None:
    record.not_carried += [
        c.text[len(NOT_CARRIED) :].strip()
        for c in el
        if isinstance(c, etree._Comment) and c.text and c.text.startswith(NOT_CARRIED)
    ]
    for part in el:
        name = local(part)
        if name == "titles":
            titles = [t for t in part if local(t) in ("title", "original_language_title")]
            if titles and not record.title:
                record.title = markup(titles[0])
                record.other_titles += [markup(t) for t in titles[1:]]
            else:
                record.other_titles += [markup(t) for t in titles]
            sub = next((t for t in part if local(t) == "subtitle"), None)
            if sub is not None and record.subtitle is None:
                record.subtitle = markup(sub)
        elif name == "contributors":
            record.people += [
                _person(p) for p in part if local(p) in ("person_name", "organization")
            ]
        elif name in ("publication_date", "acceptance_date", "posted_date"):
            key = name.removesuffix("_date")
            if key in record.dates:  # the same publication in another format
                key = f"{key} {sum(k.startswith(key) for k in record.dates) + 1}"
            record.dates[key] = _date(part)
        elif name == "pages":
            first, last = _text(part, "first_page"), _text(part, "last_page")
            record.pages = f"{first}–{last}" if last else first
        elif name == "publisher_item":
            record.article_number = _text(part, "item_number") or None
        elif name == "abstract":
            record.abstracts.append(
                (part.get("{http://www.w3.org/XML/1998/namespace}lang"), _paragraphs(part))
            )
        elif name == "program":
            _program(record, part)
        elif name == "crossmark":
            _crossmark(record, part)
        elif name == "doi_data":
            record.links += _collections(part)
        elif name == "citation_list":
            record.citations = [_citation(c) for c in part if local(c) == "citation"]


def _crossmark(record: Registered, el: etree._Element) -> None:
    """A Crossmark record: the policy, the updates it makes, and the programs inside it."""
    for part in el:
        name = local(part)
        if name == "crossmark_policy":
            record.container["Crossmark policy"] = _all_text(part)
        elif name == "updates":
            record.updates += [
                f"{u.get('type')} of {_all_text(u)} ({u.get('date')})"
                for u in part
                if local(u) == "update"
            ]
        elif name == "custom_metadata":
            for program in (p for p in part if local(p) == "program"):
                _program(record, program)


def _collections(data: etree._Element) -> list[str]:
    """Full-text links of a doi_data (or a resource deposit's doi_resources)."""
    out = []
    for c in (c for c in data if local(c) == "collection"):
        for item in (i for i in c if local(i) == "item"):
            for res in (r for r in item if local(r) == "resource"):
                mime = res.get("mime_type")
                out.append(
                    f"{c.get('property')}: {_all_text(res)}" + (f" ({mime})" if mime else "")
                )
    return out


def _person(p: etree._Element) -> Person:
    if local(p) == "organization":
        return Person(_all_text(p), p.get("contributor_role") or "author")
    given, surname = _text(p, "given_name"), _text(p, "surname")
    role = p.get("contributor_role") or "author"
    credit = next((r.get("type") for r in p if local(r) == "role" and r.get("type")), None)
    if credit:
        role = f"{role}: {credit}"
    affs = []
    for box in (c for c in p if local(c) == "affiliations"):
        for inst in (i for i in box if local(i) == "institution"):  # not its comments
            parts = [
                _text(inst, n)
                for n in ("institution_name", "institution_department", "institution_place")
            ]
            ror = _text(inst, "institution_id")
            affs.append(", ".join(x for x in (*parts, ror) if x))
    affs += [_all_text(a) for a in p if local(a) == "affiliation"]
    return Person(" ".join(x for x in (given, surname) if x), role, _text(p, "ORCID") or None, affs)


def _event(el: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for label, name in (
        ("Conference", "conference_name"),
        ("Conference theme", "conference_theme"),
        ("Conference acronym", "conference_acronym"),
        ("Conference number", "conference_number"),
        ("Conference place", "conference_location"),
    ):
        if value := _text(el, name):
            out[label] = value
    sponsors = [_all_text(s) for s in el if local(s) == "conference_sponsor"]
    out.update(_numbered("Conference sponsor", sponsors))
    date = next((d for d in el if local(d) == "conference_date"), None)
    if date is not None:
        span = [
            "-".join(
                x
                for x in (
                    date.get(f"{side}_year"),
                    date.get(f"{side}_month"),
                    date.get(f"{side}_day"),
                )
                if x
            )
            for side in ("start", "end")
        ]
        shown = _all_text(date)
        out["Conference dates"] = " to ".join(s for s in span if s) + (
            f" ({shown})" if shown else ""
        )
    return out


def _publication(el: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    kind = {"proceedings_metadata": "Proceedings", "book_metadata": "Book"}.get(
        local(el), "Journal"
    )
    title = _text(el, "proceedings_title") or _text(el, "full_title")
    titles = next((t for t in el if local(t) == "titles"), None)
    if titles is not None:
        title = _text(titles, "title")
    if title:
        out[kind] = title
    if el.get("language"):
        out[f"{kind} language"] = el.get("language") or ""
    for label, name in (("Abbreviated title", "abbrev_title"), ("Subject", "proceedings_subject"),
                        ("Edition", "edition_number")):  # fmt: skip
        if value := _text(el, name):
            out[label] = value
    publisher = next((p for p in el if local(p) == "publisher"), None)
    if publisher is not None:
        out["Publisher"] = ", ".join(
            x
            for x in (_text(publisher, "publisher_name"), _text(publisher, "publisher_place"))
            if x
        )
    for date in (d for d in el if local(d) == "publication_date"):
        out[f"{kind} published"] = _date(date)
    for tag, label in (("isbn", "ISBN"), ("issn", "ISSN")):
        ids = [f"{_all_text(i)} ({i.get('media_type', 'print')})" for i in el if local(i) == tag]
        out.update(_numbered(label, ids))
    return out


def _issue(el: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    volume = next((v for v in el if local(v) == "journal_volume"), None)
    if volume is not None and (value := _text(volume, "volume")):
        out["Volume"] = value
    if value := _text(el, "issue"):
        out["Issue"] = value
    for date in (d for d in el if local(d) == "publication_date"):
        out["Issue published"] = _date(date)
    return out


def _program(record: Registered, el: etree._Element) -> None:
    name = el.get("name")
    if name == "AccessIndicators":
        for ref in el.iter("{*}license_ref"):
            extra = ", ".join(x for x in (ref.get("applies_to"), ref.get("start_date")) if x)
            record.license.append(_all_text(ref) + (f" ({extra})" if extra else ""))
    elif name == "relations":
        for item in el.iter("{*}related_item"):
            for rel in (
                r for r in item if local(r) in ("inter_work_relation", "intra_work_relation")
            ):
                record.relations.append(
                    f"{rel.get('relationship-type')} {_all_text(rel)} "
                    f"({rel.get('identifier-type')})"
                )
    elif name == "fundref":
        for group in (g for g in el if g.get("name") == "fundgroup"):
            names, awards = [], []
            for a in group.iter("{*}assertion"):
                if a.get("name") == "funder_name":
                    names.append((a.text or "").strip())
                elif a.get("name") in ("funder_identifier", "ror"):
                    names.append(f"[{_all_text(a)}]")
                elif a.get("name") == "award_number":
                    awards.append(_all_text(a))
            record.funding.append(" ".join(names) + (f": {', '.join(awards)}" if awards else ""))


def _citation(c: etree._Element) -> Citation:
    text = _text(c, "unstructured_citation")
    if not text:  # a structured citation: its parts in order
        text = ". ".join(_all_text(p) for p in c if local(p) != "doi" and _all_text(p))
    return Citation(c.get("key") or "", text, _text(c, "doi") or None)


def _doi_data(el: etree._Element) -> tuple[str, str] | None:
    data = next((d for d in el if local(d) == "doi_data"), None)
    if data is None:
        return None
    return _text(data, "doi"), _text(data, "resource")


def _date(el: etree._Element) -> str:
    parts = [_text(el, n) for n in ("year", "month", "day")]
    shown = "-".join(p for p in parts if p)
    media = el.get("media_type")
    return f"{shown} ({media})" if media else shown


def _text(el: etree._Element, name: str) -> str:
    child = next((c for c in el if local(c) == name), None)
    return _all_text(child) if child is not None else ""


def _all_text(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _paragraphs(el: etree._Element) -> str:
    paras = [markup(p) for p in el if local(p) == "p"]
    return "\n".join(paras) if paras else markup(el)


def markup(el: etree._Element) -> str:
    """An element's content as safe HTML: text escaped, face markup as the HTML elements
    it means, any other element as its text."""
    out: list[str] = [_escape(el.text or "")]
    for child in el:
        if isinstance(child.tag, str):
            tag = FACES.get(local(child))
            inner = markup(child)
            out.append(f"<{tag}>{inner}</{tag}>" if tag else inner)
        out.append(_escape(child.tail or ""))
    return " ".join("".join(out).split())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def as_json(record: Registered) -> dict[str, Any]:
    """The JSON Lines shape of a record's summary (`preview --format json`)."""
    first = next((p.name for p in record.people if p.role.startswith("author")), None)
    return {
        "doi": record.doi,
        "type": record.kind,
        "title": record.title,
        "language": record.language,
        "first_author": first,
        "pages": record.pages or record.article_number,
        "resource": record.resource,
        "digest": record.digest,
    }
