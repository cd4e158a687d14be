"""A publisher's backfile of JATS to Crossref, side by side with the lxml floor, in one run.

    JATSGEN_SCHEMAS=../shared/schemas python bench/backfile.py [--copies 50] [--big 476]
                                                               [--runs 3] [--profile]

The shared corpus (42 real JATS files) is copied `--copies` times into bench/data/backfile/,
each copy of an article with a DOI of its own (the DOI's suffix gets `.c<copy>`), so a run
deposits every file once: 2,100 files for 50 copies. Then, taking turns in each of `--runs`
rounds, so a busy machine slows all alike:

- the floor: a plain lxml parse-and-serialise loop over the same files, in one process;
- `jatsgen crossref FILES --any-prefix --skip-invalid` with the CLI's default `--jobs`, with
  `--jobs 1` and with `--jobs 2`, each a child process (wall time, files/s, peak RSS of its
  largest process).

Then peak memory at 2,000 and at `--big` x 42 files (20,000 for 476), default `--jobs`; and
with `--profile`, where one `--jobs 1` run over 336 files spends its time (cProfile,
grouped by stage: reading, writing, rules, validation, assembling).
"""

from __future__ import annotations

import argparse
import compileall
import cProfile
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "jats"
CONFIG = HERE / "corpus.toml"
DATA = HERE / "data" / "backfile"
_DOI = re.compile(rb'(<article-id[^>]*pub-id-type="doi"[^>]*>\s*)([^<\s]+)')


def make_copies(copies: int, folder: Path) -> list[Path]:
    """`copies` copies of the corpus in `folder` (made once, reused), each article's DOI
    made its own: the same bytes otherwise."""
    sources = sorted(CORPUS.glob("*.xml"))
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n in range(copies):
        for src in sources:
            target = folder / f"c{n:04d}-{src.name}"
            if not target.exists():
                data = _DOI.sub(
                    lambda m, n=n: m.group(1) + m.group(2) + f".c{n}".encode(),
                    src.read_bytes(),
                    count=1,
                )
                target.write_bytes(data)
            out.append(target)
    return out


