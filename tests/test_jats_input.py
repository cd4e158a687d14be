"""Existing JATS in, Crossref out: any publisher's JATS, preprints, prefixes, retention."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, SHARED
from lxml import etree
from typer.testing import CliRunner

from jatsgen.cli import app
from jatsgen.config import load_config
from jatsgen.jobs import make_batches
from jatsgen.jobs.timestamps import TimestampClock
from jatsgen.model import ArticleKind, Journal
from jatsgen.readers import read
from jatsgen.validation.retention import FIELDS, crossref_counts, jats_counts

CORPUS = sorted((SHARED / "corpus" / "jats").glob("*.xml"))
VARIANTS = FIXTURES / "jats" / "variants.xml"
BENCH_CONFIG = ROOT / "bench" / "corpus.toml"
runner = CliRunner()


def convert(path: Path, tmp: Path, locator, **kw):
    return make_batches(
        [path],
        load_config(kw.pop("config", BENCH_CONFIG)),
        tmp,
        locator=locator,
        clock=TimestampClock(tmp / "state"),
        any_prefix=kw.pop("any_prefix", True),
        **kw,
    )


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory, locator):
    out = {}
    for i, path in enumerate(CORPUS):
        tmp = tmp_path_factory.mktemp(f"c{i}")
        out[path.name] = (path, convert(path, tmp, locator))
    return out


def test_at_least_95_percent_of_the_corpus_becomes_valid_5_4_0_batches(corpus_runs):
    assert len(corpus_runs) >= 40
    ok = [name for name, (_, run) in corpus_runs.items() if run.ok]
    assert len(ok) / len(corpus_runs) >= 0.95, sorted(set(corpus_runs) - set(ok))
    for _name, (path, run) in corpus_runs.items():
        if run.ok:
            root = etree.parse(str(run.batches[0].path)).getroot()
            assert root.get("version") == "5.4.0"
            continue
        errors = [d for d in run.diagnostics if d.severity == "error"]
        # every failure names the file, the place, and the fact the source lacks
        assert errors and all(d.file == str(path) and d.line for d in errors), errors
        assert any(fact in errors[0].message for fact in ("publication date", "no DOI")), errors


def test_field_retention_report_carries_what_the_sources_hold(corpus_runs):
    present = dict.fromkeys(FIELDS, 0)
    carried = dict.fromkeys(FIELDS, 0)
    for _, (path, run) in sorted(corpus_runs.items()):
        if not run.ok:
            continue
        doi = read(path).articles[0].doi
        src, out = jats_counts(path), crossref_counts(run.batches[0].path, doi)
        for f in FIELDS:
            present[f] += src[f]
            carried[f] += out[f]
            if f not in ("affiliations", "reference_dois"):
                assert out[f] == src[f], (path.name, f, out[f], src[f])
    for f in FIELDS:
        assert present[f] > 0, f
    assert carried["reference_dois"] >= present["reference_dois"] * 0.99
    # group authors' affiliations have no place in Crossref's <organization>
    assert carried["affiliations"] >= present["affiliations"] * 0.98


def test_preprints_become_posted_content_with_their_own_doi(corpus_runs):
    _path, run = corpus_runs["biorxiv-498369.xml"]
    ns = {"c": "http://www.crossref.org/schema/5.4.0"}
    root = etree.parse(str(run.batches[0].path)).getroot()
    (posted,) = root.xpath("//c:body/c:posted_content", namespaces=ns)
    assert posted.get("type") == "preprint"
    assert posted.findtext("c:institution/c:institution_name", namespaces=ns) == "bioRxiv"
    assert posted.findtext("c:posted_date/c:year", namespaces=ns) == "2022"
    assert posted.findtext("c:doi_data/c:doi", namespaces=ns) == "10.1101/2022.06.30.498369"


def test_journal_articles_keep_doi_issn_volume_and_issue(corpus_runs):
    _path, run = corpus_runs["plos-journal.ppat.1002769.xml"]
    ns = {"c": "http://www.crossref.org/schema/5.4.0"}
    root = etree.parse(str(run.batches[0].path)).getroot()
    assert root.xpath("//c:journal_metadata/c:issn/text()", namespaces=ns) == [
        "1553-7366",
        "1553-7374",
    ]
    assert root.xpath("//c:journal_volume/c:volume/text()", namespaces=ns) == ["8"]
    assert root.xpath("//c:journal_article/c:doi_data/c:doi/text()", namespaces=ns) == [
        "10.1371/journal.ppat.1002769"
    ]


def test_reader_handles_the_ways_publishers_tag_facts():
    result = read(VARIANTS)
    a = result.articles[0]
    assert a.kind is ArticleKind.JOURNAL_ARTICLE and isinstance(a.container, Journal)
    assert a.title.text == "Water in Drosophila: H2O uptake" and a.title.subtitle == "A study"
    assert [t.lang for t in a.trans_titles] == ["pt"]
    ivanova, silva, group = a.contributors  # the non-byline member is not an author
    assert (ivanova.surname, ivanova.given_names) == ("Ivanova", "Anna")  # name-alternatives
    assert ivanova.orcid == silva.orcid == "https://orcid.org/0000-0002-1825-0097"
    assert (silva.surname, silva.given_names) == ("Silva", "Pedro")  # string-name
    assert group.collab == "The Variants Consortium"
    a1 = a.affiliation("a1")
    assert (a1.institution, a1.city, a1.country_code, a1.ror, a1.ringgold) == (
        "Nazarbayev University",
        "Astana",
        "KZ",
        "https://ror.org/052bx8q98",
        "12345",
    )
    a2 = a.affiliation("a2")
    assert (a2.institution, a2.department) == ("Example University", "Department of Biology")
    inline = a.affiliation(silva.affiliation_ids[0])
    assert (inline.institution, inline.city, inline.country_code) == (
        "Universidade Exemplo",
        "Lisboa",
        "PT",
    )
    assert a.published.iso() == "2024-03-05" and a.container.published.iso() == "2024"
    assert (a.received.iso(), a.accepted.iso()) == ("2024-01-01", "2024-02-01")
    assert a.license.url == "https://creativecommons.org/licenses/by/4.0/"
    assert a.license.start_date.iso() == "2024-03-05"
    (fund,) = a.funding
    assert fund.funder_name == "National Science Foundation" and fund.award_ids == ["NSF-1"]
    assert fund.funder_id == "http://dx.doi.org/10.13039/100000001"
    assert [r.doi for r in a.references] == ["10.1023/A:1010933404324", "10.5555/thing.1", None]
    assert a.references[2].urls == ["https://example.org/page"]
    assert a.article_number == "e101" and a.container.volume == "7"
    assert a.abstracts[0].markup is not None  # the italic is kept for jats:abstract


def test_face_markup_is_carried_into_crossref_not_escaped(tmp_path, locator):
    run = convert(VARIANTS, tmp_path, locator)
    assert run.ok, [str(d) for d in run.diagnostics]
    data = run.batches[0].path.read_text("utf-8")
    assert "<title>Water in <i>Drosophila</i>: H<sub>2</sub>O uptake</title>" in data
    assert "<jats:p>Flies need <jats:italic>water</jats:italic>.</jats:p>" in data
    assert "&lt;" not in data


def test_what_the_target_cannot_carry_is_reported_once_per_file(tmp_path, locator):
    run = convert(VARIANTS, tmp_path, locator)
    codes = [d.code for d in run.diagnostics if d.severity == "warning"]
    assert codes.count("crossref.keywords") == 1
    assert all(d.file == str(VARIANTS) for d in run.diagnostics if d.code == "crossref.keywords")


def test_undated_articles_take_the_deposit_date_only_when_the_config_says_so(tmp_path, locator):
    poa = SHARED / "corpus" / "jats" / "elife_poa_e06828.xml"  # publish-on-accept: no pub-date
    strict = convert(poa, tmp_path / "strict", locator)
    assert not strict.ok and "needs a publication date" in strict.diagnostics[0].message
    cfg = tmp_path / "poa.toml"
    cfg.write_text(BENCH_CONFIG.read_text() + '\n[crossref]\nundated = "deposit-date"\n')
    run = make_batches(
        [poa],
        load_config(cfg),
        tmp_path / "out",
        locator=locator,
        clock=TimestampClock(tmp_path / "state", pinned=20260315120000000),
        any_prefix=True,
    )
    assert run.ok, run.diagnostics
    (warning,) = [d for d in run.diagnostics if d.code == "crossref.undated"]
    assert warning.file == str(poa) and warning.line and "2026-03-15" in warning.message
    ns = {"c": "http://www.crossref.org/schema/5.4.0"}
    root = etree.parse(str(run.batches[0].path)).getroot()
    date = root.xpath("//c:journal_article/c:publication_date", namespaces=ns)[0]
    assert [date.findtext(f"c:{p}", namespaces=ns) for p in ("month", "day", "year")] == [
        "03",
        "15",
        "2026",
    ]


def test_default_is_strict_about_prefixes(tmp_path, locator):
    run = convert(VARIANTS, tmp_path, locator, any_prefix=False)
    assert not run.ok
    assert "does not start with the configured prefix 10.5555" in run.diagnostics[0].message
    # and says how to deposit a source's own DOI of another prefix
    assert "add its prefix to [doi] prefixes" in run.diagnostics[0].message
    assert "--any-prefix" in run.diagnostics[0].message


def test_several_prefixes_from_the_config_split_files_by_prefix(tmp_path, locator):
    cfg = tmp_path / "multi.toml"
    cfg.write_text(
        BENCH_CONFIG.read_text().replace('prefix = "10.5555"', 'prefixes = ["10.7554", "10.1371"]')
    )
    files = [
        SHARED / "corpus/jats/elife-43154-v2.xml",
        SHARED / "corpus/jats/plos-journal.pcbi.1004692.xml",
        VARIANTS,
    ]
    run = make_batches(
        files,
        load_config(cfg),
        tmp_path / "out",
        locator=locator,
        clock=TimestampClock(tmp_path / "state"),
    )
    assert run.ok, [str(d) for d in run.diagnostics]
    prefixes = []
    for b in run.batches:
        dois = {d.split("/")[0] for d in b.dois}
        assert len(dois) == 1
        prefixes += dois
    assert sorted(prefixes) == ["10.1371", "10.7554"]  # eLife and the fixture share 10.7554


def test_cli_converts_jats_with_any_prefix(tmp_path, monkeypatch):
    monkeypatch.setenv("JATSGEN_STATE_DIR", str(tmp_path / "state"))
    res = runner.invoke(
        app,
        [
            "crossref",
            str(VARIANTS),
            str(CORPUS[0]),
            "--config",
            str(BENCH_CONFIG),
            "-o",
            str(tmp_path / "o"),
            "--any-prefix",
            "-q",
        ],
    )
    assert res.exit_code == 0, res.stderr
    assert "2 work(s), 2 batch(es), 2 DOI(s)" in res.stderr


def test_a_malformed_body_is_reported_at_its_own_line_when_the_body_is_skipped(tmp_path):
    from jatsgen.errors import InputError

    src = tmp_path / "broken.xml"
    src.write_text(
        '<article dtd-version="1.3"><front><article-meta><title-group>'
        "<article-title>T</article-title></title-group></article-meta></front>\n"
        "<body>\n<p>one</p>\n<p>two</b>\n</body>\n</article>\n"
    )
    with pytest.raises(InputError) as err:
        read(src, body=False)
    assert err.value.diagnostics[0].line == 4
    assert "not well-formed" in err.value.diagnostics[0].message


def test_a_broken_sub_article_is_reported_too_when_the_body_is_skipped(tmp_path):
    from jatsgen.errors import InputError

    src = tmp_path / "broken.xml"
    src.write_text(
        '<article dtd-version="1.3"><front><article-meta><title-group>'
        "<article-title>T</article-title></title-group></article-meta></front>\n"
        "<body><p>one</p></body>\n<back/>\n<sub-article><front-stub>\n"
        "<title-group></front-stub></sub-article>\n</article>\n"
    )
    with pytest.raises(InputError) as err:
        read(src, body=False)
    assert err.value.diagnostics[0].line == 5


def test_entities_from_the_unloaded_dtd_become_their_characters(tmp_path):
    src = tmp_path / "entities.xml"
    src.write_text(
        '<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Publishing DTD v1.3'
        ' 20210610//EN" "JATS-journalpublishing1-3.dtd">\n'
        '<article dtd-version="1.3"><front><article-meta><title-group>'
        "<article-title>Alpha&nbsp;beta &ldquo;gamma&rdquo; &madeup; &amp; more</article-title>"
        "</title-group></article-meta></front>\n"
        "<back><ref-list><ref id='r1'><mixed-citation>Smith&nbsp;J. <source>Title</source>"
        "&ndash;12</mixed-citation></ref></ref-list></back></article>\n"
    )
    article = read(src).articles[0]
    assert article.title.text == "Alpha beta \u201cgamma\u201d &madeup; & more"
    assert article.references[0].text == "Smith J. Title\u201312"


def _whole_run(inputs, out: Path, locator, jobs: int, **kw):
    from dataclasses import replace

    config = replace(load_config(BENCH_CONFIG), undated="deposit-date")
    clock = TimestampClock(out / "state", pinned=20261126120000000)
    return make_batches(
        inputs, config, out / "batches", locator=locator, clock=clock, jobs=jobs, **kw
    )


def _said(run, out: Path) -> list[tuple[str, str, str | None, int | None]]:
    return [
        (d.severity, d.code or "", (d.file or "").replace(str(out), "OUT"), d.line)
        for d in run.diagnostics
    ]


@pytest.fixture()
def eager_workers(monkeypatch):
    """Workers start for any run of 8 inputs or more, however small (the tests' runs are)."""
    import jatsgen.jobs.prepare

    every = {"fork": 1, "forkserver": 1, "spawn": 1}
    monkeypatch.setattr(jatsgen.jobs.prepare, "MIN_BYTES_PER_JOB", every)


def test_worker_processes_write_the_same_batches_and_messages_as_one_process(tmp_path, locator):
    one = _whole_run(CORPUS, tmp_path / "one", locator, 1, any_prefix=True, skip_invalid=True)
    two = _whole_run(CORPUS, tmp_path / "two", locator, 2, any_prefix=True, skip_invalid=True)
    assert one.ok and two.ok and one.works == two.works == 41
    assert [b.path.name for b in one.batches] == [b.path.name for b in two.batches]
    assert [b.path.read_bytes() for b in one.batches] == [b.path.read_bytes() for b in two.batches]
    assert _said(one, tmp_path / "one") == _said(two, tmp_path / "two")


def test_worker_processes_find_a_duplicate_doi_across_inputs(tmp_path, locator, eager_workers):
    copy = tmp_path / "again.xml"
    copy.write_bytes(CORPUS[3].read_bytes())
    inputs = [*CORPUS[:12], copy]
    runs = {
        jobs: _whole_run(inputs, tmp_path / f"j{jobs}", locator, jobs, any_prefix=True)
        for jobs in (1, 2)
    }
    for run in runs.values():
        assert not run.ok and not run.batches
        (dup,) = [d for d in run.diagnostics if d.code == "doi.duplicate"]
        assert dup.file == str(copy) and CORPUS[3].name in dup.message
        assert run.inputs_failed == [str(copy)]
    assert _said(runs[1], tmp_path / "j1") == _said(runs[2], tmp_path / "j2")


def _die(paths, job):  # a worker that is killed mid-run (picklable by name: a worker
    import os  # started afresh finds it in this module)

    os._exit(3)


def test_a_worker_that_dies_is_a_clear_error_and_nothing_is_written(
    tmp_path, locator, monkeypatch, eager_workers
):
    import jatsgen.jobs.prepare
    from jatsgen.errors import JatsgenError

    monkeypatch.setattr(jatsgen.jobs.prepare, "prepare_all", _die)
    with pytest.raises(JatsgenError, match="worker process stopped unexpectedly"):
        _whole_run(CORPUS[:8], tmp_path, locator, 2, any_prefix=True)
    # no batch, no staging folder, and not the output folder the run made, left empty
    assert not (tmp_path / "batches").exists()


def test_cli_jobs_option_gives_the_same_batches(tmp_path, monkeypatch, eager_workers):
    outs = {}
    for jobs in ("1", "2"):
        monkeypatch.setenv("JATSGEN_STATE_DIR", str(tmp_path / f"state{jobs}"))
        out = tmp_path / f"o{jobs}"
        args = ["crossref", *map(str, CORPUS[:10]), "--config", str(BENCH_CONFIG)]
        args += ["-o", str(out), "--any-prefix", "-q", "--jobs", jobs]
        res = runner.invoke(app, [*args, "--timestamp", "20261126120000000"])
        assert res.exit_code == 0, res.stderr
        outs[jobs] = {p.name: p.read_bytes() for p in out.glob("*.xml")}
    assert outs["1"] == outs["2"] and len(outs["1"]) >= 2


def test_spawned_workers_where_fork_is_unsafe_write_the_same_batches(
    tmp_path, locator, monkeypatch, eager_workers
):
    import sys

    import jatsgen.jobs.prepare

    one = _whole_run(CORPUS[:8], tmp_path / "one", locator, 1, any_prefix=True)
    monkeypatch.setattr(sys, "platform", "darwin")  # macOS: workers are spawned, not forked
    monkeypatch.setitem(jatsgen.jobs.prepare.MIN_INPUTS_PER_JOB, "spawn", 4)  # spawn for 8 inputs
    two = _whole_run(CORPUS[:8], tmp_path / "two", locator, 2, any_prefix=True)
    assert one.ok and two.ok
    assert [b.path.read_bytes() for b in one.batches] == [b.path.read_bytes() for b in two.batches]
    assert _said(one, tmp_path / "one") == _said(two, tmp_path / "two")


def test_batches_that_fill_up_are_validated_by_the_workers_as_one_process_validates_them(
    tmp_path, locator, eager_workers
):
    """With workers, a batch written while the inputs are still being read (it filled up)
    is validated then, the rest largest first: the run still says what one process says,
    in its order, and writes the same batches."""
    runs = {
        jobs: _whole_run(
            CORPUS,
            tmp_path / f"j{jobs}",
            locator,
            jobs,
            any_prefix=True,
            skip_invalid=True,
            max_records=3,
        )
        for jobs in (1, 2)
    }
    one, two = runs[1], runs[2]
    assert one.ok and two.ok and len(one.batches) >= 10
    assert [b.path.read_bytes() for b in one.batches] == [b.path.read_bytes() for b in two.batches]
    assert _said(one, tmp_path / "j1") == _said(two, tmp_path / "j2")
