"""The `jatsgen` command: a thin layer of option declarations and printing over the library.

Exit codes: 0 success (warnings allowed), 1 when any input or file fails, 2 on usage errors.
Messages go to stderr as `file:line: field: severity [code]: message`; no tracebacks for
anything a user can cause (set JATSGEN_DEBUG=1 to see one for a bug). Each command imports
what it needs when it runs, so `jatsgen --help` starts fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import check, convert, deposit, preview, registry, schemas, serve

# Plain click help and usage errors (rich_markup_mode=None): rendering them with rich costs
# ~0.1 s of imports at every start, and `jatsgen --help` must answer at once.
app = typer.Typer(
    no_args_is_help=True,
    help="Turn article records into validated JATS XML and Crossref deposits.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from ..versions import __version__

        typer.echo(f"jatsgen {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Turn article records into validated JATS XML and Crossref deposits."""


app.command("jats")(convert.jats_cmd)
app.command("crossref")(convert.crossref_cmd)
app.command("resources")(convert.resources_cmd)
app.command("validate")(check.validate_cmd)
app.command("preview")(preview.preview_cmd)
app.command("deposit")(deposit.deposit_cmd)
app.command("status")(deposit.status_cmd)
app.command("serve")(serve.serve_cmd)

schemas_app = typer.Typer(
    no_args_is_help=True, help="Find and install the official XSD files.", rich_markup_mode=None
)
schemas_app.command("list")(schemas.schemas_list)
schemas_app.command("install")(schemas.schemas_install)
schemas_app.command("path")(schemas.schemas_path)
app.add_typer(schemas_app, name="schemas")

registry_app = typer.Typer(
    no_args_is_help=True,
    help="A local registry sandbox that speaks the deposit protocol.",
    rich_markup_mode=None,
)
registry_app.command("serve")(registry.registry_serve)
app.add_typer(registry_app, name="registry")


def main() -> None:
    import sys

    # Names are printed as UTF-8 text whatever the locale (LC_ALL=C included)
    for stream in (sys.stdout, sys.stderr):
        if (getattr(stream, "encoding", "") or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    app()


__all__ = ["app", "main"]
