"""The service's background work: each upload made into batches and a review (a `prepare`
job), each deposit sent and its answers awaited (a `deposit` job), by worker threads that
take jobs from the queue in the database.

Nothing here converts, validates or deposits: it calls the library (`make_batches`,
`review`, `Depositor`) as the command line does. A worker that dies (kill -9, a lost host)
stops beating; its job is taken again by another worker, and a deposit started again is
resumed by the ledger's claims (the registry is asked before anything is sent twice).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import DepositConfig, load_config
from ..deposit.client import RegistryClient
from ..deposit.depositor import Depositor, Outcome
from ..deposit.ledger import Ledger
from ..deposit.protocol import endpoint_url
from ..diagnostics import Diagnostic
from ..errors import ConfigError, InputError, JatsgenError
from ..jobs import BatchRun, TimestampClock, make_batches
from ..registration import as_json
from ..review import render, review
from ..validation import SchemaLocator
from ..validation.detect import kind_of, peek_schema
from .store import Job, Journal, Store
from .vault import Vault

log = logging.getLogger("jatsgen.service")


@dataclass
class Service:
    """What the pages, the API and the workers share."""

    store: Store
    ledger: Ledger
    vault: Vault
    data: Path
    schemas: str | None = None
    lease: float = 30.0  # a running job's worker beats at least this often, or loses it
    poll: float = 5.0  # seconds between asking the registry about a deposit's results
    wait: float = 300.0  # how long a worker waits for results before handing the job back
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}")

    def state_dir(self, journal: Journal) -> Path:
        """The journal's timestamps and the DOIs its works were given (`{seq}` patterns)."""
        return self.data / "journals" / journal.slug


def journal_config(journal: Journal, folder: Path) -> DepositConfig:
    """The journal's config, read and checked as `jatsgen.toml` is (the same messages)."""
    path = folder / "jatsgen.toml"
    path.write_text(journal.config, encoding="utf-8")
    return load_config(path)


def private(folder: Path) -> str:
    """The worker's folder (and the `in/N/` or `out/` in it an input or a batch lies in):
    left out of the names people are shown, which are the names they uploaded, the
    batches' own and the config's."""
    return rf"{re.escape(str(folder))}/(?:in/\d+/|out/)?"


def findings(diagnostics: list[Diagnostic], folder: Path) -> list[dict[str, Any]]:
    """Findings as the CLI's JSON Lines print them, a file named as it was uploaded."""
    out = []
    for d in diagnostics:
        item = d.to_json()
        if item["file"]:
            item["file"] = re.sub(f"^{private(folder)}", "", item["file"])
        out.append(item)
    return out


def _inputs(store: Store, job: Job, folder: Path) -> list[str]:
    """The job's uploaded files, each in a folder of its own (two may share a name)."""
    paths = []
    for i, (_, name, data) in enumerate(store.files(job.id, "input")):
        target = folder / "in" / str(i) / Path(name).name
        target.parent.mkdir(parents=True)
        target.write_bytes(data)
        paths.append(str(target))
    return paths


def prepare(svc: Service, job: Job) -> None:
    """Inputs to deposit batches (`jatsgen crossref`), then the review of those very files
    (`jatsgen preview`): what the page shows is what a deposit would send."""
    journal = svc.store.journal_by_id(job.journal)
    with _folder() as folder:
        inputs = _inputs(svc.store, job, folder)
        try:
            config = journal_config(journal, folder)
        except ConfigError as exc:
            _fail(svc, job, "the journal's config has errors", findings(exc.diagnostics, folder))
            return
        # deposit batch files are reviewed and sent as they are; the rest made into batches
        given = [p for p in inputs if kind_of(peek_schema(p)) == "crossref"]
        sources = [p for p in inputs if p not in given]
        found: list[dict[str, Any]] = []
        batches = [Path(p) for p in given]
        if sources:
            run = _make(svc, job, journal, config, sources, folder, len(given))
            found = findings(run.diagnostics, folder)
            if not run.ok:
                _fail(svc, job, "the inputs have errors: nothing was made", found)
                return
            batches += [folder / "out" / b.path.name for b in run.batches]
        svc.store.progress(job.id, len(inputs), len(inputs), "reviewing")
        _reviewed(svc, job, journal, config, batches, folder, found)


