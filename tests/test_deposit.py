"""Depositing over real HTTP on 127.0.0.1 to the sandbox registry: round trip, faults,
crashes, secrets, and the one-line messages for what the registry refuses."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES, FIXTURES, PASSWORD, ROOT, SEED, Registry, result_data
from typer.testing import CliRunner

from jatsgen.cli import app
from jatsgen.config import load_config
from jatsgen.deposit import Credentials, Depositor, RegistryClient, RetryPolicy
from jatsgen.jobs import make_batches
from jatsgen.jobs.timestamps import TimestampClock
from jatsgen.registry import Faults, Sandbox, load_accounts, sandbox_url, serve

runner = CliRunner()
FAST = ["--timeout", "0.5", "--retry-base", "0.05", "--poll-interval", "0.1"]


def make_collection(folder: Path, count: int, start: int = 1, prefix: str = "10.5555") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["container: {type: proceedings, title: Deposit Test, published: 2025}", "articles:"]
    for i in range(start, start + count):
        lines.append(
            f"  - {{title: Paper {i}, doi: '{prefix}/dep.{i}', "
            f"url: 'https://example.org/{i}', pages: {i}-{i + 1}}}"
        )
    path = folder / f"c{start}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_batches_for(
    tmp: Path, locator, count: int, start: int = 1, prefix: str = "10.5555"
) -> list[Path]:
    src = make_collection(tmp / "records", count, start, prefix)
    cfg = load_config(FIXTURES / "test.toml") if prefix == "10.5555" else _config(tmp, prefix)
    run = make_batches(
        [src],
        cfg,
        tmp / f"batches{start}",
        max_records=1,
        locator=locator,
        clock=TimestampClock(Path(os.environ["JATSGEN_STATE_DIR"])),
    )
    assert run.ok, [str(d) for d in run.diagnostics]
    return [b.path for b in run.batches]


def _config(tmp: Path, prefix: str):
    cfg = tmp / f"c-{prefix}.toml"
    cfg.write_text((FIXTURES / "test.toml").read_text().replace("10.5555", prefix))
    return load_config(cfg)


def deposit(*args: object):
    return runner.invoke(app, ["deposit", *map(str, args)])


def ledger_rows(path: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(
            "SELECT s.state, s.upload_name, d.doi, d.result, d.message FROM "
            "submissions s JOIN dois d ON d.submission = s.id"
        ).fetchall()
    finally:
        conn.close()


def assert_exactly_once(reg: Registry, dois: list[str]) -> None:
    w = reg.witness()
    wanted = {d.lower() for d in dois}
    assert set(w["registered"]) == wanted, "lost or extra DOIs"
    assert all(n == 1 for n in w["registered"].values()), "registered twice"
    assert all(w["uploads"][d] == 1 for d in wanted), "sent twice"


# --- the round trip -----------------------------------------------------------------------


def test_seed_round_trip_registers_each_doi_and_a_second_deposit_sends_nothing(
    tmp_path, env, registry
):
    reg = registry()
    out = tmp_path / "out"
    made = runner.invoke(
        app,
        ["crossref", str(SEED), "--config", str(EXAMPLES / "jatsgen.toml"), "-o", str(out), "-q"],
    )
    assert made.exit_code == 0, made.stderr
    (batch,) = sorted(out.glob("*.xml"))
    first = deposit(batch, "--endpoint", reg.url, "--wait", *FAST)
    assert first.exit_code == 0, first.stderr
    assert "10.5555/ysc.2025.070\tsuccess\tSuccessfully added" in first.stdout
    rows = ledger_rows(env / "ledger.sqlite")
    assert [(r["state"], r["doi"], r["result"]) for r in rows] == [
        ("completed", "10.5555/ysc.2025.070", "success")
    ]
    assert_exactly_once(reg, ["10.5555/ysc.2025.070"])
    again = deposit(batch, "--endpoint", reg.url, "--wait", *FAST)
    assert again.exit_code == 0, again.stderr
    assert "skipped: already completed" in again.stderr
    assert reg.witness()["submissions"] == 1


def test_status_refreshes_a_pending_submission_and_prints_json(tmp_path, env, registry, locator):

    reg = registry(process_delay=0.3)
    (batch,) = make_batches_for(tmp_path, locator, 1)
    assert deposit(batch, "--endpoint", reg.url, *FAST).exit_code == 0
    time.sleep(0.8)
    res = runner.invoke(app, ["status", "--format", "json"])
    assert res.exit_code == 0, res.stderr
    (item,) = result_data(res.stdout)
    assert item["state"] == "completed"
    assert item["dois"][0]["result"] == "success"
    assert PASSWORD not in res.stdout


# --- resilience ---------------------------------------------------------------------------


@pytest.mark.slow
def test_200_batches_with_30_percent_faults_register_every_doi_exactly_once(
    tmp_path, env, registry, locator
):
    reg = registry(Faults(rate=0.3, latency=0.6, retry_after=1, seed=7))
    batches = make_batches_for(tmp_path, locator, 200)
    started = time.perf_counter()
    res = deposit(
        *batches,
        "--endpoint",
        reg.url,
        "--wait",
        "--timeout",
        "0.4",
        "--retry-base",
        "0.05",
        "--poll-interval",
        "0.2",
        "--retries",
        "10",
        "-q",
    )
    elapsed = time.perf_counter() - started
    assert res.exit_code == 0, res.stderr[-3000:]
    faults = reg.sandbox.faults.counts
    assert set(faults) == {"latency", "drop", "500", "503", "429", "lost"}, faults
    assert sum(faults.values()) >= 60
    assert_exactly_once(reg, [f"10.5555/dep.{i}" for i in range(1, 201)])
    rows = ledger_rows(env / "ledger.sqlite")
    assert len(rows) == 200 and {r["result"] for r in rows} == {"success"}
    (tmp_path / "fault-run.txt").write_text(f"{elapsed:.1f}s {faults}")
    print(f"\nfault run: 200 batches in {elapsed:.1f} s, faults injected: {faults}")


@pytest.mark.slow
def test_sigkilled_deposits_resume_with_no_duplicate_and_no_loss(tmp_path, env, registry, locator):
    reg = registry()
    rng = random.Random(11)
    base = [
        sys.executable,
        "-m",
        "jatsgen",
        "deposit",
        "--endpoint",
        reg.url,
        "--timeout",
        "2",
        "--retry-base",
        "0.05",
        "-q",
    ]
    all_dois: list[str] = []
    # how long a clean run takes on this machine (it varies 2x between machines), once the
    # first runs have filled the caches (the first takes ten times as long, the second twice):
    # the kills fall anywhere from start-up to the last answer of such a run
    took = float("inf")
    for n, first in enumerate((900, 930, 960)):
        clean = make_batches_for(tmp_path, locator, 6, start=first)
        all_dois += [f"10.5555/dep.{first + k}" for k in range(6)]
        started = time.monotonic()
        subprocess.run([*base, *map(str, clean)], cwd=ROOT, env=os.environ.copy(), check=True,
                       capture_output=True)  # fmt: skip
        if n:
            took = min(took, time.monotonic() - started)
    kills = trials = 0
    # 20 trials, and more (up to 40) until 12 were killed mid-run: a kill drawn after a run
    # ended kills nothing (a machine faster than its first, cold run ends more of them)
    for trial in range(40):
        if trial >= 20 and kills >= 12:
            break
        trials += 1
        batches = make_batches_for(tmp_path, locator, 6, start=1000 + trial * 10)
        all_dois += [f"10.5555/dep.{1000 + trial * 10 + k}" for k in range(6)]
        proc = subprocess.Popen(
            [*base, *map(str, batches)],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.05, 0.9 * took))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        done = subprocess.run(  # (--wait: what was sent before the kill may be pending)
            [*base, "--wait", "--poll-interval", "0.1", *map(str, batches)],
            cwd=ROOT,
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    _wait_processed(reg)
    assert kills >= 12
    assert_exactly_once(reg, all_dois)
    print(f"\ncrash runs: {trials} trials, {kills} killed mid-run, {len(all_dois)} DOIs, all once")


def _wait_processed(reg: Registry, limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while reg.witness()["pending"] and time.monotonic() < deadline:
        time.sleep(0.1)


def test_an_ambiguous_failure_asks_the_registry_before_sending_again(
    tmp_path, env, registry, locator
):
    reg = registry(Faults(rate=1.0, kinds=("lost",), seed=1))
    (batch,) = make_batches_for(tmp_path, locator, 1)
    creds = Credentials("demo", PASSWORD)
    client = RegistryClient(
        reg.url, creds, RetryPolicy(base=0.01, grace_delay=0.05, read_timeout=1.0)
    )
    reg.sandbox.faults.rate = 0.0  # only the upload loses its answer
    reg.sandbox.faults.rate = 1.0
    original = client.arrived

    def arrived(name: str) -> bool:
        reg.sandbox.faults.rate = 0.0
        return original(name)

    client.arrived = arrived  # type: ignore[method-assign]
    (outcome,) = Depositor(client, env / "ledger.sqlite", "sandbox").deposit([batch])
    assert outcome.state == "received" and "confirmed" in _ledger_message(env)
    assert reg.witness()["submissions"] == 1


def _ledger_message(env: Path) -> str:
    conn = sqlite3.connect(env / "ledger.sqlite")
    try:
        return conn.execute("SELECT message FROM submissions").fetchone()[0]
    finally:
        conn.close()


def test_retry_after_is_honoured_and_backoff_grows():
    policy = RetryPolicy(base=0.1, cap=10)
    assert policy.backoff(0, retry_after=3) >= 3
    assert max(policy.backoff(6) for _ in range(200)) > 1.0
    assert all(policy.backoff(k) <= 10 for k in range(20))


# --- refusals: one clear line each --------------------------------------------------------


def one_line(result, needle: str) -> None:
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    hits = [ln for ln in result.stderr.splitlines() if needle in ln]
    assert len(hits) == 1, result.stderr


def test_wrong_password(tmp_path, env, registry, locator, monkeypatch):
    reg = registry()
    (batch,) = make_batches_for(tmp_path, locator, 1)
    monkeypatch.setenv("JATSGEN_PASSWORD", "not-the-password")
    res = deposit(batch, "--endpoint", reg.url, *FAST)
    one_line(res, "wrong user name or password")
    assert "not-the-password" not in res.stderr + res.stdout


def test_wrong_role(tmp_path, env, registry, locator, monkeypatch):
    reg = registry()
    (batch,) = make_batches_for(tmp_path, locator, 1)
    monkeypatch.setenv("JATSGEN_ROLE", "editor")
    one_line(deposit(batch, "--endpoint", reg.url, *FAST), "role 'editor' is not assigned")


def test_right_role_is_accepted(tmp_path, env, registry, locator, monkeypatch):
    reg = registry()
    (batch,) = make_batches_for(tmp_path, locator, 1)
    monkeypatch.setenv("JATSGEN_ROLE", "depositor")
    assert deposit(batch, "--endpoint", reg.url, "--wait", *FAST).exit_code == 0


def test_prefix_not_owned_is_a_per_record_failure(tmp_path, env, registry, locator, monkeypatch):
    reg = registry()
    (batch,) = make_batches_for(tmp_path, locator, 1)
    monkeypatch.setenv("JATSGEN_USER", "other")
    monkeypatch.setenv("JATSGEN_PASSWORD", "other-password")
    res = deposit(batch, "--endpoint", reg.url, "--wait", *FAST)
    assert res.exit_code == 1
    assert "failure\tprefix not owned by these credentials" in res.stdout


def test_oversized_file(tmp_path, env, registry, locator):
    reg = registry(max_upload=1000)
    (batch,) = make_batches_for(tmp_path, locator, 1)
    one_line(deposit(batch, "--endpoint", reg.url, *FAST), "file too large")


def test_older_timestamp_known_to_the_ledger_is_not_sent(tmp_path, env, registry, locator):
    reg = registry()
    (first,) = make_batches_for(tmp_path, locator, 1)
    assert deposit(first, "--endpoint", reg.url, "--wait", *FAST).exit_code == 0
    stale = tmp_path / "stale.xml"
    stale.write_text(first.read_text().replace("<unstructured", "<unstructured"), "utf-8")
    text = first.read_text()
    stamp = text.split("<timestamp>")[1].split("<")[0]
    stale.write_text(
        text.replace(f"<timestamp>{stamp}<", f"<timestamp>{int(stamp) - 1}<").replace(
            "<title>", "<title>Revised: "
        ),
        "utf-8",
    )
    res = deposit(stale, "--endpoint", reg.url, *FAST)
    assert res.exit_code == 1 and "deposit.timestamp-newer" in res.stdout + res.stderr
    assert reg.witness()["submissions"] == 1


def test_older_timestamp_found_by_the_registry_is_explained(
    tmp_path, env, registry, locator, monkeypatch
):
    reg = registry()
    (first,) = make_batches_for(tmp_path, locator, 1)
    text = first.read_text()
    stamp = text.split("<timestamp>")[1].split("<")[0]
    older = tmp_path / "older.xml"
    older.write_text(
        text.replace(f"<timestamp>{stamp}<", f"<timestamp>{int(stamp) - 5}<").replace(
            f"jatsgen-{stamp}", "jatsgen-older"
        ),
        "utf-8",
    )
    assert deposit(first, "--endpoint", reg.url, "--wait", *FAST).exit_code == 0
    monkeypatch.setenv("JATSGEN_LEDGER", str(tmp_path / "another-machine.sqlite"))
    res = deposit(older, "--endpoint", reg.url, "--wait", *FAST)
    assert res.exit_code == 1
    assert "failure\ttimestamp not newer than the registry's" in res.stdout


def test_invalid_batch_is_never_sent(tmp_path, env, registry, locator):
    reg = registry()
    (batch,) = make_batches_for(tmp_path, locator, 1)
    bad = tmp_path / "bad.xml"
    bad.write_text(batch.read_text().replace("<doi_data>", "<doi_data><bogus/>"), "utf-8")
    res = deposit(bad, "--endpoint", reg.url, *FAST)
    one_line(res, "not sent: the batch is not valid")
    assert "error [xsd]" in res.stderr
    assert reg.witness()["submissions"] == 0


def test_missing_credentials_say_which_variables_to_set(tmp_path, env, monkeypatch, locator):
    monkeypatch.delenv("JATSGEN_PASSWORD")
    (batch,) = make_batches_for(tmp_path, locator, 1)
    res = deposit(batch, "--endpoint", "http://127.0.0.1:9")
    assert res.exit_code == 1 and "JATSGEN_PASSWORD" in res.stderr


# --- secrets ----------------------------------------------------------------------------------


def test_the_password_appears_in_no_output_log_ledger_or_exception(
    tmp_path, env, registry, locator, monkeypatch
):
    secret = "S3cr3t-Pa55-xyzzy"
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(
        f'[[account]]\nuser = "demo"\npassword = "{secret}"\nroles = []\nprefixes = ["10.5555"]\n'
    )
    sandbox = Sandbox(
        tmp_path / "reg",
        load_accounts(accounts),
        Faults(rate=0.5, latency=0.6, retry_after=0, seed=3),
    )
    server = serve(sandbox)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = sandbox_url(server)
    monkeypatch.setenv("JATSGEN_PASSWORD", secret)
    batches = make_batches_for(tmp_path, locator, 6)
    outputs = []
    try:
        outputs.append(
            deposit(
                *batches,
                "--endpoint",
                url,
                "--wait",
                "--timeout",
                "0.4",
                "--retry-base",
                "0.02",
                "--poll-interval",
                "0.1",
            )
        )
        outputs.append(
            deposit(
                *batches,
                "--endpoint",
                "http://127.0.0.1:9",
                "--force",
                "--retries",
                "2",
                "--retry-base",
                "0.01",
                "--timeout",
                "0.3",
            )
        )
        monkeypatch.setenv("JATSGEN_PASSWORD", secret + "-wrong")
        outputs.append(deposit(*batches, "--endpoint", url, "--force", *FAST))
        outputs.append(runner.invoke(app, ["status", "--format", "json"]))
        outputs.append(runner.invoke(app, ["status"]))
    finally:
        server.shutdown()
        server.server_close()
        sandbox.close()
    for res in outputs:
        assert secret not in res.stdout and secret not in res.stderr
        assert res.exception is None or secret not in str(res.exception)
    assert outputs[0].exit_code == 0, outputs[0].stderr
    for path in tmp_path.glob("ledger.sqlite*"):
        assert secret.encode() not in path.read_bytes(), path
    client = RegistryClient(
        "http://127.0.0.1:9", Credentials("demo", secret), RetryPolicy(attempts=1, base=0.01)
    )
    with pytest.raises(Exception) as exc:
        client.fetch("x.xml")
    assert secret not in str(exc.value) and secret not in repr(exc.value)
    assert secret not in repr(Credentials("demo", secret))
