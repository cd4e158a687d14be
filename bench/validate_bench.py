"""`jatsgen validate` against `xmllint --noout --schema`, measured in the same run.

    python bench/validate_bench.py

(a) one small Crossref batch from a cold process start (the compiled-schema disk cache is
    warm, as it is after the first use; the first-ever run is shown too);
(b) a folder of 2,000 Crossref batches and 2,000 JATS articles, against one multi-file
    xmllint call per schema (xmllint takes one schema per call), using both cores;
(c) 300 JATS articles, half of them broken (a second fpage, a misspelt element, an element
    where none may be), in one `jatsgen validate DIR` against one `xmllint --schema XSD
    FILES...` (issue 22: soundness must not cost bulk speed).

Inputs are made with jatsgen from bench/gen_conference.py's synthetic collection.
Needs xmllint (Debian: libxml2-utils) and JATSGEN_SCHEMAS pointing at the official XSDs.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SCHEMAS = Path(os.environ.get("JATSGEN_SCHEMAS", HERE.parent.parent / "shared" / "schemas"))
CROSSREF_XSD = SCHEMAS / "crossref/5.4.0/crossref5.4.0.xsd"
JATS_XSD = SCHEMAS / "jats/1.3/publishing/JATS-journalpublishing1-3-mathml3.xsd"
ENV = {**os.environ, "JATSGEN_SCHEMAS": str(SCHEMAS)}


def timed(cmd: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env or ENV)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in ok:
        raise SystemExit(f"{cmd[:3]} failed:\n{proc.stderr[-2000:]}")
    return elapsed


def inputs() -> tuple[Path, Path]:
    folder = DATA / "validate"
    crossref, jats = folder / "crossref", folder / "jats"
    if len(list(crossref.glob("*.xml"))) >= 2000 and len(list(jats.glob("*.xml"))) >= 2000:
        return crossref, jats
    shutil.rmtree(folder, ignore_errors=True)
    src = DATA / "c2000"
    if not src.exists():
        subprocess.run(
            [sys.executable, str(HERE / "gen_conference.py"), "2000", str(src)], check=True
        )
    records = sorted(str(p) for p in src.glob("*.yaml"))
    state = tempfile.mkdtemp()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "jatsgen",
            "crossref",
            *records,
            "--config",
            str(HERE / "bench.toml"),
            "-o",
            str(crossref),
            "--max-records",
            "1",
            "-q",
        ],
        check=True,
        env={**ENV, "JATSGEN_STATE_DIR": state},
    )
    subprocess.run(
        [sys.executable, "-m", "jatsgen", "jats", *records, "-o", str(jats), "-q"],
        check=True,
        env=ENV,
    )
    return crossref, jats


BREAKS = (
    ("<fpage>", "<fpage>1</fpage><fpage>"),
    ("<article-title", "<article-titel"),
    ("<article-meta>", "<article-meta><bogus/>"),
)


def mixed(jats: list[Path]) -> Path:
    """300 JATS articles, every other one broken in one of three ways."""
    folder = DATA / "validate-mixed300"
    if len(list(folder.glob("*.xml"))) == 300:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for i, path in enumerate(jats[:300]):
        text = path.read_text("utf-8")
        if i % 2:
            old, new = BREAKS[(i // 2) % len(BREAKS)]
            text = (
                text.replace(old, new, 1).replace("</article-title>", "</article-titel>", 1)
                if old == "<article-title"
                else text.replace(old, new, 1)
            )
        (folder / path.name).write_text(text, "utf-8")
    return folder


def xmllint(xsd: Path, files: list[Path]) -> list[str]:
    return ["xmllint", "--noout", "--nonet", "--schema", str(xsd), *map(str, files)]


def main() -> None:
    if shutil.which("xmllint") is None:
        raise SystemExit("xmllint not found (Debian: apt-get install libxml2-utils)")
    crossref, jats = inputs()
    cr_files = sorted(crossref.glob("*.xml"))
    jats_files = sorted(jats.glob("*.xml"))
    small = cr_files[0]
    lint_env = {**ENV, "XML_CATALOG_FILES": str(CROSSREF_XSD.parent / "catalog.xml")}
    jatsgen = [sys.executable, "-m", "jatsgen", "validate", "-q"]

    # (a) one small file, cold process start
    cache = tempfile.mkdtemp()
    first_ever = timed([*jatsgen, str(small)], {**ENV, "JATSGEN_CACHE_DIR": cache})
    ours = [timed([*jatsgen, str(small)], {**ENV, "JATSGEN_CACHE_DIR": cache}) for _ in range(5)]
    lint = [timed(xmllint(CROSSREF_XSD, [small]), lint_env) for _ in range(5)]
    a_ours, a_lint = statistics.median(ours), statistics.median(lint)

    # (b) 2,000 Crossref + 2,000 JATS files
    b_lint_cr = timed(xmllint(CROSSREF_XSD, cr_files), lint_env)
    b_lint_jats = timed(xmllint(JATS_XSD, jats_files))
    b_ours = timed([*jatsgen, str(crossref.parent)])
    b_lint = b_lint_cr + b_lint_jats

    # (c) 300 JATS files, half broken
    folder = mixed(jats_files)
    c_files = sorted(folder.glob("*.xml"))
    c_lint = [timed(xmllint(JATS_XSD, c_files), ok=(0, 3)) for _ in range(3)]
    c_ours = [timed([*jatsgen, str(folder)], ok=(0, 1)) for _ in range(3)]

    print(f"(a) one small Crossref file ({small.stat().st_size} bytes), median of 5 cold starts")
    print("| tool | seconds |\n|---|---:|")
    print(f"| xmllint --noout --schema crossref5.4.0.xsd | {a_lint:.2f} |")
    print(f"| jatsgen validate (compiled schema cached on disk) | {a_ours:.2f} |")
    print(f"| jatsgen validate, first run ever (compiles and caches) | {first_ever:.2f} |")
    print(f"\nspeed-up: {a_lint / a_ours:.1f}x (target: at least 5x)\n")
    print(f"(b) {len(cr_files)} Crossref batches + {len(jats_files)} JATS articles")
    print("| tool | seconds |\n|---|---:|")
    print(f"| xmllint, Crossref 5.4.0 files | {b_lint_cr:.2f} |")
    print(f"| xmllint, JATS 1.3 files | {b_lint_jats:.2f} |")
    print(f"| xmllint, both calls | {b_lint:.2f} |")
    print(f"| jatsgen validate folder (XSD + rules, {os.cpu_count()} cores) | {b_ours:.2f} |")
    print(f"\njatsgen / xmllint = {b_ours / b_lint:.2f} (target: at most 1.5)\n")
    c1, c2 = statistics.median(c_lint), statistics.median(c_ours)
    print(f"(c) {len(c_files)} JATS 1.3 articles, 150 of them invalid, median of 3")
    print("| tool | seconds |\n|---|---:|")
    print(f"| xmllint --noout --schema JATS-journalpublishing1-3-mathml3.xsd FILES | {c1:.2f} |")
    print(f"| jatsgen validate DIR ({os.cpu_count()} cores) | {c2:.2f} |")
    print(f"\njatsgen / xmllint = {c2 / c1:.2f} (target: at most 1.5)")


if __name__ == "__main__":
    main()
