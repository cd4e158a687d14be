"""`jatsgen preview`: what would be registered, before it is: a page to read, and a summary."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from .common import (
    FromOption,
    LedgerOption,
    QuietOption,
    SchemasOption,
    choice,
    emit,
    err,
    report,
    result_json,
    run,
)


def table(rows: list[tuple[str, str, str, str, str]]) -> str:
    """DOI, status, pages, first author and title in aligned columns; the title is cut to
    the terminal's width."""
    head = ("DOI", "status", "pages", "first author", "title")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    room = max(20, shutil.get_terminal_size((100, 24)).columns - sum(widths) - 8)
    lines = []
    for r in [head, *rows]:
        title = r[4] if len(r[4]) <= room else r[4][: room - 1] + "…"
        lines.append("  ".join([*(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)), title]))
    return "\n".join(lines) + "\n"


@run
def preview_cmd(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Deposit batch files, or the inputs of `crossref` (pages, YAML, JSON, JATS, "
            "CSV) with --config.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the preview page (one HTML file) here."),
    ] = None,
    config_path: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="jatsgen.toml, to make deposits from sources as `crossref` does (without "
            "it, sources keep their own DOIs and landing pages).",
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            click_type=choice(("table", "text", "json")),
            help="The summary on stdout: table (text: one line per DOI) or json (JSON Lines: "
            'one result per DOI; README, "JSON Lines").',
        ),
    ] = "table",
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            help="Compare with the deposits recorded for this registry (test, production "
            "or a URL; default: the config's, else test).",
        ),
    ] = None,
    ledger: LedgerOption = None,
    schemas: SchemasOption = None,
    from_: FromOption = None,
    any_prefix: Annotated[
        bool, typer.Option("--any-prefix", help="Accept any DOI prefix, as `crossref` does.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Show what a deposit would register, DOI by DOI, with its findings and changes."""
    from ..config import load_config
    from ..deposit import Depositor, RegistryClient, load_credentials
    from ..deposit.ledger import Ledger
    from ..deposit.protocol import endpoint_url
    from ..output import atomic_write
    from ..registration import as_json
    from ..review import render, review, summary_rows

    missing = [p for p in inputs if not p.is_file()]
    if missing:
        err(f"error: {missing[0]}: no such file")
        raise typer.Exit(2)
    config = load_config(config_path) if config_path else None
    label = endpoint or (config.registry.get("endpoint") if config else None) or "test"
    book = Ledger(ledger)
    base = endpoint_url(label)
    # DOIs still awaiting the registry's answer are asked about first, when we may ask
    creds = load_credentials(config, required=False)
    asker = Depositor(RegistryClient(base, creds, label=label), book, base)
    result = review(
        [str(p) for p in inputs],
        ledger=book,
        endpoint=base,
        config=config,
        schemas=str(schemas) if schemas else None,
        fmt=from_,
        any_prefix=any_prefix,
        refresh=asker.refresh_dois if creds.user and creds.password else None,
    )
    for note in asker.notes:
        err(note)
    # a work left out is a result, shown even with --quiet
    report(
        (
            d
            for d in result.problems
            if not quiet or d.severity == "error" or "skipped" in d.message
        ),
        fmt=fmt,
    )
    if fmt == "json":
        for e in result.entries:
            line = result_json(
                "preview",
                e.status,
                input=e.source or e.deposit,
                diagnostics=e.findings,
                **as_json(e.record),
                findings=[d.to_json() for d in e.findings],
                not_carried=e.losses,
                changes=[{"field": c.field, "old": c.old, "new": c.new} for c in e.changes],
                note=e.note or None,
            )
            emit(line)
    else:
        sys.stdout.write(table(summary_rows(result.entries)))
    sys.stdout.flush()
    if output is not None:
        atomic_write(output, render(result, book.label))
    statuses = [e.status for e in result.entries]
    counts = {s: statuses.count(s) for s in ("new", "updated", "unchanged", "pending")}
    skipped = sum("skipped" in d.message for d in result.problems)
    err(
        f"{len(result.entries)} DOI(s): {counts['new']} new, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged"
        + (f", {counts['pending']} pending at the registry" if counts["pending"] else "")
        + f"; {sum(1 for e in result.entries if e.errors)} with errors"
        + (f"; {skipped} work(s) left out (see above)" if skipped else "")
        + (f"; page written to {output}" if output else "")
    )
    if not result.ok:
        raise typer.Exit(1)
