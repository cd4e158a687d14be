"""Depositing batch files: validate, record in the ledger, upload, reconcile, poll.

The rules that keep deposits boringly reliable:
- an invalid batch (XSD, registry rules, timestamp not newer than the ledger's) is never sent;
- the ledger is written before and after every network step, so a run killed anywhere can be
  resumed by running it again;
- nothing is sent blind twice: after an ambiguous failure (timeout, dropped connection, 5xx
  once the body may have gone) the registry is first asked, by the upload's unique file name,
  whether it arrived;
- a file the registry already received is not sent again unless --force;
- the password is never printed, logged, stored in the ledger, or put in an error message.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from .config import DepositConfig
from .errors import JatsgenError
from .ledger import connect, now
from .protocol import (
    DEPOSIT_PATH,
    DOWNLOAD_PATH,
    SUCCESS_SENTENCE,
    SubmissionLog,
    parse_log,
)
from .safexml import parse_bytes
from .validate import FileReport, ValidateOptions, validate_paths

MAX_IN_FLIGHT = 5  # the registry processes five submissions per user at a time


class DepositError(JatsgenError):
    """A deposit the registry refused; the message says what to change."""


class AuthenticationError(DepositError):
    pass


class RoleError(DepositError):
    pass


class TooLargeError(DepositError):
    pass


class _NotSent(Exception):  # safe to send again: the request did not reach the registry
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class _Ambiguous(Exception):  # the body may have arrived: ask before sending again
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
        return text.replace(self.password, "********") if self.password else text


def load_credentials(config: DepositConfig | None) -> Credentials:
    """From JATSGEN_USER / JATSGEN_PASSWORD / JATSGEN_ROLE, else the config's [registry]."""
    reg = config.registry if config else {}
    user = os.environ.get("JATSGEN_USER") or reg.get("user")
    password = os.environ.get("JATSGEN_PASSWORD") or reg.get("password")
    role = os.environ.get("JATSGEN_ROLE") or reg.get("role")
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
    s = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", s)).strip()[:300]


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
        """One POST; raises _NotSent, _Ambiguous or a DepositError, returns on success."""
        try:
            resp = self.session.post(
                self.base + DEPOSIT_PATH,
                data={
                    "operation": "doMDUpload",
                    "login_id": self.creds.login_id,
                    "login_passwd": self.creds.password,
                },
                files={"fname": (name, data, "application/xml; charset=utf-8")},
                timeout=self._timeout(),
            )
        except requests.RequestException as exc:
            if _connect_failed(exc):
                raise _NotSent(f"could not connect ({type(exc).__name__})") from None
            raise _Ambiguous(f"{type(exc).__name__} after sending") from None
        body = resp.content
        if resp.status_code == 200 and SUCCESS_SENTENCE.encode() in body:
            return
        self._raise_for(resp, ambiguous_5xx=True)
        raise DepositError(
            self.creds.redact(
                f"the registry did not confirm receipt (HTTP {resp.status_code}): {_text(body)}"
            )
        )

    def _raise_for(self, resp: requests.Response, ambiguous_5xx: bool) -> None:
        code = resp.status_code
        text = self.creds.redact(_text(resp.content))
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
            raise _NotSent("registry busy (HTTP 429)", _retry_after(resp))
        if code in (500, 502, 503, 504):
            if ambiguous_5xx:
                raise _Ambiguous(f"HTTP {code}", _retry_after(resp))
            raise _NotSent(f"HTTP {code}", _retry_after(resp))
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
                    f"{resp.status_code}): {self.creds.redact(_text(resp.content))}"
                )
            except (_NotSent, _Ambiguous) as exc:
                last = str(exc)
                time.sleep(self.policy.backoff(attempt, exc.retry_after))
            except requests.RequestException as exc:
                last = type(exc).__name__
                time.sleep(self.policy.backoff(attempt))
        raise DepositError(
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


# --- the deposit job ---------------------------------------------------------------------------


@dataclass
class Outcome:
    path: str
    state: str  # invalid | skipped | received | completed | rejected | unavailable | pending
    message: str = ""
    upload_name: str | None = None
    submission: int | None = None
    dois: list[tuple[str, str, str]] = field(default_factory=list)  # (doi, result, message)
    report: FileReport | None = None

    @property
    def failed(self) -> bool:
        if self.state in ("invalid", "rejected", "unavailable", "pending"):
            return True
        if self.state == "completed" and not self.dois:
            return True  # the registry completed an empty batch: nothing was registered
        return any(result == "failure" for _, result, _ in self.dois)


def _dois_and_stamps(data: bytes) -> list[tuple[str, int]]:
    root = parse_bytes(data, "batch").getroot()
    head = int(root.findtext("{*}head/{*}timestamp") or 0)
    out = []
    for dd in root.iter("{*}doi_data"):
        stamp = dd.findtext("{*}timestamp")
        out.append(((dd.findtext("{*}doi") or "").strip(), int(stamp) if stamp else head))
    return out


class Depositor:
    def __init__(
        self,
        client: RegistryClient,
        ledger: Path,
        endpoint: str,
        *,
        validate: ValidateOptions | None = None,
        force: bool = False,
        prefixes: tuple[str, ...] = (),
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.endpoint = endpoint
        self.validate_options = validate or ValidateOptions()
        self.force = force
        self.prefixes = prefixes

    def deposit(
        self, paths: Sequence[str | Path], on_done: Callable[[Outcome], None] | None = None
    ) -> list[Outcome]:
        """Deposit each file; already-received files are skipped before anything else."""
        outcomes: list[Outcome | None] = [None] * len(paths)

        def settle(i: int, outcome: Outcome) -> None:
            outcomes[i] = outcome
            if on_done:
                on_done(outcome)

        candidates: list[int] = []
        for i, p in enumerate(paths):
            skipped = None if self.force else self._already_received(str(p))
            if skipped is not None:
                settle(i, skipped)
            else:
                candidates.append(i)
        opts = self.validate_options
        reports = validate_paths(
            [str(paths[i]) for i in candidates],
            ValidateOptions(
                schemas=opts.schemas,
                ignore=opts.ignore,
                prefixes=opts.prefixes or self.prefixes,
                ledger=str(self.ledger),
                engine=opts.engine,
            ),
        )
        todo = []
        for i, report in zip(candidates, reports, strict=True):
            if report.kind != "crossref" or not report.ok:
                why = (
                    "the batch is not valid"
                    if report.kind == "crossref"
                    else ("not a Crossref deposit file")
                )
                settle(i, Outcome(str(paths[i]), "invalid", f"not sent: {why}", report=report))
            else:
                todo.append(i)

        def one(i: int) -> tuple[int, Outcome]:
            try:
                return i, self._deposit_one(str(paths[i]))
            except DepositError as exc:
                return i, Outcome(str(paths[i]), "rejected", self.client.creds.redact(str(exc)))

        with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
            for i, outcome in pool.map(one, todo):
                settle(i, outcome)
        return [o for o in outcomes if o is not None]

    def _already_received(self, path: str) -> Outcome | None:
        p = Path(path)
        if not p.is_file():
            return None
        sha = hashlib.sha256(p.read_bytes()).hexdigest()
        with connect(self.ledger) as db:
            row = db.execute(
                "SELECT * FROM submissions WHERE file_sha256=? AND endpoint=? AND state IN "
                "('received', 'completed') ORDER BY id DESC LIMIT 1",
                (sha, self.endpoint),
            ).fetchone()
        if row is None:
            return None
        return Outcome(
            path,
            "skipped",
            f"already {row['state']} by {self.endpoint} as "
            f"{row['upload_name']}; nothing sent (use --force to send it again)",
            row["upload_name"],
            row["id"],
        )

    def _deposit_one(self, path: str) -> Outcome:
        data = Path(path).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        root = parse_bytes(data, path).getroot()
        batch_id = (root.findtext("{*}head/{*}doi_batch_id") or Path(path).stem).strip()
        with connect(self.ledger) as db:
            rows = db.execute(
                "SELECT * FROM submissions WHERE file_sha256=? AND endpoint=? ORDER BY id",
                (sha, self.endpoint),
            ).fetchall()
        row_id = None
        for r in rows:
            if r["state"] == "uploading":
                # a run was interrupted, or the last answer was ambiguous: ask first
                if self.client.arrived(r["upload_name"]):
                    self._set(r["id"], "received", "found at the registry on resume")
                    return Outcome(
                        path,
                        "received",
                        "received (confirmed after an interrupted run)",
                        r["upload_name"],
                        r["id"],
                    )
                self._set(r["id"], "validated", "not at the registry; will be sent again")
            if r["state"] == "validated" and not self.force:
                row_id = r["id"]
        if row_id is None:
            row_id = self._new_row(path, sha, batch_id, data)
        with connect(self.ledger) as db:
            name = db.execute(
                "SELECT upload_name FROM submissions WHERE id=?", (row_id,)
            ).fetchone()["upload_name"]
        return self._send(path, row_id, name, data)

    def _new_row(self, path: str, sha: str, batch_id: str, data: bytes) -> int:
        stem = re.sub(r"[^\w.-]+", "_", batch_id)
        name = f"{stem}-{uuid.uuid4().hex[:10]}.xml"
        with connect(self.ledger) as db:
            db.execute("BEGIN IMMEDIATE")
            cur = db.execute(
                "INSERT INTO submissions (file_sha256, source_path, upload_name, batch_id, "
                "endpoint, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'validated', "
                "?, ?)",
                (sha, str(Path(path).resolve()), name, batch_id, self.endpoint, now(), now()),
            )
            row_id = int(cur.lastrowid or 0)
            for doi, stamp in _dois_and_stamps(data):
                db.execute(
                    "INSERT OR IGNORE INTO dois (submission, doi, timestamp) VALUES (?, ?, ?)",
                    (row_id, doi.lower(), stamp),
                )
            db.execute("COMMIT")
        return row_id

    def _set(self, row_id: int, state: str, message: str | None = None, **extra: Any) -> None:
        cols = ", ".join(f"{k}=?" for k in extra)
        with connect(self.ledger) as db:
            db.execute(
                f"UPDATE submissions SET state=?, message=?, updated_at=?"
                f"{', ' + cols if cols else ''} WHERE id=?",
                (state, message, now(), *extra.values(), row_id),
            )

    def _send(self, path: str, row_id: int, name: str, data: bytes) -> Outcome:
        policy = self.client.policy
        last = ""
        for attempt in range(policy.attempts):
            with connect(self.ledger) as db:
                db.execute(
                    "UPDATE submissions SET state='uploading', attempts=attempts+1, "
                    "updated_at=? WHERE id=?",
                    (now(), row_id),
                )
            try:
                self.client.upload(name, data)
            except _NotSent as exc:
                self._set(row_id, "validated", f"not sent: {exc}")
                last = str(exc)
                time.sleep(policy.backoff(attempt, exc.retry_after))
                continue
            except _Ambiguous as exc:
                last = str(exc)
                time.sleep(policy.backoff(0, exc.retry_after))
                if self.client.arrived(name):
                    self._set(row_id, "received", f"received (confirmed after {exc})")
                    return Outcome(path, "received", "received", name, row_id)
                self._set(row_id, "validated", f"did not arrive ({exc}); sending again")
                time.sleep(policy.backoff(attempt, exc.retry_after))
                continue
            except DepositError as exc:
                message = self.client.creds.redact(str(exc))
                self._set(row_id, "rejected", message)
                return Outcome(path, "rejected", message, name, row_id)
            self._set(row_id, "received", "received")
            return Outcome(path, "received", "received", name, row_id)
        return Outcome(
            path,
            "unavailable",
            f"{self.client.label} did not take the file after "
            f"{policy.attempts} attempts ({last}); run the same command again to "
            "resume",
            name,
            row_id,
        )

    # --- results -------------------------------------------------------------------------

    def wait(
        self,
        outcomes: list[Outcome],
        timeout: float,
        interval: float = 5.0,
        on_done: Callable[[Outcome], None] | None = None,
    ) -> None:
        """Poll every received submission until the registry has processed it (bounded)."""
        pending = [
            o for o in outcomes if o.state in ("received", "skipped") and o.submission is not None
        ]
        deadline = time.monotonic() + timeout
        delay = interval
        while pending:
            still = []
            for o in pending:
                if self.refresh(o):
                    if on_done:
                        on_done(o)
                else:
                    still.append(o)
            pending = still
            if not pending:
                break
            if time.monotonic() + delay > deadline:
                for o in pending:
                    o.state = "pending"
                    o.message = "still being processed by the registry; run `jatsgen status` later"
                break
            time.sleep(delay)
            delay = min(delay * 1.5, 60.0)

    def refresh(self, o: Outcome) -> bool:
        """Fetch the submission log once; True when it is complete (and recorded)."""
        assert o.submission is not None and o.upload_name is not None
        with connect(self.ledger) as db:
            row = db.execute("SELECT state FROM submissions WHERE id=?", (o.submission,)).fetchone()
        if row["state"] != "completed":
            log = self.client.result(o.upload_name)
            if not log.completed:
                return False
            self.record(o.submission, log)
        o.state = "completed"
        with connect(self.ledger) as db:
            o.dois = [
                (r["doi"], r["result"], r["message"] or "")
                for r in db.execute(
                    "SELECT doi, result, message FROM dois WHERE submission=? ORDER BY doi",
                    (o.submission,),
                )
            ]
            o.message = (
                db.execute(
                    "SELECT message FROM submissions WHERE id=?", (o.submission,)
                ).fetchone()["message"]
                or ""
            )
        return True

    def record(self, submission: int, log: SubmissionLog) -> None:
        """Store a completed log: one result per DOI, the raw log, and a batch summary."""
        from .protocol import build_log

        with connect(self.ledger) as db:
            ours = [
                r["doi"]
                for r in db.execute("SELECT doi FROM dois WHERE submission=?", (submission,))
            ]
            batch_level = [r for r in log.records if not r.doi]
            by_doi = {r.doi.lower(): r for r in log.records if r.doi}
            db.execute("BEGIN IMMEDIATE")
            for doi in ours:
                r = by_doi.get(doi)
                if r is not None:
                    result = (
                        "success"
                        if r.status == "Success"
                        else ("warning" if r.status == "Warning" else "failure")
                    )
                    db.execute(
                        "UPDATE dois SET result=?, message=?, msg_id=? WHERE "
                        "submission=? AND doi=?",
                        (result, explain(r.message, r.msg_id), r.msg_id, submission, doi),
                    )
                else:
                    message = (
                        explain(batch_level[0].message, None)
                        if batch_level
                        else ("not in the submission log")
                    )
                    db.execute(
                        "UPDATE dois SET result='failure', message=? WHERE submission=? AND doi=?",
                        (message, submission, doi),
                    )
            summary = (
                f"{log.record_count} record(s): {log.success_count} success, "
                f"{log.warning_count} warning, {log.failure_count} failure"
            )
            if log.record_count == 0:
                summary = "the registry processed no records (an empty or unreadable batch)"
            db.execute(
                "UPDATE submissions SET state='completed', submission_id=?, log_xml=?, "
                "message=?, updated_at=? WHERE id=?",
                (log.submission_id, build_log(log).decode("utf-8"), summary, now(), submission),
            )
            db.execute("COMMIT")


def explain(message: str, msg_id: str | None) -> str:
    """The registry's per-record message, with what to do about it."""
    first = message.strip().splitlines()[0] if message.strip() else message
    if msg_id == "4" or "less or equal to previously submitted" in message:
        return (
            "timestamp not newer than the registry's: regenerate the batch (jatsgen crossref "
            f"issues a newer timestamp) [{first}]"
        )
    if "not allowed to add records for prefix" in message:
        return f"prefix not owned by these credentials [{first}]"
    if "All prefixes in a submission must match" in message:
        return f"the file mixes DOI prefixes; split it [{first}]"
    if message.startswith(("Error:", "cvc-")):
        return f"schema error at the registry: {first}"
    return first
