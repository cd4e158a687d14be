"""Validation of JATS and Crossref files: the official XSD plus the rules in `rules.py`.

The kind and version of a file come from its root element, namespace, `dtd-version` and
DOCTYPE. Schemas are compiled once per process. Two engines validate XSD 1.0 files: libxml2
(lxml) is the fastest per file but takes ~2 s to compile a schema and cannot be cached;
xmlschema's compiled schema is pickled to disk, keyed by the schema files' sha256, and loads in
a fraction of that, so a run over a handful of files uses it and a run over many uses lxml.
Crossref 5.5.0 is XSD 1.1 and always uses xmlschema.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lxml import etree

from .diagnostics import Diagnostic
from .errors import InputError, JatsgenError
from .rules import RULES, RuleContext, run_rules
from .safexml import parse_bytes, read_xml_file
from .schemas import (
    ResolvedSchema,
    SchemaLocator,
    cache_dir,
    compile_lxml,
    compile_xmlschema,
)

CROSSREF_NS = re.compile(r"^http://www\.crossref\.org/schema/(\d+\.\d+\.\d+)$")
FEW_FILES = 8  # up to this many files, the cached xmlschema engine beats compiling libxml2


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
    ledger: str | None = None
    engine: str = "auto"  # auto | lxml | xmlschema


# --- what is this file? ----------------------------------------------------------------------

_DOCTYPE_VERSION = re.compile(r"v(\d+\.\d+)(?:d\d+)?\b")


def detect_schema(tree: etree._ElementTree) -> tuple[str | None, str]:
    """(schema set id, description) for a parsed document; id None when unknown."""
    root = tree.getroot()
    qn = etree.QName(root)
    if qn.localname == "doi_batch" and qn.namespace:
        m = CROSSREF_NS.match(qn.namespace)
        if m:
            return f"crossref-{m.group(1)}", f"Crossref deposit {m.group(1)}"
        return None, f"a doi_batch in an unknown namespace {qn.namespace}"
    if qn.localname == "article" and not qn.namespace:
        public = tree.docinfo.public_id or ""
        version = root.get("dtd-version") or ""
        if not version and (m := _DOCTYPE_VERSION.search(public)):
            version = m.group(1)
        version = re.sub(r"d\d+$", "", version) or "1.3"
        if "Archiving" in public or "Archive" in public:
            tag_set = "archiving"
        elif "Authoring" in public:
            tag_set = "authoring"
        else:
            tag_set = "publishing"
        family = "nlm" if version.startswith(("2.", "3.")) else "jats"
        name = "NLM" if family == "nlm" else "JATS"
        return f"{family}-{version}-{tag_set}", f"{name} {version} {tag_set.title()}"
    where = f"{{{qn.namespace}}}" if qn.namespace else ""
    return None, f"root element <{where}{qn.localname}> is not a JATS article or a Crossref deposit"


def _kind(schema_id: str) -> str:
    return "crossref" if schema_id.startswith("crossref") else "jats"


# --- XSD engines ---------------------------------------------------------------------------


def _set_digest(resolved: ResolvedSchema) -> str:
    h = hashlib.sha256()
    for path in sorted(resolved.base.rglob("*.xsd")):
        h.update(path.relative_to(resolved.base).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


@cache
def cached_xmlschema(resolved: ResolvedSchema) -> Any:
    """xmlschema's compiled schema, from a pickle on disk keyed by the files' sha256."""
    import xmlschema

    key = (
        f"{resolved.set.id}-{_set_digest(resolved)[:24]}-xs{xmlschema.__version__}-py"
        f"{sys.version_info.major}{sys.version_info.minor}"
    )
    store = cache_dir().parent / "compiled" / f"{key}.pickle"
    if store.is_file():
        try:
            with store.open("rb") as fh:
                gc.disable()  # the graph has ~10^6 objects; collecting during load doubles it
                try:
                    schema = pickle.load(fh)  # our own cache folder, written below
                finally:
                    gc.freeze()  # and later collections need not walk it again
                    gc.enable()
                return schema
        except Exception:
            store.unlink(missing_ok=True)
    schema = compile_xmlschema(resolved)
    # use_fallback=False leaves an (empty) mappingproxy on the loader, which pickle refuses;
    # an equal plain dict keeps the same behaviour.
    loader = getattr(getattr(schema, "maps", None), "loader", None)
    proxy = getattr(loader, "fallback_locations", None)
    if loader is not None and isinstance(proxy, MappingProxyType):
        loader.fallback_locations = dict(proxy)
    tmp = store.with_suffix(f".{os.getpid()}.tmp")
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as fh:
            pickle.dump(schema, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, store)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        tmp.unlink(missing_ok=True)  # caching is an optimisation
    return schema


def load_schema(schema_id: str, locator: SchemaLocator, engine: str = "lxml") -> Any:
    """The compiled schema set `engine` validates with: libxml2's for XSD 1.0 with "lxml",
    else xmlschema's (from its disk cache unless "fresh"). Compiled once per process."""
    resolved = locator.find(schema_id)
    if resolved.set.xsd_version == "1.0" and engine == "lxml":
        return compile_lxml(resolved)
    return cached_xmlschema(resolved) if engine != "fresh" else compile_xmlschema(resolved)


