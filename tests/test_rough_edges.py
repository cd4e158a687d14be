"""Rough edges a new user hit at the terminal (issue 25, part 4 and some of part 3): each is
one clear line and what to do instead."""

from __future__ import annotations

import socket

from conftest import EXAMPLES, SHARED
from typer.testing import CliRunner

from jatsgen.cli import app

runner = CliRunner()
FAST = ["--timeout", "0.5", "--retry-base", "0.05", "--poll-interval", "0.1"]


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def _batches(env):
    out = env / "out"
    made = run("crossref", EXAMPLES / "collection.yaml", "-c", EXAMPLES / "jatsgen.toml", "-o", out)
    assert made.exit_code == 0, made.stderr
    return out


def test_deposit_takes_a_folder_of_batches_like_validate(env):
    out = _batches(env)
    result = run("deposit", out, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "2 DOI(s) would be sent (2 new" in result.stderr


def test_a_source_given_to_deposit_is_told_to_make_its_batches_first(env):
    result = run("deposit", EXAMPLES / "collection.yaml", EXAMPLES / "papers.csv", "--dry-run")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines == [
        f"error: {EXAMPLES / 'collection.yaml'}: a record file, not a deposit batch: make the "
        f"batches with `jatsgen crossref {EXAMPLES / 'collection.yaml'} --config jatsgen.toml "
        "-o out/`, then run `jatsgen deposit out/`",
        f"error: {EXAMPLES / 'papers.csv'}: a CSV sheet, not a deposit batch: make the "
        f"batches with `jatsgen crossref {EXAMPLES / 'papers.csv'} --config jatsgen.toml "
        "-o out/`, then run `jatsgen deposit out/`",
    ]
    jats = SHARED / "corpus" / "jats" / "elife00005.xml"
    result = run("deposit", jats, "--dry-run")
    assert (
        f"{jats}: invalid: not sent: a JATS article, not a Crossref deposit: make its "
        f"deposit with `jatsgen crossref {jats}" in result.stdout
    )


def test_a_busy_port_for_the_sandbox_is_one_line(env, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("registry", "serve", "--port", port, "--data", tmp_path / "sb",
                     "--accounts", EXAMPLES / "sandbox-accounts.toml")  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use; another program "
        "listens there: stop it, or choose another --port (0 picks a free one)"
    ]


def test_schemas_list_folds_paths_instead_of_cutting_them():
    result = run("schemas", "list")
    assert result.exit_code == 0
    assert "…" not in result.stdout
    joined = "".join(
        cell.strip() for line in result.stdout.splitlines() for cell in line.split("│")[2:3]
    )
    assert str(SHARED / "schemas" / "crossref" / "5.4.0") in joined


def test_a_received_batch_says_where_the_registry_took_it(env, registry):
    reg = registry()
    out = _batches(env)
    result = run("deposit", out, "--endpoint", reg.url, *FAST)
    assert result.exit_code == 0, result.stderr
    assert "received: received" not in result.stderr
    assert ": received: the registry took it as " in result.stderr


def test_a_doi_look_alike_is_told_which_characters_a_doi_holds(tmp_path, env):
    record = tmp_path / "a.json"  # the example article with an en dash typed for a hyphen
    record.write_text(
        (EXAMPLES / "article.json").read_text().replace("capr.2024.", "capr–2024.", 1)
    )
    result = run("crossref", record, "-c", EXAMPLES / "jatsgen.toml", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "U+2013 EN DASH" in result.stderr
    assert "a suffix of ASCII letters a-z A-Z, digits 0-9 and - . _ ; ( ) /" in result.stderr


def test_a_failed_run_leaves_no_empty_output_folder(env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: A paper\ncontributors: [{surname: X, orcid: 0000-0002-1825-0098}]\n")
    for command in ("crossref", "jats"):
        out = tmp_path / f"new-{command}"
        result = run(command, bad, "-c", EXAMPLES / "jatsgen.toml", "-o", out)
        assert result.exit_code == 1, result.stderr
        assert not out.exists(), command
    kept = tmp_path / "kept"  # a folder that was there before stays
    kept.mkdir()
    assert run("crossref", bad, "-c", EXAMPLES / "jatsgen.toml", "-o", kept).exit_code == 1
    assert kept.is_dir()
