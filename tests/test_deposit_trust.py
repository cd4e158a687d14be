"""A deposit a press can trust (issue 21), end to end against the sandbox over HTTP: a DOI
stays with its paper, the registry's word (pending, refused) decides, a rehearsal can be
registered as it is, an interrupted run completes, old ledgers migrate without guessing,
a DOI is sent once per run, and what the registry echoes of the password is never kept."""

from __future__ import annotations

import re
import sqlite3
import time
import urllib.parse
from pathlib import Path

from conftest import FIXTURES, PASSWORD, SHARED, json_lines
from lxml import etree
from typer.testing import CliRunner

from jatsgen.cli import app

runner = CliRunner()
FAST = ["--timeout", "0.5", "--retry-base", "0.05", "--poll-interval", "0.1"]
CONFIG = FIXTURES / "test.toml"  # DOIs 10.5555/t.{year}.{seq}
PAPER_FILE = FIXTURES / "deposit" / "conference-paper-5.3.1.xml"
PAPER = "10.5555/ysc.2025.17"


def run(*args: object):
    return runner.invoke(app, [*map(str, args)])


def restamp(text: str, n: int) -> str:
    return re.sub(r"<timestamp>\d+</timestamp>", f"<timestamp>{20250407000000001 + n}</timestamp>",
                  text)  # fmt: skip


def batch(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, "utf-8")
    return path


def plan(result) -> dict[str, dict]:
    return {d["doi"]: d for item in json_lines(result.stdout) for d in item["data"]["dois"]}


# --- a DOI stays with its paper ------------------------------------------------------------


def volume(folder: Path, titles: list[str], bad: str | None = None) -> Path:
    """A proceedings volume sheet without DOIs or landing pages: the config's pattern makes
    them ({seq}: the paper's row). `bad`: a paper whose row has an error (an ORCID's check
    digit)."""
    rows = ["title,author1_surname,author1_orcid,pages,container_type,container_title,"
            "container_published"]  # fmt: skip
    for title in titles:
        first = 10 * (ord(title[0]) - ord("A")) + 1  # each paper its own pages, wherever it is
        orcid = "0000-0002-1825-009" + ("8" if title == bad else "7")
        rows.append(f"{title},Author of {title},https://orcid.org/{orcid},{first}-{first + 4},"
                    "proceedings,Seq Volume,2025")  # fmt: skip
    path = folder / "volume.csv"
    path.write_text("\n".join(rows) + "\n", "utf-8")
    return path


def dois_by_title(batches: list[Path]) -> dict[str, str]:
    out = {}
    for path in batches:
        for paper in etree.parse(str(path)).getroot().iter("{*}conference_paper"):
            title = paper.findtext("{*}titles/{*}title")
            out[title] = paper.findtext("{*}doi_data/{*}doi")
    return out


def make(env: Path, src: Path, name: str, *extra: str) -> tuple[list[Path], object]:
    made = run("crossref", src, "--config", CONFIG, "-o", env / name, *extra)
    assert made.exit_code == 0, made.stderr
    return sorted((env / name).glob("*.xml")), made


def test_a_seq_doi_stays_with_its_paper_when_rows_go_come_and_are_skipped(env, registry):
    reg = registry()
    papers = ["Alpha", "Beta", "Gamma", "Delta"]
    first, _ = make(env, volume(env, papers), "v1")
    given = dois_by_title(first)
    assert sorted(given.values()) == [f"10.5555/t.2025.{i}" for i in range(1, 5)]
    assert run("deposit", *first, "--endpoint", reg.url, "--wait", *FAST).exit_code == 0

    # the first row removed: every other paper keeps its DOI; nothing needs sending
    second, _ = make(env, volume(env, papers[1:]), "v2")
    assert dois_by_title(second) == {t: given[t] for t in papers[1:]}
    again = run("deposit", *second, "--endpoint", reg.url, *FAST)
    assert again.exit_code == 0 and "0 DOI(s) sent" in again.stderr, again.stderr

    # a new paper at the top, the rows reordered, one row skipped as invalid: the new paper
    # gets a DOI no other paper was given, and says so; the others keep theirs
    titles = ["Epsilon", "Delta", "Beta", "Gamma"]
    third, made = make(env, volume(env, titles, bad="Gamma"), "v3", "--skip-invalid")
    now = dois_by_title(third)
    assert {t: now[t] for t in ("Delta", "Beta")} == {t: given[t] for t in ("Delta", "Beta")}
    assert "Gamma" not in now and now["Epsilon"] not in given.values()
    assert "[doi.kept]" in made.stderr and "10.5555/t.2025.1" in made.stderr
    sent = run("deposit", *third, "--endpoint", reg.url, "--wait", *FAST)
    assert sent.exit_code == 0 and "1 DOI(s) sent (1 new, 0 updated)" in sent.stderr
    witness = reg.witness()["registered"]
    assert all(n == 1 for n in witness.values()), witness  # no DOI registered twice

    # Gamma fixed: it gets back the DOI it was given
    fourth, _ = make(env, volume(env, titles), "v4")
    assert dois_by_title(fourth)["Gamma"] == given["Gamma"]