def floor_pass(files: list[Path]) -> float:
    """Seconds for lxml to parse and re-serialise every file, in this process."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    start = time.perf_counter()
    for path in files:
        etree.tostring(etree.parse(str(path), parser))
    return time.perf_counter() - start


def jatsgen_run(files: list[Path], jobs: int | None) -> tuple[float, int]:
    """(seconds, peak RSS in MB of the largest process) of one `jatsgen crossref` run."""
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "files.txt"
        listing.write_text("\n".join(map(str, files)))
        script = (
            "import sys; from jatsgen.cli import app; "
            "files = open(sys.argv[1]).read().split('\\n'); "
            "sys.argv = ['jatsgen', 'crossref', *files, *sys.argv[2:]]; app()"
        )
        args = [
            sys.executable,
            "-c",
            script,
            str(listing),
            "-c",
            str(CONFIG),
            "-o",
            str(Path(tmp) / "out"),
            "--any-prefix",
            "--skip-invalid",
            "-q",
        ]
        if jobs is not None:
            args += ["--jobs", str(jobs)]
        env = {
            **os.environ,
            "JATSGEN_STATE_DIR": str(Path(tmp) / "state"),
            "JATSGEN_LEDGER": str(Path(tmp) / "ledger.sqlite"),
        }
        errors = Path(tmp) / "stderr.txt"
        start = time.perf_counter()
        with errors.open("wb") as err:
            proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err)
            seen = [0]  # MB: the largest process of the run (jatsgen, its fork server, workers)
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    seen[0] = max([seen[0], *map(_rss_mb, _family(proc.pid))])
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            # jatsgen's own peak, with that of what it waited for, as the kernel counted it
            _, status, usage = os.wait4(proc.pid, 0)
            done.set()
            sampler.join()
        elapsed = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"jatsgen failed: {errors.read_text()[-2000:]}")
    return elapsed, max(seen[0], usage.ru_maxrss // 1024)


def _family(pid: int) -> list[int]:
    """`pid` and its descendants (Linux /proc; workers of a fork server are its children)."""
    out = [pid]
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for kid in kids:
        out += _family(int(kid))
    return out


def _rss_mb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return 0


def profile(files: list[Path]) -> str:
    """Where a --jobs 1 run's time goes, by stage (cumulative time of each stage's entry)."""
    sys.path.insert(0, str(ROOT))
    from jatsgen.config import load_config
    from jatsgen.jobs import TimestampClock, make_batches
    from jatsgen.validation import SchemaLocator

    config = load_config(CONFIG)
    with tempfile.TemporaryDirectory() as tmp:
        clock = TimestampClock(Path(tmp) / "state", floor=None)
        prof = cProfile.Profile()
        start = time.perf_counter()
        prof.enable()
        make_batches(
            [str(f) for f in files],
            config,
            Path(tmp) / "out",
            clock=clock,
            locator=SchemaLocator(),
            any_prefix=True,
            skip_invalid=True,
            jobs=1,
        )
        prof.disable()
        total = time.perf_counter() - start
    stats = pstats.Stats(prof)
    stages = {
        "reading (parse + model)": [("readers/__init__.py", "__iter__")],
        "writing Crossref XML": [("jobs/prepare.py", "_write")],
        "checks of each work": [("jobs/checks.py", "work_problems"),
                                ("jobs/checks.py", "work_warnings")],
        "validating the batches": [("jobs/crossref.py", "results")],
        "  of which registry rules": [("validation/rules.py", "run_rules")],
        "  of which the schema (compact form)": [("validation/compact.py", "proves_valid")],
        "assembling batches": [("jobs/assemble.py", "add")],
    }  # fmt: skip
    lines = [
        f"--jobs 1 over {len(files)} files: {total:.2f} s (under cProfile, which slows "
        "Python calls more than C: the shares are what it tells)"
    ]
    for label, places in stages.items():
        spent = sum(
            row[3]
            for (path, _, name), row in stats.stats.items()  # type: ignore[attr-defined]
            if (path.replace(os.sep, "/").rsplit("jatsgen/", 1)[-1], name) in places
        )
        lines.append(f"  {label}: {spent:.2f} s ({spent / total:.0%})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--big", type=int, default=476, help="copies for the memory run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args(argv)
    files = make_copies(args.copies, DATA)
    n = len(files)
    # as installed (pip compiles a wheel's modules): no run compiles jatsgen's sources first
    compileall.compile_dir(str(ROOT / "jatsgen"), quiet=1)
    rows: dict[str, list[float]] = {"floor": [], "default": [], "1": [], "2": []}
    for _ in range(args.runs):
        rows["floor"].append(floor_pass(files))
        for jobs in ("default", "1", "2"):
            rows[jobs].append(jatsgen_run(files, None if jobs == "default" else int(jobs))[0])
    floor = n / statistics.median(rows["floor"])
    print(f"{n} files, median of {args.runs} runs\n")
    print("| | seconds | files/s | vs lxml floor |")
    print("|---|---:|---:|---:|")
    print(
        f"| lxml parse + serialise (floor) | {statistics.median(rows['floor']):.1f} "
        f"| {floor:.0f} | 100% |"
    )
    for key, label in (
        ("default", "jatsgen (default --jobs)"),
        ("1", "jatsgen --jobs 1"),
        ("2", "jatsgen --jobs 2"),
    ):
        t = statistics.median(rows[key])
        print(f"| {label} | {t:.1f} | {n / t:.0f} | {n / t / floor:.0%} |")
    print(f"\nall runs (s): {rows}")
    # each round ran the floor and jatsgen minutes apart at most: their ratio within a
    # round is steadier than the medians when the machine's speed drifts
    for key in ("default", "1", "2"):
        ratios = sorted(f / t for f, t in zip(rows["floor"], rows[key], strict=True))
        print(f"--jobs {key}: {statistics.median(ratios):.0%} of the floor within a round "
              f"(rounds: {', '.join(f'{r:.0%}' for r in ratios)})")  # fmt: skip
    speedup = statistics.median(rows["1"]) / statistics.median(rows["2"])
    print(f"--jobs 2 does {speedup:.2f}x the work of --jobs 1")
    if not args.skip_memory:
        small = files[:2000]
        big = make_copies(args.big, DATA)[: args.big * 42]
        t_small, rss_small = jatsgen_run(small, None)
        t_big, rss_big = jatsgen_run(big, None)
        print(
            f"\nmemory: {len(small)} files {t_small:.1f} s peak {rss_small} MB; "
            f"{len(big)} files {t_big:.1f} s peak {rss_big} MB; ratio {rss_big / rss_small:.2f}"
        )
    if args.profile:
        print("\n" + profile(files[:336]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
