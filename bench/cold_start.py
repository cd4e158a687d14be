"""Cold start of the everyday small job (issue 14), every ratio measured in one run.

    JATSGEN_SCHEMAS=../shared/schemas python bench/cold_start.py [--runs 5]

Each figure is the median wall time of `--runs` fresh processes (the compiled-schema cache is
warm unless said otherwise):

- `jatsgen validate ONE.xml` for JATS 1.3 / 1.4 and Crossref 5.3.1 / 5.4.0 / 5.5.0 files
  (the seed's own outputs) against `xmllint --noout --schema` on the same file (target: 7x);
  xmllint cannot compile the XSD 1.1 schema of 5.5.0, so that file is set against xmllint's
  5.4.0 call and xmllint's failure time is shown beside it;
- `jatsgen jats SEED -o out` and `jatsgen crossref SEED --config ... -o out`, each validated,
  against the xmllint JATS 1.3 call (target: at most 20% of it);
- `jatsgen --help` and `--version` (target: under 0.25 s);
- the first run with an empty cache against the same run with the cache switched off
  (JATSGEN_SCHEMA_CACHE=0), which compiles every time (target: at most 10% more);
- 15 inputs through `crossref` with the default `--jobs` against `-j 1` (never slower).

jatsgen's modules are byte-compiled first, as an installed package's are.

Needs xmllint (Debian: libxml2-utils).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCHEMAS = Path(os.environ.get("JATSGEN_SCHEMAS", ROOT.parent / "shared" / "schemas")).resolve()
SEED = ROOT.parent / "shared" / "seeds" / "000_b55da46bdd52c0c6.txt"
CONFIG = ROOT / "examples" / "jatsgen.toml"
XSD = {
    "jats-1.3": SCHEMAS / "jats/1.3/publishing/JATS-journalpublishing1-3-mathml3.xsd",
    "jats-1.4": SCHEMAS / "jats/1.4/publishing/JATS-journalpublishing1-4-mathml3.xsd",
    "crossref-5.3.1": SCHEMAS / "crossref/5.3.1/crossref5.3.1.xsd",
    "crossref-5.4.0": SCHEMAS / "crossref/5.4.0/crossref5.4.0.xsd",
    "crossref-5.5.0": SCHEMAS / "crossref/5.5.0/crossref5.5.0.xsd",
}
JATSGEN = [sys.executable, "-m", "jatsgen"]


def timed(cmd: list[str], env: dict[str, str], ok: bool = True) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    if ok and proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{proc.stderr[-2000:]}")
    return elapsed


def median(runs: int, cmd: list[str], env: dict[str, str], ok: bool = True) -> float:
    return statistics.median(timed(cmd, env, ok) for _ in range(runs))


def paired(
    runs: int, a: tuple[list[str], dict[str, str], bool], b: tuple[list[str], dict[str, str]]
) -> tuple[float, float]:
    """Medians of two commands run alternately, so a slow spell of a shared machine falls
    on both alike."""
    ta, tb = [], []
    for _ in range(runs):
        ta.append(timed(*a))
        tb.append(timed(*b))
    return statistics.median(ta), statistics.median(tb)


def xmllint(kind: str, path: Path) -> tuple[list[str], dict[str, str]]:
    xsd = XSD[kind]
    env = {**os.environ}
    if (xsd.parent / "catalog.xml").is_file():
        env["XML_CATALOG_FILES"] = str(xsd.parent / "catalog.xml")
    return ["xmllint", "--noout", "--nonet", "--schema", str(xsd), str(path)], env


def settle(compiled: Path, count: int, timeout: float = 300.0) -> None:
    """Wait until the background processes have written `count` compiled schemas and their
    compact forms, so no compile competes with the measurements."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = list(compiled.glob("*.pickle")) if compiled.is_dir() else []
        forms = list(compiled.glob("*.compact")) if compiled.is_dir() else []
        if min(len(done), len(forms)) >= count and not list(compiled.glob("*.tmp")):
            time.sleep(1)
            return
        time.sleep(0.5)
    raise SystemExit(f"the compiled-schema cache in {compiled} was not filled in {timeout} s")


