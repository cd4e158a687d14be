"""JATS (1.0-1.4) and NLM 3.0 articles from any publisher into the model.

Publishers tag the same facts in different ways (ORCIDs as URLs or bare, affiliations by xref
or inline, dates by pub-type or date-type, licences as @xlink:href or ali:license_ref,
citations as element- or mixed-citation); the reader accepts them all. Only the main article
is read: sub-articles (decision letters, translations) are not separate works. Facts that
jatsgen's own writer has to park in `custom-meta` (the kind of container, an event's end
date) are read back, so model -> JATS -> model loses nothing the model holds.
"""

from __future__ import annotations

import html.entities
import re
from functools import cache

from lxml import etree

from ..dates import month_from_word, parse_iso, real_date
from ..diagnostics import Diagnostics
from ..errors import InputError
from ..ids import (
    check_doi,
    check_full_text_url,
    citation_doi,
    find_doi,
    guess_mime,
    normalize_doi,
    normalize_isbn,
    normalize_orcid,
    normalize_ror,
)
from ..model import (
    INTER_WORK,
    INTRA_WORK,
    STYLES,
    Abstract,
    Affiliation,
    Article,
    ArticleKind,
    Block,
    Book,
    Classification,
    Contributor,
    Email,
    Event,
    FullText,
    Funding,
    Inline,
    Isbn,
    Issn,
    Journal,
    Keywords,
    License,
    Link,
    ListBlock,
    Paragraph,
    PartialDate,
    Proceedings,
    Publisher,
    Reference,
    Relation,
    Section,
    Source,
    Styled,
    Table,
    Text,
    Title,
    Update,
)
from ..model import CiteRef as Cite
from ..safexml import local, parse_bytes, replace_node

XLINK = "{http://www.w3.org/1999/xlink}href"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ALI = "{http://www.niso.org/schemas/ali/1.0/}"
# JATS inline elements -> model styles (the same names, plus HTML-style b and i)
INLINE_STYLES = {**{s: s for s in STYLES}, "b": "bold", "i": "italic"}
PREPRINT_SERVERS = re.compile(
    r"(?i)\b(biorxiv|medrxiv|arxiv|chemrxiv|research square|ssrn|"
    r"preprints?|osf preprints|psyarxiv|socarxiv)\b"
)
META = "jatsgen-"  # custom-meta names jatsgen writes for facts JATS has no element for
_SPACE = re.compile(r"\s+")


@cache
def _any_ns(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{{*}}{n}" for n in names)  # lxml matches these with or without a namespace


def kids(el: etree._Element | None, *names: str) -> list[etree._Element]:
    if el is None:
        return []
    return list(el.iterchildren(*_any_ns(names)))


def kid(el: etree._Element | None, *names: str) -> etree._Element | None:
    if el is None:
        return None
    return next(el.iterchildren(*_any_ns(names)), None)


def collapse_spaces(s: str) -> str:
    """Runs of whitespace as one space, trimmed."""
    return " ".join(s.split())


def text(el: etree._Element | None, *, skip: tuple[str, ...] = ()) -> str:
    """Normalised text of an element, leaving out the subtrees named in `skip`."""
    if el is None:
        return ""
    if not skip:
        if len(el):  # libxml2 collects the text, several times faster than itertext()
            t = etree.tostring(el, method="text", encoding="unicode", with_tail=False)
        else:
            t = el.text  # a leaf (most elements)
        return " ".join(t.split()) if t else ""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        for c in node:
            if isinstance(c.tag, str) and local(c) not in skip:
                walk(c)
            if c.tail:
                parts.append(c.tail)

    walk(el)
    return collapse_spaces("".join(parts))


def opt(el: etree._Element | None, *, skip: tuple[str, ...] = ()) -> str | None:
    return text(el, skip=skip) or None


# --- inline content -----------------------------------------------------------------------------


def inlines(el: etree._Element) -> list[Inline]:
    """Inline content: face markup, links, e-mail and citations kept; anything else as text."""
    out: list[Inline] = []

    def add_text(s: str | None) -> None:
        if s:
            s = _SPACE.sub(" ", s)
            if out and isinstance(out[-1], Text):
                out[-1] = Text(out[-1].text + s)
            else:
                out.append(Text(s))

    add_text(el.text)
    for c in el:
        if isinstance(c.tag, str):
            name = local(c)
            if name in INLINE_STYLES:
                out.append(Styled(INLINE_STYLES[name], inlines(c)))
            elif name in ("ext-link", "uri"):
                t = text(c)
                out.append(Link(c.get(XLINK) or t, t))
            elif name == "email":
                out.append(Email(text(c)))
            elif name == "xref" and c.get("ref-type") == "bibr" and c.get("rid"):
                out.append(Cite((c.get("rid") or "").split(), text(c)))
            elif name not in ("fn", "target"):
                add_text(text(c))
        add_text(c.tail)
    if out and isinstance(out[0], Text):
        out[0] = Text(out[0].text.lstrip())
    if out and isinstance(out[-1], Text):
        out[-1] = Text(out[-1].text.rstrip())
    return [n for n in out if not (isinstance(n, Text) and not n.text)]


def has_markup(nodes: list[Inline]) -> bool:
    return any(not isinstance(n, Text) for n in nodes)


def plain(nodes: list[Inline]) -> str:
    from ..model import plain_text

    return plain_text(nodes)


def blocks(parent: etree._Element) -> list[Block]:
    out: list[Block] = []
    for c in parent:
        if not isinstance(c.tag, str):
            continue
        name = local(c)
        if name == "p":
            out.append(Paragraph(inlines(c)))
        elif name == "sec":
            title = kid(c, "title")
            out.append(Section(inlines(title) if title is not None else [], blocks(c)))
        elif name == "list":
            out.append(_list(c))
        elif name == "table-wrap":
            table = _table(c)
            if table is not None:
                out.append(table)
        elif name in ("disp-quote", "boxed-text", "statement"):
            out += [b for b in blocks(c) if isinstance(b, Paragraph)]
    return out


def _list(el: etree._Element) -> ListBlock:
    items: list[list[Inline]] = []
    labels: list[str] = []
    for item in kids(el, "list-item"):
        label = kid(item, "label")
        if label is not None:
            labels.append(text(label))
        paras = kids(item, "p")
        items.append(inlines(paras[0]) if paras else [Text(text(item, skip=("label",)))])
    kind = el.get("list-type") or "bullet"
    prefix = labels[0] if labels and kind == "simple" and len(set(labels)) == 1 else None
    return ListBlock(
        items=items,
        ordered=kind in ("order", "alpha-lower", "alpha-upper", "roman-lower", "roman-upper"),
        prefix=prefix,
    )


def _table(el: etree._Element) -> Table | None:
    table = next((t for t in el.iter("{*}table", "table")), None)
    if table is None:
        return None
    rows: list[list[list[Inline]]] = []
    header = 0
    for tr in table.iter("{*}tr", "tr"):
        cells = [inlines(td) for td in tr if isinstance(td.tag, str) and local(td) in ("td", "th")]
        parent = tr.getparent()
        if parent is not None and local(parent) == "thead":
            header += 1
        rows.append(cells)
    caption = kid(el, "caption")
    return Table(rows=rows, header_rows=header, caption=opt(caption))


# --- the reader -------------------------------------------------------------------------------


# A reference to an entity XML itself does not define (&nbsp; from the JATS DTD, unloaded)
_NAMED_REF = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)[A-Za-z][\w.-]*;")