def _make(
    svc: Service,
    job: Job,
    journal: Journal,
    config: DepositConfig,
    sources: list[str],
    folder: Path,
    done_before: int,
) -> BatchRun:
    """`jatsgen crossref` on the sources, with the journal's clock and DOI memory."""
    clock = TimestampClock(
        svc.state_dir(journal), config.timestamp_digits, floor=svc.ledger.highest_timestamp()
    )
    done: list[str] = []
    total = len(sources) + done_before

    def on_input(path: str) -> None:
        done.append(path)
        svc.store.progress(job.id, done_before + len(done), total, f"read {Path(path).name}")

    return make_batches(
        sources, config, folder / "out", clock=clock, locator=SchemaLocator(svc.schemas),
        notes=True, on_input=on_input,
    )  # fmt: skip


def _reviewed(
    svc: Service,
    job: Job,
    journal: Journal,
    config: DepositConfig,
    batches: list[Path],
    folder: Path,
    found: list[dict[str, Any]],
) -> None:
    paths = [str(b) for b in batches]
    endpoint = endpoint_url(journal.endpoint)
    result = review(paths, ledger=svc.ledger, endpoint=endpoint, config=config)
    entries = [
        {**as_json(e.record), "status": e.status, "findings": findings(e.findings, folder),
         "not_carried": e.losses,
         "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in e.changes]}
        for e in result.entries
    ]  # fmt: skip
    counts = {s: sum(e["status"] == s for e in entries) for s in ("new", "updated", "unchanged")}
    errors = sum(e.errors for e in result.entries) + sum(f["severity"] == "error" for f in found)
    message = (
        f"{len(entries)} DOI(s): {counts['new']} new, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged; {errors} error(s)"
    )
    # the page names each batch by its file name, not the worker's private folder
    page = render(result, svc.ledger.label)
    page = re.sub(private(folder).encode(), b"", page)
    svc.store.finish(
        job.id, "done", message, {"findings": found, "entries": entries, "counts": counts,
                                  "errors": errors},
        review=page, batches=[(Path(p).name, Path(p).read_bytes()) for p in paths],
    )  # fmt: skip
    svc.store.mark(journal.id, [
        {"doi": e["doi"], "title": plain(e.get("title")) or None, "change": e["status"],
         "state": "reviewed", "job": job.id}
        for e in entries
    ])  # fmt: skip


def plain(text: Any) -> str:
    """A title's safe HTML (face markup) as plain text, for a table cell or a search."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", text)) if isinstance(text, str) else ""


def _fail(svc: Service, job: Job, message: str, found: list[dict[str, Any]]) -> None:
    errors = sum(f["severity"] == "error" for f in found)
    svc.store.finish(job.id, "failed", message, {"findings": found, "errors": errors})


@contextmanager
def _folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="jatsgen-service-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def account_key(journal: Journal, user: str) -> str:
    """One registry account: its endpoint and user (deposits to it send one at a time)."""
    return f"{endpoint_url(journal.endpoint)} {user}"


def upload_key(journal: Journal) -> str:
    """One journal's uploads: made into batches one at a time (the journal's DOI memory
    gives each `{seq}` DOI once)."""
    return f"uploads of journal {journal.id}"


def depositor_for(svc: Service, journal: Journal, claim_tag: str | None = None) -> Depositor:
    sealed = svc.store.credentials(journal.id)
    if sealed is None:
        raise JatsgenError(
            "the journal has no registry credentials: an admin of the journal sets them in "
            "its settings"
        )
    creds = svc.vault.open(sealed)
    endpoint = endpoint_url(journal.endpoint)
    client = RegistryClient(endpoint, creds, label=journal.endpoint)
    return Depositor(client, svc.ledger, endpoint, claim_tag=claim_tag)


def deposit(svc: Service, job: Job) -> None:
    """Send the batches of the job's review (what changed since each DOI's last deposit),
    then wait for the registry's answers; a deposit not answered in `wait` seconds is
    handed back and taken again later (a run again asks before it sends)."""
    assert job.parent is not None
    journal = svc.store.journal_by_id(job.journal)
    tag = f"jatsgen-service-job-{job.id}"
    try:
        depositor = depositor_for(svc, journal, tag)
    except JatsgenError as exc:
        _fail(svc, job, str(exc), [])
        return
    # the queue gave this job to no one else: claims under its tag are of a runner that
    # died (on any host), not to be waited out for hours
    if (released := svc.ledger.release_tagged(tag)) and job.state != "queued":
        log.info("job %s: %d claim(s) of its last runner released", job.id, released)
    batches = svc.store.files(job.parent, "batch")
    with _folder() as folder:
        paths = {}
        for batch, name, data in batches:  # each in a folder of its own (names may repeat)
            target = folder / str(batch) / name
            target.parent.mkdir()
            target.write_bytes(data)
            paths[str(target)] = batch
        svc.store.progress(job.id, 0, len(paths), "sending")
        outcomes = depositor.deposit(list(paths), on_done=lambda o: _sent(svc, job, paths, o))
        svc.store.phase(job.id, svc.owner, "waiting")  # sent: the account may send more
        svc.store.progress(job.id, len(paths), len(paths), "waiting for the registry's answers")
        depositor.wait(outcomes, svc.wait, svc.poll)
    _settled(svc, job, journal, outcomes, paths)


def _sent(svc: Service, job: Job, paths: dict[str, int], outcome: Outcome) -> None:
    journal = job.journal
    batch = paths.get(outcome.path)
    if batch is not None and outcome.submission is not None:
        svc.store.remember_sent(journal, batch, outcome.submission)
    plan = outcome.plan
    if plan is None:
        return
    sent = plan.sent
    rows = []
    for d in plan.dois:
        if d.doi.lower() in sent or outcome.state == "skipped":
            state = "sent"
        else:
            state = "refused" if plan.action == "invalid" else d.status
        rows.append({"doi": d.doi, "change": d.status, "state": state, "job": job.id,
                     "batch": batch, "message": outcome.message or None,
                     "submission": outcome.submission if state == "sent" else None})  # fmt: skip
    svc.store.mark(journal, rows)
    done = svc.store.job(job.id)
    svc.store.progress(job.id, (done.done_count if done else 0) + 1, len(paths), "sending")


def _settled(
    svc: Service, job: Job, journal: Journal, outcomes: list[Outcome], paths: dict[str, int]
) -> None:
    result = {
        "outcomes": [
            {"file": Path(o.path).name, "state": o.state, "message": o.message,
             "upload_name": o.upload_name,
             "dois": [{"doi": d, "result": r, "message": m} for d, r, m in o.dois]}
            for o in outcomes
        ]
    }  # fmt: skip
    unsettled = [o for o in outcomes if o.state in ("pending", "unavailable", "received")]
    failed = [o for o in outcomes if o.failed and o not in unsettled]
    if unsettled:
        message = (
            f"{len(unsettled)} file(s) not answered yet by the registry; asked again in "
            f"{svc.poll * 12:.0f} s"
        )
        svc.store.finish(job.id, "waiting", message, result)
        svc.store.later(job.id, svc.poll * 12 - svc.lease)
        return
    registered = sum(r == "success" or r == "warning" for o in outcomes for _, r, _ in o.dois)
    message = f"{registered} DOI(s) registered; {len(failed)} file(s) with failures"
    svc.store.finish(job.id, "failed" if failed else "done", message, result)


RUNNERS = {"prepare": prepare, "deposit": deposit}


@dataclass(frozen=True)
class Settings:
    """What a job's process needs to build its own `Service` (picklable)."""

    place: str  # the database: a SQLite file or a postgresql:// URL
    data: str
    schemas: str | None
    lease: float
    poll: float
    wait: float
    owner: str  # the service's name in the queue: its jobs are its own in the job process too

    @classmethod
    def of(cls, svc: Service) -> Settings:
        where = svc.ledger.place.url or str(svc.ledger.place.path)
        return cls(where, str(svc.data), svc.schemas, svc.lease, svc.poll, svc.wait, svc.owner)


