"""What a deposit would send, decided before anything is sent (and all `--dry-run` does).

Each file is validated and read back into the DOIs it registers (`registration`), and each
DOI judged against the ledger's history of it at this endpoint (`compare`). A file whose DOIs
are all unchanged is not sent; a file with some unchanged is sent with only its changed works,
each with its container's metadata, as the registry requires. Then the checks that belong to
sending rather than to a file: every DOI sent has a timestamp newer than the one this
endpoint may hold from here (`deposit.timestamp-newer`), no registered DOI is put on another
work unless the user says so (`deposit.doi-moved`), and no DOI is sent twice in one run
(`deposit.doi-twice`). The real run sends exactly what this plan says.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from ..diagnostics import Diagnostic
from ..errors import InputError
from ..registration import (
    SIBLINGS,
    Registered,
    depositor,
    doi_holders,
    is_container,
    is_resource_only,
    pack,
    registered,
)
from ..safexml import local, parse_bytes, read_xml_file
from ..validation import FileReport, ValidateOptions, Validator, validate_paths
from .compare import NEW, PENDING, UNCHANGED, UPDATED, DoiPlan, judge
from .ledger import Carried, Ledger

__all__ = ["NEW", "PENDING", "UNCHANGED", "UPDATED", "DoiPlan", "FilePlan", "plan_files"]

Refresh = Callable[[list[str]], None]  # asks the registry about DOIs still pending


@dataclass
class FilePlan:
    """One batch file: what would be sent, and why."""

    path: str
    action: str  # send | unchanged | pending | skipped | invalid
    message: str = ""
    dois: list[DoiPlan] = field(default_factory=list)
    data: bytes = b""  # what goes to the registry: the file, or only its changed works
    carried: list[Carried] = field(default_factory=list)  # the DOIs `data` registers
    report: FileReport | None = None
    part: bool = False  # `data` holds only the changed works, not the whole file
    depositor: str | None = None  # "name <e-mail>", as the file's head says

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def sent(self) -> set[str]:
        """The DOIs (lower case) this plan sends: those its data registers."""
        return {c.doi.lower() for c in self.carried} if self.action == "send" else set()

    @property
    def sending(self) -> list[DoiPlan]:
        sent = self.sent
        return [d for d in self.dois if d.doi.lower() in sent]

    def refuse(self, finding: Diagnostic, why: str) -> None:
        """Not sent, with a finding that says why."""
        if self.report is None:
            self.report = FileReport(self.path)
        self.report.diagnostics.append(finding)
        self.action, self.message = "invalid", f"not sent: {why}"

    def as_json(self) -> dict[str, Any]:
        sent = self.sent
        return {
            "file": self.path,
            "action": self.action,
            "message": self.message,
            "dois": [
                {
                    "doi": d.doi,
                    "status": d.status,
                    "sent": d.doi.lower() in sent,
                    "note": d.note or None,
                    "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in d.changes],
                }
                for d in self.dois
            ],
        }


@dataclass
class _Read:
    """A valid deposit file, parsed and read back."""

    path: str
    data: bytes
    tree: etree._ElementTree
    records: list[Registered]
    report: FileReport

    @property
    def resources(self) -> bool:
        """A resource-only deposit: it adds to registered DOIs, judged against what earlier
        resource deposits added (a metadata deposit of the DOI is another history)."""
        return is_resource_only(self.tree)


def plan_files(
    paths: Sequence[str | Path],
    ledger: Ledger,
    endpoint: str,
    options: ValidateOptions,
    *,
    force: bool = False,
    reassign: frozenset[str] = frozenset(),
    refresh: Refresh | None = None,
) -> list[FilePlan]:
    """A plan for each file, in order: validated, judged DOI by DOI against the ledger's
    history at `endpoint` (after `refresh` asked the registry about DOIs still pending),
    checked as a whole run; nothing is sent. `reassign`: DOIs (any case) that may now name
    another work than the one they were registered for."""
    reports = validate_paths([str(p) for p in paths], options)
    read: list[_Read | FilePlan] = [_read(str(p), r) for p, r in zip(paths, reports, strict=True)]
    dois = [r.doi for item in read if isinstance(item, _Read) for r in item.records]
    if refresh is not None and dois:
        refresh(dois)
    history = ledger.history(dois, endpoint)
    added = ledger.history(dois, endpoint, resources=True)  # resource-only deposits
    moved = frozenset(d.lower() for d in reassign)
    plans: list[FilePlan] = []
    keeps: list[tuple[FilePlan, _Read, set[str]]] = []
    for item in read:
        if isinstance(item, FilePlan):
            plans.append(item)
            continue
        of_kind = added if item.resources else history
        plan, keep = _plan(item, judge(item.records, of_kind, moved), force)
        plans.append(plan)
        if plan.action == "send":
            keeps.append((plan, item, keep))
    _one_container_sending(keeps)
    for plan, item, keep in keeps:
        _cut(plan, item, keep, options, force)
    _sent_twice(plans)
    for plan in plans:
        _not_newer(plan, ledger, endpoint)
    return plans


def _read(path: str, report: FileReport) -> _Read | FilePlan:
    if report.kind != "crossref" or not report.ok:
        why = (
            "the batch is not valid"
            if report.kind == "crossref"
            else "a JATS article, not a Crossref deposit: make its deposit with `jatsgen "
            f"crossref {path} --config jatsgen.toml -o out/`, then deposit out/"
            if report.kind == "jats"
            else "not a Crossref deposit file"
        )
        return FilePlan(path, "invalid", f"not sent: {why}", report=report)
    try:
        data = read_xml_file(path)
        tree = parse_bytes(data, path)
    except InputError as exc:  # changed since it was validated
        return FilePlan(path, "invalid", f"not sent: {exc.diagnostics[0].message}")
    return _Read(path, data, tree, registered(tree), report)


def _plan(item: _Read, dois: list[DoiPlan], force: bool) -> tuple[FilePlan, set[str]]:
    """The file's plan and the DOIs (lower case) it is to register: every one with
    `force`, else those new or updated. A container whose own DOI is unchanged goes only as
    its works' context (its doi_data left out: it is not registered again)."""
    plan = FilePlan(item.path, "send", dois=dois, data=item.data, report=item.report,
                    depositor=depositor(item.tree))  # fmt: skip
    for d in dois:
        if (finding := d.moved(item.path)) is not None:
            plan.refuse(finding, f"{d.doi} would move to another work")
    if plan.action == "invalid":
        return plan, set()
    every = {d.doi.lower() for d in dois}
    changed = {d.doi.lower() for d in dois if d.status in (NEW, UPDATED)}
    if not force and not changed:
        pending = [d for d in dois if d.status == PENDING]
        plan.action = "pending" if pending else "unchanged"
        plan.message = (
            f"nothing sent: {len(pending)} DOI(s) still awaiting the registry's result of "
            "their last deposit (run `jatsgen status`, or deposit with --wait)"
            if pending
            else f"nothing sent: all {len(dois)} DOI(s) unchanged since their last deposit"
        )
        return plan, set()
    return plan, every if force else changed


