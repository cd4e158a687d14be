"""Each input read and its works written as batch-ready bytes, here or in worker processes.

Reading (parsing, filling the model) and writing each work are most of a deposit's time,
and each input's share depends on that input alone, so with `jobs` > 1 they run in worker
processes and only bytes and small records come back. What must see the whole run stays
with the caller: DOI uniqueness, grouping into batches, timestamps and validation. What a
worker's writer reports (losses, warnings) comes back per work, so the caller keeps only
what belongs to the works it accepts, in input order, exactly as if it had written them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TypeVar

from lxml import etree

from ..config import DepositConfig
from ..diagnostics import Diagnostic, Diagnostics
from ..errors import InputError, JatsgenError
from ..model import Article, ArticleKind, Container, PartialDate, Source, Work, located
from ..readers import ArticleStream, is_sheet, read_stream
from ..registration import not_carried_comment
from ..writers.crossref import (
    SPECS,
    CrossrefWriter,
    Losses,
    container_key,
    fragment_bytes,
    namespace_declarations,
)
from .checks import work_problems, work_warnings
from .dois import DoiMemory, DoiPlanner
from .timestamps import TimestampClock

T = TypeVar("T")
# Less work than this per worker does not repay starting it: a forked worker starts in
# milliseconds, a spawned one imports jatsgen afresh (about half a second).
# Work is counted in inputs and in bytes (a megabyte of input is roughly 0.1 s of reading and
# writing).
MIN_INPUTS_PER_JOB = {"fork": 4, "forkserver": 4, "spawn": 32}
MIN_BYTES_PER_JOB = {"fork": 1_000_000, "forkserver": 1_000_000, "spawn": 8_000_000}
# what the fork server imports once, so that each worker forked from it starts ready
PRELOAD = ["jatsgen.jobs.crossref", "jatsgen.readers.jats", "jatsgen.readers.records"]

Loss = tuple[str, str, Source | None]  # code, message, where: the arguments of Losses.add


class LossLog(Losses):
    """Losses as a list of events, replayed into the run's `Losses` by the caller."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Loss] = []

    def add(self, code: str, message: str, at: Source | None) -> None:
        self.events.append((code, message, at))


@dataclass
class Written:
    """Bytes a writer made, or why it could not, with what it reported on the way."""

    data: bytes = b""
    errors: list[Diagnostic] = field(default_factory=list)
    losses: list[Loss] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)


@dataclass
class PreparedWork:
    """One article, ready for a batch: its DOI, what the batch needs to group it, and the
    serialized work element. `errors` set means the DOI could not be made (nothing else is)."""

    source: Source | None
    where: str
    notes: list[Diagnostic] = field(default_factory=list)  # said before it was written
    errors: list[Diagnostic] = field(default_factory=list)
    doi: str = ""
    container: Container | None = None
    kind: ArticleKind = ArticleKind.JOURNAL_ARTICLE
    work: Written = field(default_factory=Written)
    head: Written | None = None  # the container's opening metadata, if this work opens it
    trans_titles: list[tuple[str | None, str]] = field(default_factory=list)  # (lang, text)
    remember: tuple[str, str, str] | None = None  # (prefix, identity, DOI): made by pattern


@dataclass
class PreparedInput:
    path: str
    failed: list[Diagnostic] | None = None  # the input could not be read at all
    diagnostics: list[Diagnostic] = field(default_factory=list)  # the reader's warnings
    works: Iterable[PreparedWork] = field(default_factory=list)  # a list, or made as iterated


@dataclass(frozen=True)
class Job:
    """Everything `prepare` needs besides the input (sent along with each input)."""

    config: DepositConfig
    version: str
    clock: TimestampClock  # only its deposit date is used here; timestamps are issued later
    fmt: str | None = None
    any_prefix: bool = False
    skip_invalid: bool = False
    memory: DoiMemory | None = None  # the DOIs earlier runs made for works (read only here)


def prepare(path: str | Path, job: Job, *, lazy: bool = False) -> PreparedInput:
    """Read one input and write each of its works; errors are returned, not raised, so
    they cross from a worker process intact.

    `lazy`: the works are made as the caller iterates `works` (one at a time: a sheet of
    100,000 rows is never all in memory); `failed` and `diagnostics` are complete once it
    has. Otherwise (for a worker process) they are all made here."""
    out = PreparedInput(str(path))
    try:
        stream = read_stream(
            path,
            job.fmt,
            skip_invalid=job.skip_invalid,
            container=job.config.container,
            body=False,  # deposits carry no body
        )
    except InputError as exc:
        out.failed = exc.diagnostics
        return out
    works = _prepared_works(stream, job, out)
    out.works = works if lazy else list(works)
    return out


