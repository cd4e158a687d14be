"""The `jatsgen` command: a thin layer over the library.

Exit codes: 0 success (warnings allowed), 1 when any input or file fails, 2 on usage errors.
Messages go to stderr as `file:line: field: severity [code]: message`; no tracebacks for
anything a user can cause (set JATSGEN_DEBUG=1 to see one for a bug).
"""

from __future__ import annotations

import enum
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer

from . import schemas as schema_mod
from .diagnostics import Diagnostic
from .errors import JatsgenError, SchemaNotFoundError
from .schemas import SchemaLocator

if TYPE_CHECKING:
    from rich.progress import Progress

    from .convert import Outcome

# Heavier modules (readers, writers, rich) are imported inside the commands that use them, so
# `jatsgen validate FILE` starts fast.

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Turn article records into validated JATS XML and Crossref deposits.",
    pretty_exceptions_enable=False,
)
schemas_app = typer.Typer(no_args_is_help=True, help="Find and install the official XSD files.")
app.add_typer(schemas_app, name="schemas")
registry_app = typer.Typer(
    no_args_is_help=True, help="A local registry sandbox that speaks the deposit protocol."
)
app.add_typer(registry_app, name="registry")

PROGRESS_THRESHOLD = 5


class InputFormat(enum.StrEnum):
    page = "page"
    yaml = "yaml"
    json = "json"
    jats = "jats"
    csv = "csv"


class JatsVersion(enum.StrEnum):
    v13 = "1.3"
    v14 = "1.4"


class TagSet(enum.StrEnum):
    publishing = "publishing"
    archiving = "archiving"


SchemasOption = Annotated[
    Path | None,
    typer.Option(
        "--schemas",
        help=f"Folder of official XSDs (else ${schema_mod.ENV_SCHEMAS}, else the user cache).",
        file_okay=False,
    ),
]


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


class Bar:
    """A progress bar redrawn as work completes, never by a background thread: the commands
    that show one start worker processes, and a drawing thread caught holding a lock at
    the moment of a fork would leave that lock held in the worker."""

    def __init__(self, progress: Progress, label: str, total: int) -> None:
        self.progress = progress
        self.task = progress.add_task(label, total=total)
        self.drawn = 0.0

    def step(self) -> None:
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
        schema_mod.fetch_official(set_id, progress=lambda m: err(f"note: {m}"))
    except JatsgenError as fetch_error:
        raise JatsgenError(f"{message}\n(automatic download failed: {fetch_error})") from None


F = TypeVar("F", bound=Callable[..., Any])


def run(fn: F) -> F:
    """Turn JatsgenErrors into one-line messages and bugs into a short notice."""
    import functools

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


# --- jats ------------------------------------------------------------------------------------


@app.command("jats")
@run
def jats_cmd(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="Article pages, YAML, JSON, JATS or CSV files.", show_default=False),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for the JATS files.", file_okay=False)
    ],
    from_: Annotated[
        InputFormat | None,
        typer.Option("--from", help="Input format (default: detected from each file)."),
    ] = None,
    jats_version: Annotated[
        JatsVersion, typer.Option("--jats-version", help="JATS version to write.")
    ] = JatsVersion.v13,
    tag_set: Annotated[
        TagSet,
        typer.Option("--tag-set", help="JATS tag set (archiving needs its schema installed)."),
    ] = TagSet.publishing,
    schemas: SchemasOption = None,
    no_validate: Annotated[
        bool,
        typer.Option("--no-validate", help="Skip validating each file against the official XSD."),
    ] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Hide warnings.")] = False,
) -> None:
    """Write one JATS file per article, each validated against the official XSD first."""
    from .convert import convert_to_jats, jats_schema_id
    from .writers.jats import JatsOptions

    options = JatsOptions(version=jats_version.value, tag_set=tag_set.value)
    locator = None
    if not no_validate:
        locator = SchemaLocator(schemas)
        ensure_schema(locator, jats_schema_id(options))
    written = 0
    warnings = 0
    failed: list[str] = []

    with progress_bar(len(inputs), "converting", not quiet) as bar:

        def done(outcome: Outcome) -> None:
            nonlocal written, warnings
            report(outcome.diagnostics, quiet)
            written += len(outcome.outputs)
            warnings += sum(d.severity == "warning" for d in outcome.diagnostics)
            if outcome.failed:
                failed.append(outcome.input)
            if bar is not None:
                bar.step()

        convert_to_jats(
            [str(p) for p in inputs],
            output,
            options,
            locator,
            from_.value if from_ else None,
            on_done=done,
        )
    checked = "" if no_validate else f", valid against JATS {options.version} {options.tag_set}"
    err(
        f"wrote {written} JATS file(s) to {output}{checked}; {warnings} warning(s); "
        f"{len(failed)} of {len(inputs)} input(s) failed"
    )
    if failed:
        raise typer.Exit(1)