def _inline_entities(root: etree._Element) -> None:
    """Entity references the article's DTD would define, as the characters they stand for.

    No DTD is loaded (it could fetch or expand anything), so libxml2 leaves `&nbsp;` as an
    entity node. HTML's names (which the JATS DTD's entity sets share) become their
    characters; a name HTML does not know stays as written.
    """
    for ent in list(root.iter(etree.Entity)):
        name = str(ent.name)
        replace_node(ent, html.entities.html5.get(f"{name};", f"&{name};"))


def read_jats(data: bytes, path: str, diags: Diagnostics, *, body: bool = True) -> list[Article]:
    """The JATS/NLM article of a file, or each article of a PMC article set
    (`<pmc-articleset>`, what PMC's OAI and E-utilities return); `body=False` leaves the body
    out (Crossref carries none).

    The whole file is parsed even then: parsing only front and back was tried, but checking
    that the rest is well-formed (a broken body is still a broken file) cost what it saved.
    """
    tree = parse_bytes(data, path)
    root = tree.getroot()
    if _NAMED_REF.search(data):
        _inline_entities(root)
    added = b"jatsgen-added" in data
    if local(root) == "pmc-articleset":
        articles = kids(root, "article")
        if not articles:
            raise InputError.at(
                "the PMC article set holds no <article>",
                file=path,
                line=root.sourceline,
                code="jats.not-article",
            )
        return [_article(a, path, diags, body, added) for a in articles]
    if local(root) in ("book", "book-part-wrapper"):
        return _book_parts(root, path, diags, body, added)
    if local(root) != "article":
        raise InputError.at(
            f"<{local(root)}> is not a JATS <article> (nor a PMC <pmc-articleset>, a BITS "
            "<book> or <book-part-wrapper>)",
            file=path,
            line=root.sourceline,
            code="jats.not-article",
        )
    return [_article(root, path, diags, body, added)]


def _book_parts(
    root: etree._Element, path: str, diags: Diagnostics, body: bool, added: bool
) -> list[Article]:
    """A BITS book as its chapters: each top-level book part (a chapter, or a part holding
    chapters) is a work in a Book read from the book-meta."""
    meta = kid(root, "book-meta")
    if meta is None:
        raise InputError.at(
            f"the BITS <{local(root)}> has no book-meta: the book carries no metadata "
            "(add <book-meta> with its book-title-group, isbn, publisher and pub-date)",
            file=path,
            line=root.sourceline,
            code="jats.no-meta",
        )
    book = _Reader(root, meta, None, path, diags, added).book()
    parts: list[etree._Element] = []

    def walk(el: etree._Element) -> None:
        for part in kids(el, "book-part"):
            inner = kids(kid(part, "body"), "book-part")
            if (part.get("book-part-type") or "").lower() == "part" and inner:
                title = text(kid(kid(kid(part, "book-part-meta"), "title-group"), "title"))
                diags.warn(
                    f"the book part {title or part.get('id') or ''!r} groups chapters: its "
                    "chapters are deposited, the part itself is not (a Crossref content_item "
                    "of a part would need a DOI of its own)",
                    line=part.sourceline,
                    code="jats.book-part",
                )
                walk(kid(part, "body"))  # a part holding chapters: its chapters are the works
            else:
                parts.append(part)

    walk(root if local(root) == "book-part-wrapper" else kid(root, "book-body"))
    if not parts:
        raise InputError.at(
            "the BITS book has no book-part: jatsgen deposits a book's chapters "
            '(<book-body><book-part book-part-type="chapter">)',
            file=path,
            line=root.sourceline,
            code="jats.not-article",
        )
    out = []
    for part in parts:
        pmeta = kid(part, "book-part-meta")
        if pmeta is None:
            diags.warn(
                "a book-part without book-part-meta has no title or DOI of its own; left out",
                line=part.sourceline,
                code="jats.no-meta",
            )
            continue
        chapter = _Reader(part, pmeta, None, path, diags, added).article(body)
        chapter.kind = ArticleKind.BOOK_CHAPTER
        chapter.container = book
        if chapter.language is None and book.titles:
            chapter.language = book.titles[0].lang
        chapter.id = part.get("id")
        out.append(chapter)
    return out


def _article(
    root: etree._Element, path: str, diags: Diagnostics, body: bool, added: bool
) -> Article:
    front = kid(root, "front")
    meta = kid(front, "article-meta")
    if meta is None:
        raise InputError.at(
            "no front/article-meta: the article carries no metadata",
            file=path,
            line=root.sourceline,
            code="jats.no-meta",
        )
    r = _Reader(root, meta, kid(front, "journal-meta"), path, diags, added)
    article = r.article(body)
    if body:  # a JATS output keeps what the model does not hold: the article as typeset
        # padded so that its elements keep their lines in the source (the start tag ends
        # on root.sourceline): what the upgrade says about them is located there
        article.original = b"\n" * ((root.sourceline or 1) - 1) + etree.tostring(root)
    return article


