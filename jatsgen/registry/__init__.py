"""The registry sandbox: a local server that speaks the deposit protocol (accounts, a
processing queue, the registry's rules, fault injection), for rehearsals and tests."""

from __future__ import annotations

from .accounts import Account, load_accounts
from .faults import FAULT_KINDS, Faults
from .http import sandbox_url, serve
from .sandbox import Sandbox

__all__ = ["FAULT_KINDS", "Account", "Faults", "Sandbox", "load_accounts", "sandbox_url", "serve"]