def _prepared_works(stream: ArticleStream, job: Job, out: PreparedInput) -> Iterator[PreparedWork]:
    planner = DoiPlanner(job.config, any_prefix=job.any_prefix, memory=job.memory)
    opened: set[tuple[object, ...]] = set()  # containers whose head this input has written
    try:
        for seq, article in enumerate(stream, start=1):
            yield _prepared(job, planner, opened, article, seq)
    except InputError as exc:
        out.failed = exc.diagnostics
    out.diagnostics = list(stream.diagnostics)


def _prepared(
    job: Job, planner: DoiPlanner, opened: set[tuple[object, ...]], article: Article, seq: int
) -> PreparedWork:
    item = PreparedWork(article.source, located(article.source))
    if job.config.undated == "deposit-date":
        item.notes = date_undated(article, job.clock)
    item.notes += work_warnings(article)
    try:
        work = planner.make(article, seq)
    except InputError as exc:
        item.errors = exc.diagnostics
        return item
    finally:
        item.notes += planner.notes
        planner.notes.clear()
    item.remember = planner.made.get(work.doi.lower())
    problems = work_problems(work.article, job.clock.today())
    if problems:  # the work's own facts fail a registry check: an error of this work
        item.errors = problems
        return item
    item.doi = work.doi
    item.container, item.kind = article.container, article.kind
    item.trans_titles = [(t.lang, t.text) for t in article.trans_titles]
    item.work = _write_work(job, work)
    key = container_key(article.container)
    if article.container is not None and key not in opened:
        # the first work of a container (with a DOI) in this input writes its head, and
        # the next ones while that fails: a head may take its date from its first work
        item.head = _write_head(job, article.container, article)
        if not item.head.errors:
            opened.add(key)
    return item


def _write_work(job: Job, work: Work) -> Written:
    return _write(job, lambda writer: [writer.work(work)], noted=True)


def _write_head(job: Job, c: Container, first: Article) -> Written:
    return _write(job, lambda writer: writer.container_head(c, first))


def _write(
    job: Job, build: Callable[[CrossrefWriter], list[etree._Element]], noted: bool = False
) -> Written:
    """What `build(writer)` makes, serialized at the depth of a batch's works (inside
    doi_batch/body/container), with what the writer reported; an InputError is `errors`.
    `noted`: what the work's source had and the deposit cannot carry is noted in the work
    as comments, so a review of the batch file alone still shows it."""
    diags, log = Diagnostics(), LossLog()
    writer = CrossrefWriter(SPECS[job.version], job.config, diags, log)
    writer.prebuilt = {}  # reference lists written as bytes (most of a work's elements)
    decl = _declarations(tuple(writer.nsmap.items()))
    try:
        made = build(writer)
        if noted and made:
            said = dict.fromkeys(message for _, message, _ in log.events)
            for i, message in enumerate(said):
                made[0].insert(i, not_carried_comment(message))
        data = b"".join(
            b"      " + fragment_bytes(el, 3, decl, writer.prebuilt) + b"\n" for el in made
        )
        return Written(data, [], log.events, list(diags))
    except InputError as exc:
        return Written(b"", exc.diagnostics, log.events, list(diags))


@cache
def _declarations(nsmap: tuple[tuple[str | None, str], ...]) -> bytes:
    return namespace_declarations(dict(nsmap))


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


@dataclass
class Workers:
    pool: ProcessPoolExecutor
    count: int
    method: str  # how they start: "fork" (from here), "forkserver" or "spawn"

    @property
    def forked(self) -> bool:
        """They start ready (forked from here or from a fork server; not spawned)."""
        return self.method != "spawn"

    @property
    def started_apart(self) -> bool:
        """Not forked from this process: they take a moment to start (a fork server imports
        jatsgen first), and starting them from a thread of this process is safe."""
        return self.method != "fork"


def default_jobs() -> int:
    """One worker per CPU, up to 8."""
    return min(os.cpu_count() or 1, 8)


def worker_count(jobs: int | None, inputs: int, size: int, method: str) -> int:
    """How many workers repay their start for `inputs` inputs of `size` bytes in all: at
    most `jobs` (None: one per CPU, up to 8), at least `MIN_INPUTS_PER_JOB` inputs and
    `MIN_BYTES_PER_JOB` bytes each; below 2, none (one process does the work)."""
    count = min(
        default_jobs() if jobs is None else jobs,
        inputs // MIN_INPUTS_PER_JOB[method],
        size // MIN_BYTES_PER_JOB[method],
    )
    return count if count >= 2 else 0