_OWN: list[Service] = []  # the job process's own Service, built once


def _die_with_parent(parent: int) -> None:
    """A job process ends with the service that started it (Linux: PR_SET_PDEATHSIG), so a
    service killed with kill -9 leaves no orphan working on: its jobs are taken again. A
    service killed while this process was still starting is gone already: it ends at once
    (the job it would have been handed is not its own any more)."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def execute(settings: Settings, job_id: int) -> None:
    """Run one job, in a job process: what the library says is wrong becomes the job's
    findings; a bug, a line in the service's log and a job that says so."""
    from ..deposit.ledger import Ledger
    from .store import Store as JobStore

    if not _OWN:
        ledger = Ledger(settings.place)
        data = Path(settings.data)
        _OWN.append(
            Service(JobStore(ledger), ledger, Vault(data), data, settings.schemas,
                    settings.lease, settings.poll, settings.wait, settings.owner)
        )  # fmt: skip
    svc = _OWN[0]
    job = svc.store.job(job_id)
    if job is None:
        return
    try:
        RUNNERS[job.kind](svc, job)
    except InputError as exc:
        _fail(svc, job, "the inputs have errors", findings(exc.diagnostics, Path("/")))
    except JatsgenError as exc:
        _fail(svc, job, str(exc), [])
    except Exception:
        log.error("job %s: %s", job.id, traceback.format_exc())
        _fail(svc, job, "internal error (the service's log has the details)", [])


