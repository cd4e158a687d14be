"""The `jatsgen` command: a thin layer of option declarations and printing over the library.

Exit codes: 0 success (warnings allowed), 1 when any input or file fails, 2 on usage errors.
Messages go to stderr as `file:line: field: severity [code]: message`; no tracebacks for
anything a user can cause (set JATSGEN_DEBUG=1 to see one for a bug). Each command imports
what it needs when it runs, so `jatsgen --help` starts fast.
"""

from __future__ import annotations

import typer

from . import check, convert, deposit, registry, schemas

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Turn article records into validated JATS XML and Crossref deposits.",
    pretty_exceptions_enable=False,
)
app.command("jats")(convert.jats_cmd)
app.command("crossref")(convert.crossref_cmd)
app.command("validate")(check.validate_cmd)
app.command("deposit")(deposit.deposit_cmd)
app.command("status")(deposit.status_cmd)

schemas_app = typer.Typer(no_args_is_help=True, help="Find and install the official XSD files.")
schemas_app.command("list")(schemas.schemas_list)
schemas_app.command("install")(schemas.schemas_install)
schemas_app.command("path")(schemas.schemas_path)
app.add_typer(schemas_app, name="schemas")

registry_app = typer.Typer(
    no_args_is_help=True, help="A local registry sandbox that speaks the deposit protocol."
)
registry_app.command("serve")(registry.registry_serve)
app.add_typer(registry_app, name="registry")


def main() -> None:
    app()


__all__ = ["app", "main"]
