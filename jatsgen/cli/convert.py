"""`jatsgen jats`, `jatsgen crossref` and `jatsgen resources`: the jobs, as options and
printing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..versions import (
    CROSSREF_VERSIONS,
    DEFAULT_JATS_VERSION,
    DEFAULT_TAG_SET,
    JATS_VERSIONS,
    TAG_SETS,
)
from .common import (
    FormatOption,
    FromOption,
    QuietOption,
    SchemasOption,
    by_place,
    choice,
    emit,
    ensure_schema,
    err,
    progress_bar,
    report,
    result_json,
    run,
)

if TYPE_CHECKING:
    from ..config import DepositConfig
    from ..jobs import TimestampClock

NoValidateBatches = Annotated[
    bool,
    typer.Option("--no-validate", help="Skip validating each batch against the official XSD."),
]
InputsArgument = Annotated[
    list[Path],
    typer.Argument(help="Article pages, YAML, JSON, JATS or CSV files.", show_default=False),
]


@run
def jats_cmd(
    inputs: InputsArgument,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for the JATS files.", file_okay=False)
    ],
    from_: FromOption = None,
    jats_version: Annotated[
        str,
        typer.Option(
            "--jats-version", click_type=choice(JATS_VERSIONS), help="JATS version to write."
        ),
    ] = DEFAULT_JATS_VERSION,
    tag_set: Annotated[
        str,
        typer.Option(
            "--tag-set",
            click_type=choice(TAG_SETS),
            help="JATS tag set (archiving needs its schema installed).",
        ),
    ] = DEFAULT_TAG_SET,
    schemas: SchemasOption = None,
    config_path: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="jatsgen.toml: articles without a DOI or landing page get them from its "
            "patterns, as in the Crossref batch.",
        ),
    ] = None,
    no_validate: Annotated[
        bool,
        typer.Option("--no-validate", help="Skip validating each file against the official XSD."),
    ] = False,
    fmt: FormatOption = "text",
    quiet: QuietOption = False,
) -> None:
    """Write one JATS file per article, each validated against the official XSD first.

    A JATS input keeps its whole article (body, back, floats, sub-articles), upgraded to
    the version written."""
    from ..config import load_config
    from ..jobs.jats import Outcome, convert_to_jats
    from ..validation import SchemaLocator
    from ..writers.jats import JatsOptions

    options = JatsOptions(version=jats_version, tag_set=tag_set)
    config = load_config(config_path) if config_path is not None else None
    locator = None
    if not no_validate:
        locator = SchemaLocator(schemas)
        ensure_schema(locator, options.schema_id)
    outcomes: list[Outcome] = []
    with progress_bar(len(inputs), "converting", not quiet) as bar:

        def done(outcome: Outcome) -> None:
            report(outcome.diagnostics, quiet, fmt)
            if fmt == "json":
                status = "failed" if outcome.failed else "written"
                emit(
                    result_json(
                        "jats",
                        status,
                        input=outcome.input,
                        outputs=outcome.outputs,
                        diagnostics=outcome.diagnostics,
                    )
                )
            outcomes.append(outcome)
            if bar is not None:
                bar.step()

        convert_to_jats(
            [str(p) for p in inputs], output, options, locator, from_, on_done=done, config=config
        )
    written = sum(len(o.outputs) for o in outcomes)
    warnings = sum(d.severity == "warning" for o in outcomes for d in o.diagnostics)
    failed = sum(o.failed for o in outcomes)
    checked = "" if no_validate else f", valid against JATS {options.version} {options.tag_set}"
    wrote = (
        f"wrote {written} JATS file(s) to {output}{checked}" if written else "no JATS file written"
    )
    err(f"{wrote}; {warnings} warning(s); {failed} of {len(inputs)} input(s) failed")
    if failed:
        raise typer.Exit(1)


@run
def crossref_cmd(
    inputs: InputsArgument,
    config_path: Annotated[
        Path,
        typer.Option(
            "--config", "-c", help="jatsgen.toml with the depositor, DOI prefix and patterns."
        ),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for the batch files.", file_okay=False)
    ],
    crossref_version: Annotated[
        str | None,
        typer.Option(
            "--crossref-version",
            click_type=choice(CROSSREF_VERSIONS),
            help="Crossref schema version to write (default: the config's, else 5.4.0).",
        ),
    ] = None,
    old_version: Annotated[
        str | None,
        typer.Option(
            "--schema-version",
            click_type=choice(CROSSREF_VERSIONS),
            hidden=True,
            help="The former name of --crossref-version.",
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
    from_: FromOption = None,
    schemas: SchemasOption = None,
    timestamp: Annotated[
        int | None,
        typer.Option(
            "--timestamp",
            help="Pin the first batch timestamp (it must still be larger than the "
            "last one issued here).",
        ),
    ] = None,
    fmt: FormatOption = "text",
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
    no_validate: NoValidateBatches = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "-j",
            "--jobs",
            min=1,
            help="Worker processes that read inputs, write works and validate batches "
            "(default: one per CPU, up to 8, used only when there is enough work: from 8 "
            "inputs and 2 MB on, more on macOS and Windows). 1 works in one process.",
        ),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Write Crossref deposit batches, each validated against the official XSD."""
    from ..config import load_config
    from ..jobs import make_batches
    from ..validation import SchemaLocator
    from ..versions import crossref_schema_id

    config = load_config(config_path)
    if old_version is not None:
        err("note: --schema-version is now called --crossref-version")
    version = crossref_version or old_version or config.schema_version
    locator = None
    if not no_validate:
        locator = SchemaLocator(schemas)
        ensure_schema(locator, crossref_schema_id(version))
    clock = _clock(config, timestamp)
    with progress_bar(len(inputs), "reading", not quiet) as bar:
        batches = make_batches(
            [str(p) for p in inputs],
            config,
            output,
            version=version,
            max_records=max_records,
            max_bytes=max_bytes,
            locator=locator,
            clock=clock,
            fmt=from_,
            any_prefix=any_prefix,
            skip_invalid=skip_invalid,
            on_input=bar.step if bar is not None else None,
            jobs=jobs,  # None: one per CPU, up to 8, when the work repays them
            fresh_workers=True,  # not copies of this process and its list of inputs
        )
    report(sorted(batches.diagnostics, key=by_place), quiet, fmt)
    if fmt == "json":
        for path in batches.inputs_failed:
            mine = [d for d in batches.diagnostics if d.file == path]
            emit(result_json("crossref", "failed", input=path, diagnostics=mine))
        for b in batches.batches if batches.ok else []:
            emit(
                result_json(
                    "crossref",
                    "written",
                    outputs=[b.path],
                    batch_id=b.batch_id,
                    timestamp=b.timestamp,
                    dois=b.dois,
                    bytes=b.size,
                )
            )
    if not batches.ok:
        errors = sum(d.severity == "error" for d in batches.diagnostics)
        failed = len(batches.inputs_failed) or "the"
        err(f"no batch written: {errors} error(s) in {failed} input(s)")
        raise typer.Exit(1)
    checked = "" if no_validate else f", each valid against Crossref {version}"
    err(
        f"{batches.works} work(s), {len(batches.batches)} batch(es), {batches.dois} DOI(s) "
        f"written to {output}{checked}"
    )


