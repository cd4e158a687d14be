"""The `jatsgen crossref` job: records in, validated Crossref deposit batch files out.

Works stream through: each is serialized as soon as its DOI is planned, grouped with the
other works of its container, and written out when the batch reaches its record or byte
limit, so memory holds at most one batch. Files are written into a private folder inside the
output folder and moved into place only when every batch is valid and no input had an
error: a failed run leaves nothing that looks like a good batch.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .config import DepositConfig
from .diagnostics import Diagnostic, Diagnostics
from .dois import DoiPlanner, Work
from .errors import InputError, JatsgenError
from .model import Article, ArticleKind, Book, Journal, PartialDate
from .readers import read
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

    def add(self, work: Work) -> None:
        data = b"      " + fragment_bytes(self.w.work(work), 3, self.decl) + b"\n"
        ckey = container_key(work.article.container)
        tag = self._tag(work)
        bkey = (tag, work.doi.split("/", 1)[0])
        batch = self.open.setdefault(bkey, _OpenBatch())
        group = batch.groups.get(ckey)
        if group is None:
            group = self._group(work, tag)
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
    def _tag(work: Work) -> str:
        c = work.article.container
        if work.article.kind is ArticleKind.POSTED_CONTENT:
            return "posted_content"
        return (
            "journal"
            if isinstance(c, Journal)
            else "book"
            if isinstance(c, Book)
            else ("conference")
        )

    def _group(self, work: Work, tag: str) -> _Group:
        c = work.article.container
        if tag == "posted_content":
            return _Group(tag, b"", b"", bare=True)  # preprints sit directly in the body
        if c is None:
            raise InputError(
                Diagnostic.at_source(
                    "error",
                    "the work has no container (proceedings, journal or book); Crossref "
                    "deposits need one",
                    work.article.source,
                    "batch.no-container",
                )
            )
        attrs = b' book_type="edited_book"' if tag == "book" else b""
        head = b"".join(
            b"      " + fragment_bytes(el, 3, self.decl) + b"\n"
            for el in self.w.container_head(c, work.article, work.where)
        )
        return _Group(tag, attrs, head)

    def close(self) -> None:
        for key in sorted(self.open):
            self.flush(key)

    def flush(self, key: tuple[str, str]) -> None:
        batch = self.open.pop(key, None)
        if batch is None or not batch.dois:
            return
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


def date_undated(article: Article, clock: TimestampClock) -> list[Diagnostic]:
    """Date an article that has no publication date on the deposit date (the config asked
    for that with [crossref] undated = "deposit-date"); say so, located."""
    container = article.container
    if article.published is not None or (container is not None and container.published):
        return []
    today = clock.today()
    article.published = PartialDate(today.year, today.month, today.day)
    return [
        Diagnostic.at_source(
            "warning",
            f"no publication date: dated {today.isoformat()}, the deposit date "
            '([crossref] undated = "deposit-date")',
            article.source,
            "crossref.undated",
        )
    ]


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
) -> BatchRun:
    """Write Crossref batches for every article in `inputs` into `outdir`, all or nothing."""
    spec: CrossrefSpec = SPECS[version or config.schema_version]
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    run = BatchRun()
    diags = Diagnostics()
    losses = Losses()
    writer = CrossrefWriter(spec, config, diags, losses)
    planner = DoiPlanner(config, any_prefix=any_prefix)
    staging = Path(tempfile.mkdtemp(prefix=".jatsgen-partial-", dir=out))
    try:
        assembler = BatchAssembler(
            writer, clock, staging, max_records or config.max_records, max_bytes or config.max_bytes
        )
        for path in inputs:
            failed = False
            try:
                result = read(
                    path,
                    fmt,
                    skip_invalid=skip_invalid,
                    container=config.container,
                    body=False,  # deposits carry no body
                )
                run.diagnostics += list(result.diagnostics)
                for seq, article in enumerate(result.articles, start=1):
                    if config.undated == "deposit-date":
                        run.diagnostics += date_undated(article, clock)
                    try:
                        assembler.add(planner.plan(article, seq))
                        run.works += 1
                    except InputError as exc:
                        if skip_invalid:  # reported, left out, and the run goes on
                            run.diagnostics += [
                                Diagnostic(
                                    "warning",
                                    f"skipped: {d.message}",
                                    d.file,
                                    d.line,
                                    d.column,
                                    d.field,
                                    d.code,
                                )
                                for d in exc.diagnostics
                            ]
                            continue
                        run.diagnostics += exc.diagnostics
                        failed = True
            except InputError as exc:
                run.diagnostics += exc.diagnostics
                failed = True
            if failed:
                run.inputs_failed.append(str(path))
            if on_input:
                on_input(str(path))
        if run.ok:
            assembler.close()
            if run.works == 0:
                run.diagnostics.append(
                    Diagnostic(
                        "error", "no works to deposit", None, None, None, None, "batch.empty"
                    )
                )
        if run.ok and locator is not None:
            prefixes = () if any_prefix else config.prefixes
            validator = Validator(ValidateOptions(prefixes=prefixes), locator=locator)
            for f in assembler.files:
                report = validator.validate_file(f.path, spec.schema_id)
                for d in report.diagnostics:
                    run.diagnostics.append(
                        Diagnostic(
                            d.severity,
                            d.message,
                            str(out / f.path.name),
                            d.line,
                            d.column,
                            d.field,
                            d.code,
                        )
                    )
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