def test_a_seq_with_a_format_spec_moves_on_past_dois_given_to_other_papers(env):
    """`{seq:03d}` (the config's own example of a format spec) is a {seq} pattern too: a new
    paper in the first row gets the next number, not an error."""
    config = env / "padded.toml"
    config.write_text(CONFIG.read_text("utf-8").replace("{seq}", "{seq:03d}"), "utf-8")
    assert "{seq:03d}" in config.read_text("utf-8")
    first = run("crossref", volume(env, ["Alpha", "Beta"]), "-c", config, "-o", env / "p1")
    assert first.exit_code == 0, first.stderr
    second = run("crossref", volume(env, ["Gamma", "Alpha"]), "-c", config, "-o", env / "p2")
    assert second.exit_code == 0, second.stderr
    given = dois_by_title(sorted((env / "p2").glob("*.xml")))
    assert given == {"Alpha": "10.5555/t.2025.001", "Gamma": "10.5555/t.2025.003"}
    assert "[doi.kept]" in second.stderr


def test_a_registered_doi_is_not_put_on_another_paper_unless_said(env, registry):
    reg = registry()
    papers = ["Alpha", "Beta", "Gamma"]
    first, _ = make(env, volume(env, papers), "v1")
    assert run("deposit", *first, "--endpoint", reg.url, "--wait", *FAST).exit_code == 0
    # the DOIs made here are lost (another machine, a fresh state folder): renumbered
    (env / "state" / "dois.json").unlink()
    second, _ = make(env, volume(env, papers[1:]), "v2")
    assert dois_by_title(second)["Beta"] == "10.5555/t.2025.1"
    dry = run("deposit", *second, "--endpoint", reg.url, "--dry-run")
    assert dry.exit_code == 1
    moved = [ln for ln in dry.stderr.splitlines() if "[deposit.doi-moved]" in ln]
    assert len(moved) == 2, dry.stderr
    assert "10.5555/t.2025.1 was registered for 'Alpha'" in moved[0]
    assert "this file would put it on 'Beta'" in moved[0] and "--reassign" in moved[0]
    # the preview of the sheet says so on Beta, without the place of its private batch
    seen = run("preview", env / "volume.csv", "--config", CONFIG, "--endpoint", reg.url,
               "--format", "json")  # fmt: skip
    assert seen.exit_code == 1, seen.stdout + seen.stderr
    beta = next(x["data"] for x in json_lines(seen.stdout) if x["data"]["title"] == "Beta")
    (finding,) = [f for f in beta["findings"] if f["rule"] == "deposit.doi-moved"]
    assert finding["file"] is None and "was registered for 'Alpha'" in finding["message"]
    assert "jatsgen-preview" not in seen.stdout
    refused = run("deposit", *second, "--endpoint", reg.url, *FAST)
    assert refused.exit_code == 1 and reg.witness()["submissions"] == 1  # nothing sent
    said = run("deposit", *second, "--endpoint", reg.url, "--wait", *FAST,
               "--reassign", "10.5555/t.2025.1", "--reassign", "10.5555/T.2025.2")  # fmt: skip
    assert said.exit_code == 0, said.stdout + said.stderr


# --- the registry's word ---------------------------------------------------------------------