class _Reader:
    def __init__(
        self,
        root: etree._Element,
        meta: etree._Element,
        journal: etree._Element | None,
        path: str,
        diags: Diagnostics,
        has_added_parts: bool,
    ) -> None:
        self.root = root
        self.meta = meta
        self.journal = journal
        self.path = path
        self.diags = diags
        lang = root.get(XML_LANG)
        self.lang = lang.lower() if lang else None
        self.custom = {
            text(kid(m, "meta-name")): text(kid(m, "meta-value"))
            for g in kids(meta, "custom-meta-group")
            for m in kids(g, "custom-meta")
        }
        self._aff_seq = 0
        self.has_added_parts = has_added_parts  # citation parts jatsgen appended (writers.jats)

    def warn(self, message: str, el: etree._Element | None, code: str) -> None:
        self.diags.warn(message, line=el.sourceline if el is not None else None, code=code)

    def article(self, with_body: bool = True) -> Article:
        m = self.meta
        titles = self.titles()
        main = titles[0] if titles else Title("")
        if not main.text:
            group = kid(m, "title-group")
            self.warn(
                "the article's article-title is empty: kept as it is, but a deposit needs a "
                "title (write it in <article-title>)",
                kid(group, "article-title") if group is not None else m,
                "jats.no-title",
            )
        affs = self.affiliations()
        contributors = self.contributors(affs)
        pages = kid(m, "fpage"), kid(m, "lpage")
        dates = self.dates()
        published = self.publication_dates()
        categories = self.categories()
        body = kid(self.root, "body") if with_body else None
        back = kid(self.root, "back")
        refs, ref_title = self.references(back)
        article = Article(
            kind=ArticleKind.JOURNAL_ARTICLE,
            title=main,
            language=self.lang,
            trans_titles=titles[1:],
            contributors=contributors,
            affiliations=list(affs.values()),
            abstracts=self.abstracts(),
            keywords=self.keywords(),
            classifications=categories[1],
            section=categories[0],
            number=next(
                (text(a) for a in kids(m, "article-id") if a.get("pub-id-type") == "publisher-id"),
                None,
            ),
            fpage=opt(pages[0]),
            lpage=opt(pages[1]),
            article_number=opt(kid(m, "elocation-id")),
            published=published[0] if published else None,
            more_published=published[1:],
            received=dates.get("received"),
            accepted=dates.get("accepted"),
            license=self.license(),
            funding=self.funding(),
            doi=self.doi(),
            url=self.landing_page(),
            body=blocks(body) if body is not None else [],
            references=refs,
            ref_list_title=ref_title,
            full_text=self.full_text(),
            source=Source(self.path, m.sourceline),
        )
        article.updates, article.relations = self.related()
        if article.fpage and article.article_number:
            article.article_number = None  # pages win; JATS should not have both
        article.container = self.container(dates.get("collection"))
        article.kind = self.kind(article)
        return article

    # --- titles and people ----------------------------------------------------------------

    def titles(self) -> list[Title]:
        groups = kids(self.meta, "title-group")
        out: list[Title] = []
        for g in groups:
            t = kid(g, "article-title", "title")  # a BITS book part's title-group has <title>
            if t is None:
                continue
            nodes = inlines(t)
            lang = g.get(XML_LANG) or t.get(XML_LANG) or (self.lang if not out else None)
            out.append(
                Title(
                    plain(nodes),
                    lang,
                    opt(kid(g, "subtitle")),
                    nodes if has_markup(nodes) else None,
                )
            )
            for tg in kids(g, "trans-title-group"):
                tt = kid(tg, "trans-title")
                if tt is None:
                    continue
                tnodes = inlines(tt)
                out.append(
                    Title(
                        plain(tnodes),
                        tg.get(XML_LANG) or tt.get(XML_LANG),
                        opt(kid(tg, "trans-subtitle")),
                        tnodes if has_markup(tnodes) else None,
                    )
                )
        # JATS 1.4: the title in the article's language is the main one
        for i, t in enumerate(out):
            if i and self.lang and t.lang == self.lang and out[0].lang != self.lang:
                out.insert(0, out.pop(i))
                break
        return out

    def affiliations(self) -> dict[str, Affiliation]:
        affs: dict[str, Affiliation] = {}
        holders = [self.meta, *kids(self.meta, "contrib-group")]
        for holder in holders:
            for a in kids(holder, "aff"):
                aff = self.affiliation(a)
                affs[aff.id] = aff
            for alt in kids(holder, "aff-alternatives"):
                first = kid(alt, "aff")
                if first is not None:
                    aff = self.affiliation(first, alt.get("id"))
                    affs[aff.id] = aff
        return affs

    def affiliation(self, a: etree._Element, aff_id: str | None = None) -> Affiliation:
        self._aff_seq += 1
        aff = Affiliation(id=aff_id or a.get("id") or f"aff-{self._aff_seq}")
        for el in a.iter():
            if not isinstance(el.tag, str):
                continue
            name = local(el)
            if name == "institution-id":
                kind = (el.get("institution-id-type") or "").lower()
                value = text(el)
                if kind == "ror" or "ror.org" in value:
                    aff.ror = normalize_ror(value)
                elif kind == "isni":
                    aff.isni = value
                elif kind == "ringgold":
                    aff.ringgold = value
            elif name == "institution":
                ctype = (el.get("content-type") or "").lower()
                if ctype in ("dept", "department", "orgdiv1", "orgdiv2", "division"):
                    aff.department = aff.department or opt(el)
                else:
                    aff.institution = aff.institution or opt(el)
            elif name == "city" or (
                name in ("named-content", "addr-line")
                and (el.get("content-type") or "").lower() == "city"
            ):
                aff.city = aff.city or opt(el)
            elif name == "country":
                aff.country = opt(el)
                aff.country_code = el.get("country") or aff.country_code
        line = text(a, skip=("label", "institution-id"))
        if line and line != self._joined(aff):
            aff.text = line.strip(" ,;")
        if aff.institution is None and aff.text and not (aff.ror or aff.isni):
            # an untagged line: its first part that is not the city or country names it
            rest = [
                p.strip()
                for p in aff.text.split(",")
                if p.strip() and p.strip() not in (aff.city, aff.country)
            ]
            aff.institution = rest[0] if rest else None
        return aff

    @staticmethod
    def _joined(aff: Affiliation) -> str:
        """The line jatsgen's writer prints for an affiliation that has no line of its own."""
        return ", ".join(p for p in (aff.institution, aff.department, aff.city, aff.country) if p)

    def contributors(self, affs: dict[str, Affiliation]) -> list[Contributor]:
        people: list[tuple[Contributor, list[str]]] = []
        for group in kids(self.meta, "contrib-group"):
            group_affs = [str(a.get("id")) for a in kids(group, "aff") if a.get("id")]
            for c in kids(group, "contrib"):
                ctype = (c.get("contrib-type") or group.get("content-type") or "author").lower()
                if "non-byline" in ctype:
                    continue
                person = self.contributor(c, ctype.split()[0], affs)
                if person is not None:
                    people.append((person, group_affs))
        linked = any(p.affiliation_ids for p, _ in people)
        out: list[Contributor] = []
        for person, group_affs in people:
            # Some publishers list the affiliations without linking them: with no link in the
            # whole article, a single affiliation (of the group, or of the article) is everyone's.
            if not linked and person.role == "author":
                if len(group_affs) == 1:
                    person.affiliation_ids = [group_affs[0]]
                elif len(affs) == 1:
                    person.affiliation_ids = list(affs)
            out.append(person)
        return out

    def contributor(
        self, c: etree._Element, role: str, affs: dict[str, Affiliation]
    ) -> Contributor | None:
        person = Contributor(role=role)
        parts = _by_name(c)  # one pass over the contrib's children, not one per lookup
        name = _first(parts, "name")
        alternatives = _first(parts, "name-alternatives")
        if name is None and alternatives is not None:
            names = kids(alternatives, "name")
            name = next(
                (n for n in names if n.get(XML_LANG) == self.lang), names[0] if names else None
            )
        collab = _first(parts, "collab")
        string_name = _first(parts, "string-name")
        if name is not None:
            name_parts = _by_name(name)
            person.surname = opt(_first(name_parts, "surname"))
            person.given_names = opt(_first(name_parts, "given-names"))
            person.suffix = opt(_first(name_parts, "suffix"))
            person.name_style = name.get("name-style") or "western"
            if person.name_style == "given-only":
                person.surname = None
        elif string_name is not None:
            person.surname = opt(kid(string_name, "surname"))
            person.given_names = opt(kid(string_name, "given-names"))
            if person.surname is None:
                from .people import parse_name

                parsed = parse_name(text(string_name))
                if parsed is None:
                    person.surname = text(string_name)
                else:
                    person.surname, person.given_names = parsed.surname, parsed.given_names
        elif collab is not None:
            person.collab = text(collab, skip=("contrib-group", "xref", "fn"))
        else:
            return None
        if not (person.surname or person.given_names or person.collab):
            return None
        for cid in parts.get("contrib-id", ()):
            kind = (cid.get("contrib-id-type") or "").lower()
            value = text(cid)
            if kind == "orcid" or "orcid.org" in value:
                person.orcid = normalize_orcid(value)
                person.orcid_authenticated = cid.get("authenticated") == "true"
        for x in parts.get("xref", ()):
            if x.get("ref-type") == "aff":
                person.affiliation_ids += [r for r in (x.get("rid") or "").split() if r in affs]
        for a in parts.get("aff", ()):
            aff = self.affiliation(a)
            affs[aff.id] = aff
            person.affiliation_ids.append(aff.id)
        email = _first(parts, "email")
        address = _first(parts, "address")
        person.email = opt(email if email is not None else kid(address, "email"))
        person.degrees = opt(_first(parts, "degrees"))
        for r in parts.get("role", ()):
            if r.get("content-type") == "position":
                person.position = opt(r)
            elif text(r) != r.get("content-type"):  # jatsgen writes the bare role name
                person.role_label = opt(r)
        return person

    # --- abstracts, keywords, categories ----------------------------------------------------

    def abstracts(self) -> list[Abstract]:
        out: list[Abstract] = []
        for a in kids(self.meta, "abstract", "trans-abstract"):
            kind = (a.get("abstract-type") or "").lower()
            if kind and kind not in ("abstract", "summary", "structured"):
                self.warn(
                    f"the {kind} abstract (abstract-type={kind!r}) is not carried: jatsgen "
                    "deposits the article's abstracts and their translations",
                    a,
                    "jats.abstract-type",
                )
                continue
            lang = a.get(XML_LANG) or (self.lang if local(a) == "abstract" else None)
            paras: list[list[Inline]] = []
            for el in a.iter("{*}p", "p"):
                nodes = inlines(el)
                sec = el.getparent()
                title = kid(sec, "title") if sec is not None and local(sec) == "sec" else None
                if title is not None and sec is not None and kids(sec, "p")[0] is el:
                    nodes = [Text(text(title) + ": "), *nodes]
                paras.append(_merged(nodes))
            if not paras:
                continue
            title = kid(a, "title")
            markup = paras if any(has_markup(p) for p in paras) else None
            out.append(Abstract(lang, [plain(p) for p in paras], opt(title), markup))
        return out

    def keywords(self) -> list[Keywords]:
        out = []
        for g in kids(self.meta, "kwd-group"):
            terms = [text(k) for k in g.iter("{*}kwd", "kwd") if text(k)]
            if terms:
                out.append(Keywords(g.get(XML_LANG) or self.lang, terms))
        return out

    def categories(self) -> tuple[str | None, list[Classification]]:
        section = None
        classes: list[Classification] = []
        cats = kid(self.meta, "article-categories")
        for g in kids(cats, "subj-group"):
            kind = (g.get("subj-group-type") or "heading").lower()
            subject = opt(kid(g, "subject"))
            if subject is None:
                continue
            if kind in ("heading", "display-channel") and section is None:
                section = subject
            elif kind not in ("heading", "display-channel", "subject", "toc-heading"):
                classes.append(Classification(kind, subject))
        return section, classes

    # --- dates, ids, licence, funding ---------------------------------------------------------

    def dates(self) -> dict[str, PartialDate]:
        """The publication date (the best-ranked pub-date), the collection's (an issue's),
        and the received and accepted dates of the history."""
        found: dict[str, PartialDate] = {}
        best = len(PUB_DATE_RANK)
        for d in kids(self.meta, "pub-date"):
            kind = (d.get("date-type") or d.get("pub-type") or "pub").lower()
            value = self.date(d)
            if value is None:
                continue
            if kind == "collection":
                value.media = _formats(kind, d.get("publication-format"))[0]
                found.setdefault("collection", value)
            elif kind in PUB_DATE_RANK and PUB_DATE_RANK.index(kind) < best:
                best = PUB_DATE_RANK.index(kind)
                found["pub"] = value
        for d in kids(kid(self.meta, "history"), "date"):
            kind = (d.get("date-type") or "").lower()
            value = self.date(d)
            if value is not None and kind in ("received", "accepted"):
                found.setdefault(kind, value)
        return found

    def publication_dates(self) -> list[PartialDate]:
        """The publication date (the best-ranked pub-date) and the date of each other format
        it was published in (JATS @publication-format, NLM @pub-type epub/ppub; epub-ppub is
        both): one date per format, so a PubMed or a year-only date of the same publication
        is not a second one. The issue's (collection) date is the container's."""
        ranked: list[tuple[int, int, PartialDate]] = []
        for n, d in enumerate(kids(self.meta, "pub-date")):
            kind = (d.get("date-type") or d.get("pub-type") or "pub").lower()
            if kind not in PUB_DATE_RANK:
                continue
            value = self.date(d)
            if value is None:
                continue
            for m in _formats(kind, d.get("publication-format")):
                ranked.append(
                    (PUB_DATE_RANK.index(kind), n, PartialDate(**{**vars(value), "media": m}))
                )
        ranked.sort(key=lambda x: (x[0], x[1]))
        out: list[PartialDate] = []
        for _, _, d in ranked:
            if not out or (d.media and d.media not in {x.media for x in out}):
                out.append(d)
        return out

    def full_text(self) -> list[FullText]:
        """Full-text links: each self-uri with a content type (a PDF or XML rendition) is a
        link for Similarity Check and for text mining. One that is not absolute https is
        said, not carried."""
        out: list[FullText] = []
        for s in kids(self.meta, "self-uri"):
            href, ctype = str(s.get(XLINK) or "").strip(), (s.get("content-type") or "").lower()
            if not href or not ctype:
                continue
            if problem := check_full_text_url(href):
                self.warn(
                    f"{problem}; not carried (the config's [links] pdf pattern gives the "
                    "full text's URL)",
                    s,
                    "jats.full-text-link",
                )
                continue
            mime = ctype if "/" in ctype else guess_mime(f"x.{ctype}") or guess_mime(href)
            out += [FullText(href, "similarity-check"), FullText(href, "text-mining", mime)]
        return out

    def related(self) -> tuple[list[Update], list[Relation]]:
        """Crossmark updates (a correction or retraction notice's related-article) and
        relations (preprint, translation, commentary, data) from related-article and
        related-object elements that give a DOI."""
        updates: list[Update] = []
        relations: list[Relation] = []
        notice = NOTICE_TYPES.get((self.root.get("article-type") or "").lower())
        for el in [*kids(self.meta, "related-article"), *kids(self.meta, "related-object")]:
            named = el.get("link-type") or ""
            if named in INTER_WORK | INTRA_WORK and el.get("document-id"):  # as jatsgen writes
                kind_of_id = (el.get("document-id-type") or "doi").lower()
                ident = str(el.get("document-id"))
                relations.append(
                    Relation(
                        named,
                        normalize_doi(ident) if kind_of_id == "doi" else ident,
                        kind_of_id,
                        opt(el),
                    )
                )
                continue
            kind = (
                el.get("related-article-type")
                or el.get("link-type")
                or el.get("content-type")
                or el.get("object-type")
                or ""
            ).lower()
            doi = _related_doi(el)
            if doi is None:
                self.warn(
                    f"{local(el)} {kind or '(no type)'} gives no DOI (xlink:href with "
                    'ext-link-type="doi", or document-id with document-id-type="doi"); '
                    "not carried",
                    el,
                    "jats.related-no-doi",
                )
                continue
            update = UPDATE_OF.get(kind) or (notice if kind in ("", "corrected-article") else None)
            if update is not None:
                updates.append(Update(doi, update))
            elif kind in RELATION_OF:
                relations.append(Relation(RELATION_OF[kind], doi))
            elif kind.endswith("-forward"):
                self.warn(
                    f"related-article {kind} ({doi}) names the notice that updates this work: "
                    "Crossref carries that in the notice's own deposit (its Crossmark "
                    "update), so nothing of it goes into this work's",
                    el,
                    "jats.related-forward",
                )
            else:
                self.warn(
                    f"{local(el)} of type {kind or '(none)'} ({doi}) has no Crossref "
                    "relation jatsgen knows; not carried (known: "
                    f"{', '.join(sorted({*UPDATE_OF, *RELATION_OF}))})",
                    el,
                    "jats.related-type",
                )
        return updates, relations

    def landing_page(self) -> str | None:
        """The article's landing page: its first self-uri without a content type (a PDF or
        other rendition has one). A relative one names a file, not a page: said, ignored."""
        for s in kids(self.meta, "self-uri"):
            href = str(s.get(XLINK) or "")
            if not href or s.get("content-type"):
                continue
            if re.match(r"(?i)https?://\S+$", href):
                return href
            self.warn(
                f"self-uri {href!r} is not an absolute http(s) URL, so not a landing page; "
                "ignored (the config's [doi] resource pattern gives one)",
                s,
                "jats.relative-self-uri",
            )
        return None

    def date(self, d: etree._Element) -> PartialDate | None:
        """A date in any form JATS and NLM use: year with month (a number or a name in
        English, Russian or Kazakh) and day, or with a season; @iso-8601-date where the
        elements say less. What cannot be read is said, located."""
        found = _date(d)
        if found is None and text(kid(d, "year")):
            self.warn(f"date {text(d)!r} has no year that can be read", d, "jats.bad-date")
        elif found is not None and not real_date(found.year, found.month, found.day):
            self.warn(
                f"date {found} does not exist in the calendar; the day is left out",
                d,
                "jats.bad-date",
            )
            found.day = None
        return found

    def doi(self) -> str | None:
        for a in kids(self.meta, "article-id", "book-part-id", "book-id"):
            kind = a.get("pub-id-type") or a.get("book-part-id-type") or a.get("book-id-type")
            if (kind or "").lower() == "doi" and text(a):
                return normalize_doi(text(a))
        return None

    def license(self) -> License | None:
        perms = kid(self.meta, "permissions")
        lic = kid(perms, "license")
        if lic is None:
            return None
        ref = next((el for el in lic.iter(f"{ALI}license_ref")), None)
        url = lic.get(XLINK) or (text(ref) if ref is not None else None)
        if not url:
            link = next(
                (
                    el
                    for el in lic.iter("{*}ext-link", "ext-link", "{*}uri", "uri")
                    if (el.get(XLINK) or text(el)).startswith("http")
                ),
                None,
            )
            if link is not None:
                url = link.get(XLINK) or text(link)
        start = (
            parse_iso(ref.get("start_date")) if ref is not None and ref.get("start_date") else None
        )
        paragraph = kid(lic, "license-p")
        return License(url or None, opt(paragraph), start)

    def funding(self) -> list[Funding]:
        out = []
        for group in kids(self.meta, "funding-group"):
            for award in kids(group, "award-group"):
                sources = kids(award, "funding-source")
                awards = [text(a) for a in kids(award, "award-id") if text(a)]
                for src in sources or [None]:
                    if src is None:
                        continue
                    wrap = kid(src, "institution-wrap")
                    name = (
                        opt(kid(wrap, "institution"))
                        if wrap is not None
                        else opt(src, skip=("institution-id",))
                    )
                    ident = opt(kid(wrap, "institution-id")) if wrap is not None else None
                    ident = ident or src.get(XLINK)
                    if ident and re.fullmatch(r"\d{9,}", ident):
                        ident = f"https://doi.org/10.13039/{ident}"
                    if ident and ident.startswith("10.13039/"):
                        ident = f"https://doi.org/{ident}"
                    if name or ident:
                        out.append(Funding(name, ident, list(awards)))
        return out

    # --- references -------------------------------------------------------------------------

    def references(self, back: etree._Element | None) -> tuple[list[Reference], str | None]:
        refs: list[Reference] = []
        title = None
        if back is None:
            return refs, None
        for ref_list in back.iter("{*}ref-list", "ref-list"):
            if title is None:
                title = opt(kid(ref_list, "title"))
            for i, ref in enumerate(kids(ref_list, "ref"), start=len(refs) + 1):
                refs.append(self.reference(ref, i))
        return refs, title

    def reference(self, ref: etree._Element, n: int) -> Reference:
        cite = label_el = None
        for name, c in _children(ref):  # one pass for the citation and the label
            if name in _CITATIONS:
                cite = cite if cite is not None else c
            elif name == "label" and label_el is None:
                label_el = c
        label = opt(label_el)
        rid = ref.get("id") or f"ref{n}"
        if cite is None:
            return Reference(rid, text(ref, skip=("label",)), label)
        doi = None
        urls: list[str] = []
        for el in cite.iter("{*}pub-id", "{*}ext-link", "{*}uri"):
            name = local(el)
            if name == "pub-id" and (el.get("pub-id-type") or "").lower() == "doi":
                doi = doi or normalize_doi(text(el))
                href = el.get(XLINK)
                before = (
                    el.getprevious().tail if el.getprevious() is not None else el.getparent().text
                ) or ""
                if (
                    href
                    and before.endswith(href[: len(href) - len(text(el))])
                    and href.endswith(text(el))
                ):
                    urls.append(href)  # jatsgen printed the DOI URL with the DOI tagged
            elif name in ("ext-link", "uri"):
                url = el.get(XLINK) or text(el)
                if (el.get("ext-link-type") or "").lower() == "doi":
                    doi = doi or normalize_doi(url)
                elif url.startswith(("http://", "https://", "ftp://")):
                    urls.append(url)
                    if re.match(r"(?i)https?://(dx\.)?doi\.org/10\.", url):
                        doi = doi or normalize_doi(url)
        body = text(cite) if local(cite) != "element-citation" else _assemble(cite)
        for el in reversed(_ADDED(cite) if self.has_added_parts else []):
            added = text(el)
            if body.endswith(added):  # jatsgen appended it; it is not part of the printed text
                body = body[: len(body) - len(added)].rstrip()
        if doi is None:
            found = find_doi(body)
            doi = found if found else None
        if doi is not None:
            doi, problem = citation_doi(doi)
            if problem:  # a citation never sinks its article: its DOI is left out, said
                self.warn(
                    f"reference {label or n}: {problem}; the citation is kept without it",
                    ref,
                    "jats.citation-doi",
                )
        return Reference(rid, body, label, doi, urls)

    # --- container and kind -------------------------------------------------------------------

    def book(self) -> Book:
        """The book of a BITS book-meta: titles, editors, ISBNs, publisher, date, DOI."""
        m = self.meta
        titles = []
        for g in kids(m, "book-title-group"):
            t = kid(g, "book-title")
            if t is not None and text(t):
                titles.append(Title(text(t), g.get(XML_LANG) or self.lang, opt(kid(g, "subtitle"))))
        editors = self.contributors(self.affiliations())
        pub_el = kid(m, "publisher")
        publisher = (
            Publisher(text(kid(pub_el, "publisher-name")), opt(kid(pub_el, "publisher-loc")))
            if pub_el is not None and opt(kid(pub_el, "publisher-name"))
            else None
        )
        dates = self.publication_dates()
        return Book(
            titles=titles,
            isbns=[Isbn(normalize_isbn(text(i)), _media(i)) for i in kids(m, "isbn") if text(i)],
            publisher=publisher,
            published=dates[0] if dates else None,
            more_published=dates[1:],
            edition=opt(kid(m, "edition")),
            doi=self.doi(),
            url=self.landing_page(),
            contributors=editors,
        )

    def container(self, collection: PartialDate | None) -> Proceedings | Journal | Book | None:
        jm = self.journal
        cm = self.custom
        titles: list[Title] = []
        group = kid(jm, "journal-title-group")
        for t in kids(group, "journal-title") or kids(jm, "journal-title"):
            titles.append(Title(text(t), t.get(XML_LANG)))
        for tg in kids(group, "trans-title-group"):
            titles.append(Title(text(kid(tg, "trans-title")), tg.get(XML_LANG)))
        titles = [t for t in titles if t.text]
        pub_el = kid(jm, "publisher")
        publisher = None
        if pub_el is not None and opt(kid(pub_el, "publisher-name")):
            publisher = Publisher(
                text(kid(pub_el, "publisher-name")), opt(kid(pub_el, "publisher-loc"))
            )
        isbns = [
            Isbn(normalize_isbn(text(i)), _media(i)) for i in kids(self.meta, "isbn") if text(i)
        ]
        kind = cm.get(f"{META}container")
        conference = kid(self.meta, "conference")
        if kind == "none" or (jm is None and kind is None):
            return None
        where = Source(self.path, jm.sourceline if jm is not None else None, "journal-meta")
        if kind == "book":
            return Book(
                titles=titles,
                isbns=isbns,
                publisher=publisher,
                published=collection,
                edition=cm.get(f"{META}edition"),
                doi=cm.get(f"{META}doi"),
                url=cm.get(f"{META}url"),
                source=where,
            )
        if kind == "proceedings" or (kind is None and conference is not None):
            return Proceedings(
                titles=titles,
                event=self.event(conference),
                isbns=isbns,
                publisher=publisher,
                published=collection,
                subject=cm.get(f"{META}subject"),
                doi=cm.get(f"{META}doi"),
                url=cm.get(f"{META}url"),
                source=where,
            )
        ids = [j for j in kids(jm, "journal-id") if j.get("journal-id-type") != f"{META}made"]
        preferred = next(
            (j for j in ids if j.get("journal-id-type") == "publisher-id"), ids[0] if ids else None
        )
        issns = []
        for i in kids(jm, "issn"):
            if text(i):
                issns.append(Issn(text(i), _media(i)))
        return Journal(
            titles=titles,
            issns=issns,
            abbrev_title=opt(kid(group, "abbrev-journal-title")),
            journal_id=opt(preferred),
            volume=opt(kid(self.meta, "volume")),
            issue=opt(kid(self.meta, "issue")),
            publisher=publisher,
            published=collection,
            source=where,
        )

    def event(self, conf: etree._Element | None) -> Event | None:
        if conf is None:
            return None
        names = [Title(text(n), n.get(XML_LANG)) for n in kids(conf, "conf-name") if text(n)]
        date = kid(conf, "conf-date")
        start = (
            parse_iso(date.get("iso-8601-date"))
            if date is not None and date.get("iso-8601-date")
            else None
        )
        end = parse_iso(self.custom.get(f"{META}conference-end", "")) or None
        shown = opt(date)
        generated = (start.iso() if start else "") + (f"/{end.iso()}" if start and end else "")
        return Event(
            names=names,
            acronym=opt(kid(conf, "conf-acronym")),
            number=opt(kid(conf, "conf-num")),
            location=opt(kid(conf, "conf-loc")),
            start=start,
            end=end,
            date_text=None if shown == generated else shown,
            theme=opt(kid(conf, "conf-theme")),
            sponsors=[text(s) for s in kids(conf, "conf-sponsor") if text(s)],
        )

    def kind(self, article: Article) -> ArticleKind:
        declared = self.custom.get(f"{META}kind")
        if declared in {k.value for k in ArticleKind}:
            return ArticleKind(declared)
        c = article.container
        if isinstance(c, Proceedings):
            return ArticleKind.CONFERENCE_PAPER
        if isinstance(c, Book):
            return ArticleKind.BOOK_CHAPTER
        ids = " ".join(text(j) for j in kids(self.journal, "journal-id"))
        names = " ".join(t.text for t in c.titles) if c is not None else ""
        if PREPRINT_SERVERS.search(f"{ids} {names}") or (
            self.root.get("article-type") == "preprint"
        ):
            return ArticleKind.POSTED_CONTENT
        return ArticleKind.JOURNAL_ARTICLE


