"""The registry's two servlet calls over HTTP, with timeouts, classified errors and the retry
policy: what may be sent again (nothing reached the registry) and what must be asked about
first (the body may have arrived). The password travels only in POST bodies and never appears
in a message."""

from __future__ import annotations

import base64
import functools
import html
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field

import requests

from ..config import DepositConfig
from ..errors import (
    AuthenticationError,
    DepositError,
    JatsgenError,
    RoleError,
    TooLargeError,
    UnansweredError,
)
from ..safexml import parse_bytes
from .protocol import DEPOSIT_PATH, DOWNLOAD_PATH, SUCCESS_SENTENCE, SubmissionLog, parse_log


class NotSent(Exception):  # safe to send again: the request did not reach the registry
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Ambiguous(Exception):  # the body may have arrived: ask before sending again
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)
    role: str | None = None

    @property
    def login_id(self) -> str:
        return f"{self.user}/{self.role}" if self.role else self.user

    def redact(self, text: str) -> str:
        """`text` without the password in any form a server may echo it: as is, each
        character as itself or escaped (an HTML/XML named or numeric reference, URL-encoded
        in any case, a JSON or Python escape: any mixture), or base64-encoded alone or in
        a basic-auth "user:password"."""
        if not self.password:
            return text
        return _redactor(self.password, self.login_id).sub("********", text)


def _char_forms(c: str) -> str:
    """A regex for one character in every spelling a server may echo it in."""
    code = ord(c)
    forms = [re.escape(c), f"&#0*{code};", f"&#[xX]0*{code:x};", f"\\\\u0*{code:04x}",
             f"\\\\x{code:02x}" if code < 256 else ""]  # fmt: skip
    named = html.escape(c)
    if named != c:
        forms.append(re.escape(named))
    if c == "'":
        forms.append("&apos;")
    if c == " ":
        forms.append(r"\+")
    forms.append("".join(f"%{b:02x}" for b in c.encode("utf-8")))
    return "(?:" + "|".join(f for f in forms if f) + ")"


@functools.cache
def _redactor(password: str, login: str) -> re.Pattern[str]:
    whole = [
        base64.b64encode(x.encode("utf-8")).decode("ascii").rstrip("=")
        for x in (password, f"{login}:{password}")
    ]
    spelled = "".join(_char_forms(c) for c in password)
    pattern = "|".join([*(re.escape(w) for w in whole), spelled])
    return re.compile(pattern, re.IGNORECASE)


def load_credentials(config: DepositConfig | None, *, required: bool = True) -> Credentials:
    """From JATSGEN_USER / JATSGEN_PASSWORD / JATSGEN_ROLE, else the config's [registry].
    With `required` False (a dry run) missing ones are empty instead of an error."""
    reg = config.registry if config else {}
    user = os.environ.get("JATSGEN_USER") or reg.get("user")
    password = os.environ.get("JATSGEN_PASSWORD") or reg.get("password")
    role = os.environ.get("JATSGEN_ROLE") or reg.get("role")
    if not required:
        return Credentials(user or "", password or "", role or None)
    if not user or not password:
        raise JatsgenError(
            "no registry credentials: set JATSGEN_USER and JATSGEN_PASSWORD "
            "(and JATSGEN_ROLE for personal credentials), or [registry] user and "
            "password in the config file"
        )
    return Credentials(user, password, role or None)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    base: float = 1.0  # first backoff, seconds
    cap: float = 60.0
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    grace_checks: int = 3  # how often to ask "did it arrive?" before deciding it did not
    grace_delay: float = 2.0

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Exponential backoff with full jitter; the registry's Retry-After wins if longer."""
        delay = random.uniform(0, min(self.cap, self.base * 2**attempt))
        return max(delay, retry_after or 0.0)


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After", "")
    return float(value) if value.replace(".", "", 1).isdigit() else None


