"""Outputs pinned byte for byte: the seed's JATS (1.3, 1.4) and Crossref batches (5.3.1, 5.4.0,
5.5.0, timestamp pinned), and the bundled examples, as written by the commit before the
stages became subpackages (issue 10). A change that alters them must say why and update the
files in tests/fixtures/golden/ in the same commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLES, FIXTURES, SEED
from typer.testing import CliRunner

from jatsgen.cli import app

GOLDEN = FIXTURES / "golden"
STAMP = "20250101000000000"
runner = CliRunner()


def run(*args: object) -> None:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.stderr


def assert_same(written: Path, expected: str) -> None:
    assert written.read_bytes() == (GOLDEN / expected).read_bytes(), f"{written} != {expected}"


@pytest.mark.parametrize("version", ["1.3", "1.4"])
def test_seed_jats_is_byte_identical(tmp_path, version):
    run("jats", SEED, "-o", tmp_path, "--jats-version", version, "-q")
    assert_same(tmp_path / f"{SEED.stem}.xml", f"seed-jats-{version}.xml")


@pytest.mark.parametrize("version", ["5.3.1", "5.4.0", "5.5.0"])
def test_seed_crossref_is_byte_identical(tmp_path, monkeypatch, version):
    monkeypatch.setenv("JATSGEN_STATE_DIR", str(tmp_path / "state"))
    out = tmp_path / "out"
    run(
        "crossref", SEED, "--config", EXAMPLES / "jatsgen.toml", "-o", out,
        "--crossref-version", version, "--timestamp", STAMP, "-q",
    )  # fmt: skip
    assert_same(out / f"jatsgen-{STAMP}.xml", f"seed-crossref-{version}.xml")


def test_examples_are_byte_identical(tmp_path, monkeypatch):
    monkeypatch.setenv("JATSGEN_STATE_DIR", str(tmp_path / "state"))
    out = tmp_path / "out"
    inputs = [EXAMPLES / n for n in ("collection.yaml", "article.json", "papers.csv")]
    run(
        "crossref", *inputs, "--config", EXAMPLES / "jatsgen.toml", "-o", out,
        "--timestamp", STAMP, "-q",
    )  # fmt: skip
    assert_same(out / f"jatsgen-{STAMP}.xml", "examples-crossref-5.4.0-1.xml")
    assert_same(out / "jatsgen-20250101000000001.xml", "examples-crossref-5.4.0-2.xml")
    run("jats", EXAMPLES / "collection.yaml", "-o", tmp_path / "jats", "-q")
    for name in ("collection-p070.xml", "collection-p071.xml"):
        assert_same(tmp_path / "jats" / name, name)