def _merged(nodes: list[Inline]) -> list[Inline]:
    out: list[Inline] = []
    for n in nodes:
        if isinstance(n, Text) and out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].text + n.text)
        else:
            out.append(n)
    return out


def _media(el: etree._Element) -> str:
    kind = (el.get("publication-format") or el.get("pub-type") or "print").lower()
    return "electronic" if kind in ("epub", "electronic", "online") else "print"


def _date(d: etree._Element) -> PartialDate | None:
    iso = parse_iso(d.get("iso-8601-date") or "")
    year = text(kid(d, "year"))
    if not year.isdigit():
        return iso
    month_text = text(kid(d, "month"))
    season = opt(kid(d, "season"))
    month: int | None = None
    if month_text.isdigit() and 1 <= int(month_text) <= 12:
        month = int(month_text)
    elif month_text:
        month = month_from_word(month_text)
        if month is None:
            season = season or month_text  # a season written in <month>: "Spring"
    day = text(kid(d, "day"))
    found = PartialDate(int(year), month, int(day) if day.isdigit() and month else None)
    if month is None and season:
        found.season = season
    fuller = iso is not None and ((iso.month and not month) or (iso.day and not found.day))
    if iso is not None and iso.year == found.year and not found.season and fuller:
        return iso  # the attribute says more than the elements
    return found


