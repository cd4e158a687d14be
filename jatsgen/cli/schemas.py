"""`jatsgen schemas list|install|path`: the official schema files on this machine."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from .common import SchemasOption, err, fail, run


@run
def schemas_list(schemas: SchemasOption = None) -> None:
    """Show each known schema set, where it was found, and whether it matches the manifest."""
    from rich.console import Console
    from rich.table import Column, Table

    from ..validation import SchemaLocator

    locator = SchemaLocator(schemas)
    # paths and URLs are folded onto more lines, never cut with an ellipsis
    table = Table(
        Column("schema", overflow="fold"),
        Column("found", overflow="fold"),
        Column("integrity", overflow="fold"),
    )
    for s, found in locator.available():
        if found is None:
            table.add_row(s.label, "[red]not installed[/red]", f"official: {s.official_url}")
        else:
            problems = found.integrity_problems()
            table.add_row(
                s.label,
                f"{found.origin}: {found.base}",
                "[yellow]differs from manifest[/yellow]" if problems else "ok",
            )
    Console().print(table)


@run
def schemas_install(
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="A folder or URL of official schema files "
            "(a folder laid out like crossref/5.4.0/..., one set's "
            "folder, or an official .zip package URL).",
        ),
    ] = None,
    old_source: Annotated[
        str | None, typer.Option("--from", hidden=True, help="The former name of --source.")
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Install only this schema set (repeatable), e.g. crossref-5.4.0."
        ),
    ] = None,
    accept_changed: Annotated[
        bool,
        typer.Option(
            "--accept-changed", help="Trust files whose sha256 differs from the manifest."
        ),
    ] = False,
    compile_: Annotated[
        bool,
        typer.Option(
            "--compile/--no-compile",
            help="Also compile each set for fast validation (seconds per set, once).",
        ),
    ] = True,
) -> None:
    """Copy official schema files into the user cache, checking every sha256."""
    from ..validation import SchemaLocator
    from ..validation.install import install

    if old_source is not None:
        err("note: --from is now called --source")
        source = source or old_source
    if source is None:
        raise fail("give --source DIR|URL: a folder or URL of the official schema files", 2)
    result = install(
        source,
        sets=only or None,
        accept_changed=accept_changed,
        progress=lambda m: err(f"note: {m}"),
    )
    for problem in result.problems:
        err(f"error: {problem}")
    err(f"installed {len(result.installed)} schema set(s) into {result.target}")
    if compile_ and result.installed:
        from ..validation.engines import fill_cache

        located = SchemaLocator(result.target)
        for set_id in result.installed:
            resolved = located.find(set_id)
            if resolved.set.format == "dtd":
                continue  # a DTD loads in milliseconds: nothing to compile
            started = time.monotonic()
            fill_cache(resolved)
            err(f"note: compiled {resolved.set.label} ({time.monotonic() - started:.1f} s)")
    if result.problems:
        raise typer.Exit(1)


def schemas_path() -> None:
    """Print the user cache folder that `schemas install` fills."""
    from ..validation.schemas import cache_dir

    typer.echo(str(cache_dir()))
