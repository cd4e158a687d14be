"""jatsgen: article records to validated JATS XML and Crossref deposits, checked before
anything leaves the machine, and deposited to a DOI registry.

The public API, in pipeline order (everything here is importable from `jatsgen`):

    result = jatsgen.read("paper.txt")                 # any input -> Articles + diagnostics
    xml = jatsgen.to_jats(result.articles[0])           # the model as JATS
    jatsgen.convert_to_jats(inputs, "out/")             # the `jatsgen jats` job
    jatsgen.make_batches(inputs, jatsgen.load_config("jatsgen.toml"), "out/",
                         clock=jatsgen.TimestampClock(jatsgen.state_dir()))  # `jatsgen crossref`
    jatsgen.validate_paths(["out/"])                     # `jatsgen validate`
    jatsgen.Depositor(client, jatsgen.Ledger(), "test").deposit(files)  # `jatsgen deposit`

Names are imported on first use, so `import jatsgen` (and the command line) starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .versions import __version__ as __version__  # (kept where every stage may read it)

if TYPE_CHECKING:  # what the names are, for type checkers and editors; loaded lazily below
    from .config import DepositConfig, load_config
    from .deposit import (
        Credentials,
        Depositor,
        Ledger,
        RegistryClient,
        RetryPolicy,
        load_credentials,
    )
    from .deposit import Outcome as DepositOutcome
    from .diagnostics import Diagnostic, Diagnostics
    from .errors import (
        AuthenticationError,
        ConfigError,
        DepositError,
        InputError,
        JatsgenError,
        RegistryAuthError,
        RoleError,
        SchemaIntegrityError,
        SchemaNotFoundError,
        TooLargeError,
        UnansweredError,
    )
    from .jobs import (
        BatchRun,
        Outcome,
        ResourceRun,
        TimestampClock,
        convert_to_jats,
        make_batches,
        make_resource_batches,
        state_dir,
    )
    from .model import (
        Affiliation,
        Article,
        ArticleKind,
        Book,
        Contributor,
        FullText,
        Journal,
        PartialDate,
        Proceedings,
        Reference,
        Relation,
        Source,
        Title,
        Update,
        Work,
    )
    from .readers import ReadResult, read
    from .registry import Sandbox, load_accounts
    from .registry import serve as serve_sandbox
    from .validation import (
        RULES,
        FileReport,
        SchemaLocator,
        ValidateOptions,
        Validator,
        validate_paths,
    )
    from .validation.install import install as install_schemas
    from .versions import CROSSREF_VERSIONS, JATS_VERSIONS
    from .writers.jats import JatsOptions, to_jats

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # the model and located messages
    **dict.fromkeys(
        (
            "Article",
            "ArticleKind",
            "Affiliation",
            "Book",
            "Contributor",
            "FullText",
            "Journal",
            "PartialDate",
            "Proceedings",
            "Reference",
            "Relation",
            "Source",
            "Title",
            "Update",
            "Work",
        ),
        "model",
    ),
    "Diagnostic": "diagnostics",
    "Diagnostics": "diagnostics",
    # the exception hierarchy
    **dict.fromkeys(
        (
            "JatsgenError",
            "InputError",
            "ConfigError",
            "SchemaNotFoundError",
            "SchemaIntegrityError",
            "DepositError",
            "AuthenticationError",
            "RoleError",
            "TooLargeError",
            "UnansweredError",
            "RegistryAuthError",
        ),
        "errors",
    ),
    # configuration and versions
    "DepositConfig": "config",
    "load_config": "config",
    "CROSSREF_VERSIONS": "versions",
    "JATS_VERSIONS": "versions",
    # reading and writing
    "read": "readers",
    "ReadResult": "readers",
    "to_jats": "writers.jats",
    "JatsOptions": "writers.jats",
    # the jobs
    "convert_to_jats": "jobs",
    "Outcome": "jobs",
    "make_batches": "jobs",
    "BatchRun": "jobs",
    "make_resource_batches": "jobs",
    "ResourceRun": "jobs",
    "TimestampClock": "jobs",
    "state_dir": "jobs",
    # validation and the official schemas
    "SchemaLocator": "validation",
    "install_schemas": "validation.install",
    "Validator": "validation",
    "ValidateOptions": "validation",
    "FileReport": "validation",
    "validate_paths": "validation",
    "RULES": "validation",
    # deposit
    "Credentials": "deposit",
    "Depositor": "deposit",
    "DepositOutcome": "deposit",
    "Ledger": "deposit",
    "RegistryClient": "deposit",
    "RetryPolicy": "deposit",
    "load_credentials": "deposit",
    # the registry sandbox
    "Sandbox": "registry",
    "load_accounts": "registry",
    "serve_sandbox": "registry",
}
_RENAMED = {"install_schemas": "install", "DepositOutcome": "Outcome", "serve_sandbox": "serve"}

__all__ = [
    "CROSSREF_VERSIONS",
    "JATS_VERSIONS",
    "RULES",
    "Affiliation",
    "Article",
    "ArticleKind",
    "AuthenticationError",
    "BatchRun",
    "Book",
    "ConfigError",
    "Contributor",
    "Credentials",
    "DepositConfig",
    "DepositError",
    "DepositOutcome",
    "Depositor",
    "Diagnostic",
    "Diagnostics",
    "FileReport",
    "FullText",
    "InputError",
    "JatsOptions",
    "JatsgenError",
    "Journal",
    "Ledger",
    "Outcome",
    "PartialDate",
    "Proceedings",
    "ReadResult",
    "Reference",
    "RegistryAuthError",
    "RegistryClient",
    "Relation",
    "ResourceRun",
    "RetryPolicy",
    "RoleError",
    "Sandbox",
    "SchemaIntegrityError",
    "SchemaLocator",
    "SchemaNotFoundError",
    "Source",
    "TimestampClock",
    "Title",
    "TooLargeError",
    "UnansweredError",
    "Update",
    "ValidateOptions",
    "Validator",
    "Work",
    "convert_to_jats",
    "install_schemas",
    "load_accounts",
    "load_config",
    "load_credentials",
    "make_batches",
    "make_resource_batches",
    "read",
    "serve_sandbox",
    "state_dir",
    "to_jats",
    "validate_paths",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jatsgen' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), _RENAMED.get(name, name))
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return [*globals(), *__all__]