# pub-date types, best first: JATS @date-type and NLM @pub-type values that date the
# publication itself (not its correction, retraction or an archive's release)
PUB_DATE_RANK = (
    "pub",
    "epub",
    "epub-ppub",
    "publication",
    "original-publication",
    "ppub",
    "publication-year",
    "pubmed",
    "preprint",
    "epreprint",
)


# related-article types that make this work a Crossmark update of the related one
UPDATE_OF = {
    "corrected-article": "correction",
    "retracted-article": "retraction",
    "partial-retraction": "partial_retraction",
    "object-of-concern": "expression_of_concern",
    "addended-article": "addendum",
    "removed-article": "removal",
    "withdrawn-article": "withdrawal",
}
# article-type of a notice -> its update type, for a related-article that names no type
NOTICE_TYPES = {
    "correction": "correction",
    "retraction": "retraction",
    "expression-of-concern": "expression_of_concern",
    "addendum": "addendum",
    "removal": "removal",
}
# related-article / related-object types -> Crossref relation types
RELATION_OF = {
    "preprint": "hasPreprint",
    "peer-reviewed-version": "isPreprintOf",
    "translation": "hasTranslation",
    "translated-article": "isTranslationOf",
    "original-article": "isTranslationOf",
    "version": "isVersionOf",
    "commentary-article": "isCommentOn",
    "commentary": "hasComment",
    "reply": "isReplyTo",
    "response": "hasReply",
    "companion": "hasRelatedMaterial",
    "reviewed-article": "isReviewOf",
    "dataset": "isSupplementedBy",
    "data": "isSupplementedBy",
    "supplementary-material": "isSupplementedBy",
    "software": "isSupplementedBy",
}


