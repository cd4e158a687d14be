"""`jatsgen deposit` and `jatsgen status`: sending batches and reading the ledger."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import (
    FormatOption,
    LedgerOption,
    SchemasOption,
    emit,
    err,
    fail,
    progress_bar,
    report,
    result_json,
    run,
)

if TYPE_CHECKING:
    from ..deposit import Credentials, Outcome
    from ..deposit.ledger import Submission
    from ..deposit.plan import DoiPlan, FilePlan

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="jatsgen.toml ([registry] user, role, password, endpoint; DOI prefixes).",
    ),
]


def print_dois(outcomes: Iterable[Outcome]) -> None:
    for o in outcomes:
        for doi, result, message in o.dois:
            sys.stdout.write(f"{doi}\t{result}\t{message}\n")
    sys.stdout.flush()


def say(creds: Credentials, o: Outcome, quiet: bool, fmt: str, settled: bool = True) -> None:
    """One line per batch as it is settled (and its validation findings); with json, its
    result once `settled` (after --wait, when the registry has answered)."""
    if o.report is not None:
        report(o.report.diagnostics, quiet, fmt)
    if fmt == "json":
        if settled:
            emit(outcome_result(creds, o))
        return
    if o.state in ("received", "skipped", "unchanged", "completed") and quiet:
        return
    if o.state == "interrupted":
        return  # never started: counted once in the interruption's line, not a line each
    err(creds.redact(f"{o.path}: {o.state}: {o.message}"))


def outcome_result(creds: Credentials, o: Outcome) -> dict[str, Any]:
    return result_json(
        "deposit",
        o.state,
        input=o.path,
        diagnostics=o.report.diagnostics if o.report else (),
        message=creds.redact(o.message),
        upload_name=o.upload_name,
        submission=o.submission,
        dois=[{"doi": d, "result": r, "message": creds.redact(m)} for d, r, m in o.dois],
        plan=o.plan.as_json()["dois"] if o.plan is not None else [],
    )


@run
def deposit_cmd(
    batches: Annotated[
        list[Path],
        typer.Argument(
            help="Crossref batch files, or folders of them (every *.xml below).", show_default=False
        ),
    ],
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            help="test (default), production, or a base URL such as http://127.0.0.1:8080.",
        ),
    ] = None,
    config_path: ConfigOption = None,
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
            "--force",
            help="Send every file whole, although the registry already received it or its "
            "works are unchanged since their last deposit.",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Validate and compare with the ledger; print what would be sent (each DOI "
            "new, updated or unchanged); send nothing.",
        ),
    ] = False,
    fmt: FormatOption = "text",
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
    reassign: Annotated[
        list[str] | None,
        typer.Option(
            "--reassign",
            help="A DOI that may now be registered for another work than the one the ledger "
            "has it for (repeatable); without it such a change is refused.",
        ),
    ] = None,
) -> None:
    """Validate, then deposit batch files to the registry, recording every step in the ledger."""
    from ..config import load_config
    from ..deposit import Depositor, RegistryClient, RetryPolicy, endpoint_url, load_credentials
    from ..validation import ValidateOptions

    config = load_config(config_path) if config_path else None
    label = endpoint or (config.registry.get("endpoint") if config else None) or "test"
    creds = load_credentials(config, required=not dry_run)
    policy = RetryPolicy(
        attempts=retries,
        base=retry_base,
        read_timeout=timeout,
        connect_timeout=min(timeout, 10.0),
        grace_delay=min(2.0, max(0.2, timeout)),
    )
    base = endpoint_url(label)
    depositor = Depositor(
        RegistryClient(base, creds, policy, label=label),
        ledger,
        base,  # the ledger keys every submission on the endpoint in one spelling
        validate=ValidateOptions(schemas=str(schemas) if schemas else None),
        force=force,
        prefixes=config.prefixes if config else (),
        reassign=reassign or (),
    )
    batches = deposit_files(batches)
    if dry_run:
        plans = depositor.plan([str(b) for b in batches])
        for note in depositor.notes:
            err(note)
        print_plans(plans, fmt, quiet)
        return
    with depositor.ledger.kept_open(), progress_bar(len(batches), "depositing", not quiet) as bar:

        def done(o: Outcome) -> None:
            say(creds, o, quiet, fmt, settled=not wait)
            if bar is not None:
                bar.step()

        outcomes = depositor.deposit([str(b) for b in batches], on_done=done)
        for note in depositor.notes:
            err(note)
        interrupted = depositor.interrupted
        if wait and not interrupted:
            try:
                depositor.wait(outcomes, wait_timeout, poll_interval)
            except KeyboardInterrupt:
                interrupted = True
        for o in outcomes:
            if fmt == "json":
                emit(outcome_result(creds, o))
        if fmt != "json":
            print_dois(outcomes)
            for o in outcomes:
                if o.state in ("completed", "pending"):
                    err(creds.redact(f"{o.path}: {o.state}: {o.message}"))
    err(f"{len(outcomes)} batch(es) to {label}: {deposit_summary(outcomes, wait)}")
    if interrupted:
        err(interruption(outcomes))
        raise typer.Exit(130)
    if any(o.failed for o in outcomes):
        raise typer.Exit(1)


def interruption(outcomes: list[Outcome]) -> str:
    """What a Ctrl-C left, and that the same command goes on from there (the ledger knows
    what was received; an upload cut off is asked about before anything is sent again)."""
    states = [o.state for o in outcomes]
    received = sum(s in ("received", "completed", "pending") for s in states)
    answered = states.count("completed")
    unknown = states.count("unavailable")
    unsent = states.count("interrupted")
    parts = [f"{received} file(s) received by the registry ({answered} answered)"]
    if unknown:
        parts.append(f"{unknown} sent but not confirmed (asked about first next time)")
    parts.append(f"{unsent} not sent")
    return (
        f"interrupted: {', '.join(parts)}; run the same command again to go on: nothing "
        "received is sent twice, and `jatsgen status` shows the registry's answers"
    )


def deposit_summary(outcomes: list[Outcome], waited: bool) -> str:
    """What a deposit did, counted in DOIs: sent (new, updated), not sent (unchanged,
    pending, invalid), and with --wait what the registry made of those sent."""
    states = [o.state for o in outcomes]
    files = ", ".join(f"{states.count(s)} {s}" for s in dict.fromkeys(states))
    sent: list[DoiPlan] = []
    kept: list[DoiPlan] = []
    for o in outcomes:
        if o.plan is None:
            continue
        went = o.state not in ("rejected", "unavailable", "skipped", "invalid", "interrupted")
        carried = o.plan.sent
        for d in o.plan.dois:
            (sent if went and d.doi.lower() in carried else kept).append(d)
    count = {s: sum(d.status == s for d in sent) for s in ("new", "updated")}
    unsent = {s: sum(d.status == s for d in kept) for s in ("unchanged", "pending")}
    out = (
        f"{len(sent)} DOI(s) sent ({count['new']} new, {count['updated']} updated), "
        f"{unsent['unchanged']} unchanged, {unsent['pending']} pending at the registry "
        f"[files: {files}]"
    )
    if waited:
        results = [r for o in outcomes for _, r, _ in o.dois]
        out += (
            f"; registered {sum(r in ('success', 'warning') for r in results)}, "
            f"failed {results.count('failure')}"
        )
    return out


def print_plans(plans: list[FilePlan], fmt: str, quiet: bool) -> None:
    """What a deposit would send, file by file and DOI by DOI (stdout), and a summary."""
    for plan in plans:
        found = plan.report.diagnostics if plan.report is not None else []
        report(found, quiet, fmt)
        if fmt == "json":
            data = {k: v for k, v in plan.as_json().items() if k not in ("file", "action")}
            emit(
                result_json(
                    "deposit", plan.action, input=plan.path, diagnostics=found, dry_run=True, **data
                )
            )
            continue
        verb = {"send": "would send", "unchanged": "unchanged", "skipped": "skipped"}
        sys.stdout.write(f"{plan.path}: {verb.get(plan.action, plan.action)}: {plan.message}\n")
        sent = plan.sent
        for d in plan.dois:
            mark = "sent" if d.doi.lower() in sent else "not sent"
            sys.stdout.write(f"    {d.doi}\t{d.status}\t{mark}\n")
            if d.note:
                sys.stdout.write(f"        ({d.note})\n")
            for c in d.changes:
                sys.stdout.write(f"        {c.field}: {c.old!r} -> {c.new!r}\n")
    sys.stdout.flush()
    sending = [d for p in plans for d in p.sending]
    counts = {s: sum(d.status == s for d in sending) for s in ("new", "updated", "unchanged")}
    actions = [p.action for p in plans]
    pending = sum(d.status == "pending" for p in plans for d in p.dois)
    err(
        f"dry run: {len(sending)} DOI(s) would be sent ({counts['new']} new, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged with them) in "
        f"{actions.count('send')} of {len(plans)} file(s); {actions.count('unchanged')} "
        f"file(s) unchanged, {actions.count('skipped')} already received, "
        f"{actions.count('invalid')} invalid; {pending} DOI(s) pending at the registry; "
        "nothing was sent"
    )
    if "invalid" in actions or "pending" in actions:
        raise typer.Exit(1)


def print_submission(s: Submission, fmt: str) -> None:
    if fmt == "json":
        emit(result_json("status", s.state, input=s.source_path, **s.as_dict()))
        return
    sys.stdout.write(
        f"{s.upload_name}  {s.endpoint}  {s.state}{'  ' + s.message if s.message else ''}\n"
    )
    for d in s.dois:
        result = d.result
        if result == "pending" and s.state == "validated":
            result = "not sent"  # the upload never left (the registry was unavailable)
        sys.stdout.write(f"    {d.doi}  {result}{'  ' + d.message if d.message else ''}\n")


@run
def status_cmd(
    ledger: LedgerOption = None,
    fmt: FormatOption = "text",
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
    from ..config import load_config
    from ..deposit import Ledger, load_credentials, refresh_pending
    from ..errors import JatsgenError

    book = Ledger(ledger)
    if not book.exists():
        err(f"no ledger at {book.label}: nothing has been deposited from here yet")
        return
    if refresh and any(s.state == "received" for s in book.submissions()):
        try:
            creds = load_credentials(load_config(config_path) if config_path else None)
        except JatsgenError as exc:
            err(f"note: pending submissions not refreshed ({exc})")
        else:
            for note in refresh_pending(book, creds):
                err(note)
    for s in book.submissions():
        print_submission(s, fmt)
    sys.stdout.flush()


# inputs of `jatsgen crossref` that are not deposit files, by suffix
_SOURCES = {".yaml": "record file", ".yml": "record file", ".json": "record file",
            ".csv": "CSV sheet", ".tsv": "CSV sheet", ".txt": "article page",
            ".md": "article page"}  # fmt: skip


def deposit_files(paths: list[Path]) -> list[Path]:
    """The batch files to deposit: files as given and every *.xml in a folder (as
    `validate` takes them). A missing path, or a source `jatsgen crossref` reads (a record
    file, a sheet, a page), is a usage error naming each and what to run instead."""
    from ..validation.validate import xml_files

    problems = [f"{p}: no such file or folder" for p in paths if not p.exists()]
    for p in paths:
        kind = _SOURCES.get(p.suffix.lower())
        if kind is not None and p.is_file():
            problems.append(
                f"{p}: a {kind}, not a deposit batch: make the batches with `jatsgen "
                f"crossref {p} --config jatsgen.toml -o out/`, then run `jatsgen deposit out/`"
            )
    if problems:
        for line in problems[:-1]:
            err(f"error: {line}")
        raise fail(problems[-1], 2)
    files = list(xml_files(paths))
    if not files:
        raise fail(f"no *.xml batch files in {', '.join(map(str, paths))}", 2)
    return files
