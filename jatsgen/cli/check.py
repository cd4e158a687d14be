"""`jatsgen validate`: files and folders against the official schemas and the registry rules."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..diagnostics import collapse
from .common import (
    FormatOption,
    SchemasOption,
    choice,
    emit,
    err,
    fail,
    progress_bar,
    result_json,
    run,
)

if TYPE_CHECKING:
    from ..validation import FileReport


def print_rules() -> None:
    """Each rule on its own line (id, severity, what it applies to) with what it checks
    below, wrapped to 80 columns."""
    import textwrap

    from ..validation import rule_table

    for rule_id, severity, kinds, summary in rule_table():
        sys.stdout.write(f"{rule_id}  ({severity}; {kinds})\n")
        for line in textwrap.wrap(summary, 76):
            sys.stdout.write(f"    {line}\n")


def print_findings(reports: list[FileReport], fmt: str, quiet: bool) -> tuple[int, int]:
    """Each report's findings in line order on stdout (with json, then the file's result);
    (errors, warnings) counted."""
    errors = warnings = 0
    out = sys.stdout
    for r in reports:
        findings = sorted(r.diagnostics, key=lambda d: (d.line or 0, d.column or 0))
        errors += sum(d.severity == "error" for d in findings)
        warnings += sum(d.severity == "warning" for d in findings)
        for d in collapse(findings):
            if quiet and d.severity == "warning":
                continue
            if fmt == "json":
                emit(d.to_json())
            else:
                out.write(str(d) + "\n")
        if fmt == "json":
            status = "valid" if r.ok else "invalid"
            emit(
                result_json(
                    "validate",
                    status,
                    input=r.path,
                    diagnostics=findings,
                    kind=r.kind,
                    schema=r.schema_id,
                    batch_id=r.batch_id,
                    dois=r.dois,
                )
            )
    out.flush()
    return errors, warnings


@run
def validate_cmd(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="XML files or folders (searched recursively for *.xml).", show_default=False
        ),
    ] = None,
    schemas: SchemasOption = None,
    config_path: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="jatsgen.toml: its DOI prefixes are checked."),
    ] = None,
    prefix: Annotated[
        list[str] | None,
        typer.Option(
            "--prefix", help="A DOI prefix every Crossref DOI must start with (repeatable)."
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Switch off a rule by id (repeatable; see --list-rules)."),
    ] = None,
    list_rules: Annotated[
        bool, typer.Option("--list-rules", help="Print the rules and exit.")
    ] = False,
    fmt: FormatOption = "text",
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Worker processes (default: one per core)."),
    ] = None,
    ledger: Annotated[
        Path | None,
        typer.Option("--ledger", hidden=True, help="No longer used (see deposit --dry-run)."),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            click_type=choice(("auto", "lxml", "compact", "xmlschema")),
            help="XSD engine: auto picks the cached compact form (then xmlschema for what it "
            "does not prove valid) for a few files, libxml2 for many.",
        ),
    ] = "auto",
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="Only errors and the summary.")
    ] = False,
) -> None:
    """Check JATS and Crossref files against the official XSD and the registry rules."""
    from ..hints import did_you_mean
    from ..validation import RULES, ValidateOptions, validate_paths
    from ..validation.validate import xml_files

    if list_rules:
        print_rules()
        return
    if ledger is not None:
        err(
            "note: validate no longer reads the ledger: whether a timestamp is newer than one "
            "already deposited is checked by deposit (see `jatsgen deposit --dry-run`)"
        )
    if not paths:
        raise fail("give at least one file or folder (or --list-rules)", 2)
    unknown = sorted(set(ignore or []) - set(RULES))
    if unknown:
        hint = did_you_mean(unknown[0], RULES) or "; see `jatsgen validate --list-rules`"
        raise fail(f"--ignore {unknown[0]}: no such rule{hint}", 2)
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise fail(f"{missing[0]}: no such file or folder", 2)
    prefixes = list(prefix or [])
    if config_path is not None:
        from ..config import load_config

        prefixes += [p for p in load_config(config_path).prefixes if p not in prefixes]
    files = list(xml_files(paths))
    if not files:
        raise fail("no XML files found in the given paths", 1)
    options = ValidateOptions(
        schemas=str(schemas) if schemas else None,
        ignore=frozenset(ignore or []),
        prefixes=tuple(prefixes),
        engine=engine,
    )
    with progress_bar(len(files), "validating", not quiet) as bar:
        reports = validate_paths(
            files,
            options,
            jobs=jobs,
            on_report=bar.step if bar is not None else None,
        )
    errors, warnings = print_findings(reports, fmt, quiet)
    bad = sum(not r.ok for r in reports)
    err(
        f"{len(files)} file(s) checked: {len(files) - bad} valid, {bad} with errors; "
        f"{errors} error(s), {warnings} warning(s)"
    )
    if bad:
        raise typer.Exit(1)
