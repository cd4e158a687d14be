"""Reliability (issue 16): exactly-once under concurrency, a sandbox that never stops
processing, and located one-line errors, never internal ones, from damaged state and hostile
input. The sandbox tests speak HTTP over a real socket."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from typer.testing import CliRunner

from jatsgen.cli import app

runner = CliRunner()
CONFIG = FIXTURES / "test.toml"
FAST = ["--timeout", "2", "--retry-base", "0.3", "--poll-interval", "0.1"]


def run(*args: object):
    return runner.invoke(app, [*map(str, args)])


def volume(folder: Path, papers: int, name: str = "v.yaml", first: int = 1) -> Path:
    lines = ["container: {type: proceedings, title: Reliable, published: 2025}", "articles:"]
    for i in range(first, first + papers):
        lines.append(f"  - {{title: Paper {i}, doi: '10.5555/rel.{i}', pages: {i}-{i + 1}}}")
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def batches(env: Path, papers: int = 6, per_file: int = 2) -> list[Path]:
    out = env / "batches"
    made = run("crossref", volume(env, papers), "-c", CONFIG, "-o", out,
               "--max-records", per_file, "-q")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    return sorted(out.glob("*.xml"))


def deposit_process(files: list[Path], endpoint: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "jatsgen", "deposit", *map(str, files), "--endpoint", endpoint,
         "--wait", *FAST, "--retries", "12"],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


# --- 1, 2. exactly once, whatever the spelling of the endpoint and however many runs ----------


def rows(ledger: Path) -> int:
    if not ledger.exists():
        return 0
    try:
        with sqlite3.connect(ledger, timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not created yet


@pytest.mark.parametrize(
    "faults",
    [("drop",), pytest.param(("latency", "503", "429", "drop", "lost"), marks=pytest.mark.slow)],
    ids=["dropped connections", "every fault"],
)
def test_two_runs_at_once_on_the_same_batches_upload_each_file_once(env, registry, faults):
    from jatsgen.registry import Faults

    reg = registry(Faults(rate=0.5, kinds=faults, latency=0.3, seed=11))
    files = batches(env, papers=10, per_file=1)
    first = deposit_process(files, reg.url)
    deadline = time.monotonic() + 60
    while rows(env / "ledger.sqlite") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)  # the first run is sending: start the second now
    second = deposit_process(files, reg.url + "/")  # the same registry, spelt otherwise
    for proc in (first, second):
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    seen = reg.witness()
    assert seen["submissions"] == len(files), seen
    assert all(n == 1 for n in seen["uploads"].values()), seen["uploads"]
    assert len(seen["registered"]) == 10 and all(n == 1 for n in seen["registered"].values())