@run
def resources_cmd(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="CSV sheets (a doi column and pdf_url, similarity_check_url, text_mining_url, "
            "license_url, funder, funder_id, award, relations, references) or YAML/JSON "
            "files with a 'resources' list, keyed by registered DOI.",
            show_default=False,
        ),
    ],
    config_path: Annotated[
        Path, typer.Option("--config", "-c", help="jatsgen.toml with the depositor and prefix.")
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for the batch files.", file_okay=False)
    ],
    max_records: Annotated[
        int | None,
        typer.Option("--max-records", min=1, help="DOIs per batch file (default: the config's)."),
    ] = None,
    schemas: SchemasOption = None,
    any_prefix: Annotated[
        bool,
        typer.Option("--any-prefix", help="Accept DOIs of any prefix (service providers)."),
    ] = False,
    no_validate: NoValidateBatches = False,
    fmt: FormatOption = "text",
    quiet: QuietOption = False,
) -> None:
    """Write resource-only deposits (doi_resources 5.4.0): full-text links, licences,
    funding, relations or references added to DOIs already registered, without sending
    their metadata again. `jatsgen deposit` sends them with the resource operation."""
    from ..config import load_config
    from ..jobs import make_resource_batches
    from ..jobs.resources import RESOURCES_SCHEMA
    from ..validation import SchemaLocator

    config = load_config(config_path)
    locator = None
    if not no_validate:
        locator = SchemaLocator(schemas)
        ensure_schema(locator, RESOURCES_SCHEMA)
    clock = _clock(config, None)
    with progress_bar(len(inputs), "reading", not quiet) as bar:
        done = make_resource_batches(
            [str(p) for p in inputs],
            config,
            output,
            clock=clock,
            locator=locator,
            max_records=max_records,
            any_prefix=any_prefix,
            on_input=bar.step if bar is not None else None,
        )
    report(sorted(done.diagnostics, key=by_place), quiet, fmt)
    if fmt == "json":
        for b in done.batches if done.ok else []:
            emit(
                result_json(
                    "resources",
                    "written",
                    outputs=[b.path],
                    batch_id=b.batch_id,
                    dois=b.dois,
                    adds={d: done.carried[d] for d in b.dois},
                    bytes=b.size,
                )
            )
    if not done.ok:
        errors = sum(d.severity == "error" for d in done.diagnostics)
        err(f"no batch written: {errors} error(s)")
        raise typer.Exit(1)
    checked = "" if no_validate else ", each valid against doi_resources 5.4.0"
    err(
        f"{done.works} DOI(s) in {len(done.batches)} resource-only batch(es) written to "
        f"{output}{checked}; send them with: jatsgen deposit {output}/*.xml"
    )


def _clock(config: DepositConfig, pinned: int | None) -> TimestampClock:
    """The timestamp clock of a run: the state folder's, with the ledger's highest deposited
    timestamp as a floor (a lost state file cannot make a batch older than one the registry
    has seen), unless the first timestamp is pinned."""
    from ..deposit.ledger import Ledger
    from ..jobs import TimestampClock, state_dir

    floor = None if pinned is not None else Ledger().highest_timestamp()
    return TimestampClock(
        state_dir(config.state_dir), config.timestamp_digits, pinned=pinned, floor=floor
    )
