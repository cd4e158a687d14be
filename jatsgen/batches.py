"""The `jatsgen crossref` job: records in, validated Crossref deposit batch files out.

Works stream through: each input is read and its works serialized (`prepare`, here or in
worker processes), then each work's DOI is claimed, the work grouped with the others of its
container, and written out when the batch reaches its record or byte limit, so memory holds
at most one batch. Files are written into a private folder inside the
output folder and moved into place only when every batch is valid and no input had an
error: a failed run leaves nothing that looks like a good batch.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from .config import DepositConfig
from .diagnostics import Diagnostic, Diagnostics
from .dois import DoiPlanner
from .errors import InputError, JatsgenError
from .model import ArticleKind, Book, Journal
from .prepare import (
    Job,
    PreparedInput,
    PreparedWork,
    Workers,
    Written,
    prepared_inputs,
    result_of,
    worker_pool,
)
from .schemas import SchemaLocator
from .timestamps import TimestampClock
from .validate import ValidateOptions, Validator
from .writers.crossref import (
    SPECS,
    CrossrefSpec,
    CrossrefWriter,
    Losses,
    container_key,
    fragment_bytes,
    namespace_declarations,
)


@dataclass
class BatchFile:
    path: Path
    batch_id: str
    timestamp: int
    dois: list[str]
    size: int


@dataclass
class BatchRun:
    batches: list[BatchFile] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    works: int = 0
    inputs_failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def dois(self) -> int:
        return sum(len(b.dois) for b in self.batches)


@dataclass
class _Group:
    """One container element (conference, journal or book) inside a batch."""

    tag: str
    attrs: bytes
    head: bytes
    works: list[bytes] = field(default_factory=list)
    bare: bool = False  # posted_content: works go straight into the body, no wrapper

    @property
    def overhead(self) -> int:
        return 0 if self.bare else len(self.head) + len(self.attrs) + 2 * len(self.tag) + 16


@dataclass
class _Head:
    written: Written
    replayed: bool = False


@dataclass
class _OpenBatch:
    """Works waiting for one batch file: one body kind, one DOI prefix."""

    groups: dict[tuple[object, ...], _Group] = field(default_factory=dict)
    dois: list[str] = field(default_factory=list)
    size: int = 0


class BatchAssembler:
    """Collects serialized works into batch files under the record and byte limits.

    A Crossref body holds one content type, and a file must use one DOI prefix, so works are
    kept in one open batch per (conference|journal|book, prefix); each is written out when
    the next work would break a limit, and at `close`.
    """

    def __init__(
        self,
        writer: CrossrefWriter,
        clock: TimestampClock,
        folder: Path,
        max_records: int,
        max_bytes: int,
    ) -> None:
        self.w = writer
        self.diags = writer.diags
        self.losses = writer.losses
        # container key -> its opening metadata, as written with the first work of the
        # container that got a DOI (see `offer_head`)
        self.heads: dict[tuple[object, ...], _Head] = {}
        self.clock = clock
        self.folder = folder
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.decl = namespace_declarations(writer.nsmap)
        self.open: dict[tuple[str, str], _OpenBatch] = {}
        self.files: list[BatchFile] = []
        spec = writer.spec
        self.open_tag = (
            f'<doi_batch{self.decl.decode()} version="{spec.version}" xsi:schemaLocation='
            f'"{spec.namespace} https://www.crossref.org/schemas/crossref{spec.version}.xsd">\n'
        ).encode()
        sample = self._head(f"jatsgen-{'9' * clock.digits}", int("9" * clock.digits))
        self.envelope = (
            len(b'<?xml version="1.0" encoding="UTF-8"?>\n')
            + len(self.open_tag)
            + len(sample)
            + len(b"  <body>\n  </body>\n</doi_batch>\n")
        )

    def _head(self, batch_id: str, timestamp: int) -> bytes:
        return b"  " + fragment_bytes(self.w.head(batch_id, timestamp), 1, self.decl) + b"\n"

    def add(self, work: PreparedWork) -> None:
        """Put a prepared work (its DOI claimed) into its batch, writing batches out as
        they fill."""
        data = work.work.data
        ckey = container_key(work.container)
        tag = self._tag(work)
        bkey = (tag, work.doi.split("/", 1)[0])
        batch = self.open.setdefault(bkey, _OpenBatch())
        group = batch.groups.get(ckey)
        if group is None:
            group = self._group(work, tag, ckey)
            cost = len(data) + group.overhead
        else:
            cost = len(data)
        alone = self.envelope + len(data) + group.overhead
        if alone > self.max_bytes:
            raise InputError(
                Diagnostic(
                    "error",
                    f"the work {work.doi} alone needs {alone} bytes, more than the batch "
                    f"limit of {self.max_bytes} (raise --max-bytes)",
                    None,
                    None,
                    None,
                    None,
                    "batch.too-large",
                )
            )
        if batch.dois and (
            len(batch.dois) + 1 > self.max_records
            or self.envelope + batch.size + cost > self.max_bytes
        ):
            self.flush(bkey)
            batch = self.open.setdefault(bkey, _OpenBatch())
            group = _Group(group.tag, group.attrs, group.head, bare=group.bare)
            cost = len(data) + group.overhead
        batch.groups.setdefault(ckey, group).works.append(data)
        batch.dois.append(work.doi)
        batch.size += cost

    @staticmethod
    def _tag(work: PreparedWork) -> str:
        c = work.container
        if work.kind is ArticleKind.POSTED_CONTENT:
            return "posted_content"
        return (
            "journal"
            if isinstance(c, Journal)
            else "book"
            if isinstance(c, Book)
            else ("conference")
        )

    def _group(self, work: PreparedWork, tag: str, ckey: tuple[object, ...]) -> _Group:
        if tag == "posted_content":
            return _Group(tag, b"", b"", bare=True)  # preprints sit directly in the body
        if work.container is None:
            raise InputError(
                Diagnostic.at_source(
                    "error",
                    "the work has no container (proceedings, journal or book); Crossref "
                    "deposits need one",
                    work.source,
                    "batch.no-container",
                )
            )
        head = self.heads.get(ckey)
        if head is None:
            raise JatsgenError(f"internal: no container metadata for the work {work.doi}")
        if not head.replayed:
            head.replayed = True
            self.replay(head.written)  # what writing it lost or warned about, said once
        if head.written.errors:
            raise InputError(head.written.errors)
        attrs = b' book_type="edited_book"' if tag == "book" else b""
        return _Group(tag, attrs, head.written.data)

    def offer_head(self, work: PreparedWork) -> None:
        """Keep the container metadata a prepared work carries, unless its container already
        has metadata that could be written.

        `prepare` writes it with the first work of a container in each input that gets a
        DOI, and again with the next ones while it fails (the container's date may come
        from the first work), so every work that needs it finds it here, whatever happened
        to the works before it.
        """
        if work.head is None:
            return
        key = container_key(work.container)
        held = self.heads.get(key)
        if held is None or held.written.errors:
            self.heads[key] = _Head(work.head)

    def replay(self, written: Written) -> None:
        """Keep what the writer reported for something this run accepts."""
        for code, message, where in written.losses:
            self.losses.add(code, message, where)
        for d in written.warnings:
            self.diags.add(d)

    def close(self) -> None:
        keys = [k for k in sorted(self.open) if self.open[k].dois]
        stamps = self.clock.issue_many(len(keys)) if keys else []
        for key, stamp in zip(keys, stamps, strict=True):
            self.flush(key, stamp)

    def flush(self, key: tuple[str, str], timestamp: int | None = None) -> None:
        batch = self.open.pop(key, None)
        if batch is None or not batch.dois:
            return
        if timestamp is None:
            timestamp = self.clock.issue()
        batch_id = f"jatsgen-{timestamp}"
        path = self.folder / f"{batch_id}.xml"
        with open(path, "wb") as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
            fh.write(self.open_tag)
            fh.write(self._head(batch_id, timestamp))
            fh.write(b"  <body>\n")
            for g in batch.groups.values():
                if not g.bare:
                    fh.write(f"    <{g.tag}".encode() + g.attrs + b">\n")
                    fh.write(g.head)
                for data in g.works:
                    fh.write(data)
                if not g.bare:
                    fh.write(f"    </{g.tag}>\n".encode())
            fh.write(b"  </body>\n</doi_batch>\n")
            size = fh.tell()
        self.files.append(BatchFile(path, batch_id, timestamp, list(batch.dois), size))


def take(
    prepared: PreparedInput,
    run: BatchRun,
    planner: DoiPlanner,
    assembler: BatchAssembler,
    skip_invalid: bool,
) -> None:
    """One prepared input into the run: its diagnostics, and each work into its batch (or,
    with `skip_invalid`, a warning saying why it was left out)."""
    failed = prepared.failed is not None
    run.diagnostics += prepared.failed or prepared.diagnostics
    for work in prepared.works:
        run.diagnostics += work.notes
        assembler.offer_head(work)
        try:
            add_work(work, planner, assembler)
            run.works += 1
        except InputError as exc:
            if skip_invalid:  # reported, left out, and the run goes on
                run.diagnostics += [
                    replace(d, severity="warning", message=f"skipped: {d.message}")
                    for d in exc.diagnostics
                ]
                continue
            run.diagnostics += exc.diagnostics
            failed = True
    if failed:
        run.inputs_failed.append(prepared.path)


def _validate(validator: Validator, path: Path, schema_id: str) -> list[Diagnostic]:
    return validator.validate_file(path, schema_id).diagnostics


def validations(
    validator: Validator, paths: list[Path], schema_id: str, workers: Workers | None
) -> Iterator[list[Diagnostic]]:
    """Each batch file's validation diagnostics, in order; in the workers when they share
    this process's compiled schema (spawned workers would each compile it again)."""
    if workers is None or not workers.forked:
        for path in paths:
            yield _validate(validator, path, schema_id)
        return
    check = partial(_validate, validator, schema_id=schema_id)
    futures = [workers.pool.submit(check, path) for path in paths]
    yield from (result_of(f) for f in futures)


