"""JATS -> Crossref 5.4.0: jatsgen side by side with eLife's elifecrossref, in one run.

    pip install -e '.[bench]'          # elifecrossref, only for this script
    python bench/jats_compare.py [--corpus DIR] [--passes N] [--per-file] [--jobs N]

For every JATS file in the corpus (default ../shared/corpus/jats) both tools write a Crossref
5.4.0 deposit. Reported, measured in the same process:

- files converted (a deposit was written) and valid (the official 5.4.0 XSD accepts it);
- field retention: DOIs, authors, ORCIDs, affiliations, references, references with DOIs,
  funders and license, counted in each source and in each tool's output by
  jatsgen.validation.retention (plain XPath, independent of either tool's reader);
- throughput in articles/s over N passes of the corpus: the lxml floor (parse and
  re-serialise each file), elifecrossref (build + serialise; it does not validate) and
  jatsgen (read, write batches, validate against the XSD), in one process and with the
  CLI's default --jobs (worker processes read, write and validate; the floor and
  elifecrossref use one process). jatsgen's schema compilation is a one-off per process and
  is timed separately, as its first pass.

Both tools get the same facts from outside the sources: depositor, registrant, a landing URL
made from the DOI, and the deposit date for an article that has no publication date
(bench/corpus.toml with [crossref] undated = "deposit-date" for jatsgen; the equivalent
elifecrossref config is below, its stock defaults otherwise).
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from jatsgen.config import load_config  # noqa: E402
from jatsgen.jobs import BatchRun, make_batches  # noqa: E402
from jatsgen.jobs.timestamps import TimestampClock  # noqa: E402
from jatsgen.readers import read  # noqa: E402
from jatsgen.safexml import parse_bytes  # noqa: E402
from jatsgen.validation.engines import compile_lxml  # noqa: E402
from jatsgen.validation.retention import FIELDS, Counts, crossref_counts, jats_counts  # noqa: E402
from jatsgen.validation.schemas import SchemaLocator  # noqa: E402

SHARED = ROOT.parent / "shared"
CONFIG = HERE / "corpus.toml"

ELIFE_CONFIG = """\
[DEFAULT]
crossref_schema_version: 5.4.0
generator: jatsgen-bench
registrant: Corpus Bench
depositor_name: Corpus Bench
email_address: bench@example.org
contrib_types: ["author", "on-behalf-of"]
jats_abstract: true
face_markup: true
crossmark: false
crossmark_policy:
crossmark_domains: []
crossmark_domain_exclusive: false
batch_file_prefix: bench-
doi_pattern: https://landing.example.org/{doi}
component_doi_pattern:
peer_review_doi_pattern:
component_license_ref:
component_exclude_types: []
elife_style_component_doi: false
archive_locations: []
elocation_id: true
access_indicators_applies_to: ["vor"]
pub_date_types: ["pub", "publication", "epub", "epub-ppub", "original-publication", "ppub",
    "collection"]
reference_distribution_opts:
text_mining_xml_pattern:
text_mining_pdf_pattern:
clinical_trials_registries: https://doi.org/10.18810/registries
assertion_display_channel_types: []
institution_name:
institution_ror:
"""


@dataclass
class ToolResult:
    name: str
    converted: int = 0
    valid: int = 0
    seconds: list[float] = field(default_factory=list)  # one entry per timed pass
    per_file: dict[str, Counts] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def rate(self, n: int) -> float:
        return n / statistics.median(self.seconds)


def source_doi(path: Path) -> str | None:
    root = etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False))
    found = root.xpath("/article/front/article-meta/article-id[@pub-id-type='doi']/text()")
    return str(found[0]).strip() if found else None


def timed_passes(passes: int, one_pass: Callable[[], None]) -> list[float]:
    out = []
    for _ in range(passes):
        t0 = time.perf_counter()
        one_pass()
        out.append(time.perf_counter() - t0)
    return out


def floor_pass(files: list[Path]) -> None:
    for f in files:
        etree.tostring(etree.fromstring(f.read_bytes()))


def parse_pass(files: list[Path]) -> None:
    """jatsgen's safe parse alone (the first step of reading)."""
    for f in files:
        parse_bytes(f.read_bytes(), str(f))