@contextlib.contextmanager
def worker_pool(
    jobs: int | None,
    inputs: Sequence[str | Path],
    server: bool = False,
) -> Iterator[Workers | None]:
    """Worker processes for a run over `inputs`, or None when `jobs` is 1 or there is too
    little work to repay starting them.

    On Linux workers are forked: they start in milliseconds. With `server` (the command
    line's runs) they are forked from a fork server, a small process that imported jatsgen
    once, not from this process, which holds the whole run's list of inputs and what it has
    been told (forked from here, each worker of a 20,000-file run started 25 MB larger than
    one of a 2,000-file run); a worker started so imports the `__main__` module again, which
    a library caller's script may not allow, hence forked from here by default. Either way
    they load the schema's compact form themselves (milliseconds). Elsewhere (macOS, where
    forking is unsafe, and Windows) they are spawned and import jatsgen afresh.
    """
    linux = sys.platform.startswith("linux")
    method = ("forkserver" if server else "fork") if linux else "spawn"
    count = worker_count(jobs, len(inputs), input_bytes(inputs), method)
    if not count:
        yield None
        return
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(PRELOAD)
    pool = ProcessPoolExecutor(count, mp_context=context)
    try:
        yield Workers(pool, count, method)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def input_bytes(inputs: Sequence[str | Path]) -> int:
    """The inputs' total size (a missing file counts nothing: reading it reports it)."""
    total = 0
    for path in inputs:
        with contextlib.suppress(OSError):
            total += os.stat(path).st_size
    return total


def prepared_inputs(
    inputs: Sequence[str | Path], job: Job, workers: Workers | None = None, lazy: bool = False
) -> Iterator[PreparedInput]:
    """`prepare` for each input, in input order: in the workers when there are some, while
    the caller assembles what they have done; a few results per worker wait in memory.
    With `lazy`, a sheet is prepared here as it is taken even when there are workers (a
    worker would hold all of its rows' works at once)."""
    if workers is None:
        for path in inputs:
            yield prepare(path, job, lazy=lazy)
        return
    # inputs go to the workers a few at a time: one task per small file spent more on
    # sending the job and the results back and forth than on the file
    size = chunk_size(len(inputs), workers.count)
    pending: deque[Future[list[PreparedInput]] | str | Path] = deque()
    chunk: list[str | Path] = []
    done = 0
    if workers.started_apart:
        # while a fork server imports jatsgen and forks the workers (a fifth of a second,
        # a twentieth of a backfile's run, when this process would wait), this process
        # prepares the first inputs itself; the workers take the rest from there
        starting = threading.Thread(target=_start, args=(workers,), daemon=True)
        starting.start()
        while starting.is_alive() and done < len(inputs) // 4:
            yield prepare(inputs[done], job, lazy=lazy)
            done += 1
        starting.join()
        inputs = inputs[done:]

    def send() -> None:
        if chunk:
            pending.append(workers.pool.submit(prepare_all, list(chunk), job))
            chunk.clear()

    def first() -> Iterator[PreparedInput]:
        item = pending.popleft()
        if isinstance(item, Future):
            yield from result_of(item)
        else:
            yield prepare(item, job, lazy=True)

    for path in inputs:
        if lazy and is_sheet(path, job.fmt):
            send()
            pending.append(path)
        else:
            chunk.append(path)
            if len(chunk) >= size:
                send()
        if len(pending) > 4 * workers.count:
            yield from first()
    send()
    while pending:
        yield from first()


def _start(workers: Workers) -> None:
    """Start every worker (a task each: the pool starts one per task it cannot give an
    idle worker). Nothing is said here: a worker that died, or a pool shut down early
    (the run failed meanwhile), is reported by the run's own next use of the pool."""
    with contextlib.suppress(Exception):
        for started in [workers.pool.submit(os.getpid) for _ in range(workers.count)]:
            started.result()


def chunk_size(inputs: int, workers: int) -> int:
    """Inputs per task: enough to make sending a task cheap beside its work, few enough
    that every worker gets many tasks (the last ones finish together)."""
    return max(1, min(16, inputs // (workers * 16)))


def prepare_all(paths: list[str | Path], job: Job) -> list[PreparedInput]:
    """`prepare` for each of `paths`, in a worker: one task for several inputs."""
    return [prepare(path, job) for path in paths]


def result_of(future: Future[T]) -> T:
    """A worker's result; a dead worker is a JatsgenError that says what to do."""
    try:
        return future.result()
    except BrokenProcessPool:
        raise JatsgenError(
            "a worker process stopped unexpectedly (out of memory, or killed); nothing was "
            "written. Run again, with --jobs 1 to work in one process"
        ) from None
