"""Checking files before anything leaves the machine: the official schemas (found,
installed, compiled and cached), the registry's rules beyond them, and the validator.

Names are imported on first use, so validating a file does not load the installer."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names are, for type checkers; loaded lazily below
    from .detect import detect_schema
    from .rules import RULES
    from .schemas import SchemaLocator
    from .validate import (
        FileReport,
        ValidateOptions,
        Validator,
        rule_table,
        validate_paths,
    )

_EXPORTS = {
    "detect_schema": "detect",
    "RULES": "rules",
    "SchemaLocator": "schemas",
    "FileReport": "validate",
    "ValidateOptions": "validate",
    "Validator": "validate",
    "rule_table": "validate",
    "validate_paths": "validate",
}

__all__ = [
    "RULES",
    "FileReport",
    "SchemaLocator",
    "ValidateOptions",
    "Validator",
    "detect_schema",
    "rule_table",
    "validate_paths",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
