"""The seed page converts end to end: `jatsgen jats SEED -o out/` (issue 2, what must be shown)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import SEED
from lxml import etree
from typer.testing import CliRunner

from jatsgen.cli import app

XLINK = "{http://www.w3.org/1999/xlink}href"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("seed-out")
    result = CliRunner().invoke(app, ["jats", str(SEED), "-o", str(out)])
    files = sorted(out.glob("*.xml"))
    return result, files


@pytest.fixture(scope="module")
def doc(seed_run):
    _, files = seed_run
    return etree.parse(str(files[0]))


@pytest.fixture(scope="module")
def seed_text():
    return SEED.read_text(encoding="utf-8")


def test_writes_exactly_one_file_and_exits_zero(seed_run):
    result, files = seed_run
    assert result.exit_code == 0, result.stderr
    assert len(files) == 1


def test_output_is_valid_against_official_jats_13_publishing(doc, jats13):
    assert doc.getroot().get("dtd-version") == "1.3"
    assert jats13.validate(doc), jats13.error_log


def test_article_language_and_kazakh_title(doc):
    root = doc.getroot()
    assert root.get(XML_LANG) == "kk"
    assert doc.findtext(".//article-meta/title-group/article-title") == (
        "ҚАЗАҚСТАН ХАЛҚЫ АССАМБЛЕЯСЫ ЖҰМЫСЫНЫҢ ҚҰҚЫҚТЫҚ НЕГІЗДЕРІ"
    )


def test_author_with_table_spelling_email_and_karaganda_affiliation(doc):
    (author,) = doc.xpath("//contrib[@contrib-type='author']")
    assert author.findtext("name/surname") == "Абдуғани"
    assert author.findtext("name/given-names") == "Жанерке Нұржанқызы"
    assert author.findtext("email") == "ternovayans@mail.ru"
    (rid,) = author.xpath("xref[@ref-type='aff']/@rid")
    (aff,) = doc.xpath(f"//aff[@id='{rid}']")
    institution = aff.findtext(".//institution")
    assert "Қарағанды" in institution and "университет" in institution
    assert aff.find("country").get("country") == "KZ"


def test_supervisor_is_a_non_author_contributor(doc):
    (sup,) = doc.xpath("//contrib[name/surname='Ерёменко']")
    assert sup.get("contrib-type") == "supervisor"
    assert sup.findtext("name/given-names") == "Н."
    assert sup.xpath("role[@vocab-term='Supervision']")


def test_conference_names_in_three_languages_date_and_place(doc):
    names = doc.xpath("//conference/conf-name")
    assert [n.get(XML_LANG) for n in names] == ["kk", "ru", "en"]
    assert "Жастар және ғылым" in names[0].text
    assert "Молодежь и наука" in names[1].text
    assert "Youth and Science" in names[2].text
    assert doc.xpath("//conference/conf-date/@iso-8601-date") == ["2025-04-07"]
    assert doc.findtext(".//conference/conf-loc") == "Атырау"


def test_isbn_pages_and_udc(doc):
    assert doc.findtext(".//article-meta/isbn") == "978-601-262-587-5"
    assert doc.findtext(".//article-meta/fpage") == "323"
    assert doc.findtext(".//article-meta/lpage") == "329"
    assert doc.xpath("//subj-group[@subj-group-type='udc']/subject/text()") == ["34:342.4(574)"]


def test_all_eight_references_with_links_and_the_doi_of_reference_8(doc, seed_text):
    refs = doc.xpath("//ref-list/ref")
    assert [r.findtext("label") for r in refs] == [str(n) for n in range(1, 9)]
    urls = dict(re.findall(r"^(\d)\. .*<(https?://[^>]+)>", seed_text, re.M))
    assert len(urls) == 7  # reference 2 has no URL
    for ref in refs:
        label = ref.findtext("label")
        links = [e.get(XLINK) for e in ref.iter("ext-link", "pub-id")]
        if label in urls:
            assert urls[label] in links, label
    (doi,) = doc.xpath("//ref[label='8']//pub-id[@pub-id-type='doi']")
    assert doi.text == "10.1515/9780295800530-005"


def test_in_text_citations_link_references_1_to_8_and_no_rid_dangles(doc):
    ids = set(doc.xpath("//@id"))
    cited = set()
    for xref in doc.xpath("//xref"):
        for rid in xref.get("rid").split():
            assert rid in ids, rid
            if xref.get("ref-type") == "bibr":
                cited.add(rid)
    assert cited == {f"ref{n}" for n in range(1, 9)}


def test_no_trace_of_the_site_note(doc):
    text = etree.tostring(doc, encoding="unicode")
    assert "Ескерту" not in text
    assert "сайтқа орналастыру" not in text
    assert "МАЗМҰНЫ" not in text


def test_warns_about_author_spelling_and_citations_without_reference(seed_run):
    result, _ = seed_run
    err = result.stderr
    assert re.search(r"warning \[page\.author-spelling\].*Абдуғани.*Абдугани", err)
    for n in range(9, 16):
        assert re.search(rf":\d+: warning \[cite\.unresolved\]: citation \[{n}\]", err), n
    assert "citation [8]" not in err


def test_console_script_runs_the_same_job(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "jatsgen", "jats", str(SEED), "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(list(tmp_path.glob("*.xml"))) == 1
