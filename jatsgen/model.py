"""The one typed model every reader fills and every writer reads.

Plain dataclasses, no behaviour beyond small derived views. A reader never leaves raw input
behind for a writer to re-parse: what a writer needs is a field here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field


class ArticleKind(enum.StrEnum):
    JOURNAL_ARTICLE = "journal-article"
    CONFERENCE_PAPER = "conference-paper"
    BOOK_CHAPTER = "book-chapter"
    POSTED_CONTENT = "posted-content"  # a preprint on a server such as bioRxiv


@dataclass
class PartialDate:
    """A date that may lack its month or day, as publication dates often do; or a year and
    a season ("Spring", "First Quarter", "Jan-Feb"), as some journals date their issues."""

    year: int
    month: int | None = None
    day: int | None = None
    season: str | None = None  # as printed; then month and day are None
    # a publication date's format (print | online | other), when its source says; None is
    # the config's [crossref] media_type
    media: str | None = field(default=None, compare=True)

    def iso(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month is not None:
            parts.append(f"{self.month:02d}")
            if self.day is not None:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)

    def __str__(self) -> str:
        return f"{self.iso()} {self.season}" if self.season else self.iso()


@dataclass
class Title:
    text: str
    lang: str | None = None
    subtitle: str | None = None
    markup: list[Inline] | None = None  # the title with face markup, when it has any


# --- inline content -----------------------------------------------------------------------


@dataclass
class Text:
    text: str


# Inline styles, named as JATS names their elements.
STYLES = ("bold", "italic", "sup", "sub", "underline", "monospace", "sc")


@dataclass
class Styled:
    style: str  # one of STYLES
    children: list[Inline]


@dataclass
class Link:
    url: str
    text: str


@dataclass
class Email:
    address: str


@dataclass
class CiteRef:
    """An in-text citation pointing at one or more references by their ids."""

    ref_ids: list[str]
    text: str


Inline = Text | Styled | Link | Email | CiteRef


def plain_text(inlines: list[Inline]) -> str:
    """The reading text of inline content, markup dropped."""
    out: list[str] = []
    for node in inlines:
        if isinstance(node, Text):
            out.append(node.text)
        elif isinstance(node, Styled):
            out.append(plain_text(node.children))
        elif isinstance(node, Link | CiteRef):
            out.append(node.text)
        else:
            out.append(node.address)
    return "".join(out)


# --- body blocks --------------------------------------------------------------------------


@dataclass
class Paragraph:
    inlines: list[Inline]


@dataclass
class ListBlock:
    items: list[list[Inline]]
    ordered: bool = False
    prefix: str | None = None  # the bullet as printed ("–", "-", "•") for unordered lists


@dataclass
class Table:
    rows: list[list[list[Inline]]]
    header_rows: int = 0
    caption: str | None = None


@dataclass
class Section:
    title: list[Inline]
    blocks: list[Block] = field(default_factory=list)


Block = Paragraph | ListBlock | Table | Section


def iter_inlines(blocks: list[Block]) -> Iterator[Inline]:
    """Every inline node of a body, depth first, in document order."""

    def walk(nodes: list[Inline]) -> Iterator[Inline]:
        for node in nodes:
            yield node
            if isinstance(node, Styled):
                yield from walk(node.children)

    for block in blocks:
        if isinstance(block, Paragraph):
            yield from walk(block.inlines)
        elif isinstance(block, ListBlock):
            for item in block.items:
                yield from walk(item)
        elif isinstance(block, Table):
            for row in block.rows:
                for cell in row:
                    yield from walk(cell)
        else:
            yield from walk(block.title)
            yield from iter_inlines(block.blocks)


# --- people and places --------------------------------------------------------------------


@dataclass
class Affiliation:
    id: str
    institution: str | None = None
    department: str | None = None
    city: str | None = None
    country: str | None = None  # the country as printed
    country_code: str | None = None  # ISO 3166-1 alpha-2
    ror: str | None = None  # https://ror.org/0xxxxxxxx
    isni: str | None = None
    ringgold: str | None = None
    text: str | None = None  # the affiliation line as printed, when the source had one


@dataclass
class Contributor:
    surname: str | None = None
    given_names: str | None = None
    role: str = "author"  # author | supervisor | editor | translator | chair | ...
    name_style: str = "western"  # western | eastern | islensk | given-only
    orcid: str | None = None  # https://orcid.org/0000-0000-0000-0000
    orcid_authenticated: bool = False
    email: str | None = None
    affiliation_ids: list[str] = field(default_factory=list)
    degrees: str | None = None
    position: str | None = None  # status as printed ("Студент", "PhD candidate")
    role_label: str | None = None  # the role as the source words it ("Ғылыми жетекші")
    collab: str | None = None  # an organisation as author
    suffix: str | None = None  # Jr., III


@dataclass
class Classification:
    scheme: str  # udc | msc | jel | ...
    code: str


@dataclass
class Abstract:
    lang: str | None
    paragraphs: list[str]
    title: str | None = None
    markup: list[list[Inline]] | None = None  # the paragraphs with inline markup, if any


@dataclass
class Keywords:
    lang: str | None
    terms: list[str]


@dataclass
class License:
    url: str | None = None
    text: str | None = None
    start_date: PartialDate | None = None


@dataclass
class Funding:
    funder_name: str | None = None
    funder_id: str | None = None  # a Funder Registry DOI URL or a ROR URL
    award_ids: list[str] = field(default_factory=list)


@dataclass
class FullText:
    """A link to the full text for a registry's crawler: Similarity Check ("similarity-check",
    Crossref `crawler-based` for iParadigms) or text and data mining ("text-mining")."""

    url: str
    purpose: str  # similarity-check | text-mining
    mime_type: str | None = None
    license: str | None = None  # the text-mining licence URL (Crossref applies_to="tdm")


# Crossref relation types (relations.xsd): between two works, and between forms of one work.
INTER_WORK = frozenset(
    "isDerivedFrom hasDerivation isReviewOf hasReview isCommentOn hasComment isReplyTo hasReply "
    "basedOnData isDataBasisFor hasRelatedMaterial isRelatedMaterial isCompiledBy compiles "
    "isDocumentedBy documents isSupplementTo isSupplementedBy isContinuedBy continues isPartOf "
    "hasPart references isReferencedBy isBasedOn isBasisFor requires isRequiredBy finances "
    "isFinancedBy".split()
)
INTRA_WORK = frozenset(
    "isTranslationOf hasTranslation isPreprintOf hasPreprint isManuscriptOf hasManuscript "
    "isExpressionOf hasExpression isManifestationOf hasManifestation isReplacedBy replaces "
    "isSameAs isIdenticalTo isVariantFormOf isOriginalFormOf isVersionOf hasVersion isFormatOf "
    "hasFormat".split()
)
RELATION_ID_TYPES = frozenset(
    "doi issn isbn uri pmid pmcid purl arxiv ark handle uuid ecli accession other".split()
)
# Crossmark update types (cm_update_type, common5.x.xsd)
UPDATE_TYPES = frozenset(
    "addendum clarification correction corrigendum erratum expression_of_concern new_edition "
    "new_version partial_retraction removal retraction withdrawal".split()
)


@dataclass
class Update:
    """This work updates another (a correction, retraction, ...): Crossmark `updates`."""

    doi: str  # the updated work's DOI
    type: str  # correction | retraction | ... (Crossref's cm_update_type)
    date: PartialDate | None = None  # when the update was published (default: this work's date)


@dataclass
class Relation:
    """A relation to another work or object: Crossref `rel:program`."""

    type: str  # isPreprintOf, hasPreprint, hasTranslation, isSupplementedBy, ...
    id: str  # the related object's identifier
    id_type: str = "doi"  # doi | uri | issn | isbn | ...
    description: str | None = None


@dataclass
class Reference:
    id: str
    text: str
    label: str | None = None
    doi: str | None = None  # bare "10.x/y"
    urls: list[str] = field(default_factory=list)


# --- containers ---------------------------------------------------------------------------


@dataclass
class Isbn:
    value: str
    media_type: str = "print"  # print | electronic


@dataclass
class Issn:
    value: str
    media_type: str = "print"


@dataclass
class Publisher:
    name: str
    place: str | None = None


@dataclass
class Event:
    names: list[Title]
    acronym: str | None = None
    number: str | None = None
    location: str | None = None
    start: PartialDate | None = None
    end: PartialDate | None = None
    date_text: str | None = None  # the date as printed ("7 сәуір 2025")
    theme: str | None = None
    sponsors: list[str] = field(default_factory=list)


@dataclass
class Proceedings:
    titles: list[Title]
    event: Event | None = None
    isbns: list[Isbn] = field(default_factory=list)
    publisher: Publisher | None = None
    published: PartialDate | None = None
    subject: str | None = None
    doi: str | None = None
    url: str | None = None
    contributors: list[Contributor] = field(default_factory=list)  # editors, chairs
    # where the container is given (a record's container, a JATS journal-meta): what is
    # wrong with it is said once, there, not under every work
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass
class Journal:
    titles: list[Title]
    issns: list[Issn] = field(default_factory=list)
    abbrev_title: str | None = None
    journal_id: str | None = None
    volume: str | None = None
    issue: str | None = None
    publisher: Publisher | None = None
    published: PartialDate | None = None
    contributors: list[Contributor] = field(default_factory=list)  # the issue's guest editors
    # where the container is given (a record's container, a JATS journal-meta): what is
    # wrong with it is said once, there, not under every work
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass
class Book:
    titles: list[Title]
    isbns: list[Isbn] = field(default_factory=list)
    publisher: Publisher | None = None
    published: PartialDate | None = None
    edition: str | None = None
    doi: str | None = None
    url: str | None = None
    contributors: list[Contributor] = field(default_factory=list)  # the book's editors
    more_published: list[PartialDate] = field(default_factory=list)  # in its other formats
    # where the container is given (a record's container, a JATS journal-meta): what is
    # wrong with it is said once, there, not under every work
    source: Source | None = field(default=None, compare=False, repr=False)


Container = Proceedings | Journal | Book


@dataclass(frozen=True)
class Source:
    """Where an article came from, for located messages."""

    path: str
    line: int | None = None
    pointer: str | None = None  # JSON path inside a record file
    row: int | None = None  # a sheet's row as a spreadsheet numbers it (header = 1)

    def __str__(self) -> str:
        if self.row is not None:
            return f"{self.path}: row {self.row}"
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass
class Article:
    kind: ArticleKind
    title: Title
    language: str | None = None
    trans_titles: list[Title] = field(default_factory=list)
    contributors: list[Contributor] = field(default_factory=list)
    affiliations: list[Affiliation] = field(default_factory=list)
    abstracts: list[Abstract] = field(default_factory=list)
    keywords: list[Keywords] = field(default_factory=list)
    classifications: list[Classification] = field(default_factory=list)
    section: str | None = None
    number: str | None = None  # sequence number inside the collection/issue
    fpage: str | None = None
    lpage: str | None = None
    article_number: str | None = None  # elocation-id, for works without pages
    published: PartialDate | None = None
    # the same publication in its other formats (an online and a print date): each with media
    more_published: list[PartialDate] = field(default_factory=list)
    received: PartialDate | None = None
    accepted: PartialDate | None = None
    license: License | None = None
    funding: list[Funding] = field(default_factory=list)
    doi: str | None = None
    url: str | None = None
    body: list[Block] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    ref_list_title: str | None = None
    full_text: list[FullText] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    container: Container | None = None
    source: Source | None = None
    id: str | None = None  # the source's own name for the article (names output files)
    # the article as its JATS source typeset it (one <article>, serialized), when read from
    # JATS for JATS output: its body, back matter, floats and sub-articles are kept from it
    original: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def authors(self) -> list[Contributor]:
        return [c for c in self.contributors if c.role == "author"]

    def affiliation(self, aff_id: str) -> Affiliation | None:
        return next((a for a in self.affiliations if a.id == aff_id), None)

    @property
    def all_titles(self) -> list[Title]:
        return [self.title, *self.trans_titles]

    @property
    def publication_dates(self) -> list[PartialDate]:
        """Every publication date of the work, the main one first."""
        return [self.published, *self.more_published] if self.published else []


@dataclass
class Work:
    """An article with the identifiers it is registered under: what a deposit carries."""

    article: Article
    doi: str
    resource: str  # the landing page

    @property
    def source(self) -> Source | None:
        return self.article.source

    @property
    def where(self) -> str:
        return located(self.article.source)


def located(source: Source | None) -> str:
    """A source as `path:line`, for messages that name another work."""
    return str(source) if source is not None else "<record>"
