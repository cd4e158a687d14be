"""Everything the registry can carry (issue 23): dates as published, titles in two
languages, a container's editors, full-text links, Crossmark updates, relations,
resource-only deposits, BITS books, and the inputs `jats` used to refuse or mis-handle.

Each feature goes source -> batch valid against the official schema of every version that
has the element -> the sandbox registry, through the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, PASSWORD, ROOT, SHARED, result_data
from lxml import etree
from test_preview import browser, load  # noqa: F401  (the module's Chromium fixture)
from typer.testing import CliRunner

from jatsgen.cli import app

runner = CliRunner()
REG = FIXTURES / "registry"
CONFIG = REG / "registry.toml"
VERSIONS = ("5.3.1", "5.4.0", "5.5.0")
FAST = ["--timeout", "0.5", "--retry-base", "0.05", "--poll-interval", "0.1"]
CR = "{http://www.crossref.org/schema/%s}"
REL = "{http://www.crossref.org/relations.xsd}"


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def crossref(env: Path, *inputs: Path, version: str = "5.4.0", config: Path = CONFIG, ok=True):
    """The batches `jatsgen crossref` writes for `inputs` (each checked valid against the
    official schema of `version` by the command itself), parsed."""
    out = env / f"out-{version}-{len(list(env.glob('out-*')))}"
    result = run("crossref", *inputs, "-c", config, "-o", out, "--crossref-version", version)
    assert (result.exit_code == 0) == ok, result.stderr
    assert not ok or f"each valid against Crossref {version}" in result.stderr
    return [etree.parse(str(p)) for p in sorted(out.glob("*.xml"))], result.stderr


def work(trees: list, doi: str, version: str = "5.4.0") -> etree._Element:
    """The element that registers `doi` (the parent of its doi_data)."""
    for tree in trees:
        for d in tree.iter(CR % version + "doi"):
            if d.text == doi and d.getparent().tag.endswith("doi_data"):
                return d.getparent().getparent()
    raise AssertionError(f"{doi} not in the batches")


def dates(el: etree._Element) -> list[tuple[str, str]]:
    """(media type, year-month) of each publication_date of `el`."""
    out = []
    for d in el.iterchildren("{*}publication_date"):
        parts = {x.tag.split("}")[1]: x.text for x in d}
        out.append(
            (d.get("media_type"), "-".join(filter(None, (parts["year"], parts.get("month")))))
        )
    return out


@pytest.mark.parametrize("version", VERSIONS)
def test_an_online_and_a_print_date_are_both_deposited_with_their_format(env, version):
    trees, _ = crossref(
        env, REG / "notice.xml", REG / "volume.yaml", REG / "papers.csv", version=version
    )
    # JATS publication-format="electronic" / "print"
    assert dates(work(trees, "10.5555/ysr.2025.17", version)) == [
        ("online", "2025-03"),
        ("print", "2025-04"),
    ]
    # a record's dates.published list, and a sheet's published_online / published_print
    assert dates(work(trees, "10.5555/t.2025.p1", version)) == [
        ("online", "2025-04"),
        ("print", "2025-05"),
    ]
    assert dates(work(trees, "10.5555/t.2025.s1", version)) == [
        ("online", "2025-04"),
        ("print", "2025-05"),
    ]
    # a date that says no format takes the config's media_type (print by default)
    assert dates(work(trees, "10.5555/t.2025.p2", version)) == [("print", "2025-06")]


def test_nlm_epub_and_ppub_dates_are_online_and_print(env):
    trees, _ = crossref(env, REG / "nlm23.xml")
    assert dates(work(trees, "10.5555/ysr.2007.3")) == [("online", "2007-03"), ("print", "2007-04")]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_kazakh_paper_keeps_its_english_title_and_says_which_language_is_left(env, version):
    trees, said = crossref(env, REG / "volume.yaml", version=version)
    titles = work(trees, "10.5555/t.2025.p1", version).find(CR % version + "titles")
    assert [(t.tag.split("}")[1], t.get("language"), t.text) for t in titles] == [
        ("title", None, "Digital literacy of young people"),
        ("original_language_title", "kk", "ЖАСТАРДЫҢ ЦИФРЛЫҚ САУАТТЫЛЫҒЫ"),
    ]
    assert "translated titles in ru are not carried" in said


def test_title_language_chooses_which_translation_is_the_title(env, tmp_path):
    config = tmp_path / "ru.toml"
    config.write_text(CONFIG.read_text() + '\n[crossref]\ntitle_language = "ru"\n')
    trees, said = crossref(env, REG / "volume.yaml", config=config)
    titles = work(trees, "10.5555/t.2025.p1").find(CR % "5.4.0" + "titles")
    assert [t.text for t in titles] == [
        "Цифровая грамотность молодёжи",
        "ЖАСТАРДЫҢ ЦИФРЛЫҚ САУАТТЫЛЫҒЫ",
    ]
    assert "translated titles in en are not carried" in said


@pytest.mark.parametrize("version", VERSIONS)
def test_a_volume_and_a_book_name_their_editors(env, version):
    trees, _ = crossref(
        env, REG / "volume.yaml", REG / "papers.csv", REG / "book.xml", version=version
    )
    ns = CR % version

    def editors(el: etree._Element) -> list[tuple[str, str]]:
        box = el.find(ns + "contributors")
        return [(p.get("contributor_role"), p.findtext(ns + "surname")) for p in box]

    conferences = [c for t in trees for c in t.iter(ns + "conference")]
    assert editors(conferences[0]) == [("editor", "Akhmetova"), ("chair", "Bekov")]  # record
    assert editors(conferences[1]) == [("editor", "Akhmetova"), ("editor", "Bekov")]  # CSV
    book = next(b for t in trees for b in t.iter(ns + "book_metadata"))  # BITS contrib-group
    assert editors(book) == [("editor", "Akhmetova"), ("editor", "Bekov")]
    orcid = book.find(f"{ns}contributors/{ns}person_name/{ns}ORCID")
    assert orcid.text == "https://orcid.org/0000-0002-1825-0097"


@pytest.mark.parametrize("version", VERSIONS)
def test_full_text_links_for_similarity_check_and_text_mining(env, version):
    trees, _ = crossref(env, REG / "volume.yaml", REG / "notice.xml", version=version)
    ns = CR % version

    def links(doi: str) -> list[tuple[str, str | None, str | None, str]]:
        data = work(trees, doi, version).find(ns + "doi_data")
        return [
            (c.get("property"), i.get("crawler"), r.get("mime_type"), r.text)
            for c in data.iter(ns + "collection")
            for i in c
            for r in i
        ]

    assert links("10.5555/t.2025.p1") == [  # the record's own links
        ("crawler-based", "iParadigms", None, "https://conf.example.org/p1.pdf"),
        ("text-mining", None, "application/xml", "https://conf.example.org/p1.xml"),
    ]
    assert links("10.5555/t.2025.p2") == [  # the config's [links] pdf pattern
        ("crawler-based", "iParadigms", None, "https://example.org/t.2025.p2.pdf"),
        ("text-mining", None, "application/pdf", "https://example.org/t.2025.p2.pdf"),
    ]
    assert links("10.5555/ysr.2025.17") == [  # JATS self-uri content-type="pdf"
        ("crawler-based", "iParadigms", None, "https://journal.example.org/ysr/17.pdf"),
        ("text-mining", None, "application/pdf", "https://journal.example.org/ysr/17.pdf"),
    ]
    licences = work(trees, "10.5555/t.2025.p1", version).iter(
        "{http://www.crossref.org/AccessIndicators.xsd}license_ref"
    )
    assert [x.get("applies_to") for x in licences] == ["vor", "tdm"]


def test_a_full_text_link_that_is_not_https_is_a_located_error(env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (REG / "volume.yaml")
        .read_text()
        .replace("https://conf.example.org/p1.pdf", "http://conf.example.org/p1.pdf")
    )
    _, said = crossref(env, bad, ok=False)
    line = (
        bad.read_text()
        .splitlines()
        .index('      - {url: "http://conf.example.org/p1.pdf", purpose: similarity-check}')
    )
    assert f"bad.yaml:{line + 1}: $.articles[0].full_text[0].url: error [record.bad-link]" in said
    assert "not an absolute https:// URL" in said
    config = tmp_path / "c.toml"
    config.write_text(
        CONFIG.read_text().replace("https://example.org/{suffix}.pdf", "ftp://x/{id}")
    )
    result = run("crossref", REG / "volume.yaml", "-c", config, "-o", tmp_path / "o")
    assert result.exit_code != 0 and "links.pdf" in result.stderr and "https://" in result.stderr


@pytest.mark.parametrize("version", VERSIONS)
def test_a_correction_notice_is_a_crossmark_update_of_what_it_corrects(env, version):
    trees, _ = crossref(env, REG / "notice.xml", REG / "volume.yaml", version=version)
    ns = CR % version
    notice = work(trees, "10.5555/ysr.2025.17", version)
    mark = notice.find(ns + "crossmark")
    assert mark.findtext(ns + "crossmark_policy") == "10.5555/crossmark-policy"
    assert mark.findtext(f"{ns}crossmark_domains/{ns}crossmark_domain/{ns}domain") == "example.org"
    (update,) = mark.iter(ns + "update")
    assert (update.get("type"), update.get("date"), update.text) == (
        "correction",
        "2025-03-02",
        "10.5555/ysr.2024.88",
    )
    # the licence moves inside the Crossmark record, where the schema wants it then
    assert (
        mark.find(f"{ns}custom_metadata/{{http://www.crossref.org/AccessIndicators.xsd}}program")
        is not None
    )
    (update,) = work(trees, "10.5555/t.2025.p2", version).iter(ns + "update")  # a record's
    assert (update.get("type"), update.text) == ("correction", "10.5555/t.2025.p1")


def test_without_a_crossmark_policy_the_notice_goes_and_the_warning_names_the_key(env, tmp_path):
    config = tmp_path / "plain.toml"
    text = CONFIG.read_text()
    config.write_text(text[: text.index("[crossmark]")])
    trees, said = crossref(env, REG / "notice.xml", config=config)
    notice = work(trees, "10.5555/ysr.2025.17")
    assert notice.find(CR % "5.4.0" + "crossmark") is None
    assert "crossref.crossmark-policy" in said and "set [crossmark] policy" in said
    assert "correction notice of 10.5555/ysr.2024.88" in said


@pytest.mark.parametrize("version", VERSIONS)
def test_relations_from_records_sheets_and_jats(env, version):
    trees, _ = crossref(
        env, REG / "volume.yaml", REG / "notice.xml", REG / "papers.csv", version=version
    )

    def relations(doi: str) -> list[tuple[str, str, str, str]]:
        return [
            (r.tag.split("}")[1], r.get("relationship-type"), r.get("identifier-type"), r.text)
            for item in work(trees, doi, version).iter(REL + "related_item")
            for r in item
            if r.tag != REL + "description"
        ]

    assert relations("10.5555/t.2025.p1") == [
        ("intra_work_relation", "isTranslationOf", "doi", "10.5555/orig.1"),
        ("intra_work_relation", "hasPreprint", "doi", "10.31234/osf.io/abcde"),
        ("inter_work_relation", "isSupplementedBy", "uri", "https://data.example.org/p1"),
    ]
    assert relations("10.5555/ysr.2025.17") == [  # related-object preprint and dataset
        ("intra_work_relation", "hasPreprint", "doi", "10.31234/osf.io/abcde"),
        ("inter_work_relation", "isSupplementedBy", "doi", "10.5061/dryad.1234"),
    ]
    assert relations("10.5555/t.2025.s1") == [
        ("intra_work_relation", "isPreprintOf", "doi", "10.31234/osf.io/abcde")
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_corpus_with_links_and_crossmark_configured_makes_valid_batches(env, version):
    """Every real JATS file that converts (all but the two without a DOI or a date) gets its
    Crossmark record, links and relations where its type has a place for them (a preprint's
    posted_content has no Crossmark), and stays valid against the official schema."""
    corpus = sorted((SHARED / "corpus" / "jats").glob("*.xml"))
    out = env / "corpus"
    result = run("crossref", *corpus, "-c", CONFIG, "-o", out, "--crossref-version", version,
                 "--any-prefix", "--skip-invalid")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert (
        "40 work(s)" in result.stderr and f"each valid against Crossref {version}" in result.stderr
    )
    ns = CR % version
    trees = [etree.parse(str(p)) for p in out.glob("*.xml")]
    assert sum(len(list(t.iter(ns + "crossmark"))) for t in trees) == 35  # 40 minus 5 preprints
    assert sum(len(list(t.iter(ns + "update"))) for t in trees) == 10  # eLife 1, SciELO 9


def test_an_unknown_relation_type_names_the_closest_one(env, tmp_path):
    sheet = tmp_path / "p.csv"
    sheet.write_text((REG / "papers.csv").read_text().replace("isPreprintOf", "isPrepintOf"))
    _, said = crossref(env, sheet, ok=False)
    assert "p.csv: row 2: relations: error [record.relation]" in said
    assert "did you mean 'isPreprintOf'?" in said


def test_a_bits_book_is_a_book_deposit_with_its_chapters(env):
    trees, _ = crossref(env, REG / "book.xml")
    ns = CR % "5.4.0"
    (book,) = trees[0].iter(ns + "book")
    meta = book.find(ns + "book_metadata")
    assert meta.findtext(f"{ns}titles/{ns}title") == "Youth and Science: Essays"
    assert meta.findtext(f"{ns}doi_data/{ns}doi") == "10.5555/ysb.2025"
    assert dates(meta) == [("print", "2025"), ("online", "2025-01")]
    items = book.findall(ns + "content_item")
    assert [
        (
            i.get("component_type"),
            i.findtext(f"{ns}titles/{ns}title"),
            i.findtext(f"{ns}doi_data/{ns}doi"),
        )
        for i in items
    ] == [
        ("chapter", "Opening address", "10.5555/ysb.2025.ch1"),
        # a chapter inside a part, without a DOI: the config's pattern gives it one
        ("chapter", "Reading in three languages", "10.5555/t.2025.ch2"),
    ]
    assert items[1].find(f"{ns}citation_list/{ns}citation") is not None


def test_an_empty_article_title_is_kept_by_jats_and_refused_by_a_deposit(env):
    out = env / "jats"
    result = run("jats", REG / "empty-title.xml", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "empty-title.xml:13: warning [jats.no-title]" in result.stderr
    assert (out / "empty-title.xml").exists()
    _, said = crossref(env, REG / "empty-title.xml", ok=False)
    assert "error [crossref.missing]: a Crossref deposit needs the work's title" in said


def test_nlm_23_is_one_line_saying_it_is_not_upgraded(env):
    result = run("jats", REG / "nlm23.xml", "-o", env / "jats")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if " error " in line]
    assert errors == [
        f"{REG / 'nlm23.xml'}:11: error [jats.unsupported-version]: this is NLM 2.3, which "
        "jatsgen does not upgrade to JATS (it upgrades NLM 3.0 and JATS 1.0-1.4): convert it "
        "to NLM 3.0 first (NLM's 2.3-to-3.0 XSLT), or make its deposit with `jatsgen "
        "crossref`, which reads it"
    ]
    assert not (env / "jats" / "nlm23.xml").exists()


def test_jats_output_carries_dates_links_updates_and_relations(env, jats13):
    out = env / "jats"
    result = run("jats", REG / "volume.yaml", "-o", out, "-c", CONFIG)  # with the DOIs made
    assert result.exit_code == 0, result.stderr
    paper = etree.parse(str(out / "volume-p1.xml"))
    assert jats13.validate(paper), jats13.error_log
    meta = paper.find("front/article-meta")
    assert [(d.get("date-type"), d.get("publication-format")) for d in meta.iter("pub-date")] == [
        ("pub", "electronic"),
        ("pub", "print"),
        ("collection", None),
    ]
    assert [s.get("content-type") for s in meta.iter("self-uri")] == [
        None,
        "full-text",
        "application/xml",
    ]  # the landing page, then the full texts
    assert [r.get("link-type") for r in meta.iter("related-object")] == [
        "isTranslationOf",
        "hasPreprint",
        "isSupplementedBy",
    ]
    notice = etree.parse(str(out / "volume-p2.xml"))
    assert notice.getroot().get("article-type") == "correction"
    (related,) = notice.iter("related-article")
    assert related.get("related-article-type") == "corrected-article"
    # and read back, the same registration
    again, _ = crossref(env, out / "volume-p1.xml", out / "volume-p2.xml")
    assert len(list(work(again, "10.5555/t.2025.p2").iter(CR % "5.4.0" + "update"))) == 1


@pytest.mark.parametrize("version", VERSIONS)
def test_every_feature_is_registered_by_the_sandbox(env, registry, version):
    """Dates, titles, editors, links, Crossmark updates, relations and a BITS book, in one
    run per version, deposited to the sandbox (which validates them with the official
    schema again): every DOI registered."""
    reg = registry()
    inputs = [REG / n for n in ("notice.xml", "book.xml", "volume.yaml", "papers.csv")]
    trees, _ = crossref(env, *inputs, version=version)
    batches = [Path(t.docinfo.URL) for t in trees]
    sent = run("deposit", *batches, "--endpoint", reg.url, "--wait", *FAST)
    assert sent.exit_code == 0, sent.stdout + sent.stderr
    dois = {
        "10.5555/ysr.2025.17", "10.5555/ysb.2025", "10.5555/ysb.2025.ch1", "10.5555/t.2025.ch2",
        "10.5555/t.2025.p1", "10.5555/t.2025.p2", "10.5555/t.2025.s1", "10.5555/t.2025.s2",
    }  # fmt: skip
    assert f"registered {len(dois)}, failed 0" in sent.stderr
    assert dois <= set(reg.witness()["registered"])


# --- resource-only deposits ----------------------------------------------------------------


def resources(env: Path, *inputs: Path, ok: bool = True):
    out = env / f"res-{len(list(env.glob('res-*')))}"
    fmt = ("--format", "json") if ok else ()
    result = run("resources", *inputs, "-c", CONFIG, "-o", out, *fmt)
    assert (result.exit_code == 0) == ok, result.stderr
    return sorted(out.glob("*.xml")), result


def test_a_resource_only_batch_is_valid_and_adds_what_the_rows_give(env):
    (path,), result = resources(env, REG / "additions.csv", REG / "additions.yaml")
    assert "each valid against doi_resources 5.4.0" in result.stderr
    (data,) = result_data(result.stdout)
    assert data["adds"]["10.5555/ysr.2025.17"] == [
        "similarity-check link",
        "text-mining link",
        "licence",
        "funding",
        "isPreprintOf 10.31234/osf.io/xyz12",
    ]
    root = etree.parse(str(path)).getroot()
    assert root.tag == "{http://www.crossref.org/doi_resources_schema/5.4.0}doi_batch"
    parts = [(c.tag.split("}")[1], c.findtext("{*}doi")) for c in root.find("{*}body")]
    assert parts == [
        ("doi_citations", "10.5555/ysr.2025.18"),
        ("doi_resources", "10.5555/ysr.2025.17"),
        ("doi_resources", "10.5555/ysr.2025.17"),
        ("doi_resources", "10.5555/ysb.2025.ch1"),
        ("doi_resources", "10.5555/ysb.2025.ch1"),
        ("doi_resources", "10.5555/ysr.2025.18"),
        ("fundref_data", "10.5555/ysr.2025.17"),
        ("lic_ref_data", "10.5555/ysr.2025.17"),
        ("doi_relations", "10.5555/ysr.2025.17"),
        ("doi_relations", "10.5555/ysr.2025.18"),
    ]
    checked = run("validate", path)
    assert checked.exit_code == 0, checked.stdout


def test_a_resource_sheet_with_an_unknown_column_names_the_known_ones(env, tmp_path):
    sheet = tmp_path / "r.csv"
    sheet.write_text("doi,pdf_ur\n10.5555/x.1,https://example.org/x.pdf\n")
    _, result = resources(env, sheet, ok=False)
    assert "r.csv: row 1: pdf_ur: error [sheet.unknown-column]" in result.stderr
    assert "did you mean 'pdf_url'?" in result.stderr


def test_resources_are_deposited_to_registered_dois_once_and_shown_in_status(env, registry):
    reg = registry()
    md, _ = crossref(env, REG / "notice.xml", REG / "book.xml")
    (res,), _ = resources(env, REG / "additions.csv")
    early = run("deposit", res, "--endpoint", reg.url, "--wait", *FAST)
    assert "DOI 10.5555/ysr.2025.17 is not registered: resources need a DOI" in early.stdout
    batches = [Path(t.docinfo.URL) for t in md]
    sent = run("deposit", *batches, "--endpoint", reg.url, "--wait", *FAST)
    assert sent.exit_code == 0, sent.stdout + sent.stderr
    added = run("deposit", res, "--endpoint", reg.url, "--wait", *FAST)
    assert added.exit_code == 0, added.stdout + added.stderr
    assert "2 DOI(s) sent" in added.stderr and "registered 2, failed 0" in added.stderr
    again = run("deposit", res, "--endpoint", reg.url, *FAST)
    assert "0 DOI(s) sent" in again.stderr and "2 unchanged" in again.stderr
    # the metadata deposits are unchanged too: a resource deposit is another history
    same = run("deposit", *batches, "--endpoint", reg.url, *FAST)
    assert "0 DOI(s) sent" in same.stderr
    status = run("status")
    assert "jatsgen-resources-" in status.stdout
    assert "10.5555/ysr.2025.17  success  Successfully updated resources" in status.stdout


def test_the_sandbox_refuses_a_resource_file_sent_as_a_metadata_deposit(env, registry):
    import requests

    reg = registry()
    (res,), _ = resources(env, REG / "additions.csv")
    requests.post(
        reg.url + "/servlet/deposit",
        data={"operation": "doMDUpload", "login_id": "demo", "login_passwd": PASSWORD},
        files={"fname": ("r.xml", res.read_bytes())},
        timeout=10,
    )
    sandbox = reg.sandbox
    upload = sandbox.store.find("demo", "r.xml", None)
    log = sandbox.process(upload)
    assert log.records[0].message == (
        "Error: a resource-only deposit (doi_resources) is sent with "
        "operation=doDOICitUpload, not doMDUpload"
    )


# --- review --------------------------------------------------------------------------------


def test_the_preview_shows_links_updates_and_relations(browser, env):  # noqa: F811
    page = env / "preview.html"
    result = run("preview", REG / "notice.xml", REG / "volume.yaml", "-c", CONFIG, "-o", page)
    assert result.exit_code == 0, result.stderr
    load(browser, page)
    text = browser.find_element("tag name", "body").text
    assert "UPDATES (CROSSMARK)" in text.upper()
    for shown in (
        "correction of 10.5555/ysr.2024.88 (2025-03-02)",
        "crawler-based: https://journal.example.org/ysr/17.pdf",
        "text-mining: https://conf.example.org/p1.xml (application/xml)",
        "hasPreprint 10.31234/osf.io/abcde (doi)",
        "isSupplementedBy https://data.example.org/p1 (uri)",
        "2025-04-20 (online)",
        "2025-05 (print)",
        "10.5555/crossmark-policy",
    ):
        assert shown in text, shown


# --- coverage ------------------------------------------------------------------------------


def _coverage_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("coverage_bench", ROOT / "bench" / "coverage.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


@pytest.mark.shared  # (bench/coverage.py reads the corpus and the official examples)
def test_no_field_of_a_source_is_silently_absent_from_its_deposit():
    """The field-coverage table of bench/RESULTS.md, made again: every value a source holds
    is carried or reported as not carried, and the table recorded is the current one."""
    coverage = _coverage_module()
    rows = coverage.coverage(coverage.default_sources())
    lost = {name: row.lost for name, row in rows.items() if row.lost}
    assert not lost, lost
    for name in (
        "publication dates",
        "date formats",
        "titles",
        "editors",
        "full-text links",
        "relations and updates",
        "ROR ids",
    ):
        assert rows[name].carried > 0, name  # each kind of fact is carried somewhere
    table = coverage.markdown(rows)
    assert table in (ROOT / "bench" / "RESULTS.md").read_text(), "run: python bench/coverage.py"