# --- crossref --------------------------------------------------------------------------------


class SchemaVersion(enum.StrEnum):
    v531 = "5.3.1"
    v540 = "5.4.0"
    v550 = "5.5.0"


@app.command("crossref")
@run
def crossref_cmd(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="Article pages, YAML, JSON, JATS or CSV files.", show_default=False),
    ],
    config_path: Annotated[
        Path,
        typer.Option(
            "--config", "-c", help="jatsgen.toml with the depositor, DOI prefix and patterns."
        ),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for the batch files.", file_okay=False)
    ],
    schema_version: Annotated[
        SchemaVersion | None,
        typer.Option(
            "--schema-version", help="Crossref schema (default: the config's, else 5.4.0)."
        ),
    ] = None,
    max_records: Annotated[
        int | None,
        typer.Option(
            "--max-records", min=1, help="Works per batch file (default: the config's, else 500)."
        ),
    ] = None,
    max_bytes: Annotated[
        int | None,
        typer.Option("--max-bytes", min=10_000, help="Bytes per batch file (default 10 MB)."),
    ] = None,
    from_: Annotated[
        InputFormat | None,
        typer.Option("--from", help="Input format (default: detected from each file)."),
    ] = None,
    schemas: SchemasOption = None,
    timestamp: Annotated[
        int | None,
        typer.Option(
            "--timestamp",
            help="Pin the first batch timestamp (it must still be larger than the "
            "last one issued here).",
        ),
    ] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Leave out records (CSV rows, articles) with errors, report them as "
            "warnings, and deposit the rest.",
        ),
    ] = False,
    any_prefix: Annotated[
        bool,
        typer.Option(
            "--any-prefix",
            help="Accept whatever DOI prefix the sources carry (service providers); batch "
            "files are still split so that each holds one prefix.",
        ),
    ] = False,
    no_validate: Annotated[
        bool,
        typer.Option("--no-validate", help="Skip validating each batch against the official XSD."),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "-j",
            "--jobs",
            min=1,
            help="Worker processes that read inputs, write works and validate batches "
            "(default: one per CPU, up to 8; used from 8 inputs on, 64 on macOS and Windows). "
            "1 works in one process.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Hide warnings.")] = False,
) -> None:
    """Write Crossref deposit batches, each validated against the official XSD."""
    from .batches import make_batches
    from .config import load_config
    from .timestamps import TimestampClock, state_dir
    from .writers.crossref import SPECS

    config = load_config(config_path)
    version = schema_version.value if schema_version else config.schema_version
    locator = None
    if not no_validate:
        locator = SchemaLocator(schemas)
        ensure_schema(locator, SPECS[version].schema_id)
    clock = TimestampClock(state_dir(config.state_dir), config.timestamp_digits, pinned=timestamp)
    with progress_bar(len(inputs), "reading", not quiet) as bar:
        run_ = make_batches(
            [str(p) for p in inputs],
            config,
            output,
            version=version,
            max_records=max_records,
            max_bytes=max_bytes,
            locator=locator,
            clock=clock,
            fmt=from_.value if from_ else None,
            any_prefix=any_prefix,
            skip_invalid=skip_invalid,
            on_input=(lambda _p: bar.step()) if bar is not None else None,
            jobs=jobs or min(os.cpu_count() or 1, 8),
        )
    report(sorted(run_.diagnostics, key=_order), quiet)
    if not run_.ok:
        err(
            f"no batch written: {sum(d.severity == 'error' for d in run_.diagnostics)} error(s) "
            f"in {len(run_.inputs_failed) or 'the'} input(s)"
        )
        raise typer.Exit(1)
    checked = "" if no_validate else f", each valid against Crossref {version}"
    err(
        f"{run_.works} work(s), {len(run_.batches)} batch(es), {run_.dois} DOI(s) "
        f"written to {output}{checked}"
    )


def _order(d: Diagnostic) -> tuple[str, int]:
    return (d.file or "", d.line or 0)


