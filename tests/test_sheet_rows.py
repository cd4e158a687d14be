"""Rows, not lines (issue 25, part 1): in a sheet whose cells span lines (references one per
line, as the README suggests), every message, the JSON output and the preview name the row as
a spreadsheet shows it; the file line follows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from conftest import EXAMPLES
from typer.testing import CliRunner

from jatsgen.cli import app

runner = CliRunner()
CONFIG = EXAMPLES / "jatsgen.toml"
HEADER = ["title", "author1_surname", "number", "pages", "references", "container_title",
          "container_published"]  # fmt: skip


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def organisers_sheet(tmp_path: Path, missing_title_row: int | None = 5) -> Path:
    """Six papers, each cell of references three lines long; spreadsheet rows 2-7."""
    path = tmp_path / "papers.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for row in range(2, 8):
            title = "" if row == missing_title_row else f"Paper {row}"
            refs = f"Author A. Title {row}. 2020\nAuthor B. Title. 2021\nAuthor C. Title. 2022"
            out.writerow([title, f"Writer{row}", row, "", refs, "Vol", "2025"])
    return path


def file_line(path: Path, row: int) -> int:
    """The file line a spreadsheet row starts on (each earlier row took three lines)."""
    return 2 + (row - 2) * 3


def test_a_missing_title_in_the_fifth_row_is_reported_at_row_5(env, tmp_path):
    sheet = organisers_sheet(tmp_path)
    assert file_line(sheet, 5) == 11 and sheet.read_text("utf-8").splitlines()[10].startswith(",")
    result = run("crossref", sheet, "-c", CONFIG, "-o", tmp_path / "out")
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if "[sheet.cell]" in x]
    assert line.startswith(f"{sheet}: row 5 (line 11): title: error [sheet.cell]"), line


def test_a_warning_on_every_row_names_the_rows_a_spreadsheet_shows(env, tmp_path):
    sheet = organisers_sheet(tmp_path, missing_title_row=None)
    result = run("jats", sheet, "-c", CONFIG, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    (line,) = [x for x in result.stderr.splitlines() if "pages.missing" in x]
    assert line.startswith(f"{sheet}: row 2: warning [pages.missing]"), line  # (line 2 too)
    assert line.endswith("(6 times: rows 2, 3, 4, 5, 6, ...)"), line
    assert "lines" not in line


def test_json_findings_carry_the_row_and_the_line(env, tmp_path):
    sheet = organisers_sheet(tmp_path)
    result = run("crossref", sheet, "-c", CONFIG, "-o", tmp_path / "out", "--format", "json")
    findings = [json.loads(x) for x in result.stdout.splitlines()]
    (cell,) = [f for f in findings if f.get("rule") == "sheet.cell"]
    assert (cell["row"], cell["line"], cell["path"]) == (5, 11, "title")


def test_skipped_rows_and_the_preview_name_rows(env, tmp_path):
    sheet = organisers_sheet(tmp_path)
    page = tmp_path / "review.html"
    result = run("preview", sheet, "-c", CONFIG, "-o", page)
    assert result.exit_code == 1  # a row left out is never silent
    assert "1 work(s) left out (see above)" in result.stderr
    html = page.read_text("utf-8")
    assert f"Made from {sheet}: row 6 as" in html  # the paper of the sixth row
    assert f"{sheet}: row 5 (line 11)" in html  # the row left out, as a spreadsheet shows it
    skipped = run("crossref", sheet, "-c", CONFIG, "-o", tmp_path / "o", "--skip-invalid")
    assert skipped.exit_code == 0, skipped.stderr
    assert f"{sheet}: row 5 (line 11): title: warning [sheet.row-skipped]" in skipped.stderr
