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


def test_files_are_written_with_the_users_umask(env, tmp_path):
    """Batches, JATS files and the preview page get the mode a plain write would give (a
    press's shared group reads them), not the private 0600 of a temporary file."""
    import os
    import stat
    import subprocess
    import sys

    config = EXAMPLES / "jatsgen.toml"
    for umask, mode in ((0o022, 0o644), (0o027, 0o640), (0o077, 0o600)):
        out = tmp_path / f"u{umask:o}"
        commands = [
            ["crossref", EXAMPLES / "collection.yaml", "-c", config, "-o", out / "batches"],
            ["jats", EXAMPLES / "collection.yaml", "-c", config, "-o", out / "jats"],
            ["preview", EXAMPLES / "collection.yaml", "-c", config, "-o", out / "page.html"],
        ]
        for args in commands:
            done = subprocess.run(
                [sys.executable, "-m", "jatsgen", *map(str, args), "-q"],
                env={**os.environ, "JATSGEN_STATE_DIR": str(out / "state")},
                preexec_fn=lambda u=umask: os.umask(u),  # (the child sets its umask)
                capture_output=True, text=True,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
        written = [p for p in out.rglob("*") if p.is_file() and "state" not in p.parts]
        assert len(written) >= 3, written
        for path in written:
            assert stat.S_IMODE(path.stat().st_mode) == mode, (oct(umask), path)


# --- messages at the source (part 3) ------------------------------------------------------------

GOLDEN_JATS = EXAMPLES.parent / "tests" / "fixtures" / "golden" / "collection-p070.xml"
VARIANTS = EXAMPLES.parent / "tests" / "fixtures" / "jats" / "variants.xml"  # a journal article


def test_a_refused_jats_upgrade_points_at_the_inputs_lines_and_writes_nothing(tmp_path):
    text = GOLDEN_JATS.read_text("utf-8")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "<article-meta>" in line)
    lines[at] = lines[at].replace("<article-meta>", "<article-meta><bogus/>")
    bad = tmp_path / "bad.xml"
    bad.write_text("\n".join(lines) + "\n", "utf-8")
    result = run("jats", bad, "-o", tmp_path / "out")
    assert result.exit_code == 1
    found = [line for line in result.stderr.splitlines() if "[xsd]" in line]
    assert found and found[0].startswith(f"{bad}:{at + 1}: /article/front/article-meta: error")
    assert "out/bad.xml" not in result.stderr  # the file it did not write is never named
    assert result.stderr.strip().splitlines()[-1] == (
        "no JATS file written; 0 warning(s); 1 of 1 input(s) failed"
    )
    assert not (tmp_path / "out" / "bad.xml").exists()


def test_a_jats_file_without_journal_meta_is_told_what_to_add(env, tmp_path):
    import re

    text = re.sub(r"<journal-meta>.*?</journal-meta>", "", VARIANTS.read_text("utf-8"),
                  flags=re.S)  # fmt: skip
    bare = tmp_path / "bare.xml"
    bare.write_text(text, "utf-8")
    made = run("jats", bare, "-o", tmp_path / "out")
    assert made.exit_code == 1
    assert "the input has no <journal-meta>; add one at the start of <front>" in made.stderr
    deposit = run("crossref", bare, "-c", EXAMPLES.parent / "tests" / "fixtures" / "test.toml",
                  "-o", tmp_path / "b",
                  "--any-prefix")  # fmt: skip
    assert deposit.exit_code == 1
    assert "Crossref deposits need one: add <journal-meta> to the JATS's <front>" in deposit.stderr


def test_a_pattern_needing_a_year_names_what_the_work_lacks(env, tmp_path):
    undated = tmp_path / "v.yaml"
    undated.write_text(
        "container: {type: proceedings, title: Vol}\n"
        "articles:\n  - {title: One, number: 1, pages: 1-2}\n",
        "utf-8",
    )
    result = run("crossref", undated, "-c", EXAMPLES / "jatsgen.toml", "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert (
        "needs {year}, but this work has no publication date: give published (in the work or "
        "its volume) or the event's start; or leave {year} out of the pattern"
    ) in result.stderr
    assert "which this record does not have" not in result.stderr


