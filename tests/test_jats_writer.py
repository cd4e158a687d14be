"""The JATS writer: valid against the official XSDs, deterministic, never writes bad chars."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES, PAGES, SEED
from lxml import etree

from jatsgen.diagnostics import Diagnostics
from jatsgen.model import (
    Affiliation,
    Article,
    ArticleKind,
    CiteRef,
    Contributor,
    Paragraph,
    Reference,
    Text,
    Title,
)
from jatsgen.readers import read
from jatsgen.writers.jats import JatsOptions, to_jats

BAD_PAGES = ("reversed_pages.txt", "bad_page_four_problems.txt")  # refused, on purpose
INPUTS = [
    *([SEED] if SEED.is_file() else []),  # (../shared: not in a clone alone)
    *sorted(p for p in PAGES.glob("*.txt") if p.name not in BAD_PAGES),
    EXAMPLES / "collection.yaml",
    EXAMPLES / "article.json",
]
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def articles():
    for path in INPUTS:
        for i, article in enumerate(read(path).articles):
            yield pytest.param(article, id=f"{path.name}-{i}")


@pytest.mark.parametrize("article", list(articles()))
def test_every_input_gives_valid_jats_13_and_14(article, jats13, jats14):
    for version, schema in (("1.3", jats13), ("1.4", jats14)):
        doc = etree.fromstring(to_jats(article, JatsOptions(version=version)))
        assert schema.validate(doc), (version, schema.error_log)
        ids = set(doc.xpath("//@id"))
        assert all(rid in ids for x in doc.xpath("//xref/@rid") for rid in x.split())


def test_output_is_byte_identical_for_the_same_input():
    article = read(SEED).articles[0]
    assert to_jats(article) == to_jats(read(SEED).articles[0])


def test_jats_14_uses_a_title_group_per_language_and_no_trans_title():
    article = read(PAGES / "kk_three_authors.txt").articles[0]
    doc = etree.fromstring(to_jats(article, JatsOptions(version="1.4")))
    groups = doc.xpath("//article-meta/title-group")
    assert [g.get(XML_LANG) for g in groups] == ["kk", "ru", "en"]
    assert not doc.xpath("//trans-title") and not doc.xpath("//trans-abstract")
    assert doc.get("dtd-version") == "1.4"


def test_jats_13_keeps_translated_titles_and_abstracts_as_trans_elements():
    article = read(PAGES / "kk_three_authors.txt").articles[0]
    doc = etree.fromstring(to_jats(article))
    assert [g.get(XML_LANG) for g in doc.xpath("//trans-title-group")] == ["ru", "en"]
    assert [g.get(XML_LANG) for g in doc.xpath("//trans-abstract")] == ["ru", "en"]
    assert [g.get(XML_LANG) for g in doc.xpath("//kwd-group")] == ["kk", "ru", "en"]


def test_proceedings_without_issn_warns_once():
    diags = Diagnostics()
    to_jats(read(SEED).articles[0], diags=diags)
    assert [d.code for d in diags].count("jats.no-issn") == 1


def test_journal_issn_volume_issue_and_orcid_are_written():
    doc = etree.fromstring(to_jats(read(EXAMPLES / "article.json").articles[0]))
    assert doc.xpath("//journal-meta/issn/text()") == ["0317-8471"]
    assert doc.xpath("//article-meta/volume/text()") == ["3"]
    assert doc.xpath("//contrib-id[@contrib-id-type='orcid']/text()") == [
        "https://orcid.org/0000-0002-1825-0097"
    ]


def _bare(**kw):
    return Article(kind=ArticleKind.JOURNAL_ARTICLE, title=Title("T"), language="en", **kw)


def test_characters_xml_forbids_are_never_written_and_are_warned_about(jats13):
    article = _bare(
        body=[Paragraph([Text("form\x0cfeed and \x0bvertical tab")])],
        contributors=[Contributor(surname="Sm\x08ith", given_names="J")],
    )
    diags = Diagnostics()
    xml = to_jats(article, diags=diags)
    assert b"\x0c" not in xml and b"\x0b" not in xml and b"\x08" not in xml
    assert b"formfeed and vertical tab" in xml and b"Smith" in xml
    assert any(d.code == "text.forbidden-char" for d in diags)
    assert jats13.validate(etree.fromstring(xml))


def test_citation_to_an_unknown_reference_is_written_as_text_not_a_dangling_xref():
    article = _bare(
        body=[Paragraph([Text("["), CiteRef(["ghost"], "3"), Text("]")])],
        references=[Reference(id="r1", text="A", label="1")],
    )
    doc = etree.fromstring(to_jats(article))
    assert not doc.xpath("//xref[@ref-type='bibr']")
    assert doc.xpath("string(//body/p)") == "[3]"


def test_affiliation_with_ror_and_no_printed_line_is_structured():
    article = _bare(
        affiliations=[
            Affiliation(
                id="a",
                institution="Example University",
                city="Astana",
                country_code="KZ",
                ror="https://ror.org/012345678",
            )
        ],
        contributors=[Contributor(surname="S", affiliation_ids=["a"])],
    )
    doc = etree.fromstring(to_jats(article))
    (aff,) = doc.xpath("//aff")
    assert aff.xpath("institution-wrap/institution-id[@institution-id-type='ror']/text()") == [
        "https://ror.org/012345678"
    ]
    assert aff.xpath("country/@country") == ["KZ"]
    # the code is an attribute, not printed text: the printed line ends with the city
    assert "".join(aff.itertext()).endswith("Example University, Astana")
