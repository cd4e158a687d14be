"""Who is asking, and what they may do: passwords (argon2), session cookies with a CSRF token
each, login rate limits, API tokens scoped to one journal and a role, and the roles' order.

A secret is kept only as a hash (sha256 of a random token for sessions and API tokens,
argon2 for passwords); what the browser holds is an HttpOnly, SameSite=Lax cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

from .store import Person, Store

ROLES = ("viewer", "editor", "depositor", "admin")  # each may do what the ones before it may
SESSION_COOKIE = "jatsgen_session"
LOGIN_COOKIE = "jatsgen_login"  # the login form's CSRF token, before there is a session
SESSION_SECONDS = 12 * 3600
LOGIN_WINDOW = 15 * 60.0  # failed logins counted over this long
LOGIN_LIMIT = 5  # failures of one login name in the window before a pause
ADDRESS_LIMIT = 20  # failures from one address (an office shares one) before a pause


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def check_password(hashed: str, password: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH: list[str] = []


def login(store: Store, name: str, password: str, address: str) -> Person | None:
    """The person, when the password is theirs; a failure is counted (for the rate limit),
    and an unknown name costs as long as a wrong password (nothing tells them apart)."""
    found = store.person_login(name)
    if found is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hash_password(new_secret()))
        check_password(_DUMMY_HASH[0], password)
        store.failed_login(name, address)
        return None
    person, hashed = found
    if not check_password(hashed, password):
        store.failed_login(name, address)
        return None
    return person


def locked_out(store: Store, name: str, address: str) -> bool:
    """Whether logins are paused: too many failures for the name (a guessed password) or
    from the address (names guessed in turn)."""
    by_name, by_address = store.failures_since(name, address, time.time() - LOGIN_WINDOW)
    return by_name >= LOGIN_LIMIT or by_address >= ADDRESS_LIMIT


@dataclass
class Caller:
    """Who a request is from: a signed-in person (with a session's CSRF token) or an API
    token; and their role in each journal they may see (journal id -> role)."""

    person: Person | None
    roles: dict[int, str] = field(default_factory=dict)
    csrf: str = ""
    token: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.person is not None and self.person.is_admin

    def role(self, journal: int) -> str | None:
        if self.is_admin:
            return "admin"
        return self.roles.get(journal)

    def may(self, journal: int, needed: str) -> bool:
        role = self.role(journal)
        return role is not None and ROLES.index(role) >= ROLES.index(needed)

    @property
    def name(self) -> str:
        return self.person.login if self.person else f"API token {self.token}"


def from_session(store: Store, cookie: str | None) -> Caller | None:
    if not cookie:
        return None
    found = store.session(digest(cookie))
    if found is None:
        return None
    person, csrf = found
    return Caller(person, store.roles_of(person.id), csrf)


def from_token(store: Store, header: str | None) -> Caller | None:
    if not header or not header.lower().startswith("bearer "):
        return None
    found = store.token(digest(header[7:].strip()))
    if found is None:
        return None
    token, journal, role = found
    return Caller(None, {journal: role}, token=token)


def start_session(store: Store, person: Person) -> tuple[str, str]:
    """A new session: (cookie value, CSRF token)."""
    cookie, csrf = new_secret(), new_secret()
    store.add_session(digest(cookie), person.id, csrf, time.time() + SESSION_SECONDS)
    return cookie, csrf