def _one_container_sending(keeps: list[tuple[FilePlan, _Read, set[str]]]) -> None:
    """A container's own DOI that several files of the run would register (a volume split
    into batches) is registered by the last of them only; the others carry the container as
    their works' context. So the registry never sees two registrations of it at once, which
    it may process in either order."""
    last: dict[str, int] = {}
    for i, (plan, _, keep) in enumerate(keeps):
        for d in plan.dois:
            if d.record.container_doi and d.doi.lower() in keep:
                last[d.doi.lower()] = i
    for i, (_, _, keep) in enumerate(keeps):
        for doi, owner in last.items():
            if owner != i:
                keep.discard(doi)  # (its status stays; it is sent by the other file)


def _cut(
    plan: FilePlan, item: _Read, keep: set[str], options: ValidateOptions, force: bool
) -> None:
    """The bytes to send: the file as it is when it registers every DOI it holds, else only
    the registrations in `keep` with their containers (checked valid again)."""
    if keep != {d.doi.lower() for d in plan.dois}:
        plan.data, plan.part = only(item.tree, keep), True
        check = Validator(options).validate_bytes(plan.data, item.path, item.report.schema_id)
        if not check.ok:  # cannot happen for a valid file; refuse rather than guess
            plan.action, plan.report = "invalid", check
            plan.message = "not sent: the file with only its changed works is not valid"
            return
    if plan.part:
        plan.carried = carried(parse_bytes(plan.data, item.path))
    else:  # the file as read: its registrations are known
        plan.carried = carried(item.tree, item.records)
    plan.message = _summary(plan, force)


def _summary(plan: FilePlan, force: bool) -> str:
    sent = plan.sent
    counts = {s: sum(d.status == s and d.doi.lower() in sent for d in plan.dois)
              for s in (NEW, UPDATED, UNCHANGED, PENDING)}  # fmt: skip
    said = f"{len(sent)} of {len(plan.dois)} DOI(s) sent: {counts[NEW]} new, {counts[UPDATED]} "
    said += "updated"
    if counts[UNCHANGED]:
        reason = "--force" if force else "in a changed work, or its container"
        said += f", {counts[UNCHANGED]} unchanged ({reason})"
    if counts[PENDING]:
        said += f", {counts[PENDING]} still pending at the registry"
    held = [d for d in plan.dois if d.doi.lower() not in sent]
    if held:
        said += f"; not sent: {len(held)} unchanged or pending"
    if plan.part:
        said += "; only the changed works are sent, with their container"
    return said


