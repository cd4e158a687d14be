"""The model as a JATS article: Journal Publishing 1.3 (default) or 1.4, or Archiving.

Only what the model holds is written; facts the target cannot hold are reported, never
invented. Every in-text citation's `rid` points at a `ref` written in the same file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from ..diagnostics import Diagnostic, Diagnostics
from ..model import (
    STYLES,
    Abstract,
    Affiliation,
    Article,
    Block,
    Book,
    CiteRef,
    Contributor,
    Email,
    Inline,
    Journal,
    Link,
    ListBlock,
    Paragraph,
    PartialDate,
    Proceedings,
    Reference,
    Section,
    Styled,
    Table,
    Text,
    Title,
)
from ..versions import DEFAULT_JATS_VERSION, DEFAULT_TAG_SET, JATS_VERSIONS, TAG_SETS
from ..versions import jats_schema_id as _schema_id
from .xmlbuild import Builder, serialize

DOCTYPES = {
    ("publishing", "1.3"): (
        "-//NLM//DTD JATS (Z39.96) Journal Publishing DTD v1.3 20210610//EN",
        "JATS-journalpublishing1-3.dtd",
    ),
    ("publishing", "1.4"): (
        "-//NLM//DTD JATS (Z39.96) Journal Publishing DTD v1.4 20241031//EN",
        "JATS-journalpublishing1-4.dtd",
    ),
    ("archiving", "1.3"): (
        "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.3 20210610//EN",
        "JATS-archivearticle1-3.dtd",
    ),
    ("archiving", "1.4"): (
        "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.4 20241031//EN",
        "JATS-archivearticle1-4.dtd",
    ),
}
_NSMAP: dict[str | None, str] = {
    "xlink": "http://www.w3.org/1999/xlink",
    "mml": "http://www.w3.org/1998/Math/MathML",
    "ali": "http://www.niso.org/schemas/ali/1.0/",
}
_CREDIT = {
    "supervisor": ("Supervision", "https://credit.niso.org/contributor-roles/supervision/"),
}
_ID_RE = re.compile(r"^[A-Za-z_][\w.-]*$")


@dataclass(frozen=True)
class JatsOptions:
    version: str = DEFAULT_JATS_VERSION
    tag_set: str = DEFAULT_TAG_SET

    @property
    def schema_id(self) -> str:
        """The official schema set that judges this output."""
        return _schema_id(self.version, self.tag_set)

    def __post_init__(self) -> None:
        if self.version not in JATS_VERSIONS:
            raise ValueError(f"JATS version {self.version!r}; choose one of {JATS_VERSIONS}")
        if self.tag_set not in TAG_SETS:
            raise ValueError(f"JATS tag set {self.tag_set!r}; choose one of {TAG_SETS}")


def to_jats(
    article: Article, options: JatsOptions | None = None, diags: Diagnostics | None = None
) -> bytes:
    """The article as JATS XML bytes (UTF-8, with XML declaration and DOCTYPE)."""
    options = options or JatsOptions()
    diags = diags if diags is not None else Diagnostics()
    writer = _JatsWriter(article, options, diags)
    root = writer.article()
    public, system = DOCTYPES[(options.tag_set, options.version)]
    return serialize(root, doctype=f'<!DOCTYPE article PUBLIC "{public}" "{system}">')


# Crossmark update types -> JATS related-article-type and the notice's article-type
UPDATE_ARTICLE_TYPES = {
    "correction": "corrected-article",
    "corrigendum": "corrected-article",
    "erratum": "corrected-article",
    "retraction": "retracted-article",
    "partial_retraction": "partial-retraction",
    "expression_of_concern": "object-of-concern",
    "addendum": "addended-article",
    "removal": "removed-article",
    "withdrawal": "withdrawn-article",
}
NOTICE_OF = {
    "correction": "correction",
    "corrigendum": "correction",
    "erratum": "correction",
    "retraction": "retraction",
    "partial_retraction": "retraction",
    "expression_of_concern": "expression-of-concern",
    "addendum": "addendum",
    "removal": "removal",
}


def _pub_attrs(d: PartialDate, kind: str) -> dict[str, str]:
    """A pub-date's attributes: its type, and its format when the model knows it."""
    form = {"print": "print", "online": "electronic"}.get(d.media or "")
    return {"date-type": kind, **({"publication-format": form} if form else {})}


