"""model -> JATS -> model is lossless for everything the model holds (property test).

The strategy builds models the way readers fill them: normalised text (no runs of spaces, no
spaces at the edges of inline content), one line per affiliation that contains its tagged
parts, contributors grouped by role, paragraphs before sections. Within that space every
field must come back equal, in JATS 1.3 and 1.4.
"""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from jatsgen.diagnostics import Diagnostics
from jatsgen.model import (
    Abstract,
    Affiliation,
    Article,
    ArticleKind,
    Book,
    CiteRef,
    Classification,
    Contributor,
    Email,
    Event,
    Funding,
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
    Section,
    Styled,
    Table,
    Text,
    Title,
    plain_text,
)
from jatsgen.readers.jats import read_jats
from jatsgen.writers.jats import JatsOptions, to_jats

LETTERS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЭЮЯәғқңөұүһіӘҒҚҢӨҰҮҺІ"
)
word = st.text(alphabet=LETTERS + "0123456789-'«»()", min_size=1, max_size=7).filter(
    lambda w: any(c.isalpha() for c in w)
)
words = st.lists(word, min_size=1, max_size=5).map(" ".join)
langs = st.sampled_from(["kk", "ru", "en", "pt", "de"])
maybe = st.none().__or__


@st.composite
def dates(draw: st.DrawFn, full: bool = False) -> PartialDate:
    year = draw(st.integers(1990, 2030))
    if full:
        return PartialDate(year, draw(st.integers(1, 12)), draw(st.integers(1, 28)))
    month = draw(maybe(st.integers(1, 12)))
    day = draw(maybe(st.integers(1, 28))) if month else None
    return PartialDate(year, month, day)


@st.composite
def inline_list(draw: st.DrawFn, ref_ids: list[str], depth: int = 0) -> list:
    """Inline nodes with no two texts side by side and no spaces at the edges."""
    kinds = ["text", "styled", "link", "email"] + (["cite"] if ref_ids else [])
    if depth > 1:
        kinds = ["text"]
    n = draw(st.integers(1, 4))
    out: list = []
    for i in range(n):
        kind = draw(st.sampled_from(kinds))
        if kind == "text" or (out and isinstance(out[-1], Text) and kind == "text"):
            if out and isinstance(out[-1], Text):
                continue
            t = draw(words)
            out.append(Text((" " if i else "") + t + (" " if i < n - 1 else "")))
        elif kind == "styled":
            out.append(
                Styled(
                    draw(st.sampled_from(["bold", "italic", "sup", "sub"])),
                    draw(inline_list(ref_ids, depth + 1)),
                )
            )
        elif kind == "link":
            out.append(Link(f"https://example.org/{draw(st.integers(0, 999))}", draw(words)))
        elif kind == "email":
            out.append(Email(f"user{draw(st.integers(0, 99))}@example.org"))
        else:
            out.append(
                CiteRef(
                    draw(st.lists(st.sampled_from(ref_ids), min_size=1, max_size=2, unique=True)),
                    str(draw(st.integers(1, 99))),
                )
            )
    if not out:
        out = [Text(draw(words))]
    # no spaces at the edges of a run of inline content (readers strip them)
    if isinstance(out[0], Text):
        out[0] = Text(out[0].text.lstrip())
    if isinstance(out[-1], Text):
        out[-1] = Text(out[-1].text.rstrip())
    return out


@st.composite
def blocks(draw: st.DrawFn, ref_ids: list[str], depth: int = 0) -> list:
    flat: list = []
    for _ in range(draw(st.integers(0 if depth else 1, 3))):
        kind = draw(st.sampled_from(["p", "p", "list", "table"]))
        if kind == "p":
            flat.append(Paragraph(draw(inline_list(ref_ids))))
        elif kind == "list":
            ordered = draw(st.booleans())
            flat.append(
                ListBlock(
                    draw(st.lists(inline_list(ref_ids), min_size=1, max_size=3)),
                    ordered,
                    None if ordered else draw(st.sampled_from([None, "–", "—"])),
                )
            )
        else:
            cols = draw(st.integers(1, 3))
            rows = draw(
                st.lists(
                    st.lists(inline_list(ref_ids), min_size=cols, max_size=cols),
                    min_size=1,
                    max_size=3,
                )
            )
            flat.append(Table(rows, draw(st.integers(0, len(rows) - 1)), draw(maybe(words))))
    if depth < 2:
        for _ in range(draw(st.integers(0, 2))):
            flat.append(Section(draw(inline_list(ref_ids)), draw(blocks(ref_ids, depth + 1))))
    return flat


