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

from ..diagnostics import Diagnostic, collapse
from ..errors import JatsgenError, SchemaNotFoundError
from ..readers import FORMATS

if TYPE_CHECKING:
    from rich.progress import Progress

    from ..validation import SchemaLocator

# seconds of work before a progress bar appears (tests set it to 0 to see one at once)
PROGRESS_AFTER = float(os.environ.get("JATSGEN_PROGRESS_AFTER", "2.0"))

SchemasOption = Annotated[
    Path | None,
    typer.Option(
        "--schemas",
        help="Folder of official XSDs (else $JATSGEN_SCHEMAS, else the user cache).",
        file_okay=False,
    ),
]
LedgerOption = Annotated[
    str | None,
    typer.Option(
        "--ledger",
        "--database",
        help="Deposit ledger: a SQLite file, or a postgresql:// URL shared with `jatsgen "
        "serve` (default: $JATSGEN_LEDGER or the user data folder).",
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


FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        click_type=click.Choice(["text", "json"]),
        help="text, or json: JSON Lines on stdout, one object per finding and per result "
        '(README, "JSON Lines").',
    ),
]


def report(diags: Iterable[Diagnostic], quiet: bool = False, fmt: str = "text") -> None:
    """Findings, warnings with one cause said once: text on stderr, or JSON Lines on stdout."""
    for d in collapse(diags):
        if quiet and d.severity == "warning":
            continue
        if fmt == "json":
            emit(d.to_json())
        else:
            err(str(d))


def emit(obj: dict[str, Any]) -> None:
    """One JSON Lines object on stdout (UTF-8 text, never \\u escapes)."""
    import json

    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def result_json(
    command: str,
    status: str,
    *,
    input: str | None = None,
    outputs: Iterable[str | Path] = (),
    diagnostics: Iterable[Diagnostic] = (),
    **data: Any,
) -> dict[str, Any]:
    """The JSON Lines shape of a result: what one command did with one input or output.
    The keys are always present; `data` holds what only that command knows."""
    found = list(diagnostics)
    return {
        "type": "result",
        "command": command,
        "status": status,
        "input": input,
        "outputs": [str(o) for o in outputs],
        "errors": sum(d.severity == "error" for d in found),
        "warnings": sum(d.severity == "warning" for d in found),
        "data": data,
    }


def fail(message: str, code: int = 1) -> typer.Exit:
    err(f"error: {message}")
    return typer.Exit(code)


def by_place(d: Diagnostic) -> tuple[str, int]:
    """Messages in file and line order."""
    return (d.file or "", d.line or 0)


class Bar:
    """A progress bar on a terminal, shown once the work has taken PROGRESS_AFTER seconds
    (a quick run prints nothing), redrawn as work completes, never by a background thread:
    the commands that show one start worker processes, and a drawing thread caught holding
    a lock at the moment of a fork would leave that lock held in the worker."""

    def __init__(self, progress: Progress, label: str, total: int) -> None:
        self.progress = progress
        self.task = progress.add_task(label, total=total)
        self.started = time.monotonic()
        self.shown = False
        self.drawn = 0.0

    def step(self, *_: object) -> None:
        self.progress.advance(self.task)
        now = time.monotonic()
        if not self.shown and now - self.started >= PROGRESS_AFTER:
            self.progress.start()
            self.shown = True
        if self.shown and now - self.drawn >= 0.1:  # at most ten redraws a second
            self.progress.refresh()
            self.drawn = now

    def close(self) -> None:
        if self.shown:
            self.progress.stop()


@contextmanager
def progress_bar(total: int, label: str, enabled: bool) -> Iterator[Bar | None]:
    """A Bar for `total` steps when stderr is a terminal (None otherwise: piped output
    gets no bar)."""
    if not enabled or total < 2 or not sys.stderr.isatty():
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
        auto_refresh=False,
    )
    bar = Bar(progress, label, total)
    try:
        yield bar
    finally:
        bar.close()


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
            result = fn(*args, **kwargs)
            sys.stdout.flush()  # a reader gone away is found here, not at exit
            return result
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BrokenPipeError:
            # `jatsgen status --format json | head -1`: the reader has what it wanted; end
            # quietly, as a command killed by SIGPIPE does (128 + 13)
            devnull = os.open(os.devnull, os.O_WRONLY)
            for stream in (sys.stdout, sys.stderr):
                os.dup2(devnull, stream.fileno())
            raise typer.Exit(141) from None
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