def inputs(folder: Path, env: dict[str, str]) -> dict[str, Path]:
    """The seed's JATS 1.3/1.4 and Crossref 5.3.1/5.4.0/5.5.0 outputs."""
    out: dict[str, Path] = {}
    for v in ("1.3", "1.4"):
        dest = folder / f"jats{v}"
        subprocess.run(
            [*JATSGEN, "jats", str(SEED), "-o", str(dest), "--jats-version", v, "-q"],
            check=True,
            env=env,
        )
        out[f"jats-{v}"] = next(dest.glob("*.xml"))
    for v in ("5.3.1", "5.4.0", "5.5.0"):
        dest = folder / f"crossref{v}"
        args = ["--config", str(CONFIG), "-o", str(dest), "--crossref-version", v, "-q"]
        subprocess.run(
            [*JATSGEN, "crossref", str(SEED), *args],
            check=True,
            env={**env, "JATSGEN_STATE_DIR": str(folder / f"state{v}")},
        )
        out[f"crossref-{v}"] = next(dest.glob("*.xml"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    if shutil.which("xmllint") is None:
        raise SystemExit("xmllint not found (Debian: apt-get install libxml2-utils)")
    # An installed package has its bytecode; an editable one where PYTHONDONTWRITEBYTECODE is
    # set (as on some CI images) would compile jatsgen's modules from source at every start.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "jatsgen")], check=True)
    work = Path(tempfile.mkdtemp(prefix="jatsgen-cold-"))
    env = {
        **os.environ,
        "JATSGEN_SCHEMAS": str(SCHEMAS),
        "JATSGEN_CACHE_DIR": str(work / "cache"),
        "JATSGEN_STATE_DIR": str(work / "state"),
        "JATSGEN_LEDGER": str(work / "ledger.sqlite"),
    }
    files = inputs(work, env)
    for path in files.values():  # fill the compiled-schema cache (written in the background)
        timed([*JATSGEN, "validate", "-q", str(path)], env)
    settle(work / "cache" / "compiled", len(files))

    print(f"median of {runs} cold process starts each; {os.cpu_count()} CPUs\n")
    print("| file | xmllint --schema (s) | jatsgen validate (s) | speed-up |")
    print("|---|---:|---:|---:|")
    lint: dict[str, float] = {}
    for kind, path in files.items():
        cmd, lenv = xmllint(kind, path)
        ours_cmd = [*JATSGEN, "validate", "-q", str(path)]
        lint[kind], ours = paired(runs, (cmd, lenv, kind != "crossref-5.5.0"), (ours_cmd, env))
        if kind == "crossref-5.5.0":
            base = lint["crossref-5.4.0"]
            note = f" (xmllint cannot compile XSD 1.1: fails in {lint[kind]:.2f} s; vs 5.4.0)"
            print(f"| {kind}{note} | {base:.2f} | {ours:.2f} | {base / ours:.1f}x |")
        else:
            print(f"| {kind} | {lint[kind]:.2f} | {ours:.2f} | {lint[kind] / ours:.1f}x |")

    ref = lint["jats-1.3"]
    jats = median(runs, [*JATSGEN, "jats", str(SEED), "-o", str(work / "o-jats"), "-q"], env)
    crossref = median(
        runs,
        [*JATSGEN, "crossref", str(SEED), "--config", str(CONFIG), "-o", str(work / "o-cr"), "-q"],
        env,
    )
    print("\n| job (validated) | seconds | share of the xmllint JATS 1.3 call |")
    print("|---|---:|---:|")
    print(f"| jatsgen jats SEED -o out | {jats:.2f} | {jats / ref:.0%} |")
    print(f"| jatsgen crossref SEED --config ... -o out | {crossref:.2f} | {crossref / ref:.0%} |")

    print("\n| command | seconds |\n|---|---:|")
    for args in (["--help"], ["--version"]):
        print(f"| jatsgen {args[0]} | {median(runs, [*JATSGEN, *args], env):.3f} |")

    first, off = [], []
    for i in range(runs):
        fresh = {**env, "JATSGEN_CACHE_DIR": str(work / f"empty{i}")}
        first.append(timed([*JATSGEN, "validate", "-q", str(files["jats-1.3"])], fresh))
        settle(work / f"empty{i}" / "compiled", 1)  # the background compile ends first
        nocache = {**fresh, "JATSGEN_SCHEMA_CACHE": "0"}
        off.append(timed([*JATSGEN, "validate", "-q", str(files["jats-1.3"])], nocache))
    f, o = statistics.median(first), statistics.median(off)
    print("\n| JATS 1.3 file, empty cache | seconds |\n|---|---:|")
    print(f"| first run (compiles, stores the cache in the background) | {f:.2f} |")
    print(f"| cache switched off (compiles only) | {o:.2f} |")
    print(f"| first run / compile only | {f / o:.2f} |")

    many = work / "fifteen"
    many.mkdir()
    for i in range(15):
        shutil.copy(SEED, many / f"paper{i:02d}.txt")
        text = (many / f"paper{i:02d}.txt").read_text("utf-8")
        # a number of its own, so each paper gets a DOI of its own, and a title of its own,
        # so each is a paper of its own (a DOI made from the pattern is kept for its work)
        text = text.replace("\t070\n", f"\t{i + 100}\n").replace("ҚҰҚЫҚТЫҚ", f"ҚҰҚЫҚТЫҚ {i}", 1)
        (many / f"paper{i:02d}.txt").write_text(text, "utf-8")
    papers = sorted(str(p) for p in many.glob("*.txt"))

    def fifteen(jobs: list[str]) -> float:
        out = work / f"o15-{time.monotonic_ns()}"
        args = ["--config", str(CONFIG), "-o", str(out), "-q", *jobs]
        return timed([*JATSGEN, "crossref", *papers, *args], env)

    default = statistics.median(fifteen([]) for _ in range(runs))
    one = statistics.median(fifteen(["-j", "1"]) for _ in range(runs))
    print("\n| 15 pages -> crossref | seconds |\n|---|---:|")
    print(f"| default --jobs | {default:.2f} |\n| -j 1 | {one:.2f} |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
