"""Checking files before anything leaves the machine: the official schemas (found,
installed, compiled and cached), the registry's rules beyond them, and the validator."""

from __future__ import annotations

from .detect import detect_schema
from .rules import RULES
from .schemas import SchemaLocator, install
from .validate import (
    FileReport,
    SentLookup,
    SentTimestamp,
    ValidateOptions,
    Validator,
    rule_table,
    validate_paths,
)

__all__ = [
    "RULES",
    "FileReport",
    "SchemaLocator",
    "SentLookup",
    "SentTimestamp",
    "ValidateOptions",
    "Validator",
    "detect_schema",
    "install",
    "rule_table",
    "validate_paths",
]