def test_a_pending_result_is_never_unchanged_and_a_fix_is_sent(env, registry):
    reg = registry(process_delay=2.0)
    first = batch(env / "b", "v0.xml", restamp(PAPER_FILE.read_text("utf-8"), 0))
    sent = run("deposit", first, "--endpoint", reg.url, *FAST)
    assert sent.exit_code == 0, sent.stderr
    # asked again while the registry still works on it: pending, reported, not sent
    again = run("deposit", first, "--endpoint", reg.url, "--dry-run", "--format", "json")
    assert again.exit_code == 1
    assert {d["status"] for d in plan(again).values()} == {"pending"}, again.stdout
    seen = run("preview", first, "--endpoint", reg.url, "--format", "json")
    assert {x["status"] for x in json_lines(seen.stdout)} == {"pending"}, seen.stdout
    fixed_text = restamp(PAPER_FILE.read_text("utf-8"), 1).replace("A-17", "A-17b")
    fixed = batch(env / "b", "v1.xml", fixed_text)
    dry = run("deposit", fixed, "--endpoint", reg.url, "--dry-run", "--format", "json")
    assert plan(dry)[PAPER]["status"] == "updated" and plan(dry)[PAPER]["sent"]
    assert run("deposit", fixed, "--endpoint", reg.url, "--wait", *FAST).exit_code == 0
    # once the registry has answered (refreshed before planning): unchanged
    done = run("deposit", fixed, "--endpoint", reg.url, "--dry-run", "--format", "json")
    assert {d["status"] for d in plan(done).values()} == {"unchanged"}, done.stdout


def test_the_preview_refuses_what_deposit_refuses_for_its_timestamp(env, registry):
    """A correction made with the timestamp already sent: deposit refuses it (the registry
    would), and the preview of the same file says so on that DOI, not "updated, no errors"."""
    reg = registry()
    text = restamp(PAPER_FILE.read_text("utf-8"), 0)
    sent = batch(env / "a", "v0.xml", text)
    assert run("deposit", sent, "--endpoint", reg.url, "--wait", *FAST).exit_code == 0
    stale = batch(env / "b", "v1.xml", text.replace("A-17", "A-17b"))
    dry = run("deposit", stale, "--endpoint", reg.url, "--dry-run")
    assert dry.exit_code == 1 and "[deposit.timestamp-newer]" in dry.stderr, dry.stderr
    seen = run("preview", stale, "--endpoint", reg.url, "--format", "json")
    assert seen.exit_code == 1, seen.stdout + seen.stderr
    paper = next(x for x in json_lines(seen.stdout) if x["data"]["doi"] == PAPER)
    assert paper["status"] == "updated"
    assert [f["rule"] for f in paper["data"]["findings"]] == ["deposit.timestamp-newer"], paper
    newer = batch(env / "c", "v2.xml", restamp(text.replace("A-17", "A-17b"), 1))
    fine = run("preview", newer, "--endpoint", reg.url, "--format", "json")
    assert fine.exit_code == 0, fine.stdout + fine.stderr


def test_a_refused_doi_is_sent_again_with_the_right_account(env, registry, monkeypatch):
    reg = registry()
    path = batch(env / "b", "v0.xml", restamp(PAPER_FILE.read_text("utf-8"), 0))
    monkeypatch.setenv("JATSGEN_USER", "other")
    monkeypatch.setenv("JATSGEN_PASSWORD", "other-password")
    refused = run("deposit", path, "--endpoint", reg.url, "--wait", *FAST)
    assert refused.exit_code == 1 and "prefix not owned" in refused.stdout
    monkeypatch.setenv("JATSGEN_USER", "demo")
    monkeypatch.setenv("JATSGEN_PASSWORD", PASSWORD)
    dry = run("deposit", path, "--endpoint", reg.url, "--dry-run", "--format", "json")
    assert plan(dry)[PAPER]["status"] == "new" and plan(dry)[PAPER]["sent"]
    assert "was refused" in plan(dry)[PAPER]["note"]
    right = run("deposit", path, "--endpoint", reg.url, "--wait", *FAST)
    assert right.exit_code == 0, right.stdout + right.stderr
    assert reg.witness()["registered"][PAPER.lower()] == 1


