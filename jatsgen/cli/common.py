"""What every command shares: printing messages, progress bars, turning errors into one-line
messages and exit codes, finding (or fetching) a schema, and the options several commands take.

Nothing here imports more than typer and the core: `jatsgen --help` must start fast.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import click
import typer

from ..diagnostics import Diagnostic
from ..errors import JatsgenError, SchemaNotFoundError
from ..readers import FORMATS

if TYPE_CHECKING:
    from rich.progress import Progress

    from ..validation import SchemaLocator

PROGRESS_THRESHOLD = 5

SchemasOption = Annotated[
    Path | None,
    typer.Option(
        "--schemas",
        help="Folder of official XSDs (else $JATSGEN_SCHEMAS, else the user cache).",
        file_okay=False,
    ),
]
LedgerOption = Annotated[
    Path | None,
    typer.Option(
        "--ledger",
        help="Deposit ledger (default: $JATSGEN_LEDGER or the user data folder).",
        dir_okay=False,
    ),
]
FromOption = Annotated[
    str | None,
    typer.Option(
        "--from",
        click_type=click.Choice(FORMATS),
        help="Input format (default: detected from each file).",
    ),
]
QuietOption = Annotated[bool, typer.Option("-q", "--quiet", help="Hide warnings.")]


def choice(values: Iterable[str]) -> click.Choice[str]:
    return click.Choice(list(values))


def err(line: str) -> None:
    sys.stderr.write(line.rstrip("\n") + "\n")
    sys.stderr.flush()


def report(diags: Iterable[Diagnostic], quiet: bool = False) -> None:
    for d in diags:
        if quiet and d.severity == "warning":
            continue
        err(str(d))


def fail(message: str, code: int = 1) -> typer.Exit:
    err(f"error: {message}")
    return typer.Exit(code)


def by_place(d: Diagnostic) -> tuple[str, int]:
    """Messages in file and line order."""
    return (d.file or "", d.line or 0)


class Bar:
    """A progress bar redrawn as work completes, never by a background thread: the commands
    that show one start worker processes, and a drawing thread caught holding a lock at
    the moment of a fork would leave that lock held in the worker."""

    def __init__(self, progress: Progress, label: str, total: int) -> None:
        self.progress = progress
        self.task = progress.add_task(label, total=total)
        self.drawn = 0.0

    def step(self, *_: object) -> None:
        self.progress.advance(self.task)
        now = time.monotonic()
        if now - self.drawn >= 0.1:  # at most ten redraws a second
            self.progress.refresh()
            self.drawn = now


@contextmanager
def progress_bar(total: int, label: str, enabled: bool) -> Iterator[Bar | None]:
    if not enabled or total <= PROGRESS_THRESHOLD:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    stderr = Console(stderr=True, highlight=False)
    progress = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
        auto_refresh=False,
    )
    with progress:
        yield Bar(progress, label, total)


def ensure_schema(locator: SchemaLocator, set_id: str) -> None:
    """Find a schema set; with none installed, offer (TTY) or fetch (first use) the official one.

    Offline (no network, or JATSGEN_OFFLINE=1) this ends in one message that says how to point
    at a folder.
    """
    from ..validation import schemas as schema_mod

    try:
        locator.find(set_id)
        return
    except SchemaNotFoundError as exc:
        message = str(exc)
    s = schema_mod.schema_set(set_id)
    if schema_mod.offline():
        raise JatsgenError(message)
    if sys.stdin.isatty() and not typer.confirm(
        f"The official {s.label} schema is not installed. Download it from "
        f"{s.official_url} into {schema_mod.cache_dir()}?",
        default=True,
        err=True,
    ):
        raise JatsgenError(message)
    err(f"note: fetching the official {s.label} schema (first use)")
    try:
        from ..validation.install import fetch_official

        fetch_official(set_id, progress=lambda m: err(f"note: {m}"))
    except JatsgenError as fetch_error:
        raise JatsgenError(f"{message}\n(automatic download failed: {fetch_error})") from None


F = TypeVar("F", bound=Callable[..., Any])


def run(fn: F) -> F:
    """Turn JatsgenErrors into one-line messages and bugs into a short notice."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except JatsgenError as exc:
            for line in str(exc).splitlines():
                err(line if ": error" in line else f"error: {line}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:
            if os.environ.get("JATSGEN_DEBUG"):
                raise
            err(
                f"internal error: {type(exc).__name__}: {exc} "
                "(a bug in jatsgen; set JATSGEN_DEBUG=1 for the traceback)"
            )
            raise typer.Exit(1) from None

    return cast(F, wrapper)