def _formats(kind: str, form: str | None) -> list[str | None]:
    """The Crossref media types of a pub-date: JATS @publication-format (print, electronic),
    NLM @pub-type (epub, ppub, epub-ppub: both); None when it says none."""
    form = (form or "").lower()
    if kind == "epub-ppub":
        return ["online", "print"]
    if kind in ("epub", "epreprint") or form in ("electronic", "online"):
        return ["online"]
    if kind == "ppub" or form == "print":
        return ["print"]
    return [None]


def _related_doi(el: etree._Element) -> str | None:
    """The DOI a related-article or related-object names, if it names one."""
    for value, typ in (
        (el.get(XLINK), el.get("ext-link-type")),
        (el.get("document-id"), el.get("document-id-type")),
        (el.get("source-id"), el.get("source-id-type")),
    ):
        if not value:
            continue
        doi = normalize_doi(value)
        named = (typ or "").lower() == "doi" or doi != value.strip() or value.startswith("10.")
        if named and check_doi(doi) is None:
            return doi
    return None


_ADDED = etree.XPath("*[@specific-use='jatsgen-added']")
_CITATIONS = frozenset(("mixed-citation", "element-citation", "citation", "nlm-citation"))
_ASSEMBLED = frozenset(
    (
        "year",
        "article-title",
        "chapter-title",
        "data-title",
        "source",
        "volume",
        "issue",
        "fpage",
        "lpage",
        "elocation-id",
    )
)
_NAMES = frozenset(("name", "string-name", "collab"))