# --- validate --------------------------------------------------------------------------------


def iter_xml_files(paths: Iterable[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*.xml") if q.is_file())
        else:
            yield p


class ReportFormat(enum.StrEnum):
    text = "text"
    json = "json"


class Engine(enum.StrEnum):
    auto = "auto"
    lxml = "lxml"
    xmlschema = "xmlschema"


@app.command("validate")
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
    fmt: Annotated[
        ReportFormat,
        typer.Option(
            "--format", help="text (grouped per file) or json (one object per finding per line)."
        ),
    ] = ReportFormat.text,
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
        Engine,
        typer.Option(
            "--engine",
            help="XSD engine: auto picks cached xmlschema for a few files, libxml2 for many.",
        ),
    ] = Engine.auto,
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="Only errors and the summary.")
    ] = False,
) -> None:
    """Check JATS and Crossref files against the official XSD and the registry rules."""
    import json

    from .rules import RULES
    from .validate import ValidateOptions, rule_table, validate_paths

    if list_rules:
        from rich.console import Console
        from rich.table import Table

        table = Table("rule", "severity", "applies to", "checks")
        for row in rule_table():
            table.add_row(*row)
        Console(width=140).print(table)
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
        from .config import load_config

        prefixes += [p for p in load_config(config_path).prefixes if p not in prefixes]
    files = list(iter_xml_files(paths))
    if not files:
        raise fail("no XML files found in the given paths", 1)
    options = ValidateOptions(
        schemas=str(schemas) if schemas else None,
        ignore=frozenset(ignore or []),
        prefixes=tuple(prefixes),
        ledger=str(ledger) if ledger else None,
        engine=engine.value,
    )
    with progress_bar(len(files), "validating", not quiet) as bar:
        reports = validate_paths(
            files,
            options,
            jobs=jobs,
            on_report=(lambda _r: bar.step()) if bar is not None else None,
        )
    errors = warnings = 0
    out = sys.stdout
    for r in reports:
        findings = sorted(r.diagnostics, key=lambda d: (d.line or 0, d.column or 0))
        errors += sum(d.severity == "error" for d in findings)
        warnings += sum(d.severity == "warning" for d in findings)
        for d in findings:
            if quiet and d.severity == "warning":
                continue
            if fmt is ReportFormat.json:
                obj = {
                    "file": d.file,
                    "line": d.line,
                    "column": d.column,
                    "severity": d.severity,
                    "rule": d.code,
                    "message": d.message,
                    "path": d.field,
                    "schema": r.schema_id,
                }
                out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            else:
                out.write(str(d) + "\n")
    out.flush()
    bad = sum(not r.ok for r in reports)
    err(
        f"{len(files)} file(s) checked: {len(files) - bad} valid, {bad} with errors; "
        f"{errors} error(s), {warnings} warning(s)"
    )
    if bad:
        raise typer.Exit(1)


# --- deposit ---------------------------------------------------------------------------------

LedgerOption = Annotated[
    Path | None,
    typer.Option(
        "--ledger",
        help="Deposit ledger (default: $JATSGEN_LEDGER or the user data folder).",
        dir_okay=False,
    ),
]


def _print_dois(outcomes: Iterable[Any]) -> None:
    for o in outcomes:
        for doi, result, message in o.dois:
            sys.stdout.write(f"{doi}\t{result}\t{message}\n")
    sys.stdout.flush()