def test_a_pattern_format_a_value_cannot_take_is_said_once_at_the_config_line(env, tmp_path):
    config_text = (EXAMPLES / "jatsgen.toml").read_text("utf-8")
    config_text = config_text.replace(
        'suffix = "ysc.{year}.{number}"', 'suffix = "ysc.{year}.{number:03d}"'
    )
    config = tmp_path / "c.toml"
    config.write_text(config_text, "utf-8")
    line = next(n for n, t in enumerate(config_text.splitlines(), 1) if "{number:03d}" in t)
    volume = tmp_path / "v.yaml"
    volume.write_text(
        "container: {type: proceedings, title: Vol, published: 2025}\narticles:\n"
        "  - {title: One, number: a1}\n  - {title: Two, number: b2}\n"
        "  - {title: Three, number: 3}\n",
        "utf-8",
    )
    result = run("crossref", volume, "-c", config, "-o", tmp_path / "o")
    assert result.exit_code == 1
    found = [x for x in result.stderr.splitlines() if "[config.pattern]" in x]
    assert len(found) == 1, result.stderr
    assert found[0].startswith(f"{config}:{line}: [doi] suffix: error [config.pattern]: ")
    assert "formats {number:03d} as a whole number" in found[0]
    assert found[0].endswith("(for 2 works)")
    assert "Unknown format code" not in result.stderr
    volume.write_text(volume.read_text("utf-8").replace("a1", "1").replace("b2", "2"), "utf-8")
    padded = run("crossref", volume, "-c", config, "-o", tmp_path / "o2")
    assert padded.exit_code == 0, padded.stderr  # digits are padded: ysc.2025.001
    assert "10.5555/ysc.2025.001" in "".join(
        p.read_text("utf-8") for p in (tmp_path / "o2").glob("*.xml")
    )


def test_malformed_yaml_with_a_colon_in_a_value_gets_the_quoting_hint(tmp_path):
    for text in (
        "container: {type: proceedings, title: Vol: a subtitle, published: 2025}\n",
        "container:\n  type: proceedings\n  title: Vol: a subtitle\n",
    ):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text + "articles:\n  - {title: A}\n", "utf-8")
        result = run("jats", bad, "-o", tmp_path / "o")
        assert result.exit_code == 1
        assert (
            "malformed YAML" in result.stderr
            and "(in YAML, put text containing ': ' in quotes: title: \"Vol: a subtitle\")"
            in result.stderr
        ), result.stderr


def test_a_volumes_own_problems_are_said_once_at_the_volume_with_a_count(env, tmp_path):
    volume = tmp_path / "v.yaml"
    volume.write_text(
        "articles:\n"
        + "".join(f"  - {{title: Paper {i}, number: {i}, pages: {i}-{i}}}\n" for i in (1, 2, 3))
        + "container: {type: proceedings, title: Vol, published: 2095}\n",
        "utf-8",
    )
    config = EXAMPLES / "jatsgen.toml"
    for command in ("crossref", "jats"):
        result = run(command, volume, "-c", config, "-o", tmp_path / command)
        assert result.exit_code == 1
        found = [x for x in result.stderr.splitlines() if "date.far-future" in x]
        assert found == [
            f"{volume}:5: $.container: error [date.far-future]: the container publication date "
            "2095 is over 2 years ahead (for 3 works)"
        ], result.stderr
    volume.write_text(volume.read_text("utf-8").replace("2095", "2025"), "utf-8")
    made = run("jats", volume, "-c", config, "-o", tmp_path / "j2")
    assert made.exit_code == 0, made.stderr
    found = [x for x in made.stderr.splitlines() if "jats.no-issn" in x]
    assert len(found) == 1 and found[0].startswith(f"{volume}:5: $.container: warning")
    assert found[0].endswith("(for 3 works)")


def test_dois_are_printed_as_the_files_write_them(env, registry, tmp_path):
    reg = registry()
    volume = tmp_path / "v.yaml"
    volume.write_text(
        "container: {type: proceedings, title: Vol, published: 2025}\narticles:\n"
        "  - {title: One, doi: 10.5555/YSC.Mixed-Case1, number: 1, pages: 1-2}\n",
        "utf-8",
    )
    made = run("crossref", volume, "-c", EXAMPLES / "jatsgen.toml", "-o", tmp_path / "b")
    assert made.exit_code == 0, made.stderr
    sent = run("deposit", tmp_path / "b", "--endpoint", reg.url, *FAST, "--wait")
    assert sent.exit_code == 0, sent.stderr
    assert "10.5555/YSC.Mixed-Case1\tsuccess" in sent.stdout
    status = run("status", "--no-refresh")
    assert "10.5555/YSC.Mixed-Case1  success" in status.stdout
    assert "10.5555/ysc.mixed-case1" not in sent.stdout + status.stdout


def test_no_help_or_message_shows_an_internal_name():
    """Help and summaries speak the user's words: no Python names (result_json, None)."""
    import re

    commands = ["jats", "crossref", "validate", "preview", "deposit", "status", "resources",
                "schemas", "registry"]  # fmt: skip
    for command in commands:
        shown = run(command, "--help")
        assert shown.exit_code == 0, shown.stderr
        found = re.findall(r"\w+_json\b|\bNone\b|\$:", shown.stdout)
        assert not found, (command, found)