def test_a_rehearsal_is_registered_as_it_is(env, registry):
    sandbox, production = registry(), registry()
    path = batch(env / "archive", "ysc.xml", restamp(PAPER_FILE.read_text("utf-8"), 0))
    assert run("deposit", path, "--endpoint", sandbox.url, "--wait", *FAST).exit_code == 0
    checked = run("validate", path)  # an archived batch the ledger has sent is still valid
    assert checked.exit_code == 0, checked.stdout
    real = run("deposit", path, "--endpoint", production.url, "--wait", *FAST)
    assert real.exit_code == 0, real.stdout + real.stderr
    assert "2 DOI(s) sent (2 new, 0 updated)" in real.stderr
    assert production.witness()["registered"] == {PAPER.lower(): 1, "10.5555/ysc.2025": 1}
    again = run("deposit", path, "--endpoint", sandbox.url, *FAST)
    assert again.exit_code == 0 and "0 DOI(s) sent" in again.stderr


def _interrupted(env: Path, reg, path: Path, arrived: bool) -> None:
    """What a deposit killed mid-upload leaves: the ledger says uploading; the bytes have
    (or have not) reached the registry."""
    from jatsgen.deposit import Depositor, RegistryClient, load_credentials
    from jatsgen.deposit.ledger import Ledger

    ledger = Ledger()
    client = RegistryClient(reg.url, load_credentials(None))
    (fp,) = Depositor(client, ledger, reg.url).plan([path])
    assert fp.action == "send"
    name = f"cut-{path.stem}.xml"
    row = ledger.add_submission(fp.sha256, str(path), name, "cut", reg.url, fp.carried)
    ledger.start_upload(row)
    if arrived:
        client.upload(name, fp.data)


def test_a_rerun_after_an_interrupted_changed_only_deposit_completes(env, registry):
    reg = registry()
    text = PAPER_FILE.read_text("utf-8")
    assert run("deposit", batch(env / "a", "v0.xml", restamp(text, 0)), "--endpoint", reg.url,
               "--wait", *FAST).exit_code == 0  # fmt: skip
    for n, arrived in ((1, True), (2, False)):
        path = batch(env / "a", f"v{n}.xml", restamp(text.replace("A-17", f"A-17.{n}"), n))
        _interrupted(env, reg, path, arrived)
        before = reg.witness()["uploads"][PAPER.lower()]
        rerun = run("deposit", path, "--endpoint", reg.url, "--wait", *FAST)
        assert rerun.exit_code == 0, rerun.stdout + rerun.stderr
        assert "timestamp-newer" not in rerun.stdout + rerun.stderr
        assert reg.witness()["uploads"][PAPER.lower()] == before + 1  # sent once in all
        # and once more after it completed: nothing to do, no complaint
        last = run("deposit", path, "--endpoint", reg.url, *FAST)
        assert last.exit_code == 0 and "timestamp-newer" not in last.stdout + last.stderr


# --- old ledgers -------------------------------------------------------------------------------

OLD_SCHEMA = """
CREATE TABLE submissions (id INTEGER PRIMARY KEY, file_sha256 TEXT NOT NULL,
  source_path TEXT NOT NULL, upload_name TEXT NOT NULL UNIQUE, batch_id TEXT NOT NULL,
  endpoint TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  submission_id TEXT, message TEXT, log_xml TEXT, created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE TABLE dois (submission INTEGER NOT NULL, doi TEXT NOT NULL, timestamp INTEGER NOT NULL,
  result TEXT NOT NULL DEFAULT 'pending', message TEXT, msg_id TEXT, digest TEXT,
  metadata TEXT, PRIMARY KEY (submission, doi));
CREATE TABLE claims (file_sha256 TEXT NOT NULL, endpoint TEXT NOT NULL, owner TEXT NOT NULL,
  host TEXT NOT NULL, pid INTEGER NOT NULL, claimed_at TEXT NOT NULL,
  PRIMARY KEY (file_sha256, endpoint));
PRAGMA user_version = 3;
"""