def _connect_failed(exc: BaseException) -> bool:
    """True when the connection was never made (nothing was sent)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        name = type(e).__name__
        if name in (
            "NewConnectionError",
            "ConnectionRefusedError",
            "NameResolutionError",
            "ConnectTimeoutError",
            "ConnectTimeout",
            "gaierror",
        ):
            return True
        todo += [
            e.__cause__,
            e.__context__,
            getattr(e, "reason", None),
            *[a for a in e.args if isinstance(a, BaseException)],
        ]
    return False


def _text(body: bytes | str) -> str:
    """What a person needs of a server's error page: its text, entities read, at most 300
    characters (never the whole body, which may echo the request)."""
    s = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    s = re.sub(r"<[^>]+>", " ", s[:20_000])
    return re.sub(r"\s+", " ", html.unescape(s)).strip()[:300]


class RegistryClient:
    """The two servlet calls, with timeouts, classified errors and retries for reads."""

    def __init__(
        self,
        base_url: str,
        creds: Credentials,
        policy: RetryPolicy | None = None,
        label: str | None = None,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.creds = creds
        self.policy = policy or RetryPolicy()
        self.label = label or base_url
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            s.trust_env = False  # no proxy or .netrc surprises with credentials
            self._local.session = s
        return s

    def _timeout(self) -> tuple[float, float]:
        return (self.policy.connect_timeout, self.policy.read_timeout)

    def upload(self, name: str, data: bytes) -> None:
        """One POST; raises NotSent, Ambiguous or a DepositError, returns on success. A
        resource-only deposit (doi_resources) goes as doDOICitUpload, the rest as
        doMDUpload, as the registry's deposit API requires."""
        try:
            resp = self.session.post(
                self.base + DEPOSIT_PATH,
                data={
                    "operation": operation_for(data),
                    "login_id": self.creds.login_id,
                    "login_passwd": self.creds.password,
                },
                files={"fname": (name, data, "application/xml; charset=utf-8")},
                timeout=self._timeout(),
            )
        except requests.RequestException as exc:
            if _connect_failed(exc):
                raise NotSent(f"could not connect ({type(exc).__name__})") from None
            raise Ambiguous(f"{type(exc).__name__} after sending") from None
        body = resp.content
        if resp.status_code == 200 and SUCCESS_SENTENCE.encode() in body:
            return
        self._raise_for(resp, ambiguous_5xx=True)
        raise DepositError(
            f"the registry did not confirm receipt (HTTP {resp.status_code}): {self._said(body)}"
        )

    def _said(self, body: bytes) -> str:
        """A server's answer as a message: the password taken out before the markup is (a
        password may look like markup) and again after entities are read."""
        raw = body[:20_000].decode("utf-8", "replace")
        return self.creds.redact(_text(self.creds.redact(raw)))

    def _raise_for(self, resp: requests.Response, ambiguous_5xx: bool) -> None:
        code = resp.status_code
        text = self._said(resp.content)
        if code == 401:
            if "role" in text.lower():
                raise RoleError(
                    f"role {self.creds.role!r} is not assigned to user "
                    f"{self.creds.user!r} at {self.label}; check JATSGEN_ROLE"
                )
            raise AuthenticationError(
                f"wrong user name or password for {self.label} "
                f"(login {self.creds.login_id!r}); test and production "
                "credentials differ"
            )
        if code == 413:
            raise TooLargeError(
                f"file too large for {self.label}: {text}; split it with "
                "jatsgen crossref --max-bytes"
            )
        if code == 429:
            raise NotSent("registry busy (HTTP 429)", _retry_after(resp))
        if code in (500, 502, 503, 504):
            if ambiguous_5xx:
                raise Ambiguous(f"HTTP {code}", _retry_after(resp))
            raise NotSent(f"HTTP {code}", _retry_after(resp))
        if code == 403:
            raise DepositError(f"the registry refused the file (HTTP 403): {text}")

    def fetch(self, name: str, kind: str = "result") -> bytes:
        """submissionDownload by file name, retried on transient failures (it is a read)."""
        last = "no attempt"
        for attempt in range(self.policy.attempts):
            try:
                resp = self.session.post(
                    self.base + DOWNLOAD_PATH,
                    data={
                        "usr": self.creds.login_id,
                        "pwd": self.creds.password,
                        "type": kind,
                        "file_name": name,
                    },
                    timeout=self._timeout(),
                )
                if resp.status_code == 200:
                    return bytes(resp.content)
                self._raise_for(resp, ambiguous_5xx=False)
                raise DepositError(
                    f"unexpected answer from {self.label} (HTTP "
                    f"{resp.status_code}): {self._said(resp.content)}"
                )
            except (NotSent, Ambiguous) as exc:
                last = str(exc)
                time.sleep(self.policy.backoff(attempt, exc.retry_after))
            except requests.RequestException as exc:
                last = type(exc).__name__
                time.sleep(self.policy.backoff(attempt))
        raise UnansweredError(
            f"{self.label} did not answer a status query after "
            f"{self.policy.attempts} attempts ({last})"
        )

    def arrived(self, name: str) -> bool:
        """Whether an upload with this file name reached the registry (asked a few times,
        since a slow registry may store it a moment after the connection broke)."""
        for check in range(max(1, self.policy.grace_checks)):
            body = self.fetch(name, "contents")
            try:
                root = parse_bytes(body, "registry answer").getroot()
                if not root.tag.endswith("doi_batch_diagnostic"):
                    return True  # the registry returned our file
            except JatsgenError:
                return True  # not a log: the stored contents
            if check + 1 < self.policy.grace_checks:
                time.sleep(self.policy.grace_delay)
        return False

    def result(self, name: str) -> SubmissionLog:
        return parse_log(self.fetch(name, "result"))


RESOURCES_NS = b"http://www.crossref.org/doi_resources_schema/"


def operation_for(data: bytes) -> str:
    """The deposit API's operation for a batch: doDOICitUpload for a resource-only deposit
    (its root is in the doi_resources namespace), doMDUpload for a metadata deposit."""
    head = data[:4096]
    root = head.find(b"<doi_batch")
    return "doDOICitUpload" if root >= 0 and RESOURCES_NS in head[root:] else "doMDUpload"