def _by_name(el: etree._Element) -> dict[str, list[etree._Element]]:
    """The element children by local name, in document order (one pass, for many lookups)."""
    out: dict[str, list[etree._Element]] = {}
    for name, c in _children(el):
        out.setdefault(name, []).append(c)
    return out


def _first(parts: dict[str, list[etree._Element]], name: str) -> etree._Element | None:
    found = parts.get(name)
    return found[0] if found else None


def _children(el: etree._Element) -> list[tuple[str, etree._Element]]:
    """(local name, element) for the element children, comments and PIs left out (the
    name worked out here, not by `local`: this runs for every child of every reference)."""
    out = []
    for c in el:
        tag = c.tag
        if tag.__class__ is str:
            out.append((tag if tag[0] != "{" else tag.rpartition("}")[2], c))
    return out


def _person(n: etree._Element, name: str) -> str:
    """'Surname Given' for a citation's name (the whole text if it has neither part)."""
    if name == "collab":
        return text(n)
    parts = list(n)
    if len(parts) == 2:  # the common <surname/><given-names/>, plain text, no namespace
        s, g = parts
        if s.tag == "surname" and g.tag == "given-names" and not len(s) and not len(g):
            return " ".join((s.text or "").split() + (g.text or "").split()) or text(n)
    surname = given = None
    for part, p in _children(n):
        if part == "surname" and surname is None:
            surname = p
        elif part == "given-names" and given is None:
            given = p
    return " ".join(t for t in (text(surname), text(given)) if t) or text(n)


