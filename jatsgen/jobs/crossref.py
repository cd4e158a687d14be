"""The `jatsgen crossref` job: records in, validated Crossref deposit batch files out.

Works stream through: each input is read and its works serialized (`prepare`, here or in
worker processes), then each work's DOI is claimed, the work grouped with the others of its
container, and written out when the batch reaches its record or byte limit, so memory holds
at most one batch. Files are written into a private folder inside the
output folder and moved into place only when every batch is valid and no input had an
error: a failed run leaves nothing that looks like a good batch.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from ..config import DepositConfig
from ..diagnostics import Diagnostic, Diagnostics
from ..errors import InputError, JatsgenError
from ..validation import SchemaLocator, ValidateOptions, Validator
from ..writers.crossref import SPECS, CrossrefSpec, CrossrefWriter, Losses, container_key
from .assemble import BatchAssembler, BatchFile
from .dois import DoiMemory, DoiPlanner
from .prepare import (
    Job,
    PreparedInput,
    PreparedWork,
    Workers,
    prepared_inputs,
    result_of,
    worker_pool,
)
from .timestamps import TimestampClock


@dataclass
class WorkNotes:
    """What was said about one accepted work: where in its input it came from, its warnings
    (the reader's and the writer's) and what the target could not carry (its container's)."""

    input: str  # the input, with the line or a sheet's row: "papers.csv: row 5"
    diagnostics: list[Diagnostic] = field(default_factory=list)
    losses: list[str] = field(default_factory=list)
    trans_titles: list[tuple[str | None, str]] = field(default_factory=list)  # (lang, text)


@dataclass
class BatchRun:
    batches: list[BatchFile] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    works: int = 0
    inputs_failed: list[str] = field(default_factory=list)
    # per DOI (lower case), with make_batches(notes=True): for a review of each work
    notes: dict[str, WorkNotes] | None = None
    # (prefix, identity, DOI) of each accepted work whose DOI the pattern made: remembered
    # once the batches are written, so the work keeps it
    assigned: list[tuple[str, str, str]] = field(default_factory=list)
    # one copy of each message text the run keeps: a backfile's warnings repeat some fifty
    # texts tens of thousands of times, each arriving from a worker as a string of its own
    _texts: dict[str, str] = field(default_factory=dict, repr=False)

    def keep(self, found: Iterable[Diagnostic]) -> None:
        """Add diagnostics to the run, sharing the text of those said before."""
        texts = self._texts
        for d in found:
            text = texts.setdefault(d.message, d.message)
            self.diagnostics.append(d if text is d.message else replace(d, message=text))

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def dois(self) -> int:
        return sum(len(b.dois) for b in self.batches)


def take(
    prepared: PreparedInput,
    run: BatchRun,
    planner: DoiPlanner,
    assembler: BatchAssembler,
    skip_invalid: bool,
) -> None:
    """One prepared input into the run: its diagnostics, and each work into its batch (or,
    with `skip_invalid`, a warning saying why it was left out)."""
    failed = False
    for work in prepared.works:  # (made as they are taken, when `prepare` was lazy)
        run.keep(work.notes)
        assembler.offer_head(work)
        try:
            add_work(work, planner, assembler)
            run.works += 1
            if work.remember is not None:
                run.assigned.append(work.remember)
            if run.notes is not None:
                run.notes[work.doi.lower()] = _notes(prepared, work, assembler)
        except InputError as exc:
            if skip_invalid:  # reported, left out, and the run goes on
                run.keep(
                    replace(d, severity="warning", message=f"skipped: {d.message}")
                    for d in exc.diagnostics
                )
                continue
            run.keep(exc.diagnostics)
            failed = True
    run.keep(prepared.failed or prepared.diagnostics)  # complete now
    if failed or prepared.failed is not None:
        run.inputs_failed.append(prepared.path)


def _validate(validator: Validator, path: Path, schema_id: str) -> list[Diagnostic]:
    return validator.validate_file(path, schema_id).diagnostics


class BatchChecks:
    """The validation of each batch file the run writes: in the workers when they were
    forked (each loads the schema's compact form once, in milliseconds; spawned workers would
    each import jatsgen first, so this process does it), else here at the end.

    With workers, a batch written while inputs are still being read (it filled up) is
    validated then, between the inputs' chunks, and the rest largest first once the last is
    closed: a 10 MB batch last in line kept one worker busy while the other waited."""

    def __init__(self, validator: Validator, schema_id: str, workers: Workers | None) -> None:
        self.check = partial(_validate, validator, schema_id=schema_id)
        self.pool = workers.pool if workers is not None and workers.forked else None
        self.started: dict[Path, Future[list[Diagnostic]]] = {}

    def start(self, files: Iterable[BatchFile]) -> None:
        """Begin validating those of `files` not begun yet, largest first (with workers)."""
        if self.pool is None:
            return
        for f in sorted((f for f in files if f.path not in self.started), key=lambda f: -f.size):
            self.started[f.path] = self.pool.submit(self.check, f.path)

    def results(self, files: list[BatchFile]) -> Iterator[list[Diagnostic]]:
        """Each file's validation diagnostics, in the order of `files`."""
        self.start(files)
        for f in files:
            future = self.started.get(f.path)
            yield self.check(f.path) if future is None else result_of(future)


def _notes(prepared: PreparedInput, work: PreparedWork, assembler: BatchAssembler) -> WorkNotes:
    """What was said about `work`: the reader's warnings that are its own (all of them for
    an input of one article, else those from its line to the next article's), its own and
    its container's losses."""
    works = prepared.works
    assert isinstance(works, list)  # a review prepares each input whole (not lazily)
    lines = sorted(w.source.line for w in works if w.source and w.source.line)
    start = work.source.line if work.source and work.source.line else None
    after = [n for n in lines if start is not None and n > start]
    end = after[0] if after else None

    def own(d: Diagnostic) -> bool:
        if d.row is not None and work.source is not None and work.source.row is not None:
            return d.row == work.source.row  # a sheet's: the row is the work
        if len(works) == 1 or d.line is None or start is None:
            return len(works) == 1
        return start <= d.line and (end is None or d.line < end)

    head = assembler.heads.get(container_key(work.container))
    losses = [*(head.written.losses if head else []), *work.work.losses]
    return WorkNotes(
        str(work.source) if work.source is not None else prepared.path,  # "p.csv: row 5"
        [*filter(own, prepared.diagnostics), *work.notes, *work.work.warnings],
        list(dict.fromkeys(message for _, message, _ in losses)),
        work.trans_titles,
    )


def add_work(work: PreparedWork, planner: DoiPlanner, assembler: BatchAssembler) -> None:
    """Claim a prepared work's DOI and put it into its batch; InputError says why not.

    The checks come in the order a single pass would make them: the DOI can be made, it is
    not already taken, the work could be written, it fits.
    """
    if work.errors:
        raise InputError(work.errors)
    if work.remember is not None:  # a DOI the pattern made is kept by what the work is
        planner.claim_work(work.remember[1], work.where, work.source)
    planner.claim(work.doi, work.where, work.source)
    assembler.replay(work.work)
    if work.work.errors:
        raise InputError(work.work.errors)
    assembler.add(work)


def make_batches(
    inputs: Sequence[str | Path],
    config: DepositConfig,
    outdir: str | Path,
    *,
    version: str | None = None,
    max_records: int | None = None,
    max_bytes: int | None = None,
    locator: SchemaLocator | None = None,
    clock: TimestampClock,
    fmt: str | None = None,
    any_prefix: bool = False,
    skip_invalid: bool = False,
    on_input: Callable[[str], None] | None = None,
    jobs: int | None = 1,
    notes: bool = False,
    memory: DoiMemory | None = None,
    fresh_workers: bool = False,
) -> BatchRun:
    """Write Crossref batches for every article in `inputs` into `outdir`, all or nothing.

    `jobs` > 1 reads the inputs and writes their works in up to that many worker processes
    (`prepare.prepared_inputs`), when there is enough work to repay starting them; None
    chooses (one per CPU, up to 8). The batches are the same either way. `fresh_workers`
    starts them from a fork server rather than from this process (for a command-line run:
    this process holds the whole list of inputs; see `prepare.worker_pool`).

    DOIs made from the config's pattern are kept for their works in `memory` (by default
    beside the clock's state): once given, a DOI stays with its work in later runs.
    """
    spec: CrossrefSpec = SPECS[version or config.schema_version]
    out = Path(outdir)
    created = not out.exists()  # a failed run takes back the folder it made
    out.mkdir(parents=True, exist_ok=True)
    run = BatchRun(notes={} if notes else None)
    diags = Diagnostics()
    losses = Losses()
    writer = CrossrefWriter(spec, config, diags, losses)
    planner = DoiPlanner(config, any_prefix=any_prefix)
    memory = memory if memory is not None else DoiMemory(clock.path.parent)
    if config.prefixes:
        memory.works(config.prefix)  # read before any worker starts: a forked one shares it
    job = Job(config, spec.version, clock, fmt, any_prefix, skip_invalid, memory)
    validator = None
    if locator is not None:
        prefixes = () if any_prefix else config.prefixes
        # the works' own warnings (pages.missing) were said at their source, before batching
        said = frozenset({"pages.missing"})
        # the batches are jatsgen's own: proven valid by the schema's compact form in
        # milliseconds each, whatever their size (libxml2 only for one it does not prove)
        options = ValidateOptions(prefixes=prefixes, ignore=said, engine="proven")
        validator = Validator(options, locator=locator)
    staging = Path(tempfile.mkdtemp(prefix=".jatsgen-partial-", dir=out))
    try:
        assembler = BatchAssembler(
            writer, clock, staging, max_records or config.max_records, max_bytes or config.max_bytes
        )
        with worker_pool(jobs, inputs, server=fresh_workers) as workers:
            # in this process, each input's works are made as they are batched (a review
            # needs them all at hand)
            lazy = run.notes is None
            checks = BatchChecks(validator, spec.schema_id, workers) if validator else None
            for prepared in prepared_inputs(inputs, job, workers, lazy=lazy):
                take(prepared, run, planner, assembler, skip_invalid)
                if on_input:
                    on_input(prepared.path)
                if checks is not None and run.ok:
                    checks.start(assembler.files)  # (batches that filled up)
            if run.ok:
                assembler.close()
                if run.works == 0:
                    run.diagnostics.append(
                        Diagnostic(
                            "error", "no works to deposit", None, None, None, None, "batch.empty"
                        )
                    )
            if run.ok and checks is not None:
                files = assembler.files
                for f, found in zip(files, checks.results(files), strict=True):
                    run.diagnostics += [replace(d, file=str(out / f.path.name)) for d in found]
        losses.report(diags)
        run.diagnostics += list(diags)
        if run.ok:
            _move_all(assembler.files, out)
            run.batches = assembler.files
            memory.remember(run.assigned)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not run.batches:
            with contextlib.suppress(OSError):  # (only if empty: nothing of anyone's is lost)
                out.rmdir()
    return run


def _move_all(files: list[BatchFile], out: Path) -> None:
    """Every batch into `out`, or none: each target is checked before any file moves, and
    a move that fails takes back the ones already made."""
    taken = [out / f.path.name for f in files if (out / f.path.name).exists()]
    if taken:
        raise JatsgenError(
            f"{taken[0]} already exists; nothing was written (batch names are unique, so the "
            "timestamp state may be shared or restored: check it, or write to an empty folder)"
        )
    moved: list[tuple[BatchFile, Path]] = []
    try:
        for f in files:
            target = out / f.path.name
            f.path.replace(target)
            moved.append((f, f.path))
            f.path = target
    except OSError as exc:
        for f, staged in reversed(moved):
            with contextlib.suppress(OSError):
                f.path.replace(staged)
                f.path = staged
        raise JatsgenError(
            f"{out}: the batches could not be written ({exc.strerror or exc}); nothing was written"
        ) from None