def add_work(work: PreparedWork, planner: DoiPlanner, assembler: BatchAssembler) -> None:
    """Claim a prepared work's DOI and put it into its batch; InputError says why not.

    The checks come in the order a single pass would make them: the DOI can be made, it is
    not already taken, the work could be written, it fits.
    """
    if work.errors:
        raise InputError(work.errors)
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
    jobs: int = 1,
) -> BatchRun:
    """Write Crossref batches for every article in `inputs` into `outdir`, all or nothing.

    `jobs` > 1 reads the inputs and writes their works in that many worker processes
    (`prepare.prepared_inputs`); the batches are the same either way.
    """
    spec: CrossrefSpec = SPECS[version or config.schema_version]
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    run = BatchRun()
    diags = Diagnostics()
    losses = Losses()
    writer = CrossrefWriter(spec, config, diags, losses)
    planner = DoiPlanner(config, any_prefix=any_prefix)
    job = Job(config, spec.version, clock, fmt, any_prefix, skip_invalid)
    validator = None
    if locator is not None:
        prefixes = () if any_prefix else config.prefixes
        validator = Validator(ValidateOptions(prefixes=prefixes), locator=locator)
    staging = Path(tempfile.mkdtemp(prefix=".jatsgen-partial-", dir=out))
    try:
        assembler = BatchAssembler(
            writer, clock, staging, max_records or config.max_records, max_bytes or config.max_bytes
        )
        # workers forked after the schema is compiled share it instead of compiling their own
        before = partial(validator.load, spec.schema_id) if validator is not None else None
        with worker_pool(jobs, len(inputs), before_start=before) as workers:
            for prepared in prepared_inputs(inputs, job, workers):
                take(prepared, run, planner, assembler, skip_invalid)
                if on_input:
                    on_input(prepared.path)
            if run.ok:
                assembler.close()
                if run.works == 0:
                    run.diagnostics.append(
                        Diagnostic(
                            "error", "no works to deposit", None, None, None, None, "batch.empty"
                        )
                    )
            if run.ok and validator is not None:
                paths = [f.path for f in assembler.files]
                for path, found in zip(
                    paths, validations(validator, paths, spec.schema_id, workers), strict=True
                ):
                    run.diagnostics += [replace(d, file=str(out / path.name)) for d in found]
        losses.report(diags)
        run.diagnostics += list(diags)
        if run.ok:
            for f in assembler.files:
                target = out / f.path.name
                if target.exists():
                    raise JatsgenError(
                        f"{target} already exists; batch names are unique, so "
                        "this should not happen (is the timestamp state shared?)"
                    )
                f.path.replace(target)
                f.path = target
            run.batches = assembler.files
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return run
