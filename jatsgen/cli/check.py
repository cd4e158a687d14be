"""`jatsgen validate`: files and folders against the official schemas and the registry rules."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .common import SchemasOption, choice, err, fail, progress_bar, run

if TYPE_CHECKING:
    from ..validation import FileReport, SentTimestamp

FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        click_type=choice(("text", "json")),
        help="text (grouped per file) or json (one object per finding per line).",
    ),
]


def deposited(
    ledger: Path | None, dois: Iterable[str], *, except_file: str | None = None
) -> dict[str, SentTimestamp]:
    """What the ledger says was deposited for `dois` (the ledger is opened only when a
    Crossref file asks)."""
    from ..deposit.ledger import Ledger

    return Ledger(ledger).last_sent(dois, except_file=except_file)


def print_rules() -> None:
    from rich.console import Console
    from rich.table import Table

    from ..validation import rule_table

    table = Table("rule", "severity", "applies to", "checks")
    for row in rule_table():
        table.add_row(*row)
    Console(width=140).print(table)


def print_findings(reports: list[FileReport], fmt: str, quiet: bool) -> tuple[int, int]:
    """Each report's findings in line order on stdout; (errors, warnings) counted."""
    errors = warnings = 0
    out = sys.stdout
    for r in reports:
        findings = sorted(r.diagnostics, key=lambda d: (d.line or 0, d.column or 0))
        errors += sum(d.severity == "error" for d in findings)
        warnings += sum(d.severity == "warning" for d in findings)
        for d in findings:
            if quiet and d.severity == "warning":
                continue
            if fmt == "json":
                out.write(json.dumps(d.to_json(schema=r.schema_id), ensure_ascii=False) + "\n")
            else:
                out.write(str(d) + "\n")
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
        typer.Option(
            "--ledger",
            help="Deposit ledger whose timestamps are checked (default: "
            "$JATSGEN_LEDGER or the user data folder).",
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            click_type=choice(("auto", "lxml", "xmlschema")),
            help="XSD engine: auto picks cached xmlschema for a few files, libxml2 for many.",
        ),
    ] = "auto",
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="Only errors and the summary.")
    ] = False,
) -> None:
    """Check JATS and Crossref files against the official XSD and the registry rules."""
    from ..validation import RULES, ValidateOptions, validate_paths
    from ..validation.validate import xml_files

    if list_rules:
        print_rules()
        return
    if not paths:
        raise fail("give at least one file or folder (or --list-rules)", 2)
    unknown = sorted(set(ignore or []) - set(RULES))
    if unknown:
        raise fail(f"--ignore {unknown[0]}: no such rule; see `jatsgen validate --list-rules`", 2)
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
            sent=partial(deposited, ledger),
        )
    errors, warnings = print_findings(reports, fmt, quiet)
    bad = sum(not r.ok for r in reports)
    err(
        f"{len(files)} file(s) checked: {len(files) - bad} valid, {bad} with errors; "
        f"{errors} error(s), {warnings} warning(s)"
    )
    if bad:
        raise typer.Exit(1)