def test_a_ledger_from_before_canonical_forms_is_judged_by_its_fields_or_sent_once(env, registry):
    """A DOI recorded with only a field summary: a summary that differs decides (updated,
    field by field); one that is equal cannot prove 'unchanged', so the DOI is sent once."""
    import hashlib
    import json

    from jatsgen.registration import registered

    reg = registry()
    text = restamp(PAPER_FILE.read_text("utf-8"), 0)
    path = batch(env / "a", "v0.xml", text)
    records = {r.doi: r for r in registered(etree.parse(str(path)))}
    stamp = 20250407000000001
    db = sqlite3.connect(env / "ledger.sqlite")
    db.executescript(OLD_SCHEMA)
    db.execute("INSERT INTO submissions VALUES (1, 'x', 'v0.xml', 'old-1.xml', 'b', ?, "
               "'completed', 1, '1', 'ok', NULL, 'then', 'then')", (reg.url,))  # fmt: skip
    old_paper = {**records[PAPER].flat(), "Pages": "1–2"}  # summary of an earlier version
    volume_fields = records["10.5555/ysc.2025"].flat()
    for doi, fields in ((PAPER, old_paper), ("10.5555/ysc.2025", volume_fields)):
        summary = json.dumps(fields, ensure_ascii=False, sort_keys=True).encode()
        db.execute(
            "INSERT INTO dois VALUES (1, ?, ?, 'success', 'ok', NULL, ?, ?)",
            (doi.lower(), stamp - 1, hashlib.sha256(summary).hexdigest(),
             json.dumps(fields, ensure_ascii=False)),
        )  # fmt: skip
    db.commit()  # fmt: skip
    db.close()
    dry = run("deposit", path, "--endpoint", reg.url, "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.stdout + dry.stderr
    found = plan(dry)
    assert found[PAPER]["status"] == "updated"
    assert found[PAPER]["changes"] == [{"field": "Pages", "old": "1–2", "new": "323–329"}]
    assert found["10.5555/ysc.2025"]["status"] == "updated"
    assert "sent once to be sure" in found["10.5555/ysc.2025"]["note"]
    assert run("deposit", path, "--endpoint", reg.url, "--wait", *FAST).exit_code == 0
    after = run("deposit", path, "--endpoint", reg.url, "--dry-run", "--format", "json")
    assert {d["status"] for d in plan(after).values()} == {"unchanged"}


# --- one run, one sending ---------------------------------------------------------------------


def test_the_same_doi_in_two_files_of_one_run_is_refused_before_anything_is_sent(env, registry):
    reg = registry()
    text = PAPER_FILE.read_text("utf-8")
    one = batch(env / "a", "one.xml", restamp(text, 1))
    two = batch(env / "b", "two.xml", restamp(text.replace("A-17", "A-18"), 2))
    dry = run("deposit", one, two, "--endpoint", reg.url, "--dry-run")
    real = run("deposit", one, two, "--endpoint", reg.url, *FAST)
    for result in (dry, real):
        assert result.exit_code == 1
        said = result.stdout + result.stderr
        assert said.count("[deposit.doi-twice]") == 2, said
        assert f"DOI {PAPER} is also sent by" in said
    assert reg.witness()["submissions"] == 0
    # the container's own DOI recurs in every batch of a volume: not a second sending
    three = batch(env / "c", "three.xml", restamp(text.replace(PAPER, PAPER + "b"), 3))
    both = run("deposit", one, three, "--endpoint", reg.url, "--wait", *FAST)
    assert both.exit_code == 0, both.stdout + both.stderr
    assert "3 DOI(s) sent" in both.stderr


def test_a_doi_sent_twice_is_named_as_the_files_write_it(env, registry):
    """Two official examples (a conference paper and its components) both register
    10.32013/TM9b6MW: the finding names it as written, so a search of either file finds it."""
    reg = registry()
    examples = SHARED / "examples" / "crossref"
    files = [examples / "component5.3.0.xml", examples / "conf_single5.3.0.xml"]
    dry = run("deposit", *files, "--endpoint", reg.url, "--dry-run")
    assert dry.exit_code == 1
    said = dry.stdout + dry.stderr
    assert said.count("DOI 10.32013/TM9b6MW is also sent by") == 2, said
    assert "10.32013/tm9b6mw" not in said


def test_the_same_metadata_in_another_schema_version_says_what_changed(env, registry):
    """The official 5.3.1 journal article example sent, then its 5.3.0 twin: the journal's
    DOI registers the same fields in another namespace, sent again (never skipped on a
    guess), and the dry run says why."""
    reg = registry()
    examples = SHARED / "examples" / "crossref"
    first = run("deposit", examples / "journal.article5.3.1.xml", "--endpoint", reg.url,
                "--wait", *FAST)  # fmt: skip
    assert first.exit_code == 0, first.stdout + first.stderr
    dry = run("deposit", examples / "journal.article5.3.0.xml", "--endpoint", reg.url,
              "--dry-run", "--format", "json")  # fmt: skip
    journal = plan(dry)["10.5555/ScF8aU8"]
    assert journal["status"] == "updated"
    assert journal["changes"] == [
        {
            "field": "/journal/namespace()",
            "old": "http://www.crossref.org/schema/5.3.1",
            "new": "http://www.crossref.org/schema/5.3.0",
        }
    ]


def test_a_comment_among_affiliations_is_not_shown_as_an_affiliation():
    """The official journal article example comments inside <affiliations>: its first
    author has the two institutions it names, and no empty one."""
    from jatsgen.registration import registered

    path = SHARED / "examples" / "crossref" / "journal.article5.3.0.xml"
    article = next(r for r in registered(etree.parse(str(path))) if r.doi == "10.5555/n0HRokm")
    first = article.people[0]
    assert first.name == "Minerva Housecat"
    assert first.affiliations == [
        "United States Department of Energy, Office of Environmental Management, "
        "Washington, DC, https://ror.org/01bj3aw27",
        "https://ror.org/05gq02987",
    ]
    assert "; ;" not in article.flat()["Contributor 1"]


def test_a_file_of_a_kind_not_read_field_by_field_is_sent_and_then_compared(env, registry):
    reg = registry()
    text = (FIXTURES / "deposit" / "pending-publication-5.3.1.xml").read_text("utf-8")
    path = batch(env / "p", "v0.xml", text)
    first = run("deposit", path, "--endpoint", reg.url, "--wait", *FAST)
    assert first.exit_code == 0, first.stdout + first.stderr
    assert "1 DOI(s) sent (1 new, 0 updated)" in first.stderr
    assert reg.witness()["registered"] == {"10.5555/pending.1": 1}
    same = run("deposit", batch(env / "p", "v1.xml", restamp(text, 5)), "--endpoint", reg.url,
               *FAST)  # fmt: skip
    assert same.exit_code == 0 and "0 DOI(s) sent" in same.stderr
    retitled = batch(env / "p", "v2.xml", restamp(text, 6).replace("in caves", "in deep caves"))
    dry = run("deposit", retitled, "--endpoint", reg.url, "--dry-run", "--format", "json")
    assert plan(dry)["10.5555/pending.1"]["status"] == "updated"
    assert plan(dry)["10.5555/pending.1"]["changes"]


# --- secrets --------------------------------------------------------------------------------


def test_a_registry_echoing_the_password_is_redacted_before_anything_is_kept(env, registry):
    from jatsgen.registry.faults import Faults

    reg = registry(Faults(rate=1.0, kinds=("echo",)))
    path = batch(env / "a", "v0.xml", restamp(PAPER_FILE.read_text("utf-8"), 0))
    done = run("deposit", path, "--endpoint", reg.url, "--wait", "--format", "json", *FAST)
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "request: login_passwd=********" in done.stdout  # the echo, redacted
    shown = run("status", "--format", "json")
    forms = [PASSWORD, urllib.parse.quote(PASSWORD), "".join(f"&#{ord(c)};" for c in PASSWORD)]
    for said in (done.stdout, done.stderr, shown.stdout, shown.stderr):
        assert not any(f in said for f in forms), said
    time.sleep(0.1)
    db = sqlite3.connect(env / "ledger.sqlite")
    kept = " ".join(str(v) for row in db.execute("SELECT message, log_xml FROM submissions "
                    "UNION ALL SELECT message, msg_id FROM dois") for v in row)  # fmt: skip
    db.close()
    assert "********" in kept and not any(f in kept for f in forms), kept


# --- timestamps the registry and the ledger can store -----------------------------------------


def test_a_timestamp_of_2_63_or_wider_is_a_located_validation_error(env):
    text = PAPER_FILE.read_text("utf-8")
    line = text[: text.index("<timestamp>")].count("\n") + 1
    for stamp, ok in ((2**63 - 1, True), (2**63, False), (10**19, False), (10**40, False)):
        path = batch(env / "t", f"{stamp}.xml", re.sub(r"<timestamp>\d+<", f"<timestamp>{stamp}<",
                                                       text))  # fmt: skip
        checked = run("validate", path)
        assert (checked.exit_code == 0) == ok, checked.stdout
        if not ok:
            assert (
                f"{path}:{line}: head/timestamp: error [crossref.timestamp-range]" in checked.stdout
            )
    own = batch(env / "t", "own.xml", text.replace(
        "<doi>10.5555/ysc.2025.17</doi>", f"<doi>10.5555/ysc.2025.17</doi><timestamp>{2**64}"
        "</timestamp>"))  # fmt: skip
    assert "doi_data/timestamp: error [crossref.timestamp-range]" in run("validate", own).stdout


def test_issuing_never_goes_past_what_can_be_stored_and_nothing_is_kept(tmp_path):
    import json

    from jatsgen.errors import JatsgenError
    from jatsgen.jobs import TimestampClock

    state = tmp_path / "state"
    state.mkdir()
    (state / "timestamps.json").write_text(json.dumps({"last": 2**63 - 1}), "utf-8")
    clock = TimestampClock(state, 19)
    try:
        clock.issue()
    except JatsgenError as exc:
        assert "more than the registry and the ledger store" in str(exc)
    else:
        raise AssertionError("a timestamp past 2**63 - 1 was issued")
    assert json.loads((state / "timestamps.json").read_text("utf-8"))["last"] == 2**63 - 1


# --- the sandbox ------------------------------------------------------------------------------


def test_a_file_name_that_breaks_a_log_fails_its_submission_also_after_a_restart(tmp_path):
    from conftest import ACCOUNTS

    from jatsgen.registry import Sandbox, load_accounts

    def settled(sandbox: Sandbox, name: str) -> bytes:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            row = sandbox.store.find("demo", name, None)
            if row is not None and row.state == "completed":
                return row.log_xml or b""
            time.sleep(0.05)
        raise AssertionError(f"{name!r} never completed")

    accounts = load_accounts(ACCOUNTS)
    sandbox = Sandbox(tmp_path / "reg", accounts)
    good = restamp(PAPER_FILE.read_text("utf-8"), 0).encode()
    names = ["bad\x01name\x1b.xml", "nul\x00.xml", "tab\tand\x7fdel.xml"]
    try:
        for name in names:
            sandbox.store_upload(accounts["demo"], name, b"<not xml")
        sandbox.store_upload(accounts["demo"], "ok\x02.xml", good)
        for name in names:
            log = etree.fromstring(settled(sandbox, name))  # a log any parser reads
            assert log.find("record_diagnostic").get("status") == "Failure"
        assert b"Successfully added" in settled(sandbox, "ok\x02.xml")
    finally:
        sandbox.close()
    # a restart finds a submission left in process (the worker died mid-way): it is done
    db = sqlite3.connect(tmp_path / "reg" / "registry.sqlite")
    db.execute("UPDATE submissions SET state='in_process', log_xml=NULL WHERE file_name=?",
               (names[0],))  # fmt: skip
    db.commit()
    db.close()
    again = Sandbox(tmp_path / "reg", accounts)
    try:
        assert b"U+0001" in settled(again, names[0])
        assert again.witness()["pending"] == 0
    finally:
        again.close()


def test_two_works_known_alike_in_one_run_are_an_error_not_one_doi_later(env):
    """A DOI made from the pattern is kept for what a work is known by (its title and first
    author, here): two rows known alike would share it in the next run."""
    sheet = volume(env, ["Alpha", "Beta", "Alpha"])
    made = run("crossref", sheet, "--config", CONFIG, "-o", env / "out")
    assert made.exit_code == 1
    (line,) = [ln for ln in made.stderr.splitlines() if "[doi.same-work]" in ln]
    assert "volume.csv: row 4" in line and "the work at" in line and "volume.csv: row 2" in line


def test_an_interrupted_upload_never_leaves_a_doi_waiting_for_an_answer(env, registry):
    """An upload cut off before the registry said anything may or may not have arrived: the
    same works made again (a new timestamp) are sent, not held as pending for ever."""
    reg = registry()
    text = PAPER_FILE.read_text("utf-8")
    cut = batch(env / "a", "v1.xml", restamp(text, 1))
    _interrupted(env, reg, cut, arrived=False)
    again = batch(env / "a", "v2.xml", restamp(text, 2))
    dry = run("deposit", again, "--endpoint", reg.url, "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.stdout + dry.stderr
    assert plan(dry)[PAPER]["sent"] and "was interrupted" in plan(dry)[PAPER]["note"]
    sent = run("deposit", again, "--endpoint", reg.url, "--wait", *FAST)
    assert sent.exit_code == 0, sent.stdout + sent.stderr
    assert reg.witness()["registered"][PAPER.lower()] == 1