def xsd_errors(
    tree: etree._ElementTree,
    schema_id: str,
    locator: SchemaLocator,
    name: str,
    engine: str = "lxml",
) -> list[Diagnostic]:
    """Schema errors of a parsed document against one official schema set."""
    schema = load_schema(schema_id, locator, engine)
    if isinstance(schema, etree.XMLSchema):
        if schema.validate(tree):
            return []
        return [
            Diagnostic("error", _clean(e.message), name, e.line, e.column or None, None, "xsd")
            for e in schema.error_log
        ]
    import xmlschema

    out = []
    # The tree is already parsed (safely); the resource may not fetch anything else.
    resource = xmlschema.XMLResource(tree, allow="none")
    for err in schema.iter_errors(resource, use_location_hints=False):
        line = getattr(err.elem, "sourceline", None) if err.elem is not None else None
        out.append(Diagnostic("error", _clean(str(err.reason)), name, line, None, err.path, "xsd"))
    return out


def _clean(message: str) -> str:
    return re.sub(r"\{[^}]*\}", "", message).strip()


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
    """Validates files in this process; schemas are compiled at most once per process."""

    def __init__(
        self,
        options: ValidateOptions | None = None,
        few: bool = False,
        locator: SchemaLocator | None = None,
    ) -> None:
        self.options = options or ValidateOptions()
        self.locator = locator or SchemaLocator(self.options.schemas)
        engine = self.options.engine
        self.engine = ("xmlschema" if few else "lxml") if engine == "auto" else engine

    def load(self, schema_id: str) -> None:
        """Compile the schema for `schema_id` now (worker processes forked later share it)."""
        load_schema(schema_id, self.locator, self.engine)

    def validate_file(self, path: str | Path, schema_id: str | None = None) -> FileReport:
        report = FileReport(str(path))
        try:
            data = read_xml_file(path)
        except InputError as exc:
            report.diagnostics += exc.diagnostics
            return report
        report.sha256 = hashlib.sha256(data).hexdigest()
        try:
            tree = parse_bytes(data, str(path))
        except InputError as exc:
            report.diagnostics += exc.diagnostics
            return report
        return self.validate_tree(tree, report, schema_id)

    def validate_bytes(self, data: bytes, name: str, schema_id: str | None = None) -> FileReport:
        report = FileReport(name)
        try:
            tree = parse_bytes(data, name)
        except InputError as exc:
            report.diagnostics += exc.diagnostics
            return report
        return self.validate_tree(tree, report, schema_id)

    def validate_tree(
        self, tree: etree._ElementTree, report: FileReport, schema_id: str | None = None
    ) -> FileReport:
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
        report.kind = _kind(schema_id)
        ignore = self.options.ignore
        if "xsd" not in ignore:
            try:
                report.diagnostics += xsd_errors(tree, schema_id, self.locator, name, self.engine)
            except KeyError:
                report.diagnostics.append(
                    Diagnostic(
                        "error",
                        f"no schema is known for {schema_id}; jatsgen validates JATS "
                        "1.0-1.4, NLM 3.0 and Crossref 4.4.2-5.5.0 files",
                        name,
                        1,
                        None,
                        None,
                        "schema.missing",
                    )
                )
            except JatsgenError as exc:
                report.diagnostics.append(
                    Diagnostic("error", str(exc), name, 1, None, None, "schema.missing")
                )
        ctx = RuleContext(report.kind, prefixes=self.options.prefixes)
        for f in run_rules(tree, ctx, ignore):
            report.diagnostics.append(
                Diagnostic(RULES[f.rule].severity, f.message, name, f.line, None, f.where, f.rule)
            )
        if report.kind == "crossref":
            root = tree.getroot()
            report.batch_id = root.findtext("{*}head/{*}doi_batch_id")
            stamp = (root.findtext("{*}head/{*}timestamp") or "").strip()
            report.timestamp = int(stamp) if stamp.isdigit() else None
            report.dois = [(d.text or "").strip() for d in root.iterfind(".//{*}doi_data/{*}doi")]
        return report


