"""Every problem in one run, in words a person can act on, and the command-line conventions
people expect (issue 13). Each test goes through the CLI and pins the text that tells the
user what to do."""

from __future__ import annotations

import importlib.util
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES, FIXTURES, ROOT, SCHEMAS
from typer.testing import CliRunner

from jatsgen.cli import app

runner = CliRunner()
CONFIG = FIXTURES / "test.toml"
VOLUME = "container: {type: proceedings, title: Vol, published: 2025}\narticles:\n"


def run(*args: object):
    return runner.invoke(app, [*map(str, args)])


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("JATSGEN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("JATSGEN_LEDGER", str(tmp_path / "ledger.sqlite"))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def sheet(tmp_path: Path, header: str, rows: list[str], name: str = "s.csv") -> Path:
    return write(tmp_path / name, "\n".join([header, *rows]) + "\n")


# --- 1. an unknown column or key is an error that names the closest known one ---------------


def test_a_misspelt_csv_column_fails_the_sheet_with_the_column_it_meant_and_writes_nothing(
    tmp_path,
):
    src = sheet(
        tmp_path,
        "title,author1_surname,author1_orcd,язык,container_title,isbn",
        ["One,Writer,0000-0002-1825-0097,kk,Vol,978-601-262-587-5"],
    )
    out = tmp_path / "out"
    result = run("crossref", src, "--config", CONFIG, "-o", out, "--skip-invalid")
    assert result.exit_code == 1
    assert (
        f"{src}: row 1: author1_orcd: error [sheet.unknown-column]: unknown column 'author1_orcd' "
        "(column 3); did you mean 'author1_orcid'?"
    ) in result.stderr
    assert "unknown column 'язык' (column 4); did you mean 'language'?" in result.stderr
    assert not out.exists() or not list(out.iterdir())


def test_a_misspelt_config_key_or_table_names_the_one_it_meant(tmp_path):
    config = write(
        tmp_path / "c.toml",
        CONFIG.read_text(encoding="utf-8").replace("email =", "emial =")
        + '\n[registy]\nuser = "x"\n',
    )
    src = write(tmp_path / "r.yaml", VOLUME + "  - {title: T, pages: 1-2}\n")
    result = run("crossref", src, "--config", config, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "depositor.emial: error [config.invalid]: unknown key 'emial' in [depositor]; " \
        "did you mean 'email'?" in result.stderr  # fmt: skip
    assert "unknown table [registy]; did you mean 'registry'?" in result.stderr


# --- 2. one run reports every problem, in line order ----------------------------------------


def test_a_schema_error_and_a_check_digit_in_other_articles_are_reported_in_one_run(tmp_path):
    src = write(
        tmp_path / "r.yaml",
        VOLUME
        + "  - {title: One, pages: 1-2, kind: paper}\n"
        + "  - title: Two\n"
        + "    pages: 3-4\n"
        + "    contributors: [{surname: B, orcid: 0000-0002-1825-0098}]\n",
    )
    result = run("jats", src, "-o", tmp_path / "out")
    assert result.exit_code == 1
    lines = [x for x in result.stderr.splitlines() if ": error [" in x]
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(f"{src}:3: $.articles[0].kind: error [record.schema]")
    assert lines[1].startswith(f"{src}:6: $.articles[1].contributors[0].orcid: error [record.bad")


# --- 3. a bad container cell is said once, with its rows --------------------------------------


def test_a_bad_container_cell_shared_by_four_rows_is_one_message_naming_the_rows(tmp_path):
    rows = [f"Paper {i},Writer{i},{i}-{i + 1},Vol,978-601-262-587-4,07.04.2025,C" for i in range(4)]
    header = "title,author1_surname,pages,container_title,isbn,event_start,event_name"
    src = sheet(tmp_path, header, rows)
    result = run("crossref", src, "--config", CONFIG, "-o", tmp_path / "out")
    assert result.exit_code == 1
    errors = [x for x in result.stderr.splitlines() if ": error [" in x]
    assert len(errors) == 2, result.stderr
    assert any("isbn" in x and "(rows 2, 3, 4, 5: 4 rows)" in x for x in errors), errors
    assert any("event_start" in x and "write 2025-04-07" in x for x in errors), errors


# --- 4. how to fix it ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("dates: {published: '07.04.2025'}", None, "write 2025-04-07"),
        ("dates: {published: '7 April 2025'}", None, "write 2025-04-07"),
        (
            "contributors: [{surname: B, orcid: '0000-0002-1825-0098'}]",
            None,
            "ORCID '0000-0002-1825-0098' has a bad check digit: the last character should be 7",
        ),
        (
            "contributors: [{surname: B, orcid: '0000-0002-1825-009Х'}]",
            None,
            "'Х' (U+0425 CYRILLIC CAPITAL LETTER HA)",
        ),
        (
            "contributors: [{surname: B, affiliations: [{institution: U, country_code: КZ}]}]",
            None,
            "'К' (U+041A CYRILLIC CAPITAL LETTER KA)",
        ),
        ("doi: '10.5555/ab‐1'", None, "'‐' (U+2010 HYPHEN)"),
    ],
)
def test_a_message_says_how_to_fix_the_value(tmp_path, field, value, expected):
    src = write(tmp_path / "r.yaml", VOLUME + f"  - title: T\n    pages: 1-2\n    {field}\n")
    result = run("jats", src, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert expected in result.stderr, result.stderr
    assert "https://orcid.org/0000" not in result.stderr  # what the user typed, not our URL


def test_isbn_with_a_look_alike_dash_names_the_character(tmp_path):
    src = write(
        tmp_path / "r.yaml",
        "container: {type: proceedings, title: V, published: 2025, isbn: 978–601–262–587–5}\n"
        "articles:\n  - {title: T, pages: 1-2}\n",
    )
    result = run("jats", src, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "'–' (U+2013 EN DASH)" in result.stderr


def test_a_windows_1251_sheet_says_to_save_it_as_csv_utf8(tmp_path):
    src = write(tmp_path / "cp.csv", "title,author1_surname\nСтатья,Иванов\n", "cp1251")
    result = run("jats", src, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert f"{src}:2: error [input.encoding]" in result.stderr
    assert 'Windows-1251 (Cyrillic): in Excel, "Save As" "CSV UTF-8' in result.stderr


def test_schemas_install_takes_source_and_crossref_takes_crossref_version(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    installed = run("schemas", "install", "--source", SCHEMAS, "--set", "crossref-5.3.1",
                    "--no-compile")  # fmt: skip
    assert installed.exit_code == 0, installed.stderr
    old = run("schemas", "install", "--from", SCHEMAS, "--set", "crossref-5.3.1", "--no-compile")
    assert old.exit_code == 0 and "--from is now called --source" in old.stderr
    src = write(tmp_path / "r.yaml", VOLUME + "  - {title: T, pages: 1-2}\n")
    made = run("crossref", src, "-c", CONFIG, "-o", tmp_path / "o", "--crossref-version", "5.3.1")
    assert made.exit_code == 0, made.stderr
    assert (
        "http://www.crossref.org/schema/5.3.1" in next((tmp_path / "o").glob("*.xml")).read_text()
    )
    for command in ("jats", "crossref"):
        help_text = run(command, "--help").stdout
        assert f"--{command}-version" in help_text and "--schema-version" not in help_text


# --- 5. a paper without pages in a proceedings volume --------------------------------------


def test_a_paper_without_pages_in_proceedings_is_a_warning_in_jats_crossref_and_validate(
    tmp_path,
):
    src = write(tmp_path / "r.yaml", VOLUME + "  - {title: No pages}\n  - {title: P, pages: 3-4}\n")
    said = f"{src}:3: $.articles[0]: warning [pages.missing]: the paper has no pages and no " \
        "article number"  # fmt: skip
    jats = run("jats", src, "-o", tmp_path / "j")
    assert jats.exit_code == 0 and said in jats.stderr and jats.stderr.count("pages.missing") == 1
    cr = run("crossref", src, "-c", CONFIG, "-o", tmp_path / "c")
    assert cr.exit_code == 0 and said in cr.stderr and cr.stderr.count("pages.missing") == 1
    checked = run("validate", *(tmp_path / "c").glob("*.xml"))
    assert checked.exit_code == 0 and checked.stdout.count("warning [pages.missing]") == 1


# --- 6. one cause, one message ----------------------------------------------------------------


def test_a_warning_with_one_cause_across_a_volume_is_said_once_with_a_count(tmp_path):
    rows = [f"Paper {i},Writer{i},{i}-{i + 1},Vol" for i in range(1, 51)]
    src = sheet(tmp_path, "title,author1_surname,pages,container_title", rows)
    result = run("jats", src, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    (line,) = [x for x in result.stderr.splitlines() if "jats.no-issn" in x]
    assert "(50 times" in line
    assert len(list((tmp_path / "out").glob("*.xml"))) == 50


# --- 7. conventions ---------------------------------------------------------------------------


def test_version_and_shell_completion():
    from jatsgen import __version__

    assert run("--version").stdout.strip() == f"jatsgen {__version__}"
    jatsgen = Path(sys.executable).parent / "jatsgen"  # the installed command, as shells run it
    script = subprocess.run(
        [jatsgen], env={**os.environ, "_JATSGEN_COMPLETE": "source_bash"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "complete -o default -F _jatsgen_completion jatsgen" in script.stdout
    words = {"_JATSGEN_COMPLETE": "complete_bash", "COMP_WORDS": "jatsgen val", "COMP_CWORD": "1"}
    completed = subprocess.run(
        [jatsgen], env={**os.environ, **words}, capture_output=True, text=True, timeout=60
    )
    assert completed.stdout.split() == ["validate"]


RESULT_KEYS = {"type", "command", "status", "input", "outputs", "errors", "warnings", "data"}
FINDING_KEYS = {"type", "file", "line", "row", "column", "severity", "rule", "message", "path"}


def assert_json_lines(stdout: str, command: str) -> list[dict]:
    objects = [json.loads(line) for line in stdout.splitlines()]
    assert objects, f"{command}: no JSON Lines"
    for o in objects:
        assert set(o) == (RESULT_KEYS if o["type"] == "result" else FINDING_KEYS), o
        if o["type"] == "result":
            assert o["command"] == command
    return [o for o in objects if o["type"] == "result"]


def test_every_reporting_command_speaks_one_json_lines_shape(tmp_path, registry, monkeypatch):
    monkeypatch.setenv("JATSGEN_USER", "demo")
    monkeypatch.setenv("JATSGEN_PASSWORD", "demo-password")
    src = write(tmp_path / "r.yaml", VOLUME + "  - {title: T, pages: 1-2, doi: 10.5555/j.1}\n")
    jats = run("jats", src, "-o", tmp_path / "j", "--format", "json")
    (made,) = assert_json_lines(jats.stdout, "jats")
    assert made["status"] == "written" and made["outputs"] == [str(tmp_path / "j" / "r.xml")]
    cr = run("crossref", src, "-c", CONFIG, "-o", tmp_path / "c", "--format", "json")
    (batch,) = assert_json_lines(cr.stdout, "crossref")
    assert batch["data"]["dois"] == ["10.5555/j.1"]
    checked = run("validate", *batch["outputs"], "--format", "json")
    (valid,) = assert_json_lines(checked.stdout, "validate")
    assert valid["status"] == "valid" and valid["data"]["kind"] == "crossref"
    reg = registry()
    sent = run("deposit", *batch["outputs"], "--endpoint", reg.url, "--format", "json",
               "--wait", "--poll-interval", "0.1", "--retry-base", "0.05")  # fmt: skip
    (deposited,) = assert_json_lines(sent.stdout, "deposit")
    assert deposited["status"] == "completed", sent.stderr
    assert deposited["data"]["dois"][0]["result"] == "success"
    status = run("status", "--format", "json", "--no-refresh")
    (submission,) = assert_json_lines(status.stdout, "status")
    assert submission["status"] == "completed" and submission["input"] == batch["outputs"][0]
    seen = run("preview", *batch["outputs"], "--endpoint", reg.url, "--format", "json")
    (doi,) = assert_json_lines(seen.stdout, "preview")
    assert doi["status"] == "unchanged" and doi["data"]["doi"] == "10.5555/j.1"
    bad = run("validate", EXAMPLES / "collection.yaml", FIXTURES, "--format", "json")
    assert_json_lines(bad.stdout, "validate")


def test_the_rule_list_fits_80_columns():
    listed = run("validate", "--list-rules")
    assert listed.exit_code == 0
    assert max(len(line) for line in listed.stdout.splitlines()) <= 80
    assert "pages.missing  (warning; crossref, jats)" in listed.stdout


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jatsgen", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **env},
        timeout=120,
    )


def test_names_are_printed_as_utf8_text_in_the_c_locale(tmp_path):
    src = write(tmp_path / "r.yaml", VOLUME + "  - {title: Тест, pages: 1-2, language: қаз}\n")
    result = cli("jats", str(src), "-o", str(tmp_path / "o"), LC_ALL="C", LANG="C", PYTHONUTF8="0")
    assert '"қаз" is not in the expected form' in result.stderr
    assert "\\u" not in result.stderr
    jsonl = cli("jats", str(src), "-o", str(tmp_path / "o"), "--format", "json", LC_ALL="C")
    assert "қаз" in jsonl.stdout and "\\u04" not in jsonl.stdout


def test_a_closed_pipe_ends_quietly(tmp_path):
    files = [str(p) for p in sorted((FIXTURES / "golden").glob("*.xml"))] * 40
    shell = f"{sys.executable} -m jatsgen validate --format json {' '.join(files)} | head -1"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 141  # as a command killed by SIGPIPE
    assert done.stdout.count("\n") == 1 and done.stderr == ""


def test_a_progress_bar_only_on_a_terminal_and_only_for_a_long_run(tmp_path):
    src = write(tmp_path / "r.yaml", VOLUME + "  - {title: T, pages: 1-2}\n")
    inputs = [str(src)] * 3
    env = {**os.environ, "JATSGEN_PROGRESS_AFTER": "0"}
    piped = subprocess.run(
        [sys.executable, "-m", "jatsgen", "jats", *inputs, "-o", str(tmp_path / "a")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert "converting" not in piped.stderr and "\x1b[" not in piped.stderr
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jatsgen", "jats", *inputs, "-o", str(tmp_path / "b")],
        stdin=child, stdout=child, stderr=child, env=env, close_fds=True,
    )  # fmt: skip
    os.close(child)
    seen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=60)
    os.close(main)
    assert b"converting" in seen, seen


# --- 8. the record format, documented from its schema ----------------------------------------


def test_every_record_field_is_described_and_the_reference_page_is_current():
    schema = json.loads((ROOT / "schemas" / "record.schema.json").read_text(encoding="utf-8"))
    undescribed = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if "description" not in prop:
                    undescribed.append(f"{path}.{name}")
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(schema, "$")
    assert not undescribed, undescribed
    spec = importlib.util.spec_from_file_location("docs", ROOT / "scripts" / "make_record_docs.py")
    assert spec and spec.loader
    docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(docs)
    page = (ROOT / "docs" / "record-format.md").read_text(encoding="utf-8")
    assert page == docs.render(), "run: python scripts/make_record_docs.py"
    assert "| `contributors[].orcid` |" not in page or "check digit" in page
    assert "docs/record-format.md" in (ROOT / "README.md").read_text(encoding="utf-8")


# --- 9. the quick start works with only the repository -----------------------------------------


def quick_start() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    return re.search(r"```sh\n(.*?)\n```", section, re.S).group(1)  # type: ignore[union-attr]


def test_the_quick_start_runs_in_a_clone_with_nothing_beside_it(tmp_path):
    command = quick_start()
    assert "../shared" not in command
    clone = tmp_path / "alone" / "jatsgen"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            (clone / name).write_bytes((ROOT / name).read_bytes())
    assert not (clone.parent / "shared").exists()
    # A virtual environment of its own, seeing this one's packages (offline: the install
    # step builds the project with the hatchling installed here, and fetches nothing).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    import sysconfig

    (site / "parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "JATSGEN_SCHEMAS": str(SCHEMAS),
        "JATSGEN_STATE_DIR": str(tmp_path / "state"),
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "VIRTUAL_ENV": str(venv),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", command], cwd=clone, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(list((clone / "out" / "jats").glob("*.xml"))) >= 2
    assert list((clone / "out" / "crossref").glob("*.xml"))
    assert "internal error" not in done.stderr
