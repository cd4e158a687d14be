"""Validation of JATS and Crossref files: the official XSD plus the rules in `rules.py`.

The kind and version of a file come from `detect`; its schema is compiled once per process
by `engines`. `validate_paths` validates many files across cores and then applies the check
that needs every file (unique batch ids). Validation reads no ledger: whether a timestamp is
newer than one already deposited is a question for the deposit (`deposit.plan`), not a
property of the file.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from ..diagnostics import Diagnostic
from ..errors import InputError, JatsgenError
from ..safexml import parse_bytes, parse_file, read_xml_file
from .detect import detect_schema, kind_of, peek_schema
from .engines import XMLSCHEMA_BYTES, engine_for, load_schema, xsd_errors
from .infoset import declared_entities, entity_problems, entity_refs, expanded
from .rules import (
    NUMBER_DIGITS,
    RULES,
    RuleContext,
    indexed,
    run_rules,
    short_values_of,
    short_values_read,
    work_doi_elements,
)
from .schemas import SchemaLocator, schema_set

FEW_FILES = 8  # up to this many files, one process: starting workers would not pay


@dataclass
class FileReport:
    path: str
    schema_id: str | None = None
    kind: str | None = None  # crossref | jats
    diagnostics: list[Diagnostic] = field(default_factory=list)
    batch_id: str | None = None
    timestamp: int | None = None
    dois: list[str] = field(default_factory=list)
    sha256: str | None = None

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


@dataclass(frozen=True)
class ValidateOptions:
    schemas: str | None = None
    ignore: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    engine: str = "auto"  # auto | lxml | compact | xmlschema | proven (see engines.load_schema)


# --- one file ----------------------------------------------------------------------------------


def _entity_problem(tree: etree._ElementTree) -> str | None:
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        return (
            "the DOCTYPE declares entities; they are not expanded or fetched (XXE and "
            "entity-expansion attacks), so the file is refused"
        )
    return None


class Validator:
    """Validates files in this process; schemas are compiled at most once per process.

    With the engine "auto" (the default), the XSD engine follows the amount of work: a run
    of up to `engines.XMLSCHEMA_BYTES` of XML is served by the schema's compact form from
    the disk cache (milliseconds; xmlschema's compiled schema, a fraction of a second, for
    what it does not prove valid), a larger one by libxml2, which compiles for seconds but
    then validates far faster. `planned_bytes` says how much is coming when the
    caller knows; otherwise the engine switches once the bytes seen pass the mark. All
    engines report the same findings at the same lines, so a switch changes only the time.
    """

    def __init__(
        self,
        options: ValidateOptions | None = None,
        locator: SchemaLocator | None = None,
        *,
        planned_bytes: int | None = None,
    ) -> None:
        self.options = options or ValidateOptions()
        self.locator = locator or SchemaLocator(self.options.schemas)
        self.planned = planned_bytes
        self.seen = 0

    @property
    def engine(self) -> str:
        if self.options.engine != "auto":
            return self.options.engine
        return engine_for(self.planned if self.planned is not None else self.seen)

    def load(self, schema_id: str, planned_bytes: int | None = None) -> None:
        """Load the schema for `schema_id` now, with the engine for `planned_bytes` of XML
        when that is said, so worker processes forked later share it."""
        if planned_bytes is not None:
            self.planned = planned_bytes
        load_schema(schema_id, self.locator, self.engine)

    def validate_file(self, path: str | Path, schema_id: str | None = None) -> FileReport:
        report = FileReport(str(path))
        try:
            # a large file is parsed as it is read: its bytes never wait beside its tree
            tree, read = parse_file(path, NUMBER_DIGITS)
            sha256, size = read.sha256, read.size
            kept = read.data if read.cdata else None  # a DTD must see CDATA as written
            if read.cdata and kept is None:  # (rare: the bytes of a large file, read again)
                kept = read_xml_file(path)
                tree = parse_bytes(kept, str(path))
                sha256, size = hashlib.sha256(kept).hexdigest(), len(kept)
        except InputError as exc:
            report.diagnostics += exc.diagnostics
            return report
        report.sha256 = sha256
        short = short_values_read(tree, read)  # (False with CDATA: the tree is walked)
        del read
        return self.validate_tree(tree, report, schema_id, size, kept, short_values=short)

    def validate_bytes(self, data: bytes, name: str, schema_id: str | None = None) -> FileReport:
        report = FileReport(name)
        try:
            tree = parse_bytes(data, name)
        except InputError as exc:
            report.diagnostics += exc.diagnostics
            return report
        return self.validate_tree(tree, report, schema_id, len(data), data)

    def validate_tree(
        self,
        tree: etree._ElementTree,
        report: FileReport,
        schema_id: str | None = None,
        size: int = 0,
        data: bytes | None = None,
        *,
        short_values: bool | None = None,
    ) -> FileReport:
        """Validate a parsed document of `size` bytes (0 if unknown) into `report`; `data`,
        its bytes when at hand, lets a DTD see its CDATA sections as written."""
        self.seen += size
        name = report.path
        problem = _entity_problem(tree)
        if problem:
            report.diagnostics.append(
                Diagnostic("error", problem, name, 1, None, None, "xml.entities")
            )
            return report
        if schema_id is None:
            schema_id, what = detect_schema(tree)
            if schema_id is None:
                report.diagnostics.append(
                    Diagnostic(
                        "error",
                        f"unknown kind of file: {what}",
                        name,
                        tree.getroot().sourceline,
                        None,
                        None,
                        "kind.unknown",
                    )
                )
                return report
        report.schema_id = schema_id
        report.kind = kind_of(schema_id)
        ignore = self.options.ignore
        if _schema_rule(schema_id) not in ignore:
            try:
                report.diagnostics += self._schema_findings(tree, schema_id, name, data)
            except JatsgenError as exc:
                report.diagnostics.append(
                    Diagnostic("error", str(exc), name, 1, None, None, "schema.missing")
                )
        if short_values is None and data is not None:
            short_values = short_values_of(tree, data)
        ctx = RuleContext(report.kind, prefixes=self.options.prefixes, short=bool(short_values))
        with indexed(tree):  # (one pass finds what the rules and the report read)
            for f in run_rules(tree, ctx, ignore):
                severity = RULES[f.rule].severity if f.rule in RULES else "error"
                report.diagnostics.append(
                    Diagnostic(severity, f.message, name, f.line, None, f.where, f.rule)
                )
            if report.kind == "crossref":
                root = tree.getroot()
                report.batch_id = root.findtext("{*}head/{*}doi_batch_id")
                stamp = (root.findtext("{*}head/{*}timestamp") or "").strip()
                # ASCII digits only ("²" is a digit to str.isdigit), and only what fits
                fits = stamp.isascii() and stamp.isdigit() and len(stamp.lstrip("0")) <= 19
                report.timestamp = int(stamp) if fits else None
                report.dois = [(d.text or "").strip() for d in work_doi_elements(tree)]
        return report

    def _schema_findings(
        self, tree: etree._ElementTree, schema_id: str, name: str, data: bytes | None
    ) -> list[Diagnostic]:
        """The official schema's judgement of the document as it sees it (`infoset`): its
        entity references declared by the DTD its DOCTYPE names, or reported; for a DTD,
        its CDATA sections as written."""
        out: list[Diagnostic] = []
        judged = tree
        refs = entity_refs(tree)
        declared: Mapping[str, str] = {}
        if refs:
            declared = declared_entities(tree, self.locator)
            where = (
                f"by the DTD {tree.docinfo.public_id} names"
                if declared
                else "by any DTD the file names: jatsgen reads only the official DTDs it holds"
            )
            out += entity_problems(refs, declared, name, where)
            judged = expanded(tree, declared)
        if data is not None and b"<![CDATA[" in data and schema_set(schema_id).format == "dtd":
            judged = parse_bytes(data, name, keep_cdata=True)
            judged = expanded(judged, declared) if refs else judged
        return out + xsd_errors(judged, schema_id, self.locator, name, self.engine)


# --- many files --------------------------------------------------------------------------------


def plan_work(kinds: Sequence[str], jobs: int) -> list[list[int]]:
    """File indices per worker: balanced counts, and each schema on as few workers as
    possible, because compiling a schema costs as much as validating a thousand files."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, k in enumerate(kinds):
        groups[k].append(i)
    target = -(-len(kinds) // jobs)
    plan: list[list[int]] = [[] for _ in range(jobs)]
    for _, members in sorted(groups.items(), key=lambda g: -len(g[1])):
        rest = members
        while rest:
            worker = min(range(jobs), key=lambda w: len(plan[w]))
            room = max(1, target - len(plan[worker]))
            plan[worker] += rest[:room]
            rest = rest[room:]
    return plan


def _run_worker(options: ValidateOptions, jobs: list[tuple[int, str]], out: Any) -> None:
    validator = Validator(options, planned_bytes=XMLSCHEMA_BYTES + 1)  # a large run
    for index, path in jobs:
        try:
            report = validator.validate_file(path)
        except Exception as exc:
            report = FileReport(
                path,
                diagnostics=[
                    Diagnostic(
                        "error",
                        f"internal error while validating: {type(exc).__name__}: {exc}",
                        path,
                        None,
                        None,
                        None,
                        "internal",
                    )
                ],
            )
        out.put((index, report))
    out.put(None)


def _schema_rule(schema_id: str) -> str:
    """The rule that stands for the official schema's judgement: "dtd" or "xsd"."""
    try:
        return "dtd" if schema_set(schema_id).format == "dtd" else "xsd"
    except JatsgenError:
        return "xsd"


def xml_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given, and every *.xml below each folder (sorted)."""
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*.xml") if q.is_file())
        else:
            yield p


def validate_paths(
    files: Sequence[str | Path],
    options: ValidateOptions | None = None,
    *,
    jobs: int | None = None,
    on_report: Callable[[FileReport], None] | None = None,
) -> list[FileReport]:
    """Validate `files` (folders are searched for *.xml; in parallel across cores when there
    are many) and then apply the check that needs every file: unique batch ids."""
    options = options or ValidateOptions()
    paths = [str(f) for f in xml_files(files)]
    total = sum(_size(p) for p in paths)
    jobs = min(jobs or os.cpu_count() or 1, max(1, len(paths)))
    reports: list[FileReport | None] = [None] * len(paths)
    if engine_for(total) == "compact" or len(paths) <= FEW_FILES or jobs == 1:
        validator = Validator(options, planned_bytes=total)
        for i, p in enumerate(paths):
            reports[i] = validator.validate_file(p)
            if on_report:
                on_report(reports[i])  # type: ignore[arg-type]
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        plan = plan_work([peek_schema(p) for p in paths], jobs)
        workers = [
            ctx.Process(
                target=_run_worker,
                daemon=True,
                args=(options, [(i, paths[i]) for i in part], queue),
            )
            for part in plan
            if part
        ]
        for w in workers:
            w.start()
        running = len(workers)
        while running:
            try:
                item = queue.get(timeout=5)
            except Exception:
                if not any(w.is_alive() for w in workers):
                    break
                continue
            if item is None:
                running -= 1
                continue
            index, report = item
            reports[index] = report
            if on_report:
                on_report(report)
        for w in workers:
            w.join()
        for i, r in enumerate(reports):
            if r is None:  # a worker died: say so rather than report the file as valid
                reports[i] = FileReport(
                    paths[i],
                    diagnostics=[
                        Diagnostic(
                            "error",
                            "not validated: a worker process stopped unexpectedly",
                            paths[i],
                            None,
                            None,
                            None,
                            "internal",
                        )
                    ],
                )
    done = [r for r in reports if r is not None]
    _across_files(done, options)
    return done


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # reported when the file is read


def _across_files(reports: list[FileReport], options: ValidateOptions) -> None:
    crossref = [r for r in reports if r.kind == "crossref"]
    if "crossref.batch-id-unique" in options.ignore:
        return
    by_id: dict[str, list[FileReport]] = defaultdict(list)
    for r in crossref:
        if r.batch_id:
            by_id[r.batch_id].append(r)
    for batch_id, same in by_id.items():
        for r in same[1:]:
            r.diagnostics.append(
                Diagnostic(
                    "warning",
                    f"doi_batch_id {batch_id!r} is also used by {same[0].path}; the "
                    "registry returns only the first match when you poll by batch id",
                    r.path,
                    None,
                    None,
                    "head/doi_batch_id",
                    "crossref.batch-id-unique",
                )
            )


def rule_table() -> list[tuple[str, str, str, str]]:
    return [(r.id, r.severity, ", ".join(r.kinds), r.summary) for r in RULES.values()]
