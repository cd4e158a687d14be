"""The `jatsgen resources` job: what to add to registered DOIs in, validated resource-only
(`doi_resources` 5.4.0) batches out, all or nothing, like `make_batches`.

A resource deposit adds to a DOI the registry holds, so no DOI is made here: each row names
its DOI, which must have one of the config's prefixes (unless `any_prefix`) and appear once.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..config import DepositConfig
from ..diagnostics import Diagnostic, Diagnostics
from ..errors import InputError
from ..model import Article, Work, located
from ..output import atomic_write
from ..validation import SchemaLocator, ValidateOptions, Validator
from ..writers.resources import RESOURCES_VERSION, resource_batch
from .assemble import BatchFile
from .crossref import BatchRun, _move_all
from .timestamps import TimestampClock

RESOURCES_SCHEMA = f"doi-resources-{RESOURCES_VERSION}"


@dataclass
class ResourceRun(BatchRun):
    carried: dict[str, list[str]] = field(default_factory=dict)  # DOI -> what it gains


def make_resource_batches(
    inputs: Sequence[str | Path],
    config: DepositConfig,
    outdir: str | Path,
    *,
    clock: TimestampClock,
    locator: SchemaLocator | None = None,
    max_records: int | None = None,
    any_prefix: bool = False,
    on_input: Callable[[str], None] | None = None,
) -> ResourceRun:
    """Write resource-only batches for every DOI of `inputs` into `outdir`, all or nothing."""
    from ..readers.additions import read_additions

    run = ResourceRun()
    works: list[Work] = []
    seen: dict[str, str] = {}
    for name in map(str, inputs):
        said = Diagnostics()
        try:
            additions = read_additions(name, said)
        except InputError as exc:
            run.diagnostics += [*said, *exc.diagnostics]
            run.inputs_failed.append(name)
            continue
        run.diagnostics += list(said)
        for a in additions:
            doi = a.doi or ""
            problem = None
            if not any_prefix and doi.split("/", 1)[0] not in config.prefixes:
                problem = (
                    f"DOI {doi} does not start with the configured prefix "
                    f"{' or '.join(config.prefixes)} (use --any-prefix as a service provider)"
                )
            elif doi.lower() in seen:
                problem = f"DOI {doi} is already in this run, at {seen[doi.lower()]}: give it once"
            elif not (a.full_text or a.license or a.funding or a.relations or a.references):
                problem = (
                    f"nothing to add to DOI {doi}: the row gives no link, licence, funding, "
                    "relation or reference"
                )
            if problem:
                run.diagnostics.append(
                    Diagnostic.at_source("error", problem, a.source, "resources.row")
                )
                continue
            seen[doi.lower()] = located(a.source)
            works.append(Work(a, doi, ""))
            run.carried[doi] = _carried(a)
        if on_input:
            on_input(name)
    if run.ok and not works:
        run.diagnostics.append(
            Diagnostic("error", "no DOIs to add to", None, None, None, None, "batch.empty")
        )
    if not run.ok:
        return run
    out = Path(outdir)
    created = not out.exists()  # a failed run takes back the folder it made
    out.mkdir(parents=True, exist_ok=True)
    size = max_records or config.max_records
    chunks = [works[i : i + size] for i in range(0, len(works), size)]
    stamps = clock.issue_many(len(chunks))
    staging = Path(tempfile.mkdtemp(prefix=".jatsgen-partial-", dir=out))
    validator = _validator(config, locator, any_prefix)
    try:
        files = []
        diags = Diagnostics()
        for chunk, stamp in zip(chunks, stamps, strict=True):
            batch_id = f"jatsgen-resources-{stamp}"
            data = resource_batch(chunk, config, diags, batch_id)
            path = staging / f"{batch_id}.xml"
            atomic_write(path, data)
            files.append(BatchFile(path, batch_id, stamp, [w.doi for w in chunk], len(data)))
            if validator is not None:
                found = validator.validate_file(path, RESOURCES_SCHEMA).diagnostics
                run.diagnostics += [replace(d, file=str(out / path.name)) for d in found]
        run.diagnostics += list(diags)
        run.works = len(works)
        if run.ok:
            _move_all(files, out)
            run.batches = files
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not run.batches:
            with contextlib.suppress(OSError):  # (only if empty)
                out.rmdir()
    return run


def _validator(
    config: DepositConfig, locator: SchemaLocator | None, any_prefix: bool
) -> Validator | None:
    """The batches are jatsgen's own: proven valid as make_batches' are."""
    if locator is None:
        return None
    prefixes = () if any_prefix else config.prefixes
    return Validator(ValidateOptions(prefixes=prefixes, engine="proven"), locator=locator)


def _carried(a: Article) -> list[str]:
    """What a row adds, in words, for the summary and the JSON output."""
    parts = [f"{f.purpose} link" for f in a.full_text]
    parts += ["licence"] * bool(a.license) + ["funding"] * bool(a.funding)
    parts += [f"{r.type} {r.id}" for r in a.relations]
    parts += [f"{len(a.references)} references"] * bool(a.references)
    return parts
