"""The exception hierarchy. Every error a user can cause is a `JatsgenError`.

The CLI prints `str(error)` (one located line per problem) and exits 1; anything that is
not a `JatsgenError` is a bug in jatsgen. Library users catch `JatsgenError` for everything,
`InputError` for bad input (with `.diagnostics`), `DepositError` for a refused deposit.
"""

from __future__ import annotations

from .diagnostics import Diagnostic


class JatsgenError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""


class InputError(JatsgenError):
    """Bad input: a file that cannot be read, parsed or that breaks a rule."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic) -> None:
        self.diagnostics = [diagnostics] if isinstance(diagnostics, Diagnostic) else diagnostics
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @classmethod
    def at(
        cls,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        code: str | None = None,
    ) -> InputError:
        return cls(Diagnostic("error", message, file, line, None, field, code))


class ConfigError(InputError):
    """A configuration file or option that is missing, malformed or inconsistent."""


class SchemaNotFoundError(JatsgenError):
    """No installed copy of an official schema was found."""


class SchemaIntegrityError(JatsgenError):
    """A schema file's sha256 does not match the manifest."""


class DepositError(JatsgenError):
    """A deposit the registry refused; the message says what to change."""


class AuthenticationError(DepositError):
    """Wrong user name or password for the registry."""


class RoleError(DepositError):
    """The role in the login is not assigned to the user."""


class TooLargeError(DepositError):
    """The registry refused a file as too large."""


class UnansweredError(DepositError):
    """The registry did not answer a status query after every retry: nothing is known
    about the submission (not a refusal; asking again later may tell)."""


class RegistryAuthError(JatsgenError):
    """The local registry sandbox refused a login (it answers 401)."""