@st.composite
def affiliations(draw: st.DrawFn) -> list[Affiliation]:
    out = []
    for i in range(draw(st.integers(0, 3))):
        pool = iter(draw(st.lists(word, min_size=6, max_size=6, unique=True)))
        inst = draw(maybe(st.just(next(pool) + " University")))
        dept = draw(maybe(st.just("Department of " + next(pool))))
        city = draw(maybe(st.just(next(pool) + "grad")))
        country = draw(maybe(st.just(next(pool) + "land")))
        code = draw(maybe(st.sampled_from(["KZ", "RU", "PT"])))
        ror = draw(
            maybe(st.sampled_from(["https://ror.org/052bx8q98", "https://ror.org/0409ba575"]))
        )
        parts = [p for p in (inst, dept, city, country) if p]
        text = None
        if parts and inst and draw(st.booleans()):
            text = f"{next(pool)} group, " + ", ".join(parts)  # a printed line with the parts
        out.append(
            Affiliation(
                f"aff{i + 1}",
                inst,
                dept,
                city,
                country,
                code,
                ror,
                draw(maybe(st.just("0000000121032683"))),
                draw(maybe(st.just("12345"))),
                text,
            )
        )
    return out


@st.composite
def contributors(draw: st.DrawFn, aff_ids: list[str]) -> list[Contributor]:
    out = []
    for role in draw(
        st.lists(
            st.sampled_from(["author", "editor", "supervisor"]), min_size=1, max_size=3, unique=True
        )
    ):
        for _ in range(draw(st.integers(1, 3))):
            style = draw(st.sampled_from(["western", "eastern", "given-only", "collab"]))
            c = Contributor(role=role)
            if style == "collab":
                c.collab = draw(words) + " Consortium"
            elif style == "given-only":
                c.name_style, c.given_names = "given-only", draw(word)
            else:
                c.name_style = style
                c.surname = draw(word)
                c.given_names = draw(maybe(words))
                c.suffix = draw(maybe(st.sampled_from(["Jr.", "III"])))
                c.degrees = draw(maybe(st.sampled_from(["PhD", "з.ғ.м."])))
                c.position = draw(maybe(words))
                c.email = draw(maybe(st.just("someone@example.org")))
                if draw(st.booleans()):
                    c.orcid = "https://orcid.org/0000-0002-1825-0097"
                    c.orcid_authenticated = draw(st.booleans())
            if role != "author":
                c.role_label = draw(maybe(words.map(lambda w: w + " label")))
            c.affiliation_ids = (
                draw(st.lists(st.sampled_from(aff_ids), unique=True, max_size=2)) if aff_ids else []
            )
            out.append(c)
    return out


@st.composite
def containers(draw: st.DrawFn, language: str | None) -> tuple:
    kind = draw(st.sampled_from(["journal", "proceedings", "book", "none"]))
    titles = [Title(draw(words), draw(maybe(langs)))] + [
        Title(draw(words), lang) for lang in draw(st.lists(langs, max_size=2, unique=True))
    ]
    publisher = draw(maybe(st.builds(Publisher, words, maybe(words))))
    published = draw(maybe(dates()))
    isbns = draw(
        st.lists(
            st.builds(
                Isbn,
                st.sampled_from(["978-601-262-587-5", "978-0-306-40615-7"]),
                st.sampled_from(["print", "electronic"]),
            ),
            max_size=2,
            unique_by=lambda i: i.value,
        )
    )
    if kind == "journal":
        c = Journal(
            titles,
            draw(
                st.lists(
                    st.builds(
                        Issn,
                        st.sampled_from(["0317-8471", "1050-124X"]),
                        st.sampled_from(["print", "electronic"]),
                    ),
                    max_size=2,
                    unique_by=lambda i: i.value,
                )
            ),
            draw(maybe(words)),
            draw(maybe(st.just("jid"))),
            draw(maybe(st.just("7"))),
            draw(maybe(st.just("2"))),
            publisher,
            published,
        )
        return c, draw(st.sampled_from([ArticleKind.JOURNAL_ARTICLE, ArticleKind.POSTED_CONTENT]))
    if kind == "proceedings":
        event = None
        if draw(st.booleans()):
            start = draw(maybe(dates()))
            event = Event(
                [Title(draw(words), draw(maybe(langs)))],
                draw(maybe(word)),
                draw(maybe(st.just("5"))),
                draw(maybe(words)),
                start,
                draw(maybe(dates())) if start else None,
                draw(maybe(words)),
                draw(maybe(words)),
                draw(st.lists(words, max_size=2)),
            )
        c = Proceedings(
            titles,
            event,
            isbns,
            publisher,
            published,
            draw(maybe(words)),
            draw(maybe(st.just("10.5555/proc"))),
            draw(maybe(st.just("https://example.org/proc"))),
        )
        return c, ArticleKind.CONFERENCE_PAPER
    if kind == "book":
        c = Book(
            titles,
            isbns,
            publisher,
            published,
            draw(maybe(st.just("2"))),
            draw(maybe(st.just("10.5555/book"))),
            draw(maybe(st.just("https://example.org/b"))),
        )
        return c, ArticleKind.BOOK_CHAPTER
    return None, ArticleKind.JOURNAL_ARTICLE