def read_pass(files: list[Path]) -> None:
    """Parse and fill the model (no body: deposits carry none), no writing."""
    for f in files:
        read(f, body=False)


def run_elife(files: list[Path], passes: int, outdir: Path) -> ToolResult:
    from elifecrossref import generate
    from elifecrossref.conf import parse_raw_config

    cp = configparser.ConfigParser(interpolation=None)
    cp.read_string(ELIFE_CONFIG)
    config = parse_raw_config(cp["DEFAULT"])
    res = ToolResult("elifecrossref")
    outputs: dict[Path, bytes] = {}

    def one_pass() -> None:
        for f in files:
            try:
                articles = generate.build_articles_for_crossref([str(f)])
                xml = generate.build_crossref_xml(articles, config, add_comment=False)
                outputs[f] = xml.output_xml().encode("utf-8")
            except Exception as exc:  # a failure is a result here, not a crash
                res.failures[f.name] = f"{type(exc).__name__}: {exc}"

    with contextlib.redirect_stdout(io.StringIO()):  # it prints "working on <file>"
        res.seconds = timed_passes(passes, one_pass)
    schema = compile_lxml(SchemaLocator().find("crossref-5.4.0"))
    for f, data in outputs.items():
        path = outdir / f.name
        path.write_bytes(data)
        res.converted += 1
        res.valid += schema.validate(etree.fromstring(data))
        doi = source_doi(f)
        res.per_file[f.name] = crossref_counts(path, doi) if doi else Counts()
    return res