@app.command("deposit")
@run
def deposit_cmd(
    batches: Annotated[
        list[Path], typer.Argument(help="Crossref batch files.", show_default=False)
    ],
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            help="test (default), production, or a base URL such as http://127.0.0.1:8080.",
        ),
    ] = None,
    config_path: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="jatsgen.toml ([registry] user, role, password, endpoint; DOI prefixes).",
        ),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="Poll until the registry has processed every batch, then print per-DOI results.",
        ),
    ] = False,
    wait_timeout: Annotated[
        float, typer.Option("--wait-timeout", help="Give up waiting after this many seconds.")
    ] = 1800.0,
    poll_interval: Annotated[
        float,
        typer.Option(
            "--poll-interval", help="First pause between status polls, seconds (grows to 60)."
        ),
    ] = 10.0,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Send a file again although the registry already received it."
        ),
    ] = False,
    ledger: LedgerOption = None,
    schemas: SchemasOption = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for each answer.")
    ] = 120.0,
    retries: Annotated[int, typer.Option("--retries", min=1, help="Attempts per request.")] = 8,
    retry_base: Annotated[
        float,
        typer.Option("--retry-base", help="First backoff in seconds (exponential, with jitter)."),
    ] = 1.0,
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="Only problems and results.")
    ] = False,
) -> None:
    """Validate, then deposit batch files to the registry, recording every step in the ledger."""
    from .config import load_config
    from .deposit import Depositor, RegistryClient, RetryPolicy, load_credentials
    from .ledger import ledger_path
    from .protocol import endpoint_url

    config = load_config(config_path) if config_path else None
    label = endpoint or (config.registry.get("endpoint") if config else None) or "test"
    base = endpoint_url(label)
    creds = load_credentials(config)
    policy = RetryPolicy(
        attempts=retries,
        base=retry_base,
        read_timeout=timeout,
        connect_timeout=min(timeout, 10.0),
        grace_delay=min(2.0, max(0.2, timeout)),
    )
    from .validate import ValidateOptions

    depositor = Depositor(
        RegistryClient(base, creds, policy, label=label),
        ledger_path(ledger),
        label,
        validate=ValidateOptions(schemas=str(schemas) if schemas else None),
        force=force,
        prefixes=config.prefixes if config else (),
    )
    missing = [b for b in batches if not b.is_file()]
    if missing:
        raise fail(f"{missing[0]}: no such file", 2)

    def said(o: Any) -> None:
        if o.report is not None:
            report(o.report.diagnostics, quiet)
        if o.state in ("received", "skipped", "completed") and quiet:
            return
        err(creds.redact(f"{o.path}: {o.state}: {o.message}"))

    with progress_bar(len(batches), "depositing", not quiet) as bar:

        def done(o: Any) -> None:
            said(o)
            if bar is not None:
                bar.step()

        outcomes = depositor.deposit([str(b) for b in batches], on_done=done)
    if wait:
        depositor.wait(outcomes, wait_timeout, poll_interval)
        _print_dois(outcomes)
        for o in outcomes:
            if o.state in ("completed", "pending"):
                err(creds.redact(f"{o.path}: {o.state}: {o.message}"))
    states = [o.state for o in outcomes]
    dois = sum(len(o.dois) for o in outcomes)
    bad_dois = sum(r == "failure" for o in outcomes for _, r, _ in o.dois)
    err(
        f"{len(outcomes)} batch(es) to {label}: "
        + ", ".join(f"{states.count(s)} {s}" for s in dict.fromkeys(states))
        + (f"; {dois} DOI result(s), {bad_dois} failed" if wait else "")
    )
    if any(o.failed for o in outcomes):
        raise typer.Exit(1)


@app.command("status")
@run
def status_cmd(
    ledger: LedgerOption = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="text or json.")
    ] = ReportFormat.text,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh/--no-refresh", help="Ask the registry about submissions still pending."
        ),
    ] = True,
    config_path: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="jatsgen.toml with [registry] credentials."),
    ] = None,
) -> None:
    """Show every submission in the ledger with its per-DOI results; refresh pending ones."""
    import json

    from .config import load_config
    from .deposit import Depositor, Outcome, RegistryClient, load_credentials
    from .ledger import connect, ledger_path
    from .protocol import endpoint_url

    path = ledger_path(ledger)
    if not path.is_file():
        err(f"no ledger at {path}: nothing has been deposited from here yet")
        return
    with connect(path) as db:
        rows = db.execute("SELECT * FROM submissions ORDER BY id").fetchall()
    if refresh and any(r["state"] == "received" for r in rows):
        try:
            creds = load_credentials(load_config(config_path) if config_path else None)
        except JatsgenError as exc:
            err(f"note: pending submissions not refreshed ({exc})")
        else:
            for r in rows:
                if r["state"] != "received":
                    continue
                client = RegistryClient(endpoint_url(r["endpoint"]), creds, label=r["endpoint"])
                o = Outcome(r["source_path"], "received", "", r["upload_name"], r["id"])
                try:
                    Depositor(client, path, r["endpoint"]).refresh(o)
                except JatsgenError as exc:
                    err(creds.redact(f"note: {r['upload_name']}: not refreshed ({exc})"))
            with connect(path) as db:
                rows = db.execute("SELECT * FROM submissions ORDER BY id").fetchall()
    with connect(path) as db:
        for r in rows:
            dois = [
                dict(
                    doi=d["doi"], timestamp=d["timestamp"], result=d["result"], message=d["message"]
                )
                for d in db.execute(
                    "SELECT * FROM dois WHERE submission=? ORDER BY doi", (r["id"],)
                )
            ]
            item = {
                k: r[k]
                for k in (
                    "id",
                    "source_path",
                    "upload_name",
                    "batch_id",
                    "endpoint",
                    "state",
                    "attempts",
                    "submission_id",
                    "message",
                    "created_at",
                    "updated_at",
                )
            }
            item["dois"] = dois
            if fmt is ReportFormat.json:
                sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
                continue
            sys.stdout.write(
                f"{r['upload_name']}  {r['endpoint']}  {r['state']}"
                f"{'  ' + r['message'] if r['message'] else ''}\n"
            )
            for d in dois:
                sys.stdout.write(
                    f"    {d['doi']}  {d['result']}{'  ' + d['message'] if d['message'] else ''}\n"
                )
    sys.stdout.flush()


