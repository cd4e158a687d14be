"""Throughput and peak memory of `jatsgen crossref` for 2,000 and 20,000 conference papers.

    python bench/crossref_scale.py            # writes its table to stdout

Generates the inputs (bench/gen_conference.py) into bench/data/, runs the real CLI in a child
process for each size, and checks that every batch respects the limits and that the DOIs are
unique; memory is the peak resident set size of that one child (a fresh wrapper process per
size reads getrusage(RUSAGE_CHILDREN).ru_maxrss, so the sizes do not share a maximum).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIZES = (2000, 20000)
MAX_RECORDS = 500
MAX_BYTES = 10_000_000
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(code)\n"
)


def measure_crossref(
    inputs: list[str], config: Path, label: str, extra: Sequence[str] = ()
) -> tuple[float, int, Path]:
    """`jatsgen crossref INPUTS --config CONFIG` in a child with a state folder of its own:
    (wall seconds, peak RSS in KB, the folder of batches)."""
    out = Path(tempfile.mkdtemp(prefix=f"bench-{label}-"))
    env = {**os.environ, "JATSGEN_STATE_DIR": str(out / "state")}
    cmd = [sys.executable, "-m", "jatsgen", "crossref", *inputs, "--config", str(config)]
    elapsed, peak_kb = measure_child([*cmd, "-o", str(out / "batches"), "-q", *extra], env)
    return elapsed, peak_kb, out / "batches"


def measure_child(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in KB) of `cmd` run in a child of a fresh wrapper process."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return elapsed, int(proc.stdout.strip().splitlines()[-1])


def run_size(n: int) -> dict[str, float]:
    data = HERE / "data" / f"c{n}"
    if not data.exists():
        subprocess.run(
            [sys.executable, str(HERE / "gen_conference.py"), str(n), str(data)], check=True
        )
    inputs = sorted(str(p) for p in data.glob("*.yaml"))
    limits = ["--max-records", str(MAX_RECORDS), "--max-bytes", str(MAX_BYTES)]
    elapsed, peak_kb, batches = measure_crossref(inputs, HERE / "bench.toml", f"{n}", limits)
    files = sorted(batches.glob("*.xml"))
    dois: list[str] = []
    for f in files:
        assert f.stat().st_size <= MAX_BYTES, f
        root = etree.parse(str(f)).getroot()
        papers = root.findall(".//{*}conference_paper")
        assert len(papers) <= MAX_RECORDS, f
        dois += [p.findtext("{*}doi_data/{*}doi") for p in papers]
    assert len(dois) == len(set(dois)) == n, (len(dois), len(set(dois)))
    return {
        "records": n,
        "seconds": elapsed,
        "records_per_s": n / elapsed,
        "peak_mb": peak_kb / 1024,
        "batches": len(files),
    }


def main() -> None:
    rows = [run_size(n) for n in SIZES]
    print("| records | batches | seconds | records/s | peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['records']:,} | {r['batches']} | {r['seconds']:.1f} | "
            f"{r['records_per_s']:.0f} | {r['peak_mb']:.0f} |"
        )
    ratio = rows[1]["peak_mb"] / rows[0]["peak_mb"]
    print(f"\npeak memory 20,000 / 2,000 = {ratio:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
