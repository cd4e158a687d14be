"""Review before registering (issue 12), against the sandbox over real HTTP: a dry run sends
nothing, a deposit sends only what changed since the last deposit of each DOI, and the
ledger tells the truth about refused DOIs and refused uploads."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import FIXTURES, SHARED, json_lines, result_data
from typer.testing import CliRunner

from jatsgen.cli import app

runner = CliRunner()
FAST = ["--timeout", "0.5", "--retry-base", "0.05", "--poll-interval", "0.1"]
CONFIG = FIXTURES / "test.toml"


def run(*args: object):
    return runner.invoke(app, [*map(str, args)])


def volume(folder: Path, titles: dict[int, str] | None = None, pages: int = 5) -> Path:
    """A proceedings volume of `pages` papers; `titles` replaces some titles."""
    titles = titles or {}
    lines = [
        "container: {type: proceedings, title: Changed Volume, published: 2025}",
        "articles:",
    ]
    for i in range(1, pages + 1):
        title = titles.get(i, f"Paper {i}")
        lines.append(
            f"  - {{title: '{title}', doi: '10.5555/chg.{i}', url: 'https://example.org/{i}', "
            f"pages: {10 * i}-{10 * i + 5}, contributors: [{{surname: Writer{i}}}]}}"
        )
    path = folder / "volume.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def regenerate(env: Path, src: Path, name: str) -> list[Path]:
    out = env / name
    made = run("crossref", src, "--config", CONFIG, "-o", out, "-q")
    assert made.exit_code == 0, made.stderr
    return sorted(out.glob("*.xml"))


def test_a_dry_run_validates_and_says_what_would_be_sent_and_sends_nothing(env, registry):
    reg = registry()
    batches = regenerate(env, volume(env), "first")
    dry = run("deposit", *batches, "--endpoint", reg.url, "--dry-run", *FAST)
    assert dry.exit_code == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[0].endswith("would send: ") or "would send" in lines[0]
    assert [x.split("\t")[1:] for x in lines[1:6]] == [["new", "sent"]] * 5
    assert "nothing was sent" in dry.stderr
    as_json = run("deposit", *batches, "--endpoint", reg.url, "--dry-run", "--format", "json")
    (plan,) = json_lines(as_json.stdout)
    assert plan["status"] == "send" and len(plan["data"]["dois"]) == 5
    assert reg.witness()["submissions"] == 0  # the registry's own store: nothing arrived
    assert not (env / "ledger.sqlite").exists() or "submissions" not in run("status").stdout


def test_only_what_changed_is_sent_and_the_preview_shows_the_change(env, registry):
    reg = registry()
    src = volume(env)
    first = run("deposit", *regenerate(env, src, "v1"), "--endpoint", reg.url, "--wait", *FAST)
    assert first.exit_code == 0, first.stderr
    assert reg.witness()["submissions"] == 1

    # regenerated unchanged (new timestamps, new files): nothing is sent
    again = run("deposit", *regenerate(env, src, "v2"), "--endpoint", reg.url, "--wait", *FAST)
    assert again.exit_code == 0, again.stderr
    assert "unchanged: nothing sent: all 5 DOI(s) unchanged" in again.stderr
    assert reg.witness()["submissions"] == 1

    # one title corrected: the preview shows it, field by field, and only that paper goes
    fixed = volume(env, {3: "Paper 3, corrected"})
    batches = regenerate(env, fixed, "v3")
    seen = run("preview", *batches, "--endpoint", reg.url, "--format", "json")
    assert seen.exit_code == 0, seen.stderr
    by_doi = {x["doi"]: x for x in result_data(seen.stdout)}
    assert [by_doi[f"10.5555/chg.{i}"]["status"] for i in range(1, 6)] == [
        "unchanged", "unchanged", "updated", "unchanged", "unchanged",
    ]  # fmt: skip
    assert by_doi["10.5555/chg.3"]["changes"] == [
        {"field": "Title", "old": "Paper 3", "new": "Paper 3, corrected"}
    ]
    sent = run("deposit", *batches, "--endpoint", reg.url, "--wait", *FAST)
    assert sent.exit_code == 0, sent.stderr
    assert "1 of 5 DOI(s) sent: 0 new, 1 updated" in sent.stderr
    assert sent.stdout.splitlines() == ["10.5555/chg.3\tsuccess\tSuccessfully updated"]
    witness = reg.witness()
    assert witness["submissions"] == 2
    assert witness["uploads"] == {f"10.5555/chg.{i}": 2 if i == 3 else 1 for i in range(1, 6)}

    # and the same page fixed twice is not sent twice
    twice = run("deposit", *regenerate(env, fixed, "v4"), "--endpoint", reg.url, *FAST)
    assert twice.exit_code == 0 and "unchanged" in twice.stderr
    assert reg.witness()["submissions"] == 2


def test_pages_corrected_are_a_change_too_and_force_sends_everything(env, registry):
    reg = registry()
    src = volume(env)
    assert run("deposit", *regenerate(env, src, "a"), "--endpoint", reg.url, "--wait", *FAST)
    text = src.read_text("utf-8").replace("pages: 20-25", "pages: 20-26")
    src.write_text(text, "utf-8")
    batches = regenerate(env, src, "b")
    dry = run("deposit", *batches, "--endpoint", reg.url, "--dry-run")
    assert "10.5555/chg.2\tupdated\tsent" in dry.stdout
    assert "Pages: '20–25' -> '20–26'" in dry.stdout
    forced = run("deposit", *batches, "--endpoint", reg.url, "--dry-run", "--force")
    assert forced.stdout.count("\tsent") == 5


def test_dois_the_registry_refused_do_not_count_as_deposited(env, registry, monkeypatch):
    """The account does not own the prefix: every DOI fails. The same batch then still
    validates (its timestamp is newer than nothing), and is not 'unchanged'."""
    reg = registry()
    batches = regenerate(env, volume(env), "refused")
    monkeypatch.setenv("JATSGEN_USER", "other")
    monkeypatch.setenv("JATSGEN_PASSWORD", "other-password")
    refused = run("deposit", *batches, "--endpoint", reg.url, "--wait", *FAST)
    assert refused.exit_code == 1
    assert "prefix not owned" in refused.stdout
    checked = run("validate", *batches)
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    assert "crossref.timestamp-newer" not in checked.stdout
    dry = run("deposit", *batches, "--endpoint", reg.url, "--dry-run", "--force")
    assert dry.stdout.count("\tnew\t") == 5


def test_a_refused_upload_leaves_no_doi_pending(env, registry, monkeypatch):
    reg = registry()
    batches = regenerate(env, volume(env), "wrong-password")
    monkeypatch.setenv("JATSGEN_PASSWORD", "not-the-password")
    refused = run("deposit", *batches, "--endpoint", reg.url, *FAST)
    assert refused.exit_code == 1 and "wrong user name or password" in refused.stderr
    status = run("status", "--no-refresh", "--format", "json")
    (item,) = result_data(status.stdout)
    assert item["state"] == "rejected"
    assert {d["result"] for d in item["dois"]} == {"failure"}
    assert all("the upload was refused" in d["message"] for d in item["dois"])


def official(env: Path, name: str, stamp: int, edit: tuple[str, str] | None = None) -> Path:
    """An official Crossref example under the demo account's prefix, its timestamp pinned,
    with one edit applied."""
    text = (SHARED / "examples" / "crossref" / name).read_text(encoding="utf-8")
    text = text.replace("10.32013/", "10.5555/")
    text = re.sub(r"<timestamp>\d+</timestamp>", f"<timestamp>{stamp}</timestamp>", text)
    if edit:
        assert edit[0] in text
        text = text.replace(edit[0], edit[1], 1)
    path = env / f"{stamp}-{name}"
    path.write_text(text, encoding="utf-8")
    return path


def test_reports_standards_and_components_are_compared_doi_by_doi(env, registry):
    reg = registry()
    names = ("report.5.3.0.xml", "standard5.3.0.xml", "component5.3.0.xml")
    first = [official(env, n, 2021010100000001) for n in names]
    sent = run("deposit", *first, "--endpoint", reg.url, "--wait", *FAST)
    assert sent.exit_code == 0, sent.stderr
    assert reg.witness()["submissions"] == 3

    # again, one component's title corrected: the report and the standard are unchanged,
    # and of the components only the corrected one goes
    component = ("<title>Figure 1", "<title>Figure one")
    again = [official(env, n, 2021010100000002, component if "component" in n else None)
             for n in names]  # fmt: skip
    dry = run("deposit", *again, "--endpoint", reg.url, "--dry-run", "--format", "json")
    plans = {
        Path(p["input"]).name.split("-", 1)[1]: {**p["data"], "action": p["status"]}
        for p in json_lines(dry.stdout)
    }
    assert plans["report.5.3.0.xml"]["action"] == "unchanged", plans
    assert plans["standard5.3.0.xml"]["action"] == "unchanged", plans
    parts = plans["component5.3.0.xml"]
    assert parts["action"] == "send"
    assert sorted((d["status"], d["sent"]) for d in parts["dois"]) == [
        ("unchanged", False),
        ("updated", True),
    ]
    done = run("deposit", *again, "--endpoint", reg.url, "--wait", *FAST)
    assert done.exit_code == 0, done.stderr
    assert reg.witness()["submissions"] == 4