@st.composite
def references(draw: st.DrawFn) -> list[Reference]:
    out = []
    for i in range(draw(st.integers(0, 4))):
        text = draw(words)
        doi = draw(maybe(st.just(f"10.5555/r.{i}")))
        urls = []
        if doi and draw(st.booleans()):
            text += f". doi:{doi}"
        if draw(st.booleans()):
            urls.append(f"https://example.org/ref{i}")
            text += f" // {urls[0]}"
        out.append(Reference(f"ref{i + 1}", text, draw(maybe(st.just(str(i + 1)))), doi, urls))
    return out


@st.composite
def articles(draw: st.DrawFn) -> Article:
    language = draw(maybe(langs))
    refs = draw(references())
    ref_ids = [r.id for r in refs]
    affs = draw(affiliations())
    container, kind = draw(containers(language))
    markup = draw(maybe(inline_list([])))
    title = Title(
        plain_text(markup) if markup else draw(words),
        language,
        draw(maybe(words)),
        markup if markup and any(not isinstance(n, Text) for n in markup) else None,
    )
    trans_langs = draw(st.lists(langs.filter(lambda x: x != language), max_size=2, unique=True))
    abstract_langs = draw(st.lists(langs, max_size=3, unique=True))
    if language in abstract_langs:  # the abstract in the article's language comes first
        abstract_langs.remove(language)
        abstract_langs.insert(0, language)
    abstracts = []
    for lang in abstract_langs:
        paras = draw(st.lists(inline_list([]), min_size=1, max_size=2))
        rich = any(not isinstance(n, Text) for p in paras for n in p)
        abstracts.append(
            Abstract(
                lang, [plain_text(p) for p in paras], draw(maybe(words)), paras if rich else None
            )
        )
    pages = draw(st.booleans())
    license = draw(
        maybe(
            st.builds(
                License,
                st.just("https://creativecommons.org/licenses/by/4.0/"),
                maybe(words),
                maybe(dates(full=True)),
            )
        )
    )
    people = draw(contributors([a.id for a in affs]))
    if not any(c.affiliation_ids for c in people):
        affs = []  # readers only ever make affiliations somebody has
    return Article(
        kind=kind,
        title=title,
        language=language,
        trans_titles=[Title(draw(words), lang, draw(maybe(words))) for lang in trans_langs],
        contributors=people,
        affiliations=affs,
        abstracts=abstracts,
        keywords=[
            Keywords(lang, draw(st.lists(words, min_size=1, max_size=3)))
            for lang in draw(st.lists(langs, max_size=2, unique=True))
        ],
        classifications=[
            Classification(s, draw(words))
            for s in draw(
                st.lists(st.sampled_from(["udc", "irsti", "msc"]), max_size=2, unique=True)
            )
        ],
        section=draw(maybe(words)),
        number=draw(maybe(st.sampled_from(["070", "p12"]))),
        fpage=str(draw(st.integers(1, 50))) if pages else None,
        lpage=str(draw(st.integers(51, 99))) if pages and draw(st.booleans()) else None,
        article_number=None if pages else draw(maybe(st.just("e101"))),
        published=draw(maybe(dates())),
        received=draw(maybe(dates())),
        accepted=draw(maybe(dates())),
        license=license,
        funding=[
            Funding(
                draw(maybe(words)),
                "https://doi.org/10.13039/100000001",
                draw(st.lists(word, max_size=2)),
            )
            for _ in range(draw(st.integers(0, 2)))
        ],
        doi=draw(maybe(st.just("10.5555/article.1"))),
        url=draw(maybe(st.just("https://example.org/article/1"))),
        body=draw(blocks(ref_ids)) if draw(st.booleans()) else [],
        references=refs,
        ref_list_title=draw(maybe(words)) if refs else None,
        container=container,
    )


def roundtrip(article: Article, version: str) -> Article:
    xml = to_jats(article, JatsOptions(version=version), Diagnostics())
    (read,) = read_jats(xml, "roundtrip.xml", Diagnostics())
    return read


def comparable(a: Article) -> Article:
    return dataclasses.replace(a, source=None, id=None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles())
def test_model_to_jats_13_to_model_is_lossless(article):
    assert comparable(roundtrip(article, "1.3")) == comparable(article)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles())
def test_model_to_jats_14_to_model_is_lossless(article):
    assert comparable(roundtrip(article, "1.4")) == comparable(article)


@settings(max_examples=40, deadline=None)
@given(articles())
def test_generated_models_give_schema_valid_jats(jats13, article):
    doc = etree.fromstring(to_jats(article, JatsOptions(), Diagnostics()))
    assert jats13.validate(doc), jats13.error_log