def xml_id(raw: str, prefix: str) -> str:
    """A valid XML ID for a model id ('1' -> 'ref1')."""
    if _ID_RE.match(raw):
        return raw
    return prefix + re.sub(r"[^\w.-]", "_", raw)


class _JatsWriter:
    def __init__(self, article: Article, options: JatsOptions, diags: Diagnostics) -> None:
        self.a = article
        self.o = options
        self.diags = diags
        self.b = Builder(diags, nsmap=_NSMAP)
        self.v14 = options.version == "1.4"
        self.ref_ids = {r.id: xml_id(r.id, "ref") for r in article.references}
        self.aff_ids = {a.id: xml_id(a.id, "aff") for a in article.affiliations}
        self._sec_count = 0
        self._table_count = 0

    def warn(self, message: str, code: str, of_container: bool = False) -> None:
        """A located warning: at the article, or (`of_container`) where its container is
        given, so that a volume's problem is said once for all its papers."""
        c = self.a.container
        at = (c.source if of_container and c is not None else None) or self.a.source
        self.diags.add(Diagnostic.at_source("warning", message, at, code))

    # --- document ---------------------------------------------------------------------

    def article(self) -> etree._Element:
        b, a = self.b, self.a
        notice = next((NOTICE_OF[u.type] for u in a.updates if u.type in NOTICE_OF), None)
        attrs = {
            "article-type": notice or "research-article",
            "dtd-version": self.o.version,
            "xml:lang": a.language,
        }
        root = b("article", attrs)
        b.fill(root, [b("front", self.journal_meta(), self.article_meta())])
        if a.body:
            root.append(b("body", self.blocks(a.body)))
        if a.references:
            root.append(b("back", self.ref_list()))
        return root

    # --- journal-meta ----------------------------------------------------------------------

    def journal_meta(self) -> etree._Element:
        b, c = self.b, self.a.container
        titles: list[Title] = list(c.titles) if c is not None else []
        journal_id = None
        issns: list[etree._Element] = []
        publisher = c.publisher if c is not None else None
        if isinstance(c, Journal):
            journal_id = c.journal_id
            issns = [b("issn", {"publication-format": i.media_type}, i.value) for i in c.issns]
        elif isinstance(c, Proceedings | Book) and c.isbns:
            journal_id = f"isbn-{c.isbns[0].value}"
        if c is None:
            self.warn(
                "the article has no container (journal, proceedings or book); journal-meta says so",
                "jats.no-container",
            )
            titles = []
        id_type = "publisher-id"
        if not journal_id:
            # JATS requires a journal-id; one made up here is marked so a reader can tell
            journal_id = _slug(titles[0].text) if titles else "unknown"
            id_type = "jatsgen-made"
        if not issns and self.o.tag_set == "publishing":
            kind = {Proceedings: "proceedings volume", Book: "book"}.get(type(c), "journal")
            self.warn(
                f"the {kind} has no ISSN; JATS Publishing requires journal-meta/issn, so "
                'an empty <issn content-type="not-assigned"/> is written',
                "jats.no-issn",
                of_container=True,
            )
            issns = [b("issn", {"content-type": "not-assigned"})]
        title_group = None
        if titles:
            main, others = self.primary(titles)
            if self.v14:
                title_group = b(
                    "journal-title-group",
                    [b("journal-title", {"xml:lang": t.lang}, t.text) for t in [main, *others]],
                    b("abbrev-journal-title", c.abbrev_title)
                    if isinstance(c, Journal) and c.abbrev_title
                    else None,
                )
            else:
                title_group = b(
                    "journal-title-group",
                    b("journal-title", {"xml:lang": main.lang}, main.text),
                    [
                        b("trans-title-group", {"xml:lang": t.lang}, b("trans-title", t.text))
                        for t in others
                    ],
                    b("abbrev-journal-title", c.abbrev_title)
                    if isinstance(c, Journal) and c.abbrev_title
                    else None,
                )
        return b(
            "journal-meta",
            b("journal-id", {"journal-id-type": id_type}, journal_id),
            title_group,
            issns,
            b(
                "publisher",
                b("publisher-name", publisher.name),
                b("publisher-loc", publisher.place) if publisher.place else None,
            )
            if publisher
            else None,
        )

    def primary(self, titles: list[Title]) -> tuple[Title, list[Title]]:
        """The container's main title (its first) and the others, in the record's order."""
        return titles[0], titles[1:]

    # --- article-meta ----------------------------------------------------------------------

    def article_meta(self) -> etree._Element:
        b, a = self.b, self.a
        c = a.container
        ids = [
            b("article-id", {"pub-id-type": "doi"}, a.doi) if a.doi else None,
            b("article-id", {"pub-id-type": "publisher-id"}, a.number) if a.number else None,
        ]
        categories = self.categories()
        collection = c.published if c is not None else None
        volume = issue = None
        if isinstance(c, Journal):
            volume = b("volume", c.volume) if c.volume else None
            issue = b("issue", c.issue) if c.issue else None
        isbns = []
        if isinstance(c, Proceedings | Book):
            isbns = [b("isbn", {"publication-format": i.media_type}, i.value) for i in c.isbns]
        pages = None
        if a.fpage:
            pages = [b("fpage", a.fpage), b("lpage", a.lpage) if a.lpage else None]
        elif a.article_number:
            pages = [b("elocation-id", a.article_number)]
        history = None
        if a.received or a.accepted:
            history = b(
                "history",
                self.date("date", a.received, {"date-type": "received"}) if a.received else None,
                self.date("date", a.accepted, {"date-type": "accepted"}) if a.accepted else None,
            )
        return b(
            "article-meta",
            ids,
            categories,
            self.title_groups(),
            self.contrib_groups(),
            [self.aff(x) for x in a.affiliations],
            [self.date("pub-date", d, _pub_attrs(d, "pub")) for d in a.publication_dates],
            self.date("pub-date", collection, _pub_attrs(collection, "collection"))
            if collection
            else None,
            None if a.published or collection else b("pub-date-not-available"),
            volume,
            issue,
            isbns,
            pages,
            history,
            self.permissions(),
            b("self-uri", {"xlink:href": a.url}) if a.url else None,
            [
                b("self-uri", {"content-type": mime or "full-text", "xlink:href": url})
                for url, mime in dict.fromkeys((f.url, f.mime_type) for f in a.full_text)
            ],
            self.related(),
            self.abstracts(),
            [
                b(
                    "kwd-group",
                    {"kwd-group-type": "author", "xml:lang": k.lang},
                    [b("kwd", t) for t in k.terms],
                )
                for k in a.keywords
                if k.terms
            ],
            self.funding(),
            self.conference(),
            self.custom_meta(),
        )

    def related(self) -> list[etree._Element]:
        """Updates (this is a correction of ...) as related-article, relations as
        related-object with the Crossref relation type, so a reader gets both back."""
        b, a = self.b, self.a
        out = [
            b(
                "related-article",
                {
                    "related-article-type": UPDATE_ARTICLE_TYPES.get(u.type, u.type),
                    "ext-link-type": "doi",
                    "xlink:href": u.doi,
                },
            )
            for u in a.updates
        ]
        out += [
            b(
                "related-object",
                {
                    "link-type": r.type,
                    "document-id": r.id,
                    "document-id-type": r.id_type,
                },
                r.description,
            )
            for r in a.relations
        ]
        if any(u.date for u in a.updates):
            self.warn(
                "the date of an update is not carried: JATS related-article has no date "
                "(the notice's own publication date stands for it)",
                "jats.update-date",
            )
        c = a.container
        if c is not None and c.contributors:
            self.warn(
                "the container's editors are not carried: JATS article metadata has no "
                "place for a volume's or book's editors",
                "jats.container-editors",
            )
        return out

    def custom_meta(self) -> etree._Element:
        """Facts JATS has no element for, as name/value pairs, so a reader loses nothing."""
        b, a, c = self.b, self.a, self.a.container
        kind = {Proceedings: "proceedings", Journal: "journal", Book: "book"}.get(type(c), "none")
        pairs: list[tuple[str, str | None]] = [("kind", a.kind.value), ("container", kind)]
        if isinstance(c, Proceedings):
            pairs += [("subject", c.subject), ("doi", c.doi), ("url", c.url)]
            if c.event and c.event.end:
                pairs.append(("conference-end", c.event.end.iso()))
        if isinstance(c, Book):
            pairs += [("edition", c.edition), ("doi", c.doi), ("url", c.url)]
        return b(
            "custom-meta-group",
            [
                b("custom-meta", b("meta-name", f"jatsgen-{name}"), b("meta-value", value))
                for name, value in pairs
                if value
            ],
        )

    def categories(self) -> etree._Element | None:
        b, a = self.b, self.a
        groups = []
        if a.section:
            groups.append(b("subj-group", {"subj-group-type": "heading"}, b("subject", a.section)))
        for cl in a.classifications:
            groups.append(
                b(
                    "subj-group",
                    {"subj-group-type": cl.scheme, "vocab": cl.scheme.upper()},
                    b("subject", cl.code),
                )
            )
        return b("article-categories", groups) if groups else None

    def title_groups(self) -> list[etree._Element]:
        b, a = self.b, self.a
        if self.v14:
            return [
                b(
                    "title-group",
                    {"xml:lang": t.lang or a.language},
                    b("article-title", self.title_content(t)),
                    b("subtitle", t.subtitle) if t.subtitle else None,
                )
                for t in a.all_titles
            ]
        return [
            b(
                "title-group",
                b("article-title", self.title_content(a.title)),
                b("subtitle", a.title.subtitle) if a.title.subtitle else None,
                [
                    b(
                        "trans-title-group",
                        {"xml:lang": t.lang},
                        b("trans-title", self.title_content(t)),
                        b("trans-subtitle", t.subtitle) if t.subtitle else None,
                    )
                    for t in a.trans_titles
                ],
            )
        ]

    def title_content(self, t: Title) -> list[etree._Element | str]:
        return self.inlines(t.markup) if t.markup else [t.text]

    def contrib_groups(self) -> list[etree._Element]:
        roles: list[str] = []
        for c in self.a.contributors:
            if c.role not in roles:
                roles.append(c.role)
        return [
            self.b(
                "contrib-group",
                {"content-type": role if role != "author" else None},
                [self.contrib(c) for c in self.a.contributors if c.role == role],
            )
            for role in roles
        ]

    def contrib(self, c: Contributor) -> etree._Element:
        b = self.b
        if c.collab:
            name = b("collab", c.collab)
        elif c.name_style == "given-only" or not c.surname:
            name = b("name", {"name-style": "given-only"}, b("given-names", c.given_names or ""))
        else:
            name = b(
                "name",
                {"name-style": c.name_style if c.name_style != "western" else None},
                b("surname", c.surname),
                b("given-names", c.given_names) if c.given_names else None,
                b("suffix", c.suffix) if c.suffix else None,
            )
        role = None
        if c.role != "author" or c.role_label:
            credit = _CREDIT.get(c.role)
            attrs = {"content-type": c.role}
            if credit:
                attrs.update(
                    {
                        "vocab": "credit",
                        "vocab-identifier": "https://credit.niso.org/",
                        "vocab-term": credit[0],
                        "vocab-term-identifier": credit[1],
                    }
                )
            role = b("role", attrs, c.role_label or c.role)
        return b(
            "contrib",
            {"contrib-type": c.role},
            b(
                "contrib-id",
                {
                    "contrib-id-type": "orcid",
                    "authenticated": "true" if c.orcid_authenticated else None,
                },
                c.orcid,
            )
            if c.orcid
            else None,
            name,
            b("degrees", c.degrees) if c.degrees else None,
            role,
            b("role", {"content-type": "position"}, c.position) if c.position else None,
            b("email", c.email) if c.email else None,
            [
                b("xref", {"ref-type": "aff", "rid": self.aff_ids[x]})
                for x in c.affiliation_ids
                if x in self.aff_ids
            ],
        )

    def aff(self, x: Affiliation) -> etree._Element:
        """Structured parts tagged inside the printed line when there is one, else joined."""
        b = self.b
        ids = [
            (kind, value)
            for kind, value in (("ror", x.ror), ("isni", x.isni), ("ringgold", x.ringgold))
            if value
        ]
        parts: list[tuple[str | None, etree._Element]] = []
        if x.institution or ids:
            parts.append(
                (
                    x.institution,
                    b(
                        "institution-wrap",
                        [b("institution-id", {"institution-id-type": k}, v) for k, v in ids],
                        b("institution", {"content-type": "orgname"}, x.institution)
                        if x.institution
                        else None,
                    ),
                )
            )
        if x.department:
            parts.append(
                (x.department, b("institution", {"content-type": "orgdiv1"}, x.department))
            )
        if x.city:
            parts.append((x.city, b("city", x.city)))
        if x.country or x.country_code:
            parts.append((x.country, b("country", {"country": x.country_code}, x.country)))
        el = b("aff", {"id": self.aff_ids[x.id]})
        if x.text:
            return b.fill(el, _tag_in_place(x.text, parts))
        shown = False
        for value, part in parts:
            b.fill(el, [", " if value and shown else None, part])
            shown = shown or bool(value)
        return el

    def date(self, tag: str, d: PartialDate, attrs: dict[str, str]) -> etree._Element:
        b = self.b
        return b(
            tag,
            {**attrs, "iso-8601-date": d.iso()},
            b("day", f"{d.day:02d}") if d.day else None,
            b("month", f"{d.month:02d}") if d.month else None,
            b("season", d.season) if d.season else None,
            b("year", f"{d.year:04d}"),
        )

    def permissions(self) -> etree._Element | None:
        lic = self.a.license
        if lic is None:
            return None
        b = self.b
        return b(
            "permissions",
            b(
                "license",
                {"xlink:href": lic.url},
                b(
                    "ali:license_ref",
                    {
                        "start_date": lic.start_date.iso()
                        if lic.start_date and lic.start_date.day
                        else None
                    },
                    lic.url,
                )
                if lic.url
                else None,
                b("license-p", lic.text) if lic.text else None,
            ),
        )

    def abstracts(self) -> list[etree._Element]:
        b, a = self.b, self.a
        if not a.abstracts:
            return []
        main = next((x for x in a.abstracts if x.lang in (None, a.language)), a.abstracts[0])
        others = [x for x in a.abstracts if x is not main]

        def content(x: Abstract) -> list[etree._Element | None]:
            paras = (
                [b("p", self.inlines(p)) for p in x.markup]
                if x.markup
                else [b("p", p) for p in x.paragraphs]
            )
            return [b("title", x.title) if x.title else None, paras]

        out = [
            b(
                "abstract",
                {"xml:lang": main.lang if main.lang != a.language else None},
                content(main),
            )
        ]
        tag = "abstract" if self.v14 else "trans-abstract"
        out += [b(tag, {"xml:lang": x.lang}, content(x)) for x in others]
        return out

    def funding(self) -> etree._Element | None:
        if not self.a.funding:
            return None
        b = self.b
        groups = []
        for f in self.a.funding:
            source = b(
                "funding-source",
                b(
                    "institution-wrap",
                    b(
                        "institution-id",
                        {"institution-id-type": _funder_id_type(f.funder_id)},
                        f.funder_id,
                    )
                    if f.funder_id
                    else None,
                    b("institution", f.funder_name) if f.funder_name else None,
                ),
            )
            groups.append(b("award-group", source, [b("award-id", x) for x in f.award_ids]))
        return b("funding-group", groups)

    def conference(self) -> etree._Element | None:
        c = self.a.container
        if not isinstance(c, Proceedings) or c.event is None:
            return None
        b, ev = self.b, c.event
        if not ev.names and not ev.acronym:
            return None
        main, others = self.primary(ev.names) if ev.names else (None, [])
        iso = ev.start.iso() if ev.start else None
        shown = ev.date_text
        if shown is None and iso:
            shown = iso if not ev.end else f"{iso}/{ev.end.iso()}"
        if iso is None:
            self.warn(
                "the conference date is not known as a date; conf-date has no ISO date",
                "jats.no-conf-date",
            )
        date_el = b("conf-date", {"iso-8601-date": iso}, shown)
        return b(
            "conference",
            date_el,
            [
                b("conf-name", {"xml:lang": t.lang}, t.text)
                for t in ([main] if main else []) + others
            ],
            b("conf-acronym", ev.acronym) if ev.acronym else None,
            b("conf-num", ev.number) if ev.number else None,
            b("conf-loc", ev.location) if ev.location else None,
            [b("conf-sponsor", s) for s in ev.sponsors],
            b("conf-theme", ev.theme) if ev.theme else None,
        )

    # --- body --------------------------------------------------------------------------------

    def blocks(self, blocks: list[Block]) -> list[etree._Element]:
        out: list[etree._Element] = []
        seen_section = False
        for block in blocks:
            if isinstance(block, Section):
                seen_section = True
                out.append(self.section(block))
            elif seen_section:
                # JATS puts paragraphs before sections; a stray block joins the last section.
                last = out[-1]
                last.extend(self.blocks([block]))
            else:
                out.append(self.block(block))
        return out

    def section(self, sec: Section) -> etree._Element:
        self._sec_count += 1
        return self.b(
            "sec",
            {"id": f"sec{self._sec_count}"},
            self.b("title", self.inlines(sec.title)),
            self.blocks(sec.blocks),
        )

    def block(self, block: Block) -> etree._Element:
        b = self.b
        if isinstance(block, Paragraph):
            return b("p", self.inlines(block.inlines))
        if isinstance(block, ListBlock):
            labelled = not block.ordered and block.prefix in ("–", "—")
            kind = "order" if block.ordered else ("simple" if labelled else "bullet")
            return b(
                "list",
                {"list-type": kind},
                [
                    b(
                        "list-item",
                        b("label", block.prefix) if labelled else None,
                        b("p", self.inlines(item)),
                    )
                    for item in block.items
                ],
            )
        if isinstance(block, Table):
            self._table_count += 1
            head = block.rows[: block.header_rows]
            body = block.rows[block.header_rows :]
            return b(
                "table-wrap",
                {"id": f"table{self._table_count}"},
                b("caption", b("p", block.caption)) if block.caption else None,
                b(
                    "table",
                    b("thead", [b("tr", [b("th", self.inlines(c)) for c in r]) for r in head])
                    if head
                    else None,
                    b("tbody", [b("tr", [b("td", self.inlines(c)) for c in r]) for r in body]),
                ),
            )
        return self.section(block)

    def inlines(self, nodes: list[Inline]) -> list[etree._Element | str]:
        b = self.b
        out: list[etree._Element | str] = []
        for n in nodes:
            if isinstance(n, Text):
                out.append(n.text)
            elif isinstance(n, Styled):
                tag = n.style if n.style in STYLES else "italic"
                out.append(b(tag, self.inlines(n.children)))
            elif isinstance(n, Link):
                out.append(b("ext-link", {"ext-link-type": "uri", "xlink:href": n.url}, n.text))
            elif isinstance(n, Email):
                out.append(b("email", n.address))
            elif isinstance(n, CiteRef):
                rids = [self.ref_ids[r] for r in n.ref_ids if r in self.ref_ids]
                if rids:
                    out.append(b("xref", {"ref-type": "bibr", "rid": " ".join(rids)}, n.text))
                else:
                    out.append(n.text)
        return out

    # --- back --------------------------------------------------------------------------------

    def ref_list(self) -> etree._Element:
        b = self.b
        return b(
            "ref-list",
            b("title", self.a.ref_list_title) if self.a.ref_list_title else None,
            [
                b(
                    "ref",
                    {"id": self.ref_ids[r.id]},
                    b("label", r.label) if r.label else None,
                    b("mixed-citation", self.citation(r)),
                )
                for r in self.a.references
            ],
        )

    def citation(self, r: Reference) -> list[etree._Element | str]:
        """The reference text with its URLs as links and its DOI as a pub-id, in place."""
        b = self.b
        parts: list[tuple[str | None, etree._Element]] = []
        doi_url = f"https://doi.org/{r.doi}" if r.doi else None
        if r.doi:
            parts.append((r.doi, b("pub-id", {"pub-id-type": "doi", "xlink:href": doi_url}, r.doi)))
        for url in r.urls:
            if (
                url.lower()
                in (f"https://doi.org/{r.doi}".lower(), f"http://dx.doi.org/{r.doi}".lower())
                and r.doi
                and r.doi in r.text
            ):
                continue  # the DOI's pub-id, which carries the same link, stands for it
            parts.append((url, b("ext-link", {"ext-link-type": "uri", "xlink:href": url}, url)))
        return _tag_in_place(r.text, parts, separator=" ", mark_added=True)