class Workers:
    """`count` threads taking jobs from the queue until `stop`, each job run in a process
    of its own pool: the library's XML engines (libxml2's schemas and their error logs) are
    not made to be used by several threads at once, and a crash in one job takes no other
    work with it."""

    def __init__(self, svc: Service, count: int = 2) -> None:
        self.svc = svc
        self.settings = Settings.of(svc)
        self.count = count
        self.stopping = threading.Event()
        self.pool = self._pool()
        self.threads = [
            threading.Thread(target=self._loop, name=f"jatsgen-worker-{i}", daemon=True)
            for i in range(count)
        ]

    def _pool(self) -> ProcessPoolExecutor:
        import multiprocessing

        return ProcessPoolExecutor(
            self.count, mp_context=multiprocessing.get_context("spawn"),
            initializer=_die_with_parent, initargs=(os.getpid(),),
        )  # fmt: skip

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=5)
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                job = self.svc.store.claim_job(self.svc.owner, time.time() - self.svc.lease)
            except Exception:  # the database is away: try again shortly
                log.warning("queue: %s", traceback.format_exc(limit=1).strip())
                job = None
            if job is None:
                self.stopping.wait(0.5)
                continue
            self.run(job)

    def run(self, job: Job) -> None:
        log.info("job %s (%s): taken from the queue by %s", job.id, job.kind, self.svc.owner)
        beating = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job.id, beating), daemon=True)
        beat.start()
        try:
            self.pool.submit(execute, self.settings, job.id).result()
        except BrokenProcessPool:
            log.error("job %s: its process ended unexpectedly", job.id)
            self.pool = self._pool()
            _fail(self.svc, job, "internal error: the job's process ended unexpectedly", [])
        finally:
            beating.set()
            beat.join()

    def _beat(self, job: int, done: threading.Event) -> None:
        while not done.wait(self.svc.lease / 3):
            if not self.svc.store.beat(job, self.svc.owner):
                return  # handed back (waiting for the registry) or taken over