def _assemble(cite: etree._Element) -> str:
    """A readable string for an element-citation, which has no text of its own."""
    first: dict[str, str] = {}
    doi = None
    grouped: list[str] = []  # names in person-groups, when there are any
    loose: list[str] = []  # names directly in the citation
    groups = False
    for name, c in _children(cite):  # one pass: lxml calls are what this costs
        if name in _ASSEMBLED:
            if name not in first:
                first[name] = text(c)
        elif name == "pub-id":
            if doi is None and (c.get("pub-id-type") or "").lower() == "doi":
                doi = text(c)
        elif name == "person-group":
            groups = True
            grouped += [_person(n, kind) for kind, n in _children(c) if kind in _NAMES]
        elif name in _NAMES:
            loose.append(_person(c, name))
    names = grouped if groups else loose
    get = first.get
    title = get("article-title") or get("chapter-title") or get("data-title")
    parts: tuple[str | None, ...] = (
        ", ".join(names) if names else None,
        f"({first['year']})" if get("year") else None,
        title,
        get("source"),
        " ".join(p for p in (get("volume"), f"({first['issue']})" if get("issue") else "") if p)
        or None,
        "–".join(p for p in (get("fpage"), get("lpage")) if p) or None,
        get("elocation-id"),
    )
    body = ". ".join(p.rstrip(".") for p in parts if p)
    return f"{body}. doi:{doi}" if doi else body
