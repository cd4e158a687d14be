"""Sending batches to the registry: the protocol, the HTTP client and its retry policy, the
depositor, and the ledger that makes every run resumable."""

from __future__ import annotations

from .client import Credentials, RegistryClient, RetryPolicy, load_credentials
from .depositor import Depositor, Outcome, refresh_pending
from .ledger import Ledger, ledger_path
from .protocol import endpoint_url

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