def _tag_in_place(
    text: str,
    parts: list[tuple[str | None, etree._Element]],
    separator: str = ", ",
    mark_added: bool = False,
) -> list[etree._Element | str]:
    """`text` with the first occurrence of each part's string replaced by its element.

    Parts whose string does not occur are appended after `separator` (parts with no string,
    without one), so nothing the model holds is lost; with `mark_added` they carry
    specific-use="jatsgen-added" so a reader can tell them from the printed text.
    """
    found: list[tuple[int, int, etree._Element]] = []
    leftovers: list[tuple[str | None, etree._Element]] = []
    for value, el in parts:
        idx = text.find(value) if value else -1
        while idx >= 0 and any(not (idx + len(value or "") <= s or idx >= e) for s, e, _ in found):
            idx = text.find(value or "", idx + 1)
        if idx < 0:
            leftovers.append((value, el))
            continue
        found.append((idx, idx + len(value or ""), el))
    out: list[etree._Element | str] = []
    pos = 0
    for start, end, el in sorted(found, key=lambda f: f[0]):
        out += [text[pos:start], el]
        pos = end
    out.append(text[pos:])
    for value, el in leftovers:
        if mark_added:
            el.set("specific-use", "jatsgen-added")
        out += [separator, el] if value else [el]
    return [o for o in out if not (isinstance(o, str) and o == "")]


def _funder_id_type(funder_id: str | None) -> str | None:
    if not funder_id:
        return None
    if "ror.org" in funder_id:
        return "ror"
    if "10.13039" in funder_id:
        return "doi"
    return None


def _slug(text: str) -> str:
    words = re.findall(r"\w+", text.lower())
    return "-".join(words[:8]) or "untitled"