# --- many files --------------------------------------------------------------------------------

_PEEK_CROSSREF = re.compile(rb'xmlns(?::\w+)?="http://www\.crossref\.org/schema/([\d.]+)"')
_PEEK_JATS = re.compile(rb'<article\b[^>]*\bdtd-version="([^"]+)"')


def peek_schema(path: str) -> str:
    """A cheap guess of a file's schema from its first 4 KB, to plan work across processes
    (each process then compiles as few schemas as possible). The real detection follows."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return "?"
    if b"doi_batch" in head and (m := _PEEK_CROSSREF.search(head)):
        return f"crossref-{m.group(1).decode()}"
    if m := _PEEK_JATS.search(head):
        return f"jats-{m.group(1).decode()}"
    return "?"


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
    validator = Validator(options, few=False)
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


def validate_paths(
    files: Sequence[str | Path],
    options: ValidateOptions | None = None,
    *,
    jobs: int | None = None,
    on_report: Callable[[FileReport], None] | None = None,
) -> list[FileReport]:
    """Validate `files` (in parallel across cores when there are many) and then apply the
    checks that need every file: unique batch ids and timestamps newer than the ledger's."""
    options = options or ValidateOptions()
    paths = [str(f) for f in files]
    few = len(paths) <= FEW_FILES
    jobs = min(jobs or os.cpu_count() or 1, max(1, len(paths)))
    reports: list[FileReport | None] = [None] * len(paths)
    if few or jobs == 1:
        validator = Validator(options, few=few)
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


def _across_files(reports: list[FileReport], options: ValidateOptions) -> None:
    crossref = [r for r in reports if r.kind == "crossref"]
    if "crossref.batch-id-unique" not in options.ignore:
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
    if crossref and "crossref.timestamp-newer" not in options.ignore:
        from .ledger import last_sent, ledger_path

        path = ledger_path(options.ledger)
        for r in crossref:
            if r.timestamp is None:
                continue
            sent = last_sent(path, r.dois, except_file=r.sha256)
            for doi in r.dois:
                prior = sent.get(doi.lower())
                if prior and r.timestamp <= prior.timestamp:
                    r.diagnostics.append(
                        Diagnostic(
                            "error",
                            f"timestamp {r.timestamp} is not newer than {prior.timestamp}, "
                            f"already deposited for {doi} ({prior.upload_name} to "
                            f"{prior.endpoint}); the registry would reject it",
                            r.path,
                            None,
                            None,
                            "head/timestamp",
                            "crossref.timestamp-newer",
                        )
                    )


def rule_table() -> list[tuple[str, str, str, str]]:
    return [(r.id, r.severity, ", ".join(r.kinds), r.summary) for r in RULES.values()]
