"""Crossref deposit batches: the seed, every work type in all three schema versions, limits."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from conftest import EXAMPLES, FIXTURES, SEED
from lxml import etree
from typer.testing import CliRunner

from jatsgen.cli import app
from jatsgen.config import load_config
from jatsgen.jobs import make_batches
from jatsgen.jobs.timestamps import TimestampClock

RECORDS = FIXTURES / "records"
TEST_CONFIG = FIXTURES / "test.toml"
VERSIONS = ("5.3.1", "5.4.0", "5.5.0")
runner = CliRunner()


def ns(version: str) -> dict[str, str]:
    return {
        "c": f"http://www.crossref.org/schema/{version}",
        "jats": "http://www.ncbi.nlm.nih.gov/JATS1",
        "fr": "http://www.crossref.org/fundref.xsd",
        "ai": "http://www.crossref.org/AccessIndicators.xsd",
    }


@pytest.fixture()
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("JATSGEN_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def crossref(*args):
    return runner.invoke(app, ["crossref", *map(str, args)])


def batches(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.xml"))


@pytest.mark.parametrize("version", VERSIONS)
def test_seed_gives_one_valid_conference_batch(tmp_path, state, version):
    out = tmp_path / "out"
    result = crossref(
        SEED, "--config", EXAMPLES / "jatsgen.toml", "-o", out, "--crossref-version", version
    )
    assert result.exit_code == 0, result.stderr
    assert "1 work(s), 1 batch(es), 1 DOI(s)" in result.stderr
    (path,) = batches(out)
    doc = etree.parse(str(path))
    n = ns(version)
    assert doc.getroot().get("version") == version

    def one(xpath):
        (value,) = doc.xpath(xpath, namespaces=n)
        return value

    conf = one("//c:body/c:conference")
    assert len(doc.xpath("//c:conference", namespaces=n)) == 1
    ev = conf.find("c:event_metadata", n)
    assert "Жастар және ғылым" in ev.findtext("c:conference_name", namespaces=n)
    assert ev.findtext("c:conference_location", namespaces=n) == "Атырау"
    date = ev.find("c:conference_date", n)
    assert (date.get("start_day"), date.get("start_month"), date.get("start_year")) == (
        "07",
        "04",
        "2025",
    )
    pm = conf.find("c:proceedings_metadata", n)
    assert "Жастар және ғылым" in pm.findtext("c:proceedings_title", namespaces=n)
    assert pm.findtext("c:isbn", namespaces=n) == "978-601-262-587-5"
    assert pm.findtext("c:publisher/c:publisher_name", namespaces=n) == (
        "Х. Досмұхамедов атындағы Атырау университеті"
    )  # from the config
    assert pm.findtext("c:publication_date/c:year", namespaces=n) == "2025"
    paper = one("//c:conference_paper")
    assert paper.findtext("c:titles/c:title", namespaces=n) == (
        "ҚАЗАҚСТАН ХАЛҚЫ АССАМБЛЕЯСЫ ЖҰМЫСЫНЫҢ ҚҰҚЫҚТЫҚ НЕГІЗДЕРІ"
    )
    (author,) = paper.xpath(
        "c:contributors/c:person_name[@contributor_role='author']", namespaces=n
    )
    assert author.get("contributor_role") == "author" and author.get("sequence") == "first"
    assert author.findtext("c:surname", namespaces=n) == "Абдуғани"
    assert "Қарағанды" in author.findtext(
        "c:affiliations/c:institution/c:institution_name", namespaces=n
    )
    assert paper.findtext("c:pages/c:first_page", namespaces=n) == "323"
    assert paper.findtext("c:pages/c:last_page", namespaces=n) == "329"
    assert paper.findtext("c:doi_data/c:doi", namespaces=n) == "10.5555/ysc.2025.070"
    assert paper.findtext("c:doi_data/c:resource", namespaces=n) == (
        "https://conference.example.kz/ysc/2025/papers/070"
    )
    cites = paper.findall("c:citation_list/c:citation", n)
    assert len(cites) == 8
    assert cites[7].findtext("c:doi", namespaces=n) == "10.1515/9780295800530-005"
    assert all(c.findtext("c:unstructured_citation", namespaces=n) for c in cites)


def test_seed_supervisor_udc_and_translated_names_are_reported_not_silently_dropped(
    tmp_path, state
):
    result = crossref(SEED, "--config", EXAMPLES / "jatsgen.toml", "-o", tmp_path)
    err = result.stderr
    for code in (
        "crossref.role-supervisor",
        "crossref.classifications",
        "crossref.proceedings-titles",
    ):
        assert err.count(f"[{code}]") == 1, code


def _run(record: Path, version: str, tmp_path: Path, locator, **kw):
    clock = TimestampClock(tmp_path / "state")
    return make_batches(
        [record],
        load_config(TEST_CONFIG),
        tmp_path / "out",
        version=version,
        locator=locator,
        clock=clock,
        **kw,
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("record", sorted(p.name for p in RECORDS.glob("*.yaml")))
def test_every_work_type_full_and_minimal_is_valid_in_every_version(
    tmp_path, locator, record, version
):
    run = _run(RECORDS / record, version, tmp_path, locator)
    assert run.ok, [str(d) for d in run.diagnostics]
    assert run.works == 1 and len(run.batches) == 1
    root = etree.parse(str(run.batches[0].path)).getroot()
    assert root.tag == f"{{http://www.crossref.org/schema/{version}}}doi_batch"
    kind = record.split("_")[0]
    body = root.find(f"{{http://www.crossref.org/schema/{version}}}body")
    assert (
        etree.QName(body[0]).localname
        == {"conference": "conference", "journal": "journal", "book": "book"}[kind]
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_full_conference_record_carries_every_field_the_schema_allows(tmp_path, locator, version):
    run = _run(RECORDS / "conference_full.yaml", version, tmp_path, locator)
    doc = etree.parse(str(run.batches[0].path))
    n = ns(version)
    paper = doc.xpath("//c:conference_paper", namespaces=n)[0]
    assert paper.get("language") == "en"
    assert paper.xpath(
        "c:contributors/c:person_name/c:ORCID[@authenticated='true']/text()", namespaces=n
    ) == ["https://orcid.org/0000-0002-1825-0097"]
    assert paper.xpath(".//c:institution_id[@type='ror']/text()", namespaces=n)[0] == (
        "https://ror.org/012345678"
    )
    assert paper.xpath("c:contributors/c:organization/text()", namespaces=n) == [
        "Metadata Working Group"
    ]
    assert [
        a.get("{http://www.w3.org/XML/1998/namespace}lang")
        for a in paper.findall("jats:abstract", n)
    ] == ["en", "kk"]
    assert paper.xpath("fr:program//fr:assertion[@name='award_number']/text()", namespaces=n) == [
        "CHE-1152342"
    ]
    assert paper.xpath("ai:program/ai:license_ref/text()", namespaces=n) == [
        "https://creativecommons.org/licenses/by/4.0/"
    ]
    assert paper.xpath("c:acceptance_date/c:year/text()", namespaces=n) == ["2025"]
    assert paper.xpath("c:citation_list/c:citation/c:doi/text()", namespaces=n) == [
        "10.1023/A:1010933404324",
        "10.5281/zenodo.1234567",
    ]
    supervisor = paper.xpath("c:contributors/c:person_name[c:surname='Ерёменко']", namespaces=n)
    if version == "5.5.0":  # CRediT 'supervision' role, not an author
        assert supervisor[0].get("contributor_role") == "other"
        assert supervisor[0].find("c:role", n).get("type") == "supervision"
    else:
        assert supervisor == []
        assert any(d.code == "crossref.role-supervisor" for d in run.diagnostics)
    ev = doc.xpath("//c:event_metadata", namespaces=n)[0]
    assert ev.findtext("c:conference_acronym", namespaces=n) == "ECM"
    assert ev.find("c:conference_date", n).get("end_day") == "09"
    assert len(doc.xpath("//c:proceedings_metadata/c:isbn", namespaces=n)) == 2


def test_what_the_target_cannot_carry_is_reported_once_each(tmp_path, locator):
    run = _run(RECORDS / "conference_full.yaml", "5.4.0", tmp_path, locator)
    codes = [d.code for d in run.diagnostics if d.severity == "warning"]
    for code in ("crossref.keywords", "crossref.classifications", "crossref.role-supervisor"):
        assert codes.count(code) == 1, code


def test_journal_article_keeps_every_title_issue_and_article_number(tmp_path, locator):
    run = _run(RECORDS / "journal_full.yaml", "5.4.0", tmp_path, locator)
    n = ns("5.4.0")
    doc = etree.parse(str(run.batches[0].path))
    assert len(doc.xpath("//c:journal_article/c:titles", namespaces=n)) == 3
    assert doc.xpath("//c:journal_issue/c:journal_volume/c:volume/text()", namespaces=n) == ["3"]
    assert doc.xpath("//c:journal_metadata/c:issn/@media_type", namespaces=n) == [
        "print",
        "electronic",
    ]
    assert doc.xpath("//c:publisher_item/c:item_number/text()", namespaces=n) == ["e1234"]
    assert doc.xpath(
        "//c:person_name[@contributor_role='translator']/@name-style", namespaces=n
    ) == ["eastern"]


def test_works_of_different_kinds_go_to_separate_files(tmp_path, state):
    result = crossref(
        RECORDS / "journal_full.yaml",
        RECORDS / "book_full.yaml",
        RECORDS / "conference_min.yaml",
        "--config",
        TEST_CONFIG,
        "-o",
        tmp_path,
    )
    assert result.exit_code == 0, result.stderr
    kinds = []
    for path in batches(tmp_path):
        body = etree.parse(str(path)).getroot()[1]
        kinds.append(sorted({etree.QName(c).localname for c in body}))
    assert sorted(kinds) == [["book"], ["conference"], ["journal"]]


def _collection(tmp_path: Path, count: int, name: str = "many.yaml", start: int = 1) -> Path:
    lines = [
        "container: {type: proceedings, title: Big Proceedings, published: 2025,"
        " isbn: 978-601-262-587-5}",
        "articles:",
    ]
    for i in range(start, start + count):
        lines.append(
            f"  - {{title: Paper {i}, number: '{i:05d}', pages: {i}-{i + 1},"
            f" contributors: [{{surname: Author, given_names: Number {i}}}]}}"
        )
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_large_input_is_split_by_record_count(tmp_path, state):
    src = _collection(tmp_path, 23)
    out = tmp_path / "out"
    result = crossref(src, "--config", TEST_CONFIG, "-o", out, "--max-records", 10, "-q")
    assert result.exit_code == 0, result.stderr
    files = batches(out)
    counts = [len(etree.parse(str(p)).getroot().findall(".//{*}conference_paper")) for p in files]
    assert counts == [10, 10, 3]
    dois = [
        d
        for p in files
        for d in etree.parse(str(p))
        .getroot()
        .xpath(
            "//*[local-name()='conference_paper']/*[local-name()='doi_data']/*[local-name()='doi']"
            "/text()"
        )
    ]
    assert len(dois) == len(set(dois)) == 23


def test_large_input_is_split_by_byte_size_and_no_file_exceeds_it(tmp_path, state):
    src = _collection(tmp_path, 40)
    out = tmp_path / "out"
    result = crossref(src, "--config", TEST_CONFIG, "-o", out, "--max-bytes", 12000, "-q")
    assert result.exit_code == 0, result.stderr
    files = batches(out)
    assert len(files) > 2
    assert all(p.stat().st_size <= 12000 for p in files)
    papers = sum(
        len(etree.parse(str(p)).getroot().findall(".//{*}conference_paper")) for p in files
    )
    assert papers == 40


def test_timestamps_have_fixed_width_and_strictly_increase_within_and_across_runs(tmp_path, state):
    stamps = []
    for run in range(2):
        out = tmp_path / f"out{run}"
        src = _collection(tmp_path, 5, name=f"c{run}.yaml", start=run * 100)
        assert (
            crossref(src, "--config", TEST_CONFIG, "-o", out, "--max-records", 2, "-q").exit_code
            == 0
        )
        for p in batches(out):
            root = etree.parse(str(p)).getroot()
            stamps.append(root.findtext(".//{*}head/{*}timestamp"))
            assert root.findtext(".//{*}doi_batch_id") == p.stem
    assert all(len(s) == 17 for s in stamps)
    values = [int(s) for s in stamps]
    assert len(values) == 6 and all(a < b for a, b in itertools.pairwise(values))


def test_pinned_timestamp_is_used_and_must_exceed_the_last_one(tmp_path, state):
    pinned = 20250101000000000
    out = tmp_path / "a"
    res = crossref(
        SEED, "--config", EXAMPLES / "jatsgen.toml", "-o", out, "--timestamp", pinned, "-q"
    )
    assert res.exit_code == 0, res.stderr
    assert etree.parse(str(batches(out)[0])).getroot().findtext(".//{*}timestamp") == str(pinned)
    again = crossref(
        SEED,
        "--config",
        EXAMPLES / "jatsgen.toml",
        "-o",
        tmp_path / "b",
        "--timestamp",
        pinned,
        "-q",
    )
    assert again.exit_code == 1
    assert "not larger than the last one issued" in again.stderr
    assert not batches(tmp_path / "b")


def test_a_stored_timestamp_with_more_digits_is_refused(tmp_path, state):
    state.mkdir(parents=True)
    (state / "timestamps.json").write_text('{"last": 2025010100000000000, "digits": 19}')
    res = crossref(SEED, "--config", EXAMPLES / "jatsgen.toml", "-o", tmp_path, "-q")
    assert res.exit_code == 1 and "timestamp_digits = 19" in res.stderr


def test_clock_issues_unique_values_across_processes(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        results = pool.map(_issue_many, [str(tmp_path)] * 4)
    values = [v for chunk in results for v in chunk]
    assert len(values) == len(set(values)) == 200
    for chunk in results:
        assert chunk == sorted(chunk)


def _issue_many(folder: str) -> list[int]:
    clock = TimestampClock(Path(folder))
    return [v for _ in range(25) for v in (clock.issue(), *clock.issue_many(1))]


def test_timestamps_issued_together_are_those_issued_one_by_one(tmp_path):
    import datetime as dt

    now = dt.datetime(2026, 11, 26, 12, 0, 0, tzinfo=dt.UTC)
    for pinned in (None, 20261126120000000):
        one = TimestampClock(tmp_path / f"a{pinned}", pinned=pinned, now=now)
        block = TimestampClock(tmp_path / f"b{pinned}", pinned=pinned, now=now)
        singly = [one.issue() for _ in range(5)]
        assert block.issue_many(5) == singly and len(set(singly)) == 5
        assert block.issue() == one.issue() > singly[-1]


def write_record(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "r.yaml"
    p.write_text(
        "container: {type: proceedings, title: P, published: 2025}\narticles:\n" + body,
        encoding="utf-8",
    )
    return p


def assert_no_batch(result, out: Path, *needles: str):
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() or not list(out.glob("*.xml"))
    assert not out.exists() or not [p for p in out.iterdir() if p.name.startswith(".jatsgen")]
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_wrong_prefix_doi_is_a_located_error(tmp_path, state):
    p = write_record(tmp_path, "  - {title: T, doi: 10.9999/x}\n")
    out = tmp_path / "out"
    res = crossref(p, "--config", TEST_CONFIG, "-o", out)
    assert_no_batch(res, out, "r.yaml:3", "does not start with the configured prefix 10.5555")


def test_duplicate_doi_names_both_sources_and_writes_nothing(tmp_path, state):
    good = tmp_path / "good"
    good.mkdir()
    first = write_record(good, "  - {title: A, doi: 10.5555/same}\n")
    p = tmp_path / "dup.yaml"
    p.write_text(
        "container: {type: proceedings, title: P, published: 2025}\narticles:\n"
        "  - {title: B, doi: 10.5555/SAME}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    res = crossref(first, p, "--config", TEST_CONFIG, "-o", out)
    assert_no_batch(res, out, "dup.yaml:3", "duplicate DOI 10.5555/SAME", f"{first}:3")


@pytest.mark.parametrize(
    "body, where, needle",
    [
        (
            "  - {title: T, contributors: [{surname: S, orcid: 0000-0002-1825-0098}]}\n",
            "r.yaml:3",
            "bad check digit",
        ),
        ("  - {title: T, pages: 20-10}\n", "r.yaml:3", "last page 10 is before first page 20"),
    ],
)
def test_bad_orcid_and_reversed_pages_are_located_errors(tmp_path, state, body, where, needle):
    p = write_record(tmp_path, body)
    out = tmp_path / "out"
    assert_no_batch(crossref(p, "--config", TEST_CONFIG, "-o", out), out, where, needle)


@pytest.mark.parametrize(
    "container, needle",
    [
        (
            "{type: proceedings, title: P, published: 2025, isbn: 978-601-262-587-4}",
            "ISBN '978-601-262-587-4' has a bad check digit: 5 fits the rest",
        ),
        (
            "{type: journal, title: J, issn: 0317-8472}",
            "ISSN '0317-8472' has a bad check digit: 1 fits the rest",
        ),
    ],
)
def test_bad_isbn_and_issn_checksums_name_the_check_digit_that_fits(
    tmp_path, state, container, needle
):
    p = tmp_path / "r.yaml"
    p.write_text(
        f"container: {container}\narticles:\n  - {{title: T, dates: {{published: 2024}}}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert_no_batch(crossref(p, "--config", TEST_CONFIG, "-o", out), out, "r.yaml:1", needle)


def test_a_bad_record_late_in_the_run_leaves_no_earlier_batch_behind(tmp_path, state):
    big = _collection(tmp_path, 12)
    bad = tmp_path / "z.yaml"
    bad.write_text(
        "container: {type: proceedings, title: P, published: 2025}\narticles:\n"
        "  - {title: T, doi: 10.9999/x}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    res = crossref(big, bad, "--config", TEST_CONFIG, "-o", out, "--max-records", 5)
    assert_no_batch(res, out, "z.yaml:3")


def test_missing_publication_date_for_proceedings_is_located(tmp_path, state):
    p = tmp_path / "r.yaml"
    p.write_text(
        "container: {type: proceedings, title: P}\narticles:\n  - {title: T, doi: 10.5555/x1}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert_no_batch(
        crossref(p, "--config", TEST_CONFIG, "-o", out), out, "r.yaml:3", "publication date"
    )


def test_suffix_pattern_needing_a_missing_field_is_located(tmp_path, state):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        TEST_CONFIG.read_text().replace('suffix = "t.{year}.{seq}"', 'suffix = "t.{number}"')
    )
    p = write_record(tmp_path, "  - {title: T}\n")
    out = tmp_path / "out"
    assert_no_batch(crossref(p, "--config", cfg, "-o", out), out, "r.yaml:3", "{number}")


@pytest.mark.parametrize(
    "edit, needle",
    [
        (lambda t: t.replace('prefix = "10.5555"', 'prefix = "11.5555"'), "doi.prefix"),
        (
            lambda t: t.replace('suffix = "t.{year}.{seq}"', 'suffix = "t.{month}"'),
            "unknown placeholder {month}",
        ),
        (lambda t: t + '\n[crossref]\nschema_version = "4.4"\n', "crossref.schema_version"),
        (lambda t: t.replace("[depositor]", "[depositr]"), "unknown table [depositr]"),
        (lambda t: t.replace('email = "test@example.org"', ""), "missing required key 'email'"),
        (lambda t: t + "\n[doi\n", "not valid TOML"),
        (lambda t: t + '\n[crossref]\nundated = "today"\n', "crossref.undated"),
    ],
)
def test_config_problems_are_located_one_line_errors(tmp_path, state, edit, needle):
    cfg = tmp_path / "c.toml"
    cfg.write_text(edit(TEST_CONFIG.read_text()))
    res = crossref(SEED, "--config", cfg, "-o", tmp_path / "out")
    assert res.exit_code == 1 and "Traceback" not in res.stderr
    assert needle in res.stderr and re.search(r"c\.toml(:\d+)?: ", res.stderr), res.stderr


def test_output_is_deterministic_when_the_timestamp_is_pinned(tmp_path, monkeypatch):
    outs = []
    for i in range(2):
        monkeypatch.setenv("JATSGEN_STATE_DIR", str(tmp_path / f"state{i}"))
        out = tmp_path / f"o{i}"
        assert (
            crossref(
                EXAMPLES / "collection.yaml",
                "--config",
                EXAMPLES / "jatsgen.toml",
                "-o",
                out,
                "--timestamp",
                20250101000000000,
                "-q",
            ).exit_code
            == 0
        )
        outs.append([p.read_bytes() for p in batches(out)])
    assert outs[0] == outs[1]
