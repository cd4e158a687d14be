"""JATS in, JATS out (issue 11): a typesetter's article keeps its body, back matter, floats
and sub-articles, upgraded to the version written; what the target still refuses is a located
failure and no file."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES, SHARED
from lxml import etree
from typer.testing import CliRunner

from jatsgen.cli import app
from jatsgen.config import load_config
from jatsgen.jobs.jats import convert_to_jats
from jatsgen.writers.jats import JatsOptions

runner = CliRunner()
CORPUS = sorted((SHARED / "corpus" / "jats").glob("*.xml"))
# what the model never holds and the upgrade must keep, counted where the article holds it
KEPT = ("sec", "p", "fig", "table-wrap", "table", "fn", "ack", "app", "supplementary-material",
        "graphic", "disp-formula", "inline-formula", "ref", "xref", "list", "boxed-text",
        "media", "sub-article", "ext-link")  # fmt: skip
PARTS = ("body", "back", "floats-group", "sub-article")
# Files whose markup the Publishing tag set refuses whatever the version (Archiving-only or
# invalid in their own declared version): the element the failure names, from each.
REFUSED = {
    "biorxiv-371435.xml": "publisher",  # journal-meta without an ISSN
    "biorxiv-498369.xml": "publisher",
    "biorxiv-500925.xml": "publisher",
    "biorxiv-87253.xml": "publisher",
    "medrxiv-22275761.xml": "publisher",
    "elife-00666.xml": "role",  # <role> directly in <contrib-group>
    "elife00240.xml": "x",  # <x> (generated text) where Publishing has none
    "elife00351.xml": "x",
    "elife04490.xml": "x",
    "pmgp-example.xml": "aff1",  # two <aff id="aff1">
    "scielo-document3.xml": "'i'",  # HTML <i> inside <aff>
}


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


def kept(path: Path) -> tuple[Counter[str], str]:
    """The counts of KEPT elements in the article's parts, and the text of its body."""
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    article = root.getroot()
    if local(article) == "pmc-articleset":
        article = article[0]
    counts: Counter[str] = Counter()
    for part in article.iter(*PARTS):
        if part.getparent() is article:
            counts.update(local(el) for el in part.iter() if isinstance(el.tag, str))
    body = article.find("body")
    text = " ".join("".join(body.itertext()).split()) if body is not None else ""
    return Counter({k: counts[k] for k in KEPT if counts[k]}), text


@pytest.mark.parametrize("version", ["1.3", "1.4"])
def test_every_corpus_article_is_kept_whole_or_refused_with_located_reasons(
    tmp_path, locator, version
):
    out = tmp_path / "out"
    outcomes = convert_to_jats(CORPUS, out, JatsOptions(version=version), locator)
    refused = {}
    for outcome in outcomes:
        name = Path(outcome.input).name
        if outcome.failed:
            schema = [d for d in outcome.diagnostics if d.code == "xsd"]
            assert schema, (name, outcome.diagnostics)
            # located in the input, at its own element (the output is not written)
            assert all(d.file == outcome.input and d.line for d in schema), schema
            assert any(d.code == "output.invalid" for d in outcome.diagnostics)
            assert not (out / name).exists(), f"{name}: an invalid file was written"
            refused[name] = " ".join(d.message for d in schema)
            continue
        [written] = outcome.outputs
        assert kept(written) == kept(Path(outcome.input)), name
        root = etree.parse(str(written)).getroot()
        assert root.get("dtd-version") == version
        assert f"JATS (Z39.96) Journal Publishing DTD v{version}" in str(
            etree.parse(str(written)).docinfo.doctype
        )
    assert set(refused) == set(REFUSED), refused
    for name, element in REFUSED.items():
        assert element in refused[name], (name, refused[name])
    assert len(outcomes) - len(refused) >= 30


