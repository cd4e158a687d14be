"""`jatsgen registry serve`: the local registry sandbox."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Annotated

import typer

from .common import SchemasOption, err, fail, run


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
            "--faults",
            help="Fault kinds to draw from: latency, drop, 500, 503, 429, lost, echo (a "
            "submission log that repeats the password).",
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
    from ..registry import Faults, Sandbox, load_accounts, sandbox_url, serve

    kinds = tuple(k.strip() for k in faults.split(",") if k.strip())
    sandbox = Sandbox(
        data,
        load_accounts(accounts or data / "accounts.toml"),
        Faults(fail_rate, kinds, latency, retry_after, seed),
        process_delay=process_delay,
        max_upload=max_upload,
        schemas=str(schemas) if schemas else None,
    )
    try:
        server = serve(sandbox, host, port)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        sandbox.close()
        hint = (
            "another program listens there: stop it, or choose another --port (0 picks a free one)"
            if exc.errno in (errno.EADDRINUSE, errno.EACCES)
            else "check --host and --port"
        )
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}; {hint}") from None
    err(f"sandbox registry listening on {sandbox_url(server)} (data: {data}); Ctrl-C stops it")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sandbox.close()