class JatsgenRuns:
    """jatsgen's passes: read, write batches and validate them against the XSD."""

    def __init__(self, files: list[Path], outdir: Path, jobs: int = 1) -> None:
        # elifecrossref dates an article without a pub-date on the day it runs (eLife
        # deposits publish-on-accept articles on publication); jatsgen does so when asked
        self.config = replace(load_config(CONFIG), undated="deposit-date")
        self.files = files
        self.outdir = outdir
        self.jobs = jobs
        self.state = Path(tempfile.mkdtemp())
        self.runs: list[BatchRun] = []

    def one_pass(self) -> None:
        self.runs.append(
            make_batches(
                self.files,
                self.config,
                self.outdir / f"pass{len(self.runs)}",
                locator=SchemaLocator(),
                clock=TimestampClock(self.state),
                any_prefix=True,
                skip_invalid=True,
                jobs=self.jobs,
            )
        )

    def result(self, seconds: list[float]) -> ToolResult:
        name = "jatsgen" if self.jobs == 1 else f"jatsgen --jobs {self.jobs}"
        res = ToolResult(name, seconds=seconds)
        run = self.runs[-1]
        by_doi = {doi.lower(): b.path for b in run.batches for doi in b.dois}
        schema = compile_lxml(SchemaLocator().find("crossref-5.4.0"))
        for f in self.files:
            doi = source_doi(f)
            path = by_doi.get(doi.lower()) if doi else None
            if path is None:
                why = [d for d in run.diagnostics if d.file == str(f) and "skipped" in d.message]
                res.failures[f.name] = (
                    f"line {why[0].line}: {why[0].message}" if why else "no output"
                )
                res.per_file[f.name] = Counts()
                continue
            res.converted += 1
            res.valid += schema.validate(etree.parse(str(path)))  # elife's yardstick too
            res.per_file[f.name] = crossref_counts(path, doi or "")
        return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "jats")
    ap.add_argument("--passes", type=int, default=5, help="timed passes over the corpus")
    ap.add_argument("--per-file", action="store_true", help="print the per-file retention")
    ap.add_argument(
        "--jobs",
        type=int,
        default=min(os.cpu_count() or 1, 8),
        help="worker processes for the second jatsgen row (the CLI's default: one per CPU)",
    )
    args = ap.parse_args()
    os.environ.setdefault("JATSGEN_SCHEMAS", str(SHARED / "schemas"))
    files = sorted(args.corpus.glob("*.xml"))
    if not files:
        raise SystemExit(f"no JATS files in {args.corpus}")
    n = len(files)
    present = {f.name: jats_counts(f) for f in files}
    work = Path(tempfile.mkdtemp(prefix="jats-compare-"))
    try:
        runs = JatsgenRuns(files, work / "jatsgen")
        parallel = JatsgenRuns(files, work / "parallel", jobs=args.jobs)
        first = timed_passes(1, runs.one_pass)[0]  # loads the compiled schema once
        # the floor, jatsgen and its stages take turns, so a busy machine slows all alike
        stages: dict[str, Callable[[], None]] = {
            "floor": lambda: floor_pass(files),
            "parse": lambda: parse_pass(files),
            "read": lambda: read_pass(files),
            "jatsgen": runs.one_pass,
            "parallel": parallel.one_pass,
        }
        times: dict[str, list[float]] = {k: [] for k in stages}
        for _ in range(args.passes):
            for key, stage in stages.items():
                times[key] += timed_passes(1, stage)
        jatsgen = runs.result(times["jatsgen"])
        jobs = parallel.result(times["parallel"])
        if jobs.per_file != jatsgen.per_file or jobs.valid != jatsgen.valid:
            raise SystemExit("jatsgen wrote different batches with --jobs; see tests")
        # elifecrossref last: what it leaves in memory (~100 MB) would slow forking workers
        (work / "elife").mkdir()
        elife = run_elife(files, args.passes, work / "elife")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    floor = times["floor"]
    whole = statistics.median(times["jatsgen"])
    parse_s, read_s = statistics.median(times["parse"]), statistics.median(times["read"])

    floor_rate = n / statistics.median(floor)
    print(f"corpus: {args.corpus} ({n} files), {args.passes} timed passes, medians")
    print(f"machine: {os.cpu_count()} CPUs\n")
    print("| | files converted | valid vs 5.4.0 XSD | articles/s | vs lxml floor |")
    print("|---|---:|---:|---:|---:|")
    print(f"| lxml parse + serialise (floor, one process) | – | – | {floor_rate:.0f} | 100% |")
    for tool in (elife, jatsgen, jobs):
        rate = tool.rate(n)
        print(
            f"| {tool.name} | {tool.converted}/{n} | {tool.valid}/{n} | {rate:.1f} "
            f"| {rate / floor_rate:.0%} |"
        )
    print(
        f"\njatsgen first pass (compiles the XSD, once per process): {n / first:.1f} "
        f"articles/s; steady state is {jatsgen.rate(n) / elife.rate(n):.0f}x elifecrossref "
        f"in one process, {jobs.rate(n) / elife.rate(n):.0f}x with --jobs {args.jobs}"
    )

    print(
        f"jatsgen time per pass {whole * 1000:.0f} ms: parsing {parse_s / whole:.0%}, "
        f"filling the model {(read_s - parse_s) / whole:.0%}, writing and validating "
        f"{(whole - read_s) / whole:.0%}"
    )

    totals = {f: sum(c[f] for c in present.values()) for f in FIELDS}
    print("\n| field | in sources | elifecrossref carried | jatsgen carried |")
    print("|---|---:|---:|---:|")
    for f in FIELDS:
        carried = [sum(t.per_file[name][f] for name in t.per_file) for t in (elife, jatsgen)]
        print(f"| {f} | {totals[f]} | {carried[0]} | {carried[1]} |")

    for tool in (elife, jatsgen):
        for name, why in sorted(tool.failures.items()):
            print(f"\n{tool.name} could not convert {name}: {why}")
    if args.per_file:
        print("\n| file | " + " | ".join(FIELDS) + " |")
        print("|---|" + "---:|" * len(FIELDS))
        for name, src in present.items():
            cells = [
                f"{src[f]}/{elife.per_file.get(name, Counts())[f]}/"
                f"{jatsgen.per_file.get(name, Counts())[f]}"
                for f in FIELDS
            ]
            print(f"| {name} | " + " | ".join(cells) + " |")
        print("\n(cells: in source / elifecrossref / jatsgen)")


if __name__ == "__main__":
    main()
