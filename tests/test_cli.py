"""CLI behaviour: exit codes, one-line located errors, no tracebacks, progress, schemas."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from conftest import EXAMPLES, PAGES, SCHEMAS, SEED
from typer.testing import CliRunner

from jatsgen.cli import app

runner = CliRunner()


def jats(*args):
    return runner.invoke(app, ["jats", *map(str, args)])


def assert_one_line_error(result, *needles):
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    errors = [ln for ln in result.stderr.splitlines() if "error" in ln and "wrote" not in ln]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


def test_missing_file(tmp_path):
    result = jats(tmp_path / "nope.yaml", "-o", tmp_path / "out")
    assert_one_line_error(result, "nope.yaml", "no such file")


def test_binary_file(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_bytes(b"\x00\x01\x02PNG\x00" * 10)
    assert_one_line_error(jats(p, "-o", tmp_path / "out"), "x.yaml", "binary")


def test_empty_file(tmp_path):
    p = tmp_path / "e.txt"
    p.write_text("  \n", encoding="utf-8")
    assert_one_line_error(jats(p, "-o", tmp_path / "out"), "e.txt", "empty")


def test_non_utf8_file(tmp_path):
    p = tmp_path / "cp.txt"
    p.write_bytes("Мақала атауы\tТақырып\n".encode("cp1251", errors="replace"))
    assert_one_line_error(jats(p, "-o", tmp_path / "out"), "cp.txt:1", "not UTF-8")


def test_malformed_yaml(tmp_path):
    p = tmp_path / "m.yaml"
    p.write_text("title: T\nbody: [unclosed\n", encoding="utf-8")
    assert_one_line_error(jats(p, "-o", tmp_path / "out"), "m.yaml:", "malformed YAML")


def test_record_missing_its_title(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("language: en\npages: 1-2\n", encoding="utf-8")
    assert_one_line_error(
        jats(p, "-o", tmp_path / "out"), "r.yaml:1: error", "required field 'title' is missing"
    )  # (no '$:' for the whole file: issue 25)


def test_one_bad_input_does_not_stop_the_good_ones(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("nope: 1\n", encoding="utf-8")
    out = tmp_path / "out"
    result = jats(SEED, bad, "-o", out, "-q")
    assert result.exit_code == 1
    assert [p.name for p in out.glob("*.xml")] == [SEED.with_suffix(".xml").name]
    assert "1 of 2 input(s) failed" in result.stderr


def test_usage_error_exits_2(tmp_path):
    result = jats(SEED, "-o", tmp_path, "--jats-version", "9.9")
    assert result.exit_code == 2


def test_unknown_from_format_is_a_usage_error(tmp_path):
    assert jats(SEED, "-o", tmp_path, "--from", "docx").exit_code == 2


def test_from_overrides_detection(tmp_path):
    p = tmp_path / "seed.dat"
    p.write_bytes(SEED.read_bytes())
    result = jats(p, "-o", tmp_path / "o", "--from", "page", "-q")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "o" / "seed.xml").is_file()


def test_collection_writes_one_file_per_article_named_by_id(tmp_path):
    result = jats(EXAMPLES / "collection.yaml", "-o", tmp_path, "-q")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("*.xml")) == [
        "collection-p070.xml",
        "collection-p071.xml",
    ]


def test_same_stem_inputs_get_distinct_output_names(tmp_path):
    a = tmp_path / "a" / "x.txt"
    b = tmp_path / "b" / "x.txt"
    for p in (a, b):
        p.parent.mkdir()
        p.write_bytes((PAGES / "no_table.txt").read_bytes())
    result = jats(a, b, "-o", tmp_path / "o", "-q")
    assert result.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "o").glob("*.xml")) == ["x-2.xml", "x.xml"]


def test_archiving_without_its_schema_installed_says_how_to_install(tmp_path, monkeypatch):
    only_publishing = tmp_path / "schemas"
    shutil.copytree(SCHEMAS / "jats" / "1.3", only_publishing / "jats" / "1.3")
    monkeypatch.setenv("JATSGEN_SCHEMAS", str(only_publishing))
    monkeypatch.setenv("JATSGEN_CACHE_DIR", str(tmp_path / "cache"))
    result = jats(SEED, "-o", tmp_path / "out", "--tag-set", "archiving")
    assert result.exit_code == 1
    assert "JATS 1.3 Archiving" in result.stderr
    assert "jatsgen schemas install --source" in result.stderr
    assert "https://jats.nlm.nih.gov/archiving/1.3/" in result.stderr
    assert not list(tmp_path.glob("out/*.xml"))


@pytest.mark.parametrize("version", ["1.3", "1.4"])
def test_archiving_output_is_judged_by_the_archiving_dtd_as_xmllint_judges_it(tmp_path, version):
    result = jats(SEED, "-o", tmp_path, "--tag-set", "archiving", "--jats-version", version, "-q")
    assert result.exit_code == 0, result.stderr
    assert f"valid against JATS {version} archiving" in result.stderr
    (written,) = tmp_path.glob("*.xml")
    catalog = SCHEMAS / "jats-dtd" / f"jats-{version}" / "catalog.xml"
    lint = subprocess.run(
        ["xmllint", "--noout", "--nonet", "--catalogs", "--valid", str(written)],
        capture_output=True,
        text=True,
        env={**os.environ, "XML_CATALOG_FILES": str(catalog)},
    )
    assert lint.returncode == 0, lint.stderr
    check = runner.invoke(app, ["validate", str(written), "--format", "json"])
    assert check.exit_code == 0 and f'"schema": "jats-{version}-archiving"' in check.stdout


def test_validate_reports_valid_and_invalid_files_with_lines(tmp_path):
    out = tmp_path / "o"
    assert jats(SEED, "-o", out, "-q").exit_code == 0
    good = next(out.glob("*.xml"))
    bad = tmp_path / "bad.xml"
    bad.write_text(
        good.read_text("utf-8").replace("<fpage>323</fpage>", "<fpage>323</fpage><fpage>1</fpage>"),
        encoding="utf-8",
    )
    ok = runner.invoke(app, ["validate", str(good)])
    assert ok.exit_code == 0 and "1 valid" in ok.stderr
    res = runner.invoke(app, ["validate", str(tmp_path)])
    assert res.exit_code == 1
    line = next(ln for ln in res.stdout.splitlines() if "bad.xml:" in ln)
    assert "fpage" in line and ": error [xsd]" in line


def test_validate_unknown_kind_and_broken_xml(tmp_path):
    (tmp_path / "other.xml").write_text("<html/>", encoding="utf-8")
    (tmp_path / "cut.xml").write_text("<article><front>", encoding="utf-8")
    res = runner.invoke(app, ["validate", str(tmp_path)])
    assert res.exit_code == 1
    assert "other.xml:1: error [kind.unknown]" in res.stdout
    assert "cut.xml:1" in res.stdout and "not well-formed" in res.stdout


def test_every_command_has_help():
    for cmd in (["jats"], ["validate"], ["schemas", "install"], ["schemas", "list"]):
        result = runner.invoke(app, [*cmd, "--help"])
        assert result.exit_code == 0 and "Usage" in result.stdout


@pytest.mark.parametrize("count", [8])
def test_many_inputs_still_report_each_file(tmp_path, count):
    inputs = []
    for i in range(count):
        p = tmp_path / f"p{i}.txt"
        p.write_bytes((PAGES / "no_table.txt").read_bytes())
        inputs.append(p)
    result = jats(*inputs, "-o", tmp_path / "o", "-q")
    assert result.exit_code == 0
    assert f"wrote {count} JATS file(s)" in result.stderr
