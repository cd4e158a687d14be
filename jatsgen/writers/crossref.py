"""Crossref deposit XML (schemas 5.3.1, 5.4.0 and 5.5.0) from the model.

One writer; the versions differ only as data in `CrossrefSpec` and a few small branches
(5.5.0 can name a supervisor through a CRediT role, the others cannot). What a version cannot
carry is reported once per kind of loss, never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from lxml import etree

from ..config import DepositConfig
from ..dates import season_code
from ..diagnostics import Diagnostic, Diagnostics
from ..errors import InputError
from ..ids import DOI_RE
from ..model import (
    INTER_WORK,
    INTRA_WORK,
    RELATION_ID_TYPES,
    Abstract,
    Affiliation,
    Article,
    ArticleKind,
    Book,
    Container,
    Contributor,
    FullText,
    Inline,
    Isbn,
    Journal,
    PartialDate,
    Proceedings,
    Relation,
    Source,
    Styled,
    Title,
    Work,
    plain_text,
)
from ..versions import CROSSREF_VERSIONS, crossref_schema_id
from .xmlbuild import Builder, indent

T = TypeVar("T")
JATS_NS = "http://www.ncbi.nlm.nih.gov/JATS1"
REL_NS = "http://www.crossref.org/relations.xsd"
FR_NS = "http://www.crossref.org/fundref.xsd"
AI_NS = "http://www.crossref.org/AccessIndicators.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

# ISO 639-1 codes accepted by the 5.3.1 `language` attribute (language.atts, common5.3.1.xsd).
_LANGS_531 = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu "
    "cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi "
    "ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jw ka kg ki kj kk kl km kn ko kr ks "
    "ku kv kw ky la lb lg li ln lo lt lu lv mg mu mi mk ml mn mr ms mt my na nb nd ne ng nl "
    "nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl "
    "sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve "
    "vi vo wa wo xh yi yo za zh zu".split()
)
# Crossref elements whose content may mix text and face markup: never re-indented. A
# citation is written on one line: a long reference list stays one line per entry.
CROSSREF_MIXED = frozenset(
    {
        "citation",
        "title",
        "subtitle",
        "original_language_title",
        "unstructured_citation",
        "p",
        "full_title",
        "proceedings_title",
        "conference_name",
        "assertion",
        "license_ref",
        "inter_work_relation",
        "intra_work_relation",
        "description",
    }
)
_ROLES = (
    "author",
    "editor",
    "chair",
    "reviewer",
    "review-assistant",
    "stats-reviewer",
    "reviewer-external",
    "reader",
    "translator",
)


@dataclass(frozen=True)
class CrossrefSpec:
    version: str
    isbn_max: int
    credit_roles: bool  # 5.5.0: person_name/role with the CRediT vocabulary
    ror_funders: bool  # 5.4.0+: fr:assertion name="ror"

    @property
    def namespace(self) -> str:
        return f"http://www.crossref.org/schema/{self.version}"

    @property
    def schema_id(self) -> str:
        return crossref_schema_id(self.version)

    def language_ok(self, lang: str | None) -> bool:
        if not lang:
            return False
        if self.version == "5.3.1":
            return lang in _LANGS_531
        return bool(re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", lang))


def _spec(version: str) -> CrossrefSpec:
    """What a schema version can carry: 5.3.1 holds six ISBNs, 5.4.0 added ROR funder ids,
    5.5.0 CRediT roles."""
    v = tuple(int(x) for x in version.split("."))
    return CrossrefSpec(
        version,
        isbn_max=6 if v < (5, 4) else 100,
        credit_roles=v >= (5, 5),
        ror_funders=v >= (5, 4),
    )


SPECS = {v: _spec(v) for v in CROSSREF_VERSIONS}
# Limits of the schemas' content models (all three versions): what is beyond them is a loss.
MAX_CONFERENCE_NAME = 512
MAX_PROCEEDINGS_TITLE = 511
MAX_SPONSORS = 10
MAX_ISSNS = 6
MAX_TITLES = 20
MAX_DATES = 10  # publication_date maxOccurs


@dataclass
class _Lost:
    message: str  # the first work's words
    first: Source | None  # where it happened first
    works: int = 0
    files: int = 0
    last: str | None = None  # the input of the last work counted (works come input by input)


@dataclass
class Losses:
    """What the target cannot carry, reported once per kind for the whole run, with how many
    works and inputs it concerns and the first place it happened (a backfile of 20,000
    articles gets a line per kind, not one per article; each work of a batch names its own
    in a comment, and a preview shows them per DOI)."""

    found: dict[str, _Lost] = field(default_factory=dict)

    def add(self, code: str, message: str, at: Source | None) -> None:
        lost = self.found.get(code)
        if lost is None:
            lost = self.found[code] = _Lost(message, at)
        lost.works += 1
        path = at.path if at else None
        if lost.files == 0 or path != lost.last:
            lost.files += 1
            lost.last = path

    def report(self, diags: Diagnostics) -> None:
        for code, lost in self.found.items():
            inputs = f" in {lost.files} inputs" if lost.files > 1 else ""
            times = f" ({lost.works} works{inputs}; this is the first)" if lost.works > 1 else ""
            at = lost.first or Source("<record>")
            diags.add(Diagnostic("warning", lost.message + times, at.path, at.line, None, None,
                                 code, at.row))  # fmt: skip


def container_key(c: Container | None) -> tuple[object, ...]:
    if c is None:
        return ("none",)
    title = c.titles[0].text if c.titles else ""
    if isinstance(c, Journal):
        return ("journal", title, tuple(i.value for i in c.issns), c.volume, c.issue)
    return (type(c).__name__, title, tuple(i.value for i in c.isbns))


class CrossrefWriter:
    """Builds the parts of a batch as lxml elements."""

    def __init__(
        self,
        spec: CrossrefSpec,
        config: DepositConfig,
        diags: Diagnostics,
        losses: Losses | None = None,
    ) -> None:
        self.spec = spec
        self.config = config
        self.diags = diags
        self.losses = losses or Losses()
        self.nsmap: dict[str | None, str] = {
            None: spec.namespace,
            "jats": JATS_NS,
            "fr": FR_NS,
            "ai": AI_NS,
            "rel": REL_NS,
            "xsi": XSI_NS,
        }
        # Only fragment roots (see `element`) carry the namespace map; children inherit it.
        self.b = Builder(diags, namespace=spec.namespace)
        # Set to {} by a caller that serializes with `fragment_bytes(..., prebuilt)`: each
        # reference list is then written here as bytes, and its element is a placeholder
        self.prebuilt: dict[str, list[str]] | None = None

    def element(self, tag: str, *children: object) -> etree._Element:
        """A fragment root: carries the namespace map so it serializes on its own."""
        el = etree.Element(f"{{{self.spec.namespace}}}{tag}", nsmap=self.nsmap)
        return self.b.fill(el, children)

    # --- head ------------------------------------------------------------------------------

    def head(self, batch_id: str, timestamp: int) -> etree._Element:
        b = self.b
        return self.element(
            "head",
            b("doi_batch_id", batch_id),
            b("timestamp", str(timestamp)),
            b(
                "depositor",
                b("depositor_name", self.config.depositor_name),
                b("email_address", self.config.depositor_email),
            ),
            b("registrant", self.config.registrant),
        )

    # --- containers -------------------------------------------------------------------------

    def pick_title(self, titles: list[Title], at: Source | None, what: str) -> Title:
        """The title to deposit (the config's language, else the first); the others are
        reported as not carried. None at all is a located error: Crossref needs one."""
        if not titles:
            raise InputError(
                Diagnostic.at_source(
                    "error",
                    f"the {what} has no title, and a Crossref deposit needs one",
                    at,
                    "crossref.missing",
                )
            )
        want = self.config.title_language
        chosen = next((t for t in titles if want and t.lang == want), titles[0])
        others = [t.lang or "?" for t in titles if t is not chosen]
        if others:
            self.losses.add(
                f"crossref.{what.replace(' ', '-')}-titles",
                f"{what} titles in {', '.join(others)} are not carried: Crossref "
                f"holds one {what} title (set [crossref] title_language to choose)",
                at,
            )
        return chosen

    def fit(self, items: list[T], limit: int, what: str, at: Source | None) -> list[T]:
        """The first `limit` items; what is beyond the schema's limit is a reported loss."""
        if len(items) > limit:
            self.losses.add(
                f"crossref.too-many-{what.lower().replace(' ', '-')}",
                f"only {limit} {what} fit in schema {self.spec.version}; "
                f"{len(items) - limit} more are not carried",
                at,
            )
        return items[:limit]

    def shorten(self, text: str, limit: int, what: str, at: Source | None) -> str:
        """`text` cut to the schema's maximum length, with a reported loss if it was longer."""
        if len(text) > limit:
            self.losses.add(
                f"crossref.long-{what.replace(' ', '-')}",
                f"the {what} is {len(text)} characters; schema {self.spec.version} holds "
                f"{limit}, so it is cut",
                at,
            )
        return text[:limit]

    def publisher(self, c: Container) -> etree._Element | None:
        b = self.b
        pub = c.publisher
        name = pub.name if pub else self.config.publisher_name
        place = pub.place if pub else self.config.publisher_place
        if not name:
            return None
        return b(
            "publisher", b("publisher_name", name), b("publisher_place", place) if place else None
        )

    def container_head(self, c: Container, first: Article) -> list[etree._Element]:
        """The metadata elements that open a conference, journal or book element; `first`,
        the first work of the container, may lend it a date, and locates what it reports."""
        at = first.source
        if isinstance(c, Proceedings):
            editors = self.people(c.contributors, [], at)
            return [
                *([self.element("contributors", editors)] if editors else []),
                self.event_metadata(c, at),
                self.proceedings_metadata(c, first, at),
            ]
        if isinstance(c, Journal):
            return [self.journal_metadata(c, at), *self.journal_issue(c, first)]
        return [self.book_metadata(c, first, at)]

    def event_metadata(self, c: Proceedings, at: Source | None) -> etree._Element:
        b = self.b
        ev = c.event
        names = ev.names if ev and ev.names else c.titles
        name = self.pick_title(names, at, "conference name")
        date = None
        if ev and ev.start:
            s, e = ev.start, ev.end
            attrs: dict[str, str | None] = {
                "start_day": _two(s.day),
                "start_month": _two(s.month),
                "start_year": str(s.year),
            }
            if e:
                attrs.update(end_day=_two(e.day), end_month=_two(e.month), end_year=str(e.year))
            date = b("conference_date", attrs, ev.date_text or s.iso())
        return self.element(
            "event_metadata",
            b(
                "conference_name",
                self.shorten(name.text, MAX_CONFERENCE_NAME, "conference name", at),
            ),
            b("conference_theme", ev.theme) if ev and ev.theme else None,
            b("conference_acronym", ev.acronym) if ev and ev.acronym else None,
            [
                b("conference_sponsor", s)
                for s in self.fit(ev.sponsors if ev else [], MAX_SPONSORS, "sponsors", at)
            ],
            b("conference_number", ev.number) if ev and ev.number else None,
            b("conference_location", ev.location) if ev and ev.location else None,
            date,
        )

    def proceedings_metadata(
        self, c: Proceedings, first: Article, at: Source | None
    ) -> etree._Element:
        b = self.b
        title = self.pick_title(c.titles, at, "proceedings")
        published = c.published or first.published
        if published is None:
            raise missing(
                first,
                "Crossref proceedings need a publication date; give the "
                "container's 'published' year or a conference date",
            )
        return self.element(
            "proceedings_metadata",
            {"language": title.lang if self.spec.language_ok(title.lang) else None},
            b(
                "proceedings_title",
                self.shorten(title.text, MAX_PROCEEDINGS_TITLE, "proceedings title", at),
            ),
            b("proceedings_subject", c.subject) if c.subject else None,
            self.publisher(c),
            self.publication_dates([published], at),
            self.isbns(c.isbns, at),
            self.container_doi(c, at),
        )

    def isbns(self, isbns: list[Isbn], at: Source | None) -> list[etree._Element]:
        b = self.b
        if not isbns:
            return [b("noisbn", {"reason": "archive_volume"})]
        return [
            b("isbn", {"media_type": i.media_type}, i.value)
            for i in self.fit(isbns, self.spec.isbn_max, "ISBNs", at)
        ]

    def journal_metadata(self, c: Journal, at: Source | None) -> etree._Element:
        b = self.b
        titles = c.titles
        stand_in = c.abbrev_title or c.journal_id
        if not titles and stand_in:  # old PLOS and BMJ files have only an abbreviation
            titles = [Title(stand_in)]
            self.diags.add(
                Diagnostic.at_source(
                    "warning",
                    f"the journal has no full title (journal-title); {stand_in!r}, its "
                    "abbreviated title or id, is deposited as its full_title",
                    at,
                    "crossref.journal-title",
                )
            )
        title = self.pick_title(titles, at, "journal")
        return self.element(
            "journal_metadata",
            {"language": title.lang if self.spec.language_ok(title.lang) else None},
            b("full_title", title.text),
            b("abbrev_title", c.abbrev_title) if c.abbrev_title else None,
            [
                b("issn", {"media_type": i.media_type}, i.value)
                for i in self.fit(c.issns, MAX_ISSNS, "ISSNs", at)
            ],
        )

    def journal_issue(self, c: Journal, first: Article) -> list[etree._Element]:
        published = c.published or first.published
        if not (c.volume or c.issue) or published is None:
            return []
        b = self.b
        editors = self.people(c.contributors, [], first.source)
        return [
            self.element(
                "journal_issue",
                b("contributors", editors) if editors else None,
                self.publication_dates([published], first.source),
                b("journal_volume", b("volume", c.volume)) if c.volume else None,
                b("issue", c.issue) if c.issue else None,
            )
        ]

    def book_metadata(self, c: Book, first: Article, at: Source | None) -> etree._Element:
        b = self.b
        title = self.pick_title(c.titles, at, "book")
        published = c.published or first.published
        if published is None:
            raise missing(
                first,
                "a Crossref book needs a publication date; give the container's 'published' date",
            )
        if c.publisher is None and not self.config.publisher_name:
            raise missing(
                first,
                "a Crossref book needs a publisher; give the container's "
                "'publisher' or [publisher] name in the config",
            )
        editors = self.people(c.contributors, [], at)
        return self.element(
            "book_metadata",
            {"language": title.lang if self.spec.language_ok(title.lang) else None},
            b("contributors", editors) if editors else None,
            b("titles", b("title", title.text)),
            b("edition_number", c.edition) if c.edition else None,
            self.publication_dates([published, *c.more_published], at),
            self.isbns(c.isbns, at),
            self.publisher(c),
            self.container_doi(c, at),
        )

    def container_doi(self, c: Proceedings | Book, at: Source | None) -> etree._Element | None:
        """The volume's or book's own DOI, which needs its landing page."""
        if c.doi and not c.url:
            self.losses.add(
                "crossref.container-doi",
                f"the {type(c).__name__.lower()}'s DOI {c.doi} is not carried: it has no "
                "landing page (url of the container in a record, self-uri in the book-meta)",
                at,
            )
        return self.doi_data(c.doi, c.url) if c.doi and c.url else None

    # --- works ------------------------------------------------------------------------------

    def work(self, w: Work) -> etree._Element:
        a = w.article
        c = a.container
        if not a.title.text:
            raise missing(a, "a Crossref deposit needs the work's title, and its title is empty")
        self.note_losses(a)
        if a.kind is ArticleKind.POSTED_CONTENT:
            return self.posted_content(w)
        if isinstance(c, Journal):
            return self.journal_article(w)
        if isinstance(c, Book):
            return self.content_item(w)
        return self.conference_paper(w)

    def note_losses(self, a: Article) -> None:
        at = a.source
        kind = {Journal: "journal_article", Book: "content_item"}.get(
            type(a.container), "conference_paper"
        )
        if a.keywords:
            self.losses.add(
                "crossref.keywords",
                f"keywords are not carried: Crossref {kind} has no keywords element",
                at,
            )
        if a.classifications:
            schemes = ", ".join(sorted({c.scheme.upper() for c in a.classifications}))
            self.losses.add(
                "crossref.classifications",
                f"classifications ({schemes}) are not carried: Crossref has no element for them",
                at,
            )
        if a.section:
            self.losses.add(
                "crossref.section",
                f"the collection section is not carried: Crossref {kind} has no section element",
                at,
            )
        if a.received:
            self.losses.add(
                "crossref.received",
                "the received date is not carried: Crossref "
                "has only publication and acceptance dates",
                at,
            )

    def common_parts(self, w: Work) -> dict[str, object]:
        a = w.article
        b = self.b
        pages = None
        item = None
        if a.fpage:
            pages = b(
                "pages",
                b("first_page", a.fpage),
                b("last_page", a.lpage) if a.lpage and a.lpage != a.fpage else None,
            )
        elif a.article_number:
            item = b(
                "publisher_item",
                b("item_number", {"item_number_type": "article_number"}, a.article_number),
            )
        dates = a.publication_dates or (
            [a.container.published] if a.container and a.container.published else []
        )
        return {
            "contributors": self.contributors(a),
            "abstracts": [self.abstract(x) for x in a.abstracts],
            "published": self.publication_dates(dates, a.source) or None,
            "accepted": self.date("acceptance_date", a.accepted, at=a.source)
            if a.accepted
            else None,
            "pages": pages,
            "item": item,
            # (a preprint's posted_content has no place for a Crossmark record)
            "programs": self.programs(a, crossmark=a.kind is not ArticleKind.POSTED_CONTENT),
            "relations": self.relations(a),
            "doi_data": self.doi_data(w.doi, w.resource, a.full_text),
            "citations": self.citations(a),
            "lang": a.language if self.spec.language_ok(a.language) else None,
        }

    def single_titles(self, w: Work, kind: str) -> etree._Element:
        """The `titles` of a work type that holds one title and its original: the title in
        [crossref] title_language (else English, else the work's own) as `title`, and the
        work's own title as `original_language_title` when that is another. A title in a
        third language is reported, by language."""
        a = w.article
        want = self.config.title_language or ("en" if a.title.lang != "en" else None)
        chosen = next((t for t in a.trans_titles if want and t.lang == want), None)
        left = [t for t in a.trans_titles if t is not chosen]
        if left:
            langs = ", ".join(t.lang or "no language" for t in left)
            named = "; ".join(f"[{t.lang or '?'}] {t.text}" for t in left)
            self.losses.add(
                "crossref.translated-titles",
                f"translated titles in {langs} are not carried ({named}): a Crossref {kind} "
                "holds one title and the title in its original language (set [crossref] "
                "title_language to choose which translation)",
                w.source,
            )
        if chosen is None:
            return self.titles(a.title)
        return self.titles(chosen, original=a.title)

    def conference_paper(self, w: Work) -> etree._Element:
        p = self.common_parts(w)
        return self.element(
            "conference_paper",
            {"publication_type": "full_text", "language": p["lang"]},
            p["contributors"],
            self.single_titles(w, "conference_paper"),
            [p[part] for part in _AFTER_TITLES],
        )

    def journal_article(self, w: Work) -> etree._Element:
        p = self.common_parts(w)
        a = w.article
        titles = [self.titles(t) for t in self.fit(a.all_titles, MAX_TITLES, "titles", a.source)]
        if p["published"] is None:
            raise missing(
                a,
                "a Crossref journal_article needs a publication date, and the article has none "
                "(a pub-date in JATS, dates.published in a record)",
            )
        return self.element(
            "journal_article",
            {"publication_type": "full_text", "language": p["lang"]},
            titles,
            p["contributors"],
            [p[part] for part in _AFTER_TITLES],
        )

    def content_item(self, w: Work) -> etree._Element:
        p = self.common_parts(w)
        return self.element(
            "content_item",
            {"component_type": "chapter", "publication_type": "full_text", "language": p["lang"]},
            p["contributors"],
            self.single_titles(w, "content_item"),
            [p[part] for part in _AFTER_TITLES],
        )

    def titles(self, t: Title, original: Title | None = None) -> etree._Element:
        b = self.b

        def text(x: Title) -> list[object]:
            return list(face_markup(b, x.markup, "")) if x.markup else [x.text]

        return b(
            "titles",
            b("title", text(t)),
            b("subtitle", t.subtitle) if t.subtitle else None,
            [
                b(
                    "original_language_title",
                    {"language": original.lang if self.spec.language_ok(original.lang) else None},
                    text(original),
                ),
                b("subtitle", original.subtitle) if original.subtitle else None,
            ]
            if original is not None
            else None,
        )

    def posted_content(self, w: Work) -> etree._Element:
        """A preprint: no container element; the posting server is its institution."""
        p = self.common_parts(w)
        a = w.article
        if p["published"] is None:
            raise missing(a, "a Crossref posted_content needs a posted date; give dates.published")
        server = a.container.titles[0].text if a.container and a.container.titles else None
        posted = self.date("posted_date", a.published, at=a.source) if a.published else None
        item = (
            self.b("item_number", {"item_number_type": "article_number"}, a.article_number)
            if a.article_number
            else None
        )
        b = self.b
        return self.element(
            "posted_content",
            {"type": "preprint", "language": p["lang"]},
            b("group_title", a.section) if a.section else None,
            p["contributors"],
            self.single_titles(w, "posted_content"),
            posted,
            p["accepted"],
            b("institution", b("institution_name", server)) if server else None,
            item,
            p["abstracts"],
            p["programs"],
            p["relations"],
            p["doi_data"],
            p["citations"],
        )

    def contributors(self, a: Article) -> etree._Element | None:
        people = self.people(a.contributors, a.affiliations, a.source)
        return self.b("contributors", people) if people else None

    def people(
        self, contributors: list[Contributor], affiliations: list[Affiliation], at: Source | None
    ) -> list[etree._Element]:
        """person_name and organization elements, the first one marked first."""
        out: list[etree._Element] = []
        for c in contributors:
            el = self.person(c, affiliations, at, first=not out)
            if el is not None:
                out.append(el)
        return out

    def person(
        self, c: Contributor, affiliations: list[Affiliation], at: Source | None, first: bool
    ) -> etree._Element | None:
        b = self.b
        role: str | None = c.role if c.role in _ROLES else None
        credit = None
        if role is None:
            if c.role == "supervisor" and self.spec.credit_roles:
                role, credit = "other", "supervision"
            else:
                name = " ".join(x for x in (c.given_names, c.surname) if x) or c.collab or "?"
                self.losses.add(
                    f"crossref.role-{c.role}",
                    f"the {c.role} {name} is not carried ({c.role}s are not): schema "
                    f"{self.spec.version} has no {c.role} role for contributors",
                    at,
                )
                return None
        attrs = {"sequence": "first" if first else "additional", "contributor_role": role}
        if c.collab:
            if c.affiliation_ids:
                self.losses.add(
                    "crossref.collab-affiliations",
                    "affiliations of group authors "
                    "are not carried: a Crossref organization has none",
                    at,
                )
            return b("organization", attrs, c.collab)
        surname, given = c.surname, c.given_names
        if not surname:  # a single name: Crossref requires a surname element
            surname, given = given, None
            attrs["name-style"] = "given-only"
        elif c.name_style != "western":
            attrs["name-style"] = c.name_style
        by_id = {x.id: x for x in affiliations}
        affs = [by_id[i] for i in c.affiliation_ids if i in by_id]
        if len(affs) < len(c.affiliation_ids):
            self.losses.add(
                "crossref.editor-affiliations",
                "affiliations of a volume's or book's editors are not carried: jatsgen "
                "deposits a container's contributors by name and ORCID",
                at,
            )
        return b(
            "person_name",
            attrs,
            b("given_name", given) if given else None,
            b("surname", surname or "?"),
            b("role", {"vocab": "credit", "type": credit}) if credit else None,
            b("affiliations", [self.institution(x) for x in affs]) if affs else None,
            b("ORCID", {"authenticated": "true" if c.orcid_authenticated else None}, c.orcid)
            if c.orcid
            else None,
        )

    def institution(self, x: Affiliation) -> etree._Element:
        b = self.b
        place = ", ".join(p for p in (x.city, x.country or x.country_code) if p)
        name = x.institution or x.text
        return b(
            "institution",
            b("institution_name", name) if name else None,
            b("institution_id", {"type": "ror"}, x.ror) if x.ror else None,
            b("institution_place", place) if len(place) >= 2 else None,
            b("institution_department", x.department) if x.department else None,
        )

    def abstract(self, x: Abstract) -> etree._Element:
        b = self.b
        paras = (
            [b(f"{{{JATS_NS}}}p", face_markup(b, p, JATS_NS)) for p in x.markup]
            if x.markup
            else [b(f"{{{JATS_NS}}}p", p) for p in x.paragraphs]
        )
        return b(f"{{{JATS_NS}}}abstract", {"xml:lang": x.lang}, paras)

    def publication_dates(
        self, dates: list[PartialDate], at: Source | None
    ) -> list[etree._Element]:
        """A publication_date per date and format (print, online, other): a date's own format,
        else the config's media_type; the same date in the same format once."""
        seen: set[tuple[str, str]] = set()
        out = []
        for d in dates:
            media = d.media or self.config.media_type
            if (media, str(d)) in seen:
                continue
            seen.add((media, str(d)))
            out.append(self.date("publication_date", d, {"media_type": media}, at))
        return self.fit(out, MAX_DATES, "publication dates", at)

    def date(
        self,
        tag: str,
        d: PartialDate,
        attrs: dict[str, str] | None = None,
        at: Source | None = None,
    ) -> etree._Element:
        """A Crossref date: month, day, year; a season or quarter as its month code."""
        b = self.b
        month = _two(d.month)
        if d.season:
            month = str(season_code(d.season) or "") or None
            if month is None:
                self.losses.add(
                    "crossref.season",
                    f"the season {d.season!r} has no Crossref month code (spring, summer, "
                    "autumn, winter, Q1-Q4); only its year is deposited",
                    at,
                )
        return b(
            tag,
            attrs or {},
            b("month", month) if month else None,
            b("day", _two(d.day)) if d.day and d.month else None,
            b("year", str(d.year)),
        )

    def funding(self, a: Article) -> etree._Element | None:
        if not a.funding:
            return None
        b = self.b
        groups = []
        for f in a.funding:
            ident = None
            if f.funder_id:
                if "ror.org" in f.funder_id:
                    if self.spec.ror_funders:
                        ident = b(f"{{{FR_NS}}}assertion", {"name": "ror"}, f.funder_id)
                    else:
                        self.losses.add(
                            "crossref.ror-funder",
                            "ROR funder ids are not carried by schema 5.3.1 (use 5.4.0+)",
                            a.source,
                        )
                else:
                    ident = b(f"{{{FR_NS}}}assertion", {"name": "funder_identifier"}, f.funder_id)
            name = (
                b(f"{{{FR_NS}}}assertion", {"name": "funder_name"}, f.funder_name or "", ident)
                if f.funder_name
                else ident
            )
            groups.append(
                b(
                    f"{{{FR_NS}}}assertion",
                    {"name": "fundgroup"},
                    name,
                    [b(f"{{{FR_NS}}}assertion", {"name": "award_number"}, x) for x in f.award_ids],
                )
            )
        return b(f"{{{FR_NS}}}program", {"name": "fundref"}, groups)

    def programs(self, a: Article, crossmark: bool = True) -> list[etree._Element | None]:
        """The funding and licence programs; inside a Crossmark record when the config names
        a Crossmark policy (the schema puts them there then), with the updates this work makes."""
        programs = [self.funding(a), self.license(a)]
        cm = self.config.crossmark_policy if crossmark else None
        if not cm:
            if a.updates:
                kinds = "/".join(sorted({u.type for u in a.updates}))
                why = (
                    "a Crossmark update needs a Crossmark policy: set [crossmark] policy (the "
                    "policy page's DOI) to carry it"
                    if crossmark
                    else "a Crossref posted_content has no Crossmark record"
                )
                self.losses.add(
                    "crossref.crossmark-policy" if crossmark else "crossref.crossmark-preprint",
                    f"this work is a {kinds} notice of {_listed([u.doi for u in a.updates])}, "
                    f"but {why}; the notice itself is deposited",
                    a.source,
                )
            return programs
        updates = self.updates(a)
        b = self.b
        kept = [p for p in programs if p is not None]
        return [
            b(
                "crossmark",
                b("crossmark_policy", cm),
                b(
                    "crossmark_domains",
                    [b("crossmark_domain", b("domain", d)) for d in self.config.crossmark_domains],
                )
                if self.config.crossmark_domains
                else None,
                b(
                    "crossmark_domain_exclusive",
                    "true" if self.config.crossmark_exclusive else "false",
                ),
                b("updates", updates) if updates else None,
                b("custom_metadata", kept) if kept else None,
            )
        ]

    def updates(self, a: Article) -> list[etree._Element]:
        out = []
        for u in a.updates:
            when = u.date or a.published or (a.container.published if a.container else None)
            if when is None or when.day is None or when.month is None:
                self.losses.add(
                    "crossref.update-date",
                    f"the {u.type} notice for {u.doi} is not carried as a Crossmark update: "
                    "an update needs its full date (year, month and day); give the notice's "
                    "publication date",
                    a.source,
                )
                continue
            out.append(self.b("update", {"type": u.type, "date": when.iso()}, u.doi))
        return out

    def license(self, a: Article) -> etree._Element | None:
        lic = a.license
        b = self.b
        refs = []
        if lic is not None and lic.url:
            start = lic.start_date.iso() if lic.start_date and lic.start_date.day else None
            refs.append(
                b(f"{{{AI_NS}}}license_ref", {"applies_to": "vor", "start_date": start}, lic.url)
            )
        tdm = sorted({f.license for f in a.full_text if f.purpose == "text-mining" and f.license})
        refs += [b(f"{{{AI_NS}}}license_ref", {"applies_to": "tdm"}, url) for url in tdm]
        if not refs:
            return None
        return b(f"{{{AI_NS}}}program", {"name": "AccessIndicators"}, refs)

    def relations(self, a: Article) -> etree._Element | None:
        items = [x for x in (self.relation(r, a.source) for r in a.relations) if x is not None]
        if not items:
            return None
        return self.b(f"{{{REL_NS}}}program", {"name": "relations"}, items)

    def relation(self, r: Relation, at: Source | None) -> etree._Element | None:
        b = self.b
        tag = "intra_work_relation" if r.type in INTRA_WORK else "inter_work_relation"
        if r.type not in INTRA_WORK | INTER_WORK or r.id_type not in RELATION_ID_TYPES:
            self.losses.add(
                "crossref.relation-type",
                f"the relation {r.type} {r.id} ({r.id_type}) is not carried: Crossref has no "
                "such relation or identifier type",
                at,
            )
            return None
        return b(
            f"{{{REL_NS}}}related_item",
            b(f"{{{REL_NS}}}description", r.description) if r.description else None,
            b(
                f"{{{REL_NS}}}{tag}",
                {"relationship-type": r.type, "identifier-type": r.id_type},
                r.id,
            ),
        )

    def doi_data(
        self,
        doi: str,
        resource: str,
        full_text: list[FullText] | None = None,
    ) -> etree._Element:
        b = self.b
        return b("doi_data", b("doi", doi), b("resource", resource), self.collections(full_text))

    def collections(self, full_text: list[FullText] | None) -> list[etree._Element]:
        """Full-text links: Similarity Check's crawler (`crawler-based`, iParadigms) and text
        and data mining (`text-mining`, with MIME types)."""
        b = self.b
        crawl = [f for f in full_text or [] if f.purpose == "similarity-check"]
        mine = [f for f in full_text or [] if f.purpose == "text-mining"]
        out = []
        if crawl:
            out.append(
                b(
                    "collection",
                    {"property": "crawler-based"},
                    [b("item", {"crawler": "iParadigms"}, b("resource", f.url)) for f in crawl],
                )
            )
        if mine:
            out.append(
                b(
                    "collection",
                    {"property": "text-mining"},
                    [b("item", b("resource", {"mime_type": f.mime_type}, f.url)) for f in mine],
                )
            )
        return out

    def citations(self, a: Article) -> etree._Element | None:
        """The reference list: most of a work's elements. With `prebuilt` set, its lines
        are written here as lxml would serialize them, and the element returned is a
        placeholder that `fragment_bytes` replaces (building and indenting its elements was
        an eighth of a backfile's run; tests/test_throughput.py holds the two alike)."""
        if not a.references:
            return None
        q = self.b.qname
        if self.prebuilt is not None:
            mark = str(len(self.prebuilt))
            self.prebuilt[mark] = [
                f'<citation key="{escape_attribute(key)}">'
                + (f"<doi>{escape_text(doi)}</doi>" if doi is not None else "")
                + f"<unstructured_citation>{escape_text(text)}</unstructured_citation>"
                "</citation>"
                for key, doi, text in self._citation_parts(a)
            ]
            return etree.Element(q("citation_list"), {SPLICE: mark})
        citation, doi_tag, unstructured = q("citation"), q("doi"), q("unstructured_citation")
        out = etree.Element(q("citation_list"))
        for key, doi, text in self._citation_parts(a):
            c = etree.SubElement(out, citation, key=key)
            if doi is not None:
                etree.SubElement(c, doi_tag).text = doi
            etree.SubElement(c, unstructured).text = text
        return out

    def _citation_parts(self, a: Article) -> Iterator[tuple[str, str | None, str]]:
        """Each citation's key, DOI (None: it has none, or one that is not a DOI, said) and
        text, cleaned."""
        clean = self.b.clean
        seen: set[str] = set()
        for i, r in enumerate(a.references, start=1):
            key = r.id if r.id not in seen else f"{r.id}-{i}"
            seen.add(key)
            key = clean(key[:128])
            doi = None
            if r.doi and DOI_RE.match(r.doi):
                doi = clean(r.doi)
            elif r.doi:  # a reader let a non-DOI through: the citation goes without it
                self.losses.add(
                    "crossref.citation-doi",
                    f"citation DOI {r.doi!r} is not of the form 10.NNNN/suffix; the citation is "
                    "deposited without it",
                    a.source,
                )
            yield key, doi, clean(r.text)


# What follows the titles and contributors in conference_paper, journal_article and
# content_item, in the order the schema requires (the keys of `common_parts`).
_AFTER_TITLES = (
    "abstracts",
    "published",
    "accepted",
    "pages",
    "item",
    "programs",
    "relations",
    "doi_data",
    "citations",
)

# Crossref face markup (and the JATS names used inside jats:abstract) for our inline styles.
_FACES = {
    "bold": "b",
    "italic": "i",
    "sup": "sup",
    "sub": "sub",
    "underline": "u",
    "sc": "scp",
    "monospace": "tt",
}


def face_markup(b: Builder, nodes: list[Inline], jats_ns: str) -> list[etree._Element | str]:
    """Inline content as Crossref face markup (or JATS inline elements inside jats:abstract):
    styles kept as elements, links and citations as their text."""
    out: list[etree._Element | str] = []
    for n in nodes:
        if isinstance(n, Styled):
            tag = f"{{{jats_ns}}}{n.style}" if jats_ns else _FACES.get(n.style, "i")
            out.append(b(tag, face_markup(b, n.children, jats_ns)))
        else:
            out.append(plain_text([n]))
    return out


def missing(a: Article, message: str) -> InputError:
    """A located error for a fact the target requires and the record lacks."""
    return InputError(Diagnostic.at_source("error", message, a.source, "crossref.missing"))


def _listed(items: list[str], most: int = 3) -> str:
    """'a, b, c and 6 more'."""
    more = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(items[:most]) + more


def _two(n: int | None) -> str | None:
    return f"{n:02d}" if n is not None else None


def fragment_bytes(
    el: etree._Element,
    level: int,
    declarations: bytes,
    prebuilt: dict[str, list[str]] | None = None,
) -> bytes:
    """`el` serialized and indented for `level`, without the namespace declarations that the
    enclosing doi_batch already makes; the placeholders of `prebuilt` reference lists (see
    `CrossrefWriter.citations`) replaced by their lines, indented as `indent` would."""
    indent(el, level, CROSSREF_MIXED)
    data = bytes(etree.tostring(el, encoding="utf-8").replace(declarations, b"", 1))
    for mark, lines in (prebuilt or {}).items():
        placeholder = f'<citation_list {SPLICE}="{mark}"/>'.encode()
        at = data.find(placeholder)
        if at < 0:
            continue  # (a list the caller left out of `el`)
        line_start = data.rfind(b"\n", 0, at) + 1
        pad = data[line_start:at]
        if line_start and not pad.strip(b" "):  # its parent was indented: so is the list
            inner = b"\n" + pad + b"  "
            body = inner + inner.join(line.encode() for line in lines) + b"\n" + pad
        else:
            body = "".join(lines).encode()
        end = at + len(placeholder)
        data = data[:at] + b"<citation_list>" + body + b"</citation_list>" + data[end:]
    return data


SPLICE = "jatsgen-prebuilt"  # the placeholder's attribute (no schema allows it: never sent)


# What libxml2 writes for a character when it serializes UTF-8 ("&" first: the others add one)
_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
_ATTRIBUTE_ESCAPES = (*_TEXT_ESCAPES, ('"', "&quot;"), ("\n", "&#10;"), ("\t", "&#9;"))


def escape_text(text: str) -> str:
    """Text content escaped as libxml2 serializes it (UTF-8 out: other characters as they are)."""
    return _escaped(text, _TEXT_ESCAPES)


def escape_attribute(value: str) -> str:
    """An attribute value escaped as libxml2 serializes it between double quotes."""
    return _escaped(value, _ATTRIBUTE_ESCAPES)


def _escaped(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
    for char, written in escapes:
        text = text.replace(char, written)  # (the same string back when it has none)
    return text


def namespace_declarations(nsmap: dict[str | None, str]) -> bytes:
    probe: bytes = etree.tostring(etree.Element("x", nsmap=nsmap), encoding="utf-8")
    return bytes(probe[len(b"<x") : -len(b"/>")])