def _sent_twice(plans: list[FilePlan]) -> None:
    """A DOI sent by two files of one run: both are refused (which one is meant?). A
    container's own DOI is sent by one file of its volume (`_one_container_sending`)."""
    senders: dict[str, list[tuple[FilePlan, DoiPlan]]] = defaultdict(list)
    for plan in plans:
        sent = plan.sent
        for d in plan.dois:
            if d.doi.lower() in sent:
                senders[d.doi.lower()].append((plan, d))
    for both in senders.values():
        if len(both) < 2:
            continue
        for plan, d in both:  # the DOI as this file writes it, where it does
            others = ", ".join(p.path for p, _ in both if p is not plan)
            plan.refuse(
                Diagnostic(
                    "error",
                    f"DOI {d.doi} is also sent by {others} in this run; a run sends a DOI "
                    "once: deposit one of the files (the newer), or remove the DOI from the "
                    "other",
                    plan.path,
                    d.record.line,
                    None,
                    "doi_data/doi",
                    "deposit.doi-twice",
                ),
                f"DOI {d.doi} is in more than one file of this run",
            )


def _not_newer(plan: FilePlan, ledger: Ledger, endpoint: str) -> None:
    """Each DOI sent needs a timestamp newer than the one `endpoint` may hold from here (its
    earlier sendings that were not refused; a resumed sending of these bytes is not one)."""
    if plan.action != "send" or not any(c.timestamp for c in plan.carried):
        return  # (a resource-only deposit has no timestamp: it changes no record's version)
    before = ledger.last_sent([c.doi for c in plan.carried], endpoint, except_file=plan.sha256)
    lines = {d.doi.lower(): d.record.line for d in plan.dois}
    for c in plan.carried:
        prior = before.get(c.doi.lower())
        if prior is None or c.timestamp > prior.timestamp:
            continue
        plan.refuse(
            Diagnostic(
                "error",
                f"timestamp {c.timestamp} of {c.doi} is not newer than {prior.timestamp}, "
                f"already sent to {endpoint} ({prior.upload_name}); the registry would refuse "
                "it: make the batch again (jatsgen crossref issues a newer timestamp)",
                plan.path,
                lines.get(c.doi.lower()),
                None,
                "head/timestamp",
                "deposit.timestamp-newer",
            ),
            "its timestamp is not newer than one already sent",
        )


def carried(tree: etree._ElementTree, records: Sequence[Registered] | None = None) -> list[Carried]:
    """The DOIs a deposit registers, each with its timestamp (its own, else the head's),
    its fields and its canonical form. `records`: the tree's registrations, if read already
    (`registered(tree)`)."""
    root = tree.getroot()
    head = _stamp(root.findtext("{*}head/{*}timestamp")) or 0
    stamps = {}
    for dd in root.iter("{*}doi_data"):
        own = _stamp(dd.findtext("{*}timestamp"))
        stamps[(dd.findtext("{*}doi") or "").strip().lower()] = head if own is None else own
    return [
        Carried(
            r.doi,
            stamps.get(r.doi.lower(), head),
            r.digest,
            r.flat(),
            r.canonical,
            pack(r.canonical_xml),
        )
        for r in (registered(tree) if records is None else records)
    ]


def _stamp(text: str | None) -> int | None:
    """A timestamp's value; None for none, or for text a valid file cannot hold there
    (validation said so: crossref.timestamp-range)."""
    value = (text or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value.lstrip("0")) > 19:
        return None
    return int(value)


def only(tree: etree._ElementTree, keep: Iterable[str]) -> bytes:
    """The deposit with only the registrations whose DOI (lower case) is in `keep`: a
    container stays, with its metadata, while it holds one of them (or is one); a sibling
    work goes unless it holds one. The batch gets an id of its own."""
    keep = set(keep)
    tree = etree.ElementTree(etree.fromstring(etree.tostring(tree)))  # a copy to cut
    root = tree.getroot()
    body = next(c for c in root if local(c) == "body")
    under: dict[etree._Element, set[str]] = defaultdict(set)  # element -> DOIs at or below

    holders = doi_holders(body)
    for holder, doi in holders.items():
        for el in (holder, *holder.iterancestors()):
            under[el].add(doi.lower())

    def prune(parent: etree._Element) -> None:
        for child in list(parent):
            if not isinstance(child.tag, str):
                continue
            if local(child) in SIBLINGS and not under[child] & keep:
                parent.remove(child)
            elif local(child) not in SIBLINGS:
                prune(child)

    for top in list(body):
        if isinstance(top.tag, str) and not under[top] & keep:
            body.remove(top)
        elif isinstance(top.tag, str):
            prune(top)
    for holder, doi in holders.items():  # a container kept only as its works' context
        own = next((c for c in holder if local(c) == "doi_data"), None)
        if own is not None and doi.lower() not in keep and is_container(holder, body):
            holder.remove(own)
    batch_id = next(e for e in root.iter("{*}doi_batch_id"))
    tag = hashlib.sha256(",".join(sorted(keep)).encode()).hexdigest()[:8]
    batch_id.text = f"{(batch_id.text or '').strip()[:90]}-c{tag}"
    data: bytes = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return data + b"\n"
