"""The sandbox registry's accounts: users with passwords, roles and the DOI prefixes they own."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, RegistryAuthError


@dataclass(frozen=True)
class Account:
    user: str
    password: str
    roles: tuple[str, ...]
    prefixes: tuple[str, ...]


def load_accounts(path: str | Path) -> dict[str, Account]:
    """[[account]] tables (user, password, roles, prefixes) from a TOML file."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError.at(
            "accounts file not found; see examples/sandbox-accounts.toml",
            file=str(p),
            code="sandbox.accounts",
        )
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError.at(
            f"not valid TOML: {exc}", file=str(p), code="sandbox.accounts"
        ) from None
    accounts = {}
    for i, a in enumerate(data.get("account", [])):
        try:
            acc = Account(
                str(a["user"]),
                str(a["password"]),
                tuple(a.get("roles", [])),
                tuple(a.get("prefixes", [])),
            )
        except KeyError as exc:
            raise ConfigError.at(
                f"[[account]] number {i + 1} lacks {exc.args[0]!r}",
                file=str(p),
                code="sandbox.accounts",
            ) from None
        accounts[acc.user] = acc
    if not accounts:
        raise ConfigError.at("no [[account]] entries", file=str(p), code="sandbox.accounts")
    return accounts


def authenticate(accounts: dict[str, Account], login_id: str, password: str) -> Account:
    """The account for `user` or `user/role`; RegistryAuthError as the registry words it."""
    user, _, role = login_id.partition("/")
    account = accounts.get(user)
    if account is None or account.password != password:
        raise RegistryAuthError("Authentication failed: wrong user name or password")
    if role and role not in account.roles:
        raise RegistryAuthError(
            f"Authentication failed: role {role!r} is not assigned to this user"
        )
    return account
