"""What a deposit would send, decided before anything is sent (and all `--dry-run` does).

Each file is validated, read back into the DOIs it registers (`registration`), and each DOI
compared with what the ledger says this endpoint already holds: new, updated (with what
changed, field by field) or unchanged. A file whose DOIs are all unchanged is not sent; a
file with some unchanged is sent with only its changed works, each with its container's
metadata, as the registry requires.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import InputError
from ..registration import WORKS, Change, Registered, changes, registered
from ..safexml import local, parse_bytes, read_xml_file
from ..validation import FileReport, ValidateOptions, Validator, validate_paths
from .ledger import Carried, Ledger

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"


@dataclass
class DoiPlan:
    record: Registered
    status: str  # new | updated | unchanged
    changes: list[Change] = field(default_factory=list)

    @property
    def doi(self) -> str:
        return self.record.doi


@dataclass
class FilePlan:
    """One batch file: what would be sent, and why."""

    path: str
    action: str  # send | unchanged | skipped | invalid
    message: str = ""
    dois: list[DoiPlan] = field(default_factory=list)
    data: bytes = b""  # what goes to the registry: the file, or only its changed works
    carried: list[Carried] = field(default_factory=list)  # the DOIs `data` registers
    report: FileReport | None = None
    part: bool = False  # `data` holds only the changed works, not the whole file

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def sending(self) -> list[DoiPlan]:
        return [d for d in self.dois if d.status != UNCHANGED or self.whole]

    @property
    def whole(self) -> bool:
        return self.action == "send" and not self.part

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "action": self.action,
            "message": self.message,
            "dois": [
                {
                    "doi": d.doi,
                    "status": d.status,
                    "sent": self.action == "send" and (self.whole or d.status != UNCHANGED),
                    "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in d.changes],
                }
                for d in self.dois
            ],
        }


def plan_files(
    paths: Sequence[str | Path],
    ledger: Ledger,
    endpoint: str,
    options: ValidateOptions,
    *,
    force: bool = False,
) -> list[FilePlan]:
    """A plan for each file, in order: validated, compared with the ledger, not sent."""
    reports = validate_paths([str(p) for p in paths], options, sent=ledger.last_sent)
    return [
        _plan(str(p), r, ledger, endpoint, options, force)
        for p, r in zip(paths, reports, strict=True)
    ]


def _plan(
    path: str,
    report: FileReport,
    ledger: Ledger,
    endpoint: str,
    options: ValidateOptions,
    force: bool,
) -> FilePlan:
    if report.kind != "crossref" or not report.ok:
        why = (
            "the batch is not valid" if report.kind == "crossref" else "not a Crossref deposit file"
        )
        return FilePlan(path, "invalid", f"not sent: {why}", report=report)
    try:
        data = read_xml_file(path)
        tree = parse_bytes(data, path)
    except InputError as exc:  # changed since it was validated
        return FilePlan(path, "invalid", f"not sent: {exc.diagnostics[0].message}")
    records = registered(tree)
    held = ledger.held([r.doi for r in records], endpoint)
    plans = []
    for record in records:
        before = held.get(record.doi.lower())
        if before is None:
            plans.append(DoiPlan(record, NEW))
        elif before.digest == record.digest:
            plans.append(DoiPlan(record, UNCHANGED))
        else:
            plans.append(DoiPlan(record, UPDATED, changes(before.fields, record.flat())))
    plan = FilePlan(path, "send", dois=plans, data=data, report=report)
    if unread := _unread(tree, records):  # not compared: the file goes whole
        plan.message = (
            f"{len(plans) + len(unread)} DOI(s), {len(unread)} of a kind not compared with the "
            f"ledger ({', '.join(sorted(unread)[:3])}): the file is sent whole"
        )
        plan.carried = carried(tree)
        return plan
    changed = {d.doi.lower() for d in plans if d.status != UNCHANGED}
    if not force and not changed:
        plan.action = "unchanged"
        plan.message = f"nothing sent: all {len(plans)} DOI(s) unchanged since their last deposit"
        return plan
    if not force and len(changed) < len(plans):
        plan.data, plan.part = only(tree, changed), True
        check = Validator(options).validate_bytes(plan.data, path, report.schema_id)
        if not check.ok:  # cannot happen for a valid file; refuse rather than guess
            plan.action, plan.report = "invalid", check
            plan.message = "not sent: the file with only its changed works is not valid"
            return plan
        plan.message = (
            f"{len(changed)} of {len(plans)} DOI(s) changed since their last deposit; "
            "only those works are sent, with their container"
        )
    if not plan.part:
        counts = {s: sum(d.status == s for d in plans) for s in (NEW, UPDATED, UNCHANGED)}
        plan.message = f"{len(plans)} DOI(s): {counts[NEW]} new, {counts[UPDATED]} updated" + (
            f", {counts[UNCHANGED]} unchanged (sent: --force)" if counts[UNCHANGED] else ""
        )
    plan.carried = carried(parse_bytes(plan.data, path))
    return plan


def _unread(tree: etree._ElementTree, records: list[Registered]) -> set[str]:
    """DOIs the file registers that `registered` did not read (kinds it does not know)."""
    read = {r.doi.lower() for r in records}
    found = {
        (d.text or "").strip().lower()
        for d in tree.iter("{*}doi")
        if local(d.getparent()) == "doi_data"
    }
    return found - read - {""}


def carried(tree: etree._ElementTree) -> list[Carried]:
    """The DOIs a deposit registers, each with its timestamp (its own, else the head's) and
    its metadata."""
    root = tree.getroot()
    head = int(root.findtext("{*}head/{*}timestamp") or 0)
    stamps = {}
    for dd in root.iter("{*}doi_data"):
        own = dd.findtext("{*}timestamp")
        stamps[(dd.findtext("{*}doi") or "").strip().lower()] = int(own) if own else head
    return [
        Carried(r.doi, stamps.get(r.doi.lower(), head), r.digest, r.flat())
        for r in registered(tree)
    ]


def only(tree: etree._ElementTree, keep: set[str]) -> bytes:
    """The deposit with only the works whose DOI (lower case) is in `keep`, each container
    kept with its metadata while it still holds one of them, and a batch id of its own."""
    tree = etree.ElementTree(etree.fromstring(etree.tostring(tree)))  # a copy to cut
    root = tree.getroot()
    body = next(c for c in root if local(c) == "body")
    for holder in list(body):
        if local(holder) in WORKS:
            if _doi(holder) not in keep:
                body.remove(holder)
            continue
        for work in _held(holder):
            if _doi(work) not in keep:
                work.getparent().remove(work)
        container_doi = next(
            (d for m in holder if local(m).endswith("_metadata") and (d := _doi(m))), None
        )
        if not _held(holder) and container_doi not in keep:
            body.remove(holder)
    batch_id = next(e for e in root.iter("{*}doi_batch_id"))
    tag = hashlib.sha256(",".join(sorted(keep)).encode()).hexdigest()[:8]
    batch_id.text = f"{(batch_id.text or '').strip()[:90]}-c{tag}"
    data: bytes = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return data + b"\n"


def _held(holder: etree._Element) -> list[etree._Element]:
    """The works a container holds (an sa_component's in its component_list)."""
    lists = [c for c in holder if local(c) == "component_list"]
    return [w for part in (holder, *lists) for w in part if local(w) in WORKS]


def _doi(el: etree._Element) -> str | None:
    data = next((d for d in el if local(d) == "doi_data"), None)
    return (data.findtext("{*}doi") or "").strip().lower() if data is not None else None
