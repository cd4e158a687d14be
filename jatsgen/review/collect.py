"""Everything a person checks before registering, gathered per DOI.

Sources (pages, records, sheets, JATS) are turned into deposit batches exactly as `jatsgen
crossref` would, into a private folder and with a private timestamp clock (a preview issues
no timestamp of the user's); then every batch is planned as `deposit --dry-run` plans it
(validated, read back, judged against the ledger, refused where deposit would refuse), so
what is shown is what would be sent. Beside each DOI: the findings of validation, of the
conversion and of the plan, what the target could not carry, and what changed since the
ledger's last deposit of it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..config import DepositConfig
from ..deposit.compare import NEW, PENDING, UNCHANGED, UPDATED, judge
from ..deposit.ledger import Ledger
from ..deposit.plan import plan_files
from ..diagnostics import Diagnostic
from ..errors import InputError, JatsgenError
from ..jobs import TimestampClock, make_batches, state_dir
from ..jobs.crossref import WorkNotes
from ..jobs.dois import DoiMemory
from ..registration import Change, Registered, depositor, registered
from ..safexml import parse_bytes, read_xml_file
from ..validation import FileReport, ValidateOptions
from ..validation.detect import kind_of, peek_schema

__all__ = ["NEW", "PENDING", "UNCHANGED", "UPDATED", "Entry", "Review", "review"]

# Sources without a config still preview: their own DOIs and landing pages, any prefix.
PREVIEW_CONFIG = DepositConfig(
    path="<preview>",
    depositor_name="jatsgen preview",
    depositor_email="preview@localhost.invalid",
    registrant="jatsgen preview",
    prefixes=(),
)


@dataclass
class Entry:
    """One DOI as it would be registered, and what to know about it."""

    record: Registered
    deposit: str | None = None  # the deposit file given as input that carries it
    status: str = NEW  # new | updated | unchanged | pending, against the ledger's history
    changes: list[Change] = field(default_factory=list)
    note: str = ""  # why, where the status alone does not say
    findings: list[Diagnostic] = field(default_factory=list)
    losses: list[str] = field(default_factory=list)
    source: str | None = None  # the input it was made from
    trans_titles: list[tuple[str | None, str]] = field(default_factory=list)  # the source's

    @property
    def errors(self) -> int:
        return sum(d.severity == "error" for d in self.findings)

    @property
    def warnings(self) -> int:
        return sum(d.severity == "warning" for d in self.findings)


@dataclass
class Review:
    endpoint: str
    inputs: list[str]
    entries: list[Entry] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)  # works that are not shown
    depositors: list[str] = field(default_factory=list)  # "name <e-mail>", as the heads say

    def said_by(self, who: str | None) -> None:
        """A depositor a file's head names, listed once."""
        if who and who not in self.depositors:
            self.depositors.append(who)

    @property
    def ok(self) -> bool:
        problems = any(d.severity == "error" or "skipped" in d.message for d in self.problems)
        return not problems and not any(e.errors for e in self.entries)


def review(
    inputs: Sequence[str | Path],
    *,
    ledger: Ledger,
    endpoint: str,
    config: DepositConfig | None = None,
    schemas: str | None = None,
    fmt: str | None = None,
    any_prefix: bool = False,
    refresh: Callable[[list[str]], None] | None = None,
) -> Review:
    """The review of `inputs`: deposit files as they are, other inputs made into deposits
    with `config` (without one: with their own DOIs and landing pages); each DOI judged as
    `deposit` would judge it, after `refresh` asked the registry about pending ones."""
    paths = [str(p) for p in inputs]
    deposits = [p for p in paths if kind_of(peek_schema(p)) == "crossref"]
    sources = [p for p in paths if p not in deposits]
    result = Review(endpoint, paths)
    folder = Path(tempfile.mkdtemp(prefix="jatsgen-preview-"))
    unjudged: list[Entry] = []  # the DOIs of files not valid: judged here, never sent
    try:
        notes: dict[str, WorkNotes] = {}
        if sources:
            floor = ledger.highest_timestamp()
            notes = _make(sources, folder, config, fmt, any_prefix, result, floor)
            deposits += sorted(str(p) for p in (folder / "batches").glob("*.xml"))
        prefixes = () if any_prefix or config is None else config.prefixes
        options = ValidateOptions(schemas=schemas, prefixes=prefixes)
        for plan in plan_files(deposits, ledger, endpoint, options, refresh=refresh):
            result.said_by(plan.depositor)
            if plan.dois:  # judged by the plan `deposit --dry-run` makes, its refusals included
                entries = [Entry(d.record, status=d.status, changes=d.changes, note=d.note)
                           for d in plan.dois]  # fmt: skip
            else:
                records = _records(plan.path, result)
                if records is None:  # not readable (said in problems)
                    continue
                entries = [Entry(r) for r in records]
                unjudged += entries
            report = plan.report or FileReport(plan.path)
            if not entries:
                result.problems += [d for d in report.diagnostics if d.severity == "error"]
            _place(report.diagnostics, entries)
            for entry in entries:
                if plan.path.startswith(str(folder)):  # made here: its place is gone with it
                    entry.findings = [_unplaced(d, plan.path) for d in entry.findings]
                else:
                    entry.deposit = plan.path  # a deposit file given as input
                    entry.losses = list(entry.record.not_carried)  # as its works note it
            result.entries += entries
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _judge(unjudged, ledger, endpoint, refresh)
    for entry in result.entries:
        extra = notes.get(entry.record.doi.lower())
        if extra is not None:
            entry.source = extra.input
            entry.findings = [*extra.diagnostics, *entry.findings]
            entry.losses = extra.losses
            entry.trans_titles = extra.trans_titles
    return result


