"""Real-world JATS (issue 11): what publishers' files hold that ours never did, read without a
crash or a silent loss, and judged by the DTDs of the versions most of them declare."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES, SHARED
from lxml import etree
from official import xmllint
from typer.testing import CliRunner

from jatsgen.cli import app
from jatsgen.diagnostics import Diagnostics
from jatsgen.readers.jats import read_jats
from jatsgen.validation import Validator
from jatsgen.validation.detect import detect_schema
from jatsgen.validation.engines import dtd_catalog
from jatsgen.validation.schemas import SchemaLocator, schema_set

runner = CliRunner()
CONFIG = FIXTURES / "test.toml"
CR = {"c": "http://www.crossref.org/schema/5.4.0"}


def article(
    meta: str = "",
    journal: str = "<journal-title-group><journal-title>J</journal-title></journal-title-group>",
    refs: str = "",
    doi: str = "10.5555/rw.1",
    dates: str = '<pub-date pub-type="epub"><month>3</month><year>2024</year></pub-date>',
    self_uri: str = '<self-uri xlink:href="https://example.org/a"/>',
) -> str:
    """A JATS article of the 1.1 kind, with the parts a test varies."""
    back = f"<back><ref-list>{refs}</ref-list></back>" if refs else ""
    return textwrap.dedent(
        f"""\
        <?xml version="1.0" encoding="UTF-8"?>
        <article xmlns:xlink="http://www.w3.org/1999/xlink" dtd-version="1.1">
        <front>
        <journal-meta><journal-id journal-id-type="nlm-ta">J Test</journal-id>{journal}
        <issn pub-type="epub">2049-3630</issn></journal-meta>
        <article-meta>
        <article-id pub-id-type="doi">{doi}</article-id>
        <title-group><article-title>A real article</article-title></title-group>
        <contrib-group><contrib contrib-type="author"><name><surname>Writer</surname>
        <given-names>Ann</given-names></name></contrib></contrib-group>
        {dates}
        <volume>3</volume><issue>2</issue><fpage>1</fpage><lpage>9</lpage>
        {self_uri}
        {meta}
        </article-meta></front>{back}</article>
        """
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def crossref(*args: object):
    return runner.invoke(app, ["crossref", *map(str, args)])


@pytest.fixture()
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("JATSGEN_STATE_DIR", str(tmp_path / "state"))


def deposit_of(folder: Path) -> etree._ElementTree:
    (batch,) = sorted(folder.glob("*.xml"))
    return etree.parse(str(batch))


# --- 1. a journal without a journal-title --------------------------------------------------


def test_a_journal_without_a_title_deposits_its_abbreviation_with_a_warning(tmp_path, state):
    src = write(tmp_path, "plos-old.xml", article(journal=""))
    result = crossref(src, "--config", CONFIG, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert "[crossref.journal-title]" in result.stderr and "'J Test'" in result.stderr
    assert deposit_of(tmp_path / "out").findtext(".//c:full_title", namespaces=CR) == "J Test"


def test_a_journal_with_no_title_and_no_id_is_a_located_error_not_a_crash(tmp_path, state):
    text = article(journal="").replace(
        '<journal-id journal-id-type="nlm-ta">J Test</journal-id>', ""
    )
    src = write(tmp_path, "bmj.xml", text)
    result = crossref(src, "--config", CONFIG, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert f"{src}:" in result.stderr and "the journal has no title" in result.stderr
    assert "internal error" not in result.stderr


# --- 2. every date form --------------------------------------------------------------------

DATE_FORMS = [
    ('<pub-date pub-type="publication-year"><year>2019</year></pub-date>', (2019, None, None)),
    (
        '<pub-date date-type="original-publication" iso-8601-date="2023-06-21"><day>21</day>'
        "<month>06</month><year>2023</year></pub-date>",
        (2023, 6, 21),
    ),
    ('<pub-date pub-type="epub"><month>March</month><year>2021</year></pub-date>', (2021, 3, None)),
    ('<pub-date pub-type="ppub"><month>Sep</month><year>2020</year></pub-date>', (2020, 9, None)),
    (
        '<pub-date date-type="pub" publication-format="electronic" iso-8601-date="2022-11-07">'
        "<year>2022</year></pub-date>",
        (2022, 11, 7),
    ),
    (
        '<pub-date pub-type="epub-ppub"><day>2</day><month>1</month><year>2018</year></pub-date>',
        (2018, 1, 2),
    ),
]


@pytest.mark.parametrize("tagged, expected", DATE_FORMS, ids=lambda x: str(x)[:40])
def test_every_pub_date_form_is_read(tagged, expected):
    (a,) = read_jats(article(dates=tagged).encode(), "d.xml", Diagnostics())
    assert a.published is not None
    assert (a.published.year, a.published.month, a.published.day) == expected


@pytest.mark.parametrize(
    "tagged, code",
    [
        ('<pub-date pub-type="ppub"><season>Spring</season><year>2020</year></pub-date>', "21"),
        ('<pub-date pub-type="ppub"><month>Autumn</month><year>2020</year></pub-date>', "23"),
        (
            '<pub-date pub-type="ppub"><season>Third Quarter</season><year>2020</year></pub-date>',
            "33",
        ),
    ],
)
def test_seasons_and_quarters_become_crossref_month_codes(tmp_path, state, tagged, code):
    src = write(tmp_path, "season.xml", article(dates=tagged))
    result = crossref(src, "--config", CONFIG, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    date = deposit_of(tmp_path / "out").find(".//c:journal_article/c:publication_date", CR)
    assert date.findtext("c:month", namespaces=CR) == code
    assert date.findtext("c:day", namespaces=CR) is None
    jats = runner.invoke(app, ["jats", str(src), "-o", str(tmp_path / "jats")])
    assert jats.exit_code == 0, jats.stderr  # and JATS 1.3 keeps the season, valid


def test_a_season_with_no_month_code_keeps_its_year_and_says_so(tmp_path, state):
    tagged = '<pub-date pub-type="ppub"><season>Jan-Feb</season><year>2020</year></pub-date>'
    src = write(tmp_path, "s.xml", article(dates=tagged))
    result = crossref(src, "--config", CONFIG, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert "[crossref.season]" in result.stderr and "'Jan-Feb'" in result.stderr


# --- 3. PMC's wrapper ----------------------------------------------------------------------


def test_a_pmc_articleset_gives_each_of_its_articles(tmp_path, state):
    one = article(doi="10.5555/pmc.1").split("?>", 1)[1]
    two = article(doi="10.5555/pmc.2").split("?>", 1)[1].replace("A real article", "Another")
    src = write(tmp_path, "efetch.xml", f"<pmc-articleset>{one}{two}</pmc-articleset>")
    result = crossref(src, "--config", CONFIG, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    dois = deposit_of(tmp_path / "out").xpath("//c:doi_data/c:doi/text()", namespaces=CR)
    assert dois == ["10.5555/pmc.1", "10.5555/pmc.2"]


# --- 4. a citation never sinks its article --------------------------------------------------


def test_a_url_encoded_citation_doi_is_decoded_and_a_broken_one_is_left_out(tmp_path, state):
    refs = (
        '<ref id="r1"><mixed-citation>Saúde. <pub-id pub-id-type="doi">10.1186%2Fs12889-022-'
        "12904-8</pub-id></mixed-citation></ref>"
        '<ref id="r2"><mixed-citation>Broken. <pub-id pub-id-type="doi">10.12/has space'
        "</pub-id></mixed-citation></ref>"
    )
    src = write(tmp_path, "scielo.xml", article(refs=refs))
    result = crossref(src, "--config", CONFIG, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert "[jats.citation-doi]" in result.stderr and "reference r2" not in result.stderr
    cites = deposit_of(tmp_path / "out").findall(".//c:citation", CR)
    assert [c.findtext("c:doi", namespaces=CR) for c in cites] == [
        "10.1186/s12889-022-12904-8",
        None,
    ]
    assert "Broken" in cites[1].findtext("c:unstructured_citation", namespaces=CR)


# --- 5. a relative self-uri ----------------------------------------------------------------


def test_a_relative_self_uri_is_ignored_and_the_config_pattern_gives_the_page(tmp_path, state):
    src = write(
        tmp_path, "zdc.xml", article(self_uri='<self-uri xlink:href="zdc0121000E147.pdf"/>')
    )
    result = crossref(src, "--config", CONFIG, "-o", tmp_path / "out")
    assert "[jats.relative-self-uri]" in result.stderr and "zdc0121000E147.pdf" in result.stderr
    resource = deposit_of(tmp_path / "out").findtext(".//c:doi_data/c:resource", namespaces=CR)
    assert resource.startswith("https://") and "zdc0121000E147" not in resource


# --- 6. --skip-invalid skips an article whose ORCID fails its check -------------------------


def test_skip_invalid_leaves_out_the_article_with_a_bad_orcid_located_in_its_source(
    tmp_path, state
):
    bad = article(doi="10.5555/rw.2").replace(
        '<contrib contrib-type="author">',
        '<contrib contrib-type="author"><contrib-id contrib-id-type="orcid">'
        "https://orcid.org/0000-0002-1825-0098</contrib-id>",
    )
    files = [
        write(tmp_path, "a.xml", article(doi="10.5555/rw.1")),
        write(tmp_path, "b.xml", bad),
        write(tmp_path, "c.xml", article(doi="10.5555/rw.3")),
    ]
    strict = crossref(*files, "--config", CONFIG, "-o", tmp_path / "strict")
    assert strict.exit_code == 1 and not list((tmp_path / "strict").glob("*.xml"))
    assert f"{files[1]}:" in strict.stderr and "[id.orcid]" in strict.stderr
    skipped = crossref(*files, "--config", CONFIG, "-o", tmp_path / "out", "--skip-invalid")
    assert skipped.exit_code == 0, skipped.stderr
    dois = deposit_of(tmp_path / "out").xpath("//c:doi_data/c:doi/text()", namespaces=CR)
    assert dois == ["10.5555/rw.1", "10.5555/rw.3"]
    (warning,) = [x for x in skipped.stderr.splitlines() if "skipped" in x]
    assert warning.startswith(f"{files[1]}:") and "bad check digit" in warning


# --- 7. severities -------------------------------------------------------------------------


def test_a_quarter_code_with_a_day_is_a_warning_in_crossref(tmp_path):
    example = SHARED / "examples" / "crossref" / "journal.article5.3.0.xml"
    tree = etree.parse(str(example))
    ns = {"c": tree.getroot().nsmap[None]}
    date = tree.find(".//c:journal_article/c:publication_date", ns)
    for name, value in (("month", "34"), ("day", "15")):
        el = date.find(f"c:{name}", ns)
        if el is None:
            el = etree.SubElement(date, f"{{{ns['c']}}}{name}")
        el.text = value
    date[:] = sorted(date, key=lambda e: ["month", "day", "year"].index(etree.QName(e).localname))
    path = tmp_path / "quarter.xml"
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    report = Validator().validate_file(path)
    assert report.ok, report.diagnostics
    assert [d.code for d in report.diagnostics if d.severity == "warning"] == ["date.season-day"]


# --- 8. legacy versions judged by their DTDs -----------------------------------------------

CORPUS = sorted((SHARED / "corpus" / "jats").glob("*.xml"))


def test_files_declaring_publishing_10_11_or_nlm_30_are_judged_by_their_dtd_as_xmllint_does():
    assert shutil.which("xmllint"), "xmllint (libxml2-utils) is needed; .ci/run installs it"
    locator, validator = SchemaLocator(), Validator()
    judged = 0
    for path in CORPUS:
        tree = etree.parse(str(path), etree.XMLParser(load_dtd=False, no_network=True))
        set_id, _ = detect_schema(tree)
        declared = tree.docinfo.public_id or ""
        if not any(f"Publishing DTD v{v}" in declared for v in ("1.0 ", "1.1 ", "3.0 ")):
            continue
        assert set_id in ("jats-1.0-publishing", "jats-1.1-publishing", "nlm-3.0-publishing")
        report = validator.validate_file(path)
        codes = {d.code for d in report.diagnostics}
        assert "schema.missing" not in codes, (path, report.diagnostics)
        resolved = locator.find(set_id)
        dtd = dtd_catalog(resolved).get(declared, resolved.entry_path)
        lint = subprocess.run(
            ["xmllint", "--noout", "--nonet", "--dtdvalid", str(dtd), str(path)],
            capture_output=True,
            text=True,
        )
        ours = [d for d in report.diagnostics if d.code == "dtd"]
        assert (lint.returncode == 0) == (not ours), (path, lint.stderr[:500], ours[:3])
        judged += 1
    assert judged >= 15


def test_an_article_with_no_jats_marks_is_of_an_unknown_kind(tmp_path):
    path = write(tmp_path, "x.xml", "<article><title>Not JATS</title><p>text</p></article>")
    report = Validator().validate_file(path)
    assert [d.code for d in report.diagnostics] == ["kind.unknown"]
    assert "no JATS marks" in report.diagnostics[0].message


@pytest.mark.parametrize(
    "text, label",
    [
        (
            '<!DOCTYPE article PUBLIC "-//NLM//DTD Journal Publishing DTD v2.1 20050630//EN" '
            '"journalpublishing.dtd"><article dtd-version="2.1"><front><article-meta/></front>'
            "</article>",
            "NLM 2.1 Publishing",
        ),
        (
            '<doi_batch xmlns="http://www.crossref.org/schema/4.2.0" version="4.2.0"><head/>'
            "<body/></doi_batch>",
            "Crossref deposit 4.2.0",
        ),
        (
            '<book dtd-version="2.0"><book-meta/></book>',
            "BITS 2.0 Book Interchange",
        ),
    ],
)
def test_versions_not_in_the_manifest_get_the_same_not_installed_message_as_any_other(
    tmp_path, text, label
):
    path = write(tmp_path, "old.xml", text)
    (missing,) = [
        d for d in Validator().validate_file(path).diagnostics if d.code == "schema.missing"
    ]
    assert f"no copy of the {label}" in missing.message
    assert "--schemas DIR" in missing.message and "known:" not in missing.message


@pytest.mark.parametrize(
    "text, schema_id",
    [
        (
            '<!DOCTYPE article PUBLIC "-//NLM//DTD Journal Publishing DTD v2.3 20070202//EN" '
            '"journalpublishing.dtd"><article dtd-version="2.3"><front><article-meta/></front>'
            "</article>",
            "nlm-2.3-publishing",
        ),
        (
            '<!DOCTYPE article PUBLIC "-//NLM//DTD Journal Archiving and Interchange DTD v2.3 '
            '20070202//EN" "archivearticle.dtd"><article><front><article-meta/></front></article>',
            "nlm-2.3-archiving",
        ),
        (
            '<doi_batch xmlns="http://www.crossref.org/schema/4.3.0" version="4.3.0"><head/>'
            "<body/></doi_batch>",
            "crossref-4.3.0",
        ),
    ],
)
def test_nlm_23_and_crossref_4x_files_now_get_xmllints_verdict(tmp_path, text, schema_id):
    """These sets joined ../shared/schemas: a file declaring one is judged by it as xmllint
    judges it, and nothing is 'not installed'."""
    path = write(tmp_path, "old.xml", text)
    report = Validator().validate_file(path)
    assert report.schema_id == schema_id
    codes = {d.code for d in report.diagnostics}
    assert "schema.missing" not in codes, report.diagnostics
    official, said = xmllint(path, schema_id)
    assert official == (not codes & {"xsd", "dtd"}), (said, report.diagnostics)


def test_the_dtd_sets_are_in_the_manifest_with_their_official_packages():
    for set_id in ("jats-1.0-publishing", "jats-1.1-publishing", "nlm-3.0-publishing"):
        s = schema_set(set_id)
        assert s.format == "dtd" and s.official_url.startswith("https://ftp.ncbi.nlm.nih.gov/")
        assert s.files[s.entry] and len(s.files) > 50  # every file of the package, by sha256


# --- no internal error on any shared file ---------------------------------------------------

SHARED_FILES = sorted((SHARED / "corpus").rglob("*.xml")) + sorted(
    (SHARED / "examples").rglob("*.xml")
)


@pytest.mark.parametrize(
    "command",
    [
        ["validate"],
        ["jats", "-o", "{tmp}/jats"],
        ["jats", "-o", "{tmp}/jats14", "--jats-version", "1.4", "--config", str(CONFIG)],
        ["crossref", "-c", str(CONFIG), "-o", "{tmp}/cr", "--any-prefix", "--skip-invalid"],
        ["crossref", "-c", str(CONFIG), "-o", "{tmp}/cr531", "--crossref-version", "5.3.1"],
        ["preview", "-c", str(CONFIG), "-o", "{tmp}/p.html", "--any-prefix", "--format", "json"],
        ["preview", "-o", "{tmp}/p2.html"],
        ["deposit", "--dry-run", "--endpoint", "http://127.0.0.1:9", "--format", "json"],
    ],
    ids=lambda c: " ".join(c[:3]).replace("{tmp}/", ""),
)
def test_no_command_fails_with_an_internal_error_on_any_shared_file(
    tmp_path, state, monkeypatch, command
):
    monkeypatch.setenv("JATSGEN_LEDGER", str(tmp_path / "ledger.sqlite"))
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    result = runner.invoke(app, [*args, *map(str, SHARED_FILES)])
    assert result.exit_code in (0, 1), (result.exit_code, result.output[-2000:])
    assert "internal error" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code == 1:  # every refusal says where and why (JSON Lines: on stdout)
        assert "error" in result.stderr + result.stdout
