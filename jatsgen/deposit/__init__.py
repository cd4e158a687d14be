"""Sending batches to the registry: the protocol, the HTTP client and its retry policy, the
depositor, and the ledger that makes every run resumable.

Names are imported on first use: `jatsgen validate` reads the ledger without loading the
HTTP client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names are, for type checkers; loaded lazily below
    from .client import Credentials, RegistryClient, RetryPolicy, load_credentials
    from .depositor import Depositor, Outcome, refresh_pending
    from .ledger import Ledger, ledger_path
    from .protocol import endpoint_url

_EXPORTS = {
    "Credentials": "client",
    "RegistryClient": "client",
    "RetryPolicy": "client",
    "load_credentials": "client",
    "Depositor": "depositor",
    "Outcome": "depositor",
    "refresh_pending": "depositor",
    "Ledger": "ledger",
    "ledger_path": "ledger",
    "endpoint_url": "protocol",
}

__all__ = [
    "Credentials",
    "Depositor",
    "Ledger",
    "Outcome",
    "RegistryClient",
    "RetryPolicy",
    "endpoint_url",
    "ledger_path",
    "load_credentials",
    "refresh_pending",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