def _judge(
    entries: list[Entry], ledger: Ledger, endpoint: str, refresh: Callable[[list[str]], None] | None
) -> None:
    """The status of DOIs in files that are not valid, as `deposit` would judge them once
    the file is mended."""
    dois = [e.record.doi for e in entries]
    if not dois:
        return
    if refresh is not None:
        refresh(dois)
    history = ledger.history(dois, endpoint)
    for entry, plan in zip(entries, judge([e.record for e in entries], history), strict=True):
        entry.status, entry.changes, entry.note = plan.status, plan.changes, plan.note
        if (moved := plan.moved(entry.deposit)) is not None:
            entry.findings.append(moved)


def _make(
    sources: list[str],
    folder: Path,
    config: DepositConfig | None,
    fmt: str | None,
    any_prefix: bool,
    result: Review,
    floor: int | None = None,
) -> dict[str, WorkNotes]:
    """Deposit batches made from `sources` in `folder`/batches, as `crossref` makes them
    (works with errors are left out and said); what was said about each work, by DOI."""
    # the DOIs earlier runs gave to works are the ones a deposit would carry (read only)
    memory = DoiMemory(state_dir(config.state_dir) if config else folder / "state", record=False)
    config = config or PREVIEW_CONFIG
    now = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    stamp = int(now) * 10 ** (config.timestamp_digits - 14)
    if floor is not None and stamp <= floor:  # a deposit this very second: as `crossref`
        stamp = floor + 1  # would, issue the next timestamp, not one the registry has
    clock = TimestampClock(folder / "state", config.timestamp_digits, pinned=stamp)
    try:
        run = make_batches(
            sources,
            config,
            folder / "batches",
            clock=clock,
            fmt=fmt,
            any_prefix=any_prefix or config is PREVIEW_CONFIG,
            skip_invalid=True,
            notes=True,
            memory=memory,
        )
    except InputError as exc:
        result.problems += exc.diagnostics
        return {}
    except JatsgenError as exc:
        result.problems.append(Diagnostic("error", str(exc), code="preview.failed"))
        return {}
    said = {d for n in (run.notes or {}).values() for d in n.diagnostics}  # (by value: the
    # run keeps its own copies of what it was told, sharing their texts)
    result.problems += [d for d in run.diagnostics if d not in said and _not_shown(d)]
    return run.notes or {}


def _not_shown(d: Diagnostic) -> bool:
    """What a preview lists apart: works left out, inputs that failed, run-wide notes."""
    return (
        d.severity == "error"
        or d.message.startswith("skipped:")
        or d.code == "sheet.row-skipped"  # a row left out: the page lists it, by its row
        or d.file is None
    )


def _records(path: str, result: Review) -> list[Registered] | None:
    """The DOIs a deposit file holds, read as it is (valid or not); None if it cannot be
    read (the reason goes to the review's problems)."""
    try:
        tree = parse_bytes(read_xml_file(path), path)
    except InputError as exc:
        result.problems += exc.diagnostics
        return None
    result.said_by(depositor(tree))
    return registered(tree)


def _unplaced(d: Diagnostic, path: str) -> Diagnostic:
    """A finding in a batch the preview made, without that batch's place (a private file,
    removed when the preview is done): the DOI it is shown with says where."""
    return dataclasses.replace(d, file=None, line=None, column=None) if d.file == path else d


def _place(findings: list[Diagnostic], entries: list[Entry]) -> None:
    """Each finding of a deposit file to the DOI whose element holds its line (a finding
    before the first work, in the head or a container, goes to every DOI)."""
    if not entries:
        return
    starts = [e.record.line or 0 for e in entries]
    for d in findings:
        line = d.line or 0
        owners = [e for e, s in zip(entries, starts, strict=True) if s <= line]
        if line < starts[0] or not owners:
            for e in entries:
                e.findings.append(d)
        else:
            owners[-1].findings.append(d)