NLM = textwrap.dedent(
    """\
    <?xml version="1.0" encoding="UTF-8"?>
    <!DOCTYPE article PUBLIC "-//NLM//DTD Journal Publishing DTD v3.0 20080202//EN"
      "journalpublishing3.dtd">
    <article xmlns:xlink="http://www.w3.org/1999/xlink"
             xmlns:ali="http://www.niso.org/schemas/ali/1.0"
             article-type="research-article" dtd-version="3.0">
    <front>
    <journal-meta>
    <journal-id journal-id-type="nlm-ta">J Test</journal-id>
    <issn pub-type="epub">2049-3630</issn>
    <journal-title-group><journal-title>Journal of Tests</journal-title></journal-title-group>
    </journal-meta>
    <article-meta>
    <title-group><article-title>Typeset long ago</article-title></title-group>
    <contrib-group><contrib contrib-type="author">
    <name><surname>Writer</surname><given-names>Ann</given-names></name>
    <contrib-id contrib-id-type="orcid">https://orcid.org/0000-0002-1825-0097</contrib-id>
    <xref ref-type="aff" rid="1">1</xref></contrib></contrib-group>
    <aff id="1">University of Tests</aff>
    <pub-date pub-type="epub"><day>2</day><month>3</month><year>2021</year></pub-date>
    <volume>3</volume><fpage>1</fpage><lpage>9</lpage>
    <permissions><ali:free_to_read/></permissions>
    </article-meta>
    </front>
    <body><sec id="s1"><title>Intro</title>
    <p>Text<xref ref-type="fn" rid="fn1">*</xref> and <xref ref-type="bibr" rid="r1">1</xref>.</p>
    <fig id="f1"><label>Figure 1</label><caption><p>A figure.</p></caption>
    <attrib>Source: us.</attrib><graphic xlink:href="f1.png"/></fig>
    </sec></body>
    <back><fn-group><fn id="fn1" fn-type="general"><p>A note.</p></fn></fn-group>
    <ref-list><ref id="r1"><mixed-citation publication-type="journal">A. Author.
    Title. <source>J</source> 2020.</mixed-citation></ref></ref-list></back>
    </article>
    """
)


def test_an_nlm_article_is_upgraded_with_each_change_said_where_it_was_made(tmp_path, locator):
    source = tmp_path / "nlm.xml"
    source.write_text(NLM, encoding="utf-8")
    [outcome] = convert_to_jats([source], tmp_path / "out", JatsOptions(version="1.4"), locator)
    assert not outcome.failed, outcome.diagnostics
    said = {(d.line, d.message.split(":")[0]) for d in outcome.diagnostics if d.file == str(source)}
    assert (15, "contrib-id moved before the name (1.3 orders a contributor)") in said
    assert (8, "the children of journal-meta put in the order the target requires") in said
    assert any(line == 19 and "id '1' is not an XML name" in m for line, m in said), said
    assert any(line == 30 and "fn-type='general'" in m for line, m in said), said
    assert any(line == 27 and "children of fig" in m for line, m in said), said
    assert any("ALI namespace" in m for _, m in said), said
    root = etree.parse(str(outcome.outputs[0])).getroot()
    contrib = root.find(".//contrib")
    assert local(contrib[0]) == "contrib-id"
    aff = root.find(".//aff")
    assert root.find(".//contrib/xref").get("rid") == aff.get("id") != "1"
    assert [local(c) for c in root.find(".//fig")][-1] == "attrib"
    fn = root.find(".//fn")
    assert (fn.get("fn-type"), fn.get("custom-type")) == ("custom", "general")
    assert root.find(".//{http://www.niso.org/schemas/ali/1.0/}free_to_read") is not None


def test_an_article_without_a_doi_gets_the_configs_doi_and_landing_page(tmp_path, locator):
    source = tmp_path / "nlm.xml"
    source.write_text(NLM, encoding="utf-8")
    config = load_config(FIXTURES / "test.toml")
    [outcome] = convert_to_jats([source], tmp_path / "out", None, locator, config=config)
    assert not outcome.failed, outcome.diagnostics
    meta = etree.parse(str(outcome.outputs[0])).getroot().find("front/article-meta")
    assert meta.findtext("article-id[@pub-id-type='doi']") == "10.5555/t.2021.1"
    uri = meta.find("self-uri").get("{http://www.w3.org/1999/xlink}href")
    assert uri == "https://example.org/t.2021.1"
    codes = {d.code for d in outcome.diagnostics}
    assert {"jats.doi-added", "jats.url-added"} <= codes


def test_the_jats_command_takes_a_config_for_dois(tmp_path):
    source = tmp_path / "nlm.xml"
    source.write_text(NLM, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["jats", str(source), "-o", str(out), "--config", str(FIXTURES / "test.toml")]
    )
    assert result.exit_code == 0, result.output
    assert "10.5555/t.2021.1" in (out / "nlm.xml").read_text(encoding="utf-8")
    assert "the article had no DOI; 10.5555/t.2021.1 is written" in result.output


def test_a_business_rule_in_a_typesetters_article_is_a_warning_not_a_refusal(tmp_path, locator):
    source = tmp_path / "pages.xml"
    # the last page before the first: the rule says so, the schema allows it, and the
    # article is written as the typesetter had it
    source.write_text(NLM.replace("<lpage>9</lpage>", "<lpage>0</lpage>"), encoding="utf-8")
    [outcome] = convert_to_jats([source], tmp_path / "out", None, locator)
    assert outcome.outputs, outcome.diagnostics
    pages = [d for d in outcome.diagnostics if d.code == "pages.order"]
    assert pages and all(d.severity == "warning" for d in pages), outcome.diagnostics
    assert "<lpage>0</lpage>" in outcome.outputs[0].read_text(encoding="utf-8")