@registry_app.command("serve")
@run
def registry_serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0 picks a free one).")] = 8080,
    data: Annotated[
        Path,
        typer.Option(
            "--data", help="Folder for uploads and the registry's SQLite store.", file_okay=False
        ),
    ] = Path("sandbox-data"),
    accounts: Annotated[
        Path | None,
        typer.Option(
            "--accounts",
            help="TOML with [[account]] user, password, roles, prefixes (default: "
            "DATA/accounts.toml).",
            dir_okay=False,
        ),
    ] = None,
    fail_rate: Annotated[
        float,
        typer.Option(
            "--fail-rate", min=0.0, max=1.0, help="Fraction of requests given an injected fault."
        ),
    ] = 0.0,
    faults: Annotated[
        str,
        typer.Option(
            "--faults", help="Fault kinds to draw from: latency, drop, 500, 503, 429, lost."
        ),
    ] = "latency,drop,500,503,429,lost",
    latency: Annotated[
        float, typer.Option("--latency", help="Seconds a 'latency' fault delays the answer.")
    ] = 2.0,
    retry_after: Annotated[
        int, typer.Option("--retry-after", help="Retry-After seconds sent with 429.")
    ] = 1,
    process_delay: Annotated[
        float, typer.Option("--process-delay", help="Seconds each submission waits in processing.")
    ] = 1.0,
    max_upload: Annotated[
        int, typer.Option("--max-upload", help="Largest accepted file, bytes.")
    ] = 10_000_000,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for fault injection.")] = None,
    schemas: SchemasOption = None,
) -> None:
    """Run a local registry for rehearsing deposits (Ctrl-C stops it)."""
    from .sandbox import Faults, Sandbox, load_accounts, sandbox_url, serve

    kinds = tuple(k.strip() for k in faults.split(",") if k.strip())
    sandbox = Sandbox(
        data,
        load_accounts(accounts or data / "accounts.toml"),
        Faults(fail_rate, kinds, latency, retry_after, seed),
        process_delay=process_delay,
        max_upload=max_upload,
        schemas=str(schemas) if schemas else None,
    )
    server = serve(sandbox, host, port)
    err(f"sandbox registry listening on {sandbox_url(server)} (data: {data}); Ctrl-C stops it")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sandbox.close()


# --- schemas ---------------------------------------------------------------------------------


@schemas_app.command("list")
@run
def schemas_list(schemas: SchemasOption = None) -> None:
    """Show each known schema set, where it was found, and whether it matches the manifest."""
    from rich.console import Console
    from rich.table import Table

    locator = SchemaLocator(schemas)
    table = Table("schema", "found", "integrity")
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


@schemas_app.command("install")
@run
def schemas_install(
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="A folder or URL of official schema files "
            "(a folder laid out like crossref/5.4.0/..., one set's "
            "folder, or an official .zip package URL).",
        ),
    ],
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
) -> None:
    """Copy official schema files into the user cache, checking every sha256."""
    result = schema_mod.install(
        source,
        sets=only or None,
        accept_changed=accept_changed,
        progress=lambda m: err(f"note: {m}"),
    )
    for problem in result.problems:
        err(f"error: {problem}")
    err(f"installed {len(result.installed)} schema set(s) into {result.target}")
    if result.problems:
        raise typer.Exit(1)


@schemas_app.command("path")
def schemas_path() -> None:
    """Print the user cache folder that `schemas install` fills."""
    typer.echo(str(schema_mod.cache_dir()))


def main() -> None:
    app()
