"""`jatsgen serve`: the deposit service (web pages and an HTTP API) over the same pipeline.
Its imports (FastAPI, uvicorn, the database drivers) load only here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import SchemasOption, fail, run


@run
def serve_cmd(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="Folder for the service's SQLite database (unless --database), its key "
            "file and each journal's state.",
            file_okay=False,
        ),
    ] = Path("service-data"),
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="postgresql://user@host/db: one queue and ledger shared by several "
            "service hosts (default: DATA/jatsgen.sqlite).",
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=32,
            help="Jobs run at once, each in a process of its own (a deposit waiting for the "
            "registry's answers holds one).",
        ),
    ] = 4,
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            help="Also run the local registry sandbox, with a demo journal (the bundled "
            "examples' config) that deposits to it.",
        ),
    ] = False,
    sandbox_faults: Annotated[
        float,
        typer.Option("--sandbox-faults", min=0.0, max=1.0, help="The sandbox's fault rate."),
    ] = 0.0,
    lease: Annotated[
        float,
        typer.Option(
            "--lease",
            min=1.0,
            help="Seconds after which a job whose worker stopped (a crash, a lost host) is "
            "taken again.",
        ),
    ] = 30.0,
    poll: Annotated[
        float, typer.Option("--poll", min=0.1, help="Seconds between asking for results.")
    ] = 5.0,
    schemas: SchemasOption = None,
) -> None:
    """Run the deposit service: pages for people, an HTTP API for systems (Ctrl-C stops it)."""
    try:
        from ..service.server import Options
        from ..service.server import run as run_service
    except ImportError as exc:
        raise fail(
            f"the service needs its extra packages ({exc.name} is missing): "
            "pip install 'jatsgen[service]'"
        ) from None
    opts = Options(
        data, database, str(schemas) if schemas else None, workers, lease, poll,
        sandbox=sandbox, sandbox_faults=sandbox_faults,
    )  # fmt: skip
    run_service(opts, host, port)
