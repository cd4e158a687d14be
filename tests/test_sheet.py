"""CSV metadata sheets: one row per paper, located errors by row and column, --skip-invalid."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import EXAMPLES, FIXTURES
from lxml import etree
from typer.testing import CliRunner

from jatsgen.cli import app
from jatsgen.errors import InputError
from jatsgen.readers import read

runner = CliRunner()
HEADER = [
    "id",
    "title",
    "language",
    "author1_surname",
    "author1_given_names",
    "author1_orcid",
    "pages",
    "doi",
    "url",
    "container_title",
    "isbn",
    "container_published",
]


@pytest.fixture()
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("JATSGEN_STATE_DIR", str(tmp_path / "state"))


def sheet(
    tmp_path: Path, rows: list[dict[str, str]], name: str = "s.csv", header: list[str] = HEADER
) -> Path:
    p = tmp_path / name
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    return p


def good_row(i: int) -> dict[str, str]:
    return {
        "id": f"r{i}",
        "title": f"Paper {i}",
        "language": "en",
        "author1_surname": "Smith",
        "author1_given_names": "John",
        "author1_orcid": "0000-0002-1825-0097",
        "pages": f"{i}-{i + 2}",
        "doi": f"10.5555/sheet.{i}",
        "url": f"https://example.org/{i}",
        "container_title": "Sheet Proceedings",
        "isbn": "978-601-262-587-5",
        "container_published": "2025",
    }


def test_example_sheet_reads_both_author_styles_and_translations():
    articles = read(EXAMPLES / "papers.csv").articles
    assert [a.id for a in articles] == ["p101", "p102", "p103"]
    first, second, _third = articles
    assert first.contributors[0].surname == "Сейітова"
    assert first.affiliation(first.contributors[0].affiliation_ids[0]).city == "Атырау"
    assert [(t.lang, t.text) for t in first.trans_titles] == [
        ("en", "Digital literacy of young people")
    ]
    assert [(c.surname, c.given_names) for c in second.contributors] == [
        ("Иванов", "Иван"),
        ("Петрова", "Анна"),
    ]
    assert len(first.references) == 2
    assert first.references[1].doi == "10.1016/j.compedu.2019.103778"
    assert first.container.isbns[0].value == "978-601-262-587-5"
    assert first.container.event.location == "Атырау"


def test_example_sheet_becomes_a_valid_crossref_batch(tmp_path, state):
    res = runner.invoke(
        app,
        [
            "crossref",
            str(EXAMPLES / "papers.csv"),
            "--config",
            str(EXAMPLES / "jatsgen.toml"),
            "-o",
            str(tmp_path / "o"),
            "-q",
        ],
    )
    assert res.exit_code == 0, res.stderr
    (batch,) = (tmp_path / "o").glob("*.xml")
    dois = etree.parse(str(batch)).getroot().xpath("//*[local-name()='doi']/text()")
    assert {"10.5555/ysc.2025.101", "10.5555/ysc.2025.103"} <= set(dois)


def test_bad_cells_are_reported_by_row_and_column(tmp_path):
    rows = [
        good_row(1),
        {**good_row(2), "author1_orcid": "0000-0002-1825-0098"},
        {**good_row(3), "pages": "9-3"},
        {**good_row(4), "title": ""},
    ]
    with pytest.raises(InputError) as exc:
        read(sheet(tmp_path, rows))
    found = {(d.line, d.field) for d in exc.value.diagnostics}
    assert found == {(3, "author1_orcid"), (4, "pages"), (5, "title")}


def test_container_comes_from_the_config_when_the_sheet_has_none(tmp_path, state):
    header = ["title", "author1_surname", "doi", "url"]
    p = sheet(
        tmp_path,
        [
            {
                "title": "T",
                "author1_surname": "S",
                "doi": "10.5555/c.1",
                "url": "https://example.org/c1",
            }
        ],
        header=header,
    )
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        (FIXTURES / "test.toml").read_text() + '\n[container]\ntype = "proceedings"\n'
        'title = "Config Proceedings"\nisbn = "978-601-262-587-5"\npublished = 2025\n'
        'event_name = "Config Conference"\nevent_location = "Astana"\n'
    )
    res = runner.invoke(
        app, ["crossref", str(p), "--config", str(cfg), "-o", str(tmp_path / "o"), "-q"]
    )
    assert res.exit_code == 0, res.stderr
    (batch,) = (tmp_path / "o").glob("*.xml")
    text = batch.read_text("utf-8")
    assert "<proceedings_title>Config Proceedings</proceedings_title>" in text
    assert "<conference_location>Astana</conference_location>" in text


def test_an_unknown_column_fails_the_sheet_naming_the_closest_known_one(tmp_path):
    p = sheet(tmp_path, [{**good_row(1), "colour": "blue"}], header=[*HEADER, "colour"])
    with pytest.raises(InputError) as exc:
        read(p, skip_invalid=True)  # the sheet's fault, not a row's: not skipped
    (d,) = exc.value.diagnostics
    assert d.code == "sheet.unknown-column" and d.line == 1 and d.severity == "error"
    assert f"unknown column 'colour' (column {len(HEADER) + 1})" in d.message


BAD = {
    17: ("author1_orcid", "0000-0002-1825-0098"),
    503: ("pages", "20-10"),
    998: ("isbn", "978-601-262-587-4"),
}


@pytest.fixture()
def thousand(tmp_path) -> Path:
    rows = []
    for i in range(1, 1001):
        row = good_row(i)
        if i in BAD:
            col, value = BAD[i]
            row[col] = value
        rows.append(row)
    return sheet(tmp_path, rows, "thousand.csv")


def test_1000_rows_with_bad_ones_fail_naming_every_bad_row_and_nothing_is_written(
    tmp_path, thousand, state
):
    out = tmp_path / "out"
    res = runner.invoke(
        app, ["crossref", str(thousand), "--config", str(FIXTURES / "test.toml"), "-o", str(out)]
    )
    assert res.exit_code == 1
    for i, (col, _) in BAD.items():
        assert f"thousand.csv: row {i + 1}: {col}: error" in res.stderr, (i, res.stderr[-2000:])
    assert not out.exists() or not list(out.glob("*.xml"))


def test_skip_invalid_writes_the_good_rows_as_valid_batches(tmp_path, thousand, state):
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        [
            "crossref",
            str(thousand),
            "--config",
            str(FIXTURES / "test.toml"),
            "-o",
            str(out),
            "--skip-invalid",
        ],
    )
    assert res.exit_code == 0, res.stderr[-2000:]
    assert "997 work(s), 2 batch(es), 997 DOI(s)" in res.stderr
    assert res.stderr.count("[sheet.row-skipped]") == 3
    dois = set()
    for batch in out.glob("*.xml"):
        dois |= set(
            etree.parse(str(batch))
            .getroot()
            .xpath(
                "//*[local-name()='conference_paper']/*[local-name()='doi_data']"
                "/*[local-name()='doi']/text()"
            )
        )
    assert len(dois) == 997 and "10.5555/sheet.17" not in dois


def _crossref(*args: object) -> object:
    return runner.invoke(
        app, ["crossref", *map(str, args), "--config", str(FIXTURES / "test.toml")]
    )


def _proceedings_in(out: Path) -> dict[str, int]:
    """proceedings title -> conference papers under it, over every batch written."""
    found: dict[str, int] = {}
    for batch in out.glob("*.xml"):
        for conf in etree.parse(str(batch)).getroot().iter("{*}conference"):
            title = conf.findtext(".//{*}proceedings_title")
            found[title] = found.get(title, 0) + len(conf.findall("{*}conference_paper"))
    return found


def test_a_skipped_first_row_does_not_take_the_proceedings_metadata_with_it(tmp_path, state):
    rows = [good_row(i) for i in (1, 2, 3)]
    rows[0]["doi"] = "10.5555/bad doi"
    out = tmp_path / "out"
    res = _crossref(sheet(tmp_path, rows), "-o", out, "--skip-invalid")
    assert res.exit_code == 0, res.stderr
    assert _proceedings_in(out) == {"Sheet Proceedings": 2}


def test_a_duplicate_first_row_does_not_take_the_proceedings_metadata_with_it(tmp_path, state):
    first = sheet(tmp_path, [good_row(1)], "a.csv")
    rows = [good_row(2), good_row(3)]
    rows[0]["doi"] = "10.5555/sheet.1"  # taken by a.csv: skipped as a duplicate
    for row in rows:
        row["container_title"] = "Other Proceedings"
    out = tmp_path / "out"
    res = _crossref(first, sheet(tmp_path, rows, "b.csv"), "-o", out, "--skip-invalid")
    assert res.exit_code == 0, res.stderr
    assert "duplicate DOI 10.5555/sheet.1" in res.stderr
    assert _proceedings_in(out) == {"Sheet Proceedings": 1, "Other Proceedings": 1}


def test_undated_proceedings_take_their_date_from_the_first_paper_that_has_one(tmp_path, state):
    header = [*HEADER, "published"]
    rows = [{**good_row(i), "container_published": "", "published": ""} for i in (1, 2, 3)]
    rows[1]["published"] = rows[2]["published"] = "2025-05-01"
    out = tmp_path / "out"
    res = _crossref(sheet(tmp_path, rows, header=header), "-o", out, "--skip-invalid")
    assert res.exit_code == 0, res.stderr
    assert "s.csv: row 2: error" not in res.stderr and "s.csv: row 2:" in res.stderr  # skipped
    assert "need a publication date" in res.stderr and "s.csv: row 3:" not in res.stderr
    assert _proceedings_in(out) == {"Sheet Proceedings": 2}
