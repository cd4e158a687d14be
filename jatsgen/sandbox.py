"""A local registry that speaks the deposit protocol, for rehearsal and tests.

`jatsgen registry serve` runs it: accounts with passwords, roles and owned prefixes; uploads
stored durably before the 200 answer; asynchronous processing through a queue (at most five
submissions per user at a time, as the registry does); validation with the official XSDs;
the registry's per-record rules (one prefix per file, prefix owned, timestamp newer than the
stored one); submission logs in the registry's XML; everything persisted in SQLite; and fault
injection (latency, dropped connections, 5xx, 429 with Retry-After, and "stored the upload but
lost the response") so a client's resilience can be shown, not assumed.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import os
import random
import sqlite3
import threading
import time
import tomllib
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .errors import ConfigError, InputError, JatsgenError
from .protocol import (
    DEPOSIT_PATH,
    DOWNLOAD_PATH,
    MSG_TIMESTAMP,
    SUCCESS_SENTENCE,
    RecordResult,
    SubmissionLog,
    build_log,
)
from .rules import RULES
from .safexml import parse_bytes
from .validate import FileReport, ValidateOptions, Validator

FAULT_KINDS = ("latency", "drop", "500", "503", "429", "lost")
MAX_PER_USER = 5

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id           INTEGER PRIMARY KEY,
    user         TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    batch_id     TEXT,
    path         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    state        TEXT NOT NULL,       -- queued, in_process, completed
    received_at  REAL NOT NULL,
    completed_at REAL,
    log_xml      BLOB
);
CREATE INDEX IF NOT EXISTS submissions_by_name ON submissions (file_name);
CREATE TABLE IF NOT EXISTS records (
    doi          TEXT PRIMARY KEY,    -- lower case
    timestamp    INTEGER NOT NULL,
    owner        TEXT NOT NULL,
    resource     TEXT,
    submission   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    submission   INTEGER NOT NULL,
    doi          TEXT NOT NULL,
    status       TEXT NOT NULL,
    message      TEXT
);
"""


@dataclass(frozen=True)
class Account:
    user: str
    password: str
    roles: tuple[str, ...]
    prefixes: tuple[str, ...]


def load_accounts(path: str | Path) -> dict[str, Account]:
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


@dataclass
class Faults:
    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    latency: float = 2.0
    retry_after: int = 1
    seed: int | None = None
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            raise JatsgenError(
                f"unknown fault kind {sorted(unknown)[0]!r}; choose from {', '.join(FAULT_KINDS)}"
            )
        self._rng = random.Random(self.seed)

    def draw(self) -> str | None:
        with self._lock:
            if self.rate <= 0 or self._rng.random() >= self.rate:
                return None
            kind = self._rng.choice(self.kinds)
            self.counts[kind] = self.counts.get(kind, 0) + 1
            return kind


class AuthError(Exception):
    pass


class Sandbox:
    """The registry's state and its processing queue; `serve` puts HTTP in front of it."""

    def __init__(
        self,
        data_dir: str | Path,
        accounts: dict[str, Account],
        faults: Faults | None = None,
        *,
        process_delay: float = 0.0,
        max_upload: int = 10_000_000,
        schemas: str | None = None,
        workers: int = MAX_PER_USER,
    ) -> None:
        self.data = Path(data_dir)
        (self.data / "uploads").mkdir(parents=True, exist_ok=True)
        self.db_path = self.data / "registry.sqlite"
        self.accounts = accounts
        self.faults = faults or Faults()
        self.process_delay = process_delay
        self.max_upload = max_upload
        self.validator = Validator(
            ValidateOptions(schemas=schemas, ignore=frozenset(r for r in RULES if r != "xsd"))
        )
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._store_lock = threading.Lock()
        self._active: dict[str, int] = {}
        with self.db() as db:
            db.executescript(SCHEMA)
            # a submission caught mid-processing by a restart is processed again
            db.execute("UPDATE submissions SET state='queued' WHERE state='in_process'")
        self._threads = [
            threading.Thread(target=self._work, daemon=True, name=f"queue-{i}")
            for i in range(workers)
        ]
        for t in self._threads:
            t.start()

    @contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        for t in self._threads:
            t.join(timeout=5)

    # --- accounts --------------------------------------------------------------------------

    def authenticate(self, login_id: str, password: str) -> Account:
        user, _, role = login_id.partition("/")
        account = self.accounts.get(user)
        if account is None or account.password != password:
            raise AuthError("Authentication failed: wrong user name or password")
        if role and role not in account.roles:
            raise AuthError(f"Authentication failed: role {role!r} is not assigned to this user")
        return account

    # --- deposits ---------------------------------------------------------------------------

    def store(self, account: Account, file_name: str, data: bytes) -> int:
        """Write the upload to disk (fsync) and queue it; only then may the caller answer."""
        with self._store_lock, self.db() as db:
            cur = db.execute(
                "INSERT INTO submissions (user, file_name, path, sha256, size, state, "
                "received_at) VALUES (?, ?, '', ?, ?, 'queued', ?)",
                (account.user, file_name, hashlib.sha256(data).hexdigest(), len(data), time.time()),
            )
            sid = int(cur.lastrowid or 0)
            path = self.data / "uploads" / f"{sid:08d}.xml"
            with open(path, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            db.execute("UPDATE submissions SET path=? WHERE id=?", (str(path), sid))
        with self._wake:
            self._wake.notify()
        return sid

    def find(
        self, account: Account, file_name: str | None, batch_id: str | None
    ) -> sqlite3.Row | None:
        with self.db() as db:
            if file_name:
                row = db.execute(
                    "SELECT * FROM submissions WHERE user=? AND file_name=? ORDER BY id LIMIT 1",
                    (account.user, file_name),
                ).fetchone()
            else:
                row = db.execute(
                    "SELECT * FROM submissions WHERE user=? AND batch_id=? ORDER BY id LIMIT 1",
                    (account.user, batch_id),
                ).fetchone()
        return row  # type: ignore[no-any-return]

    # --- the processing queue ---------------------------------------------------------------

    def _next(self) -> sqlite3.Row | None:
        with self._store_lock, self.db() as db:
            for row in db.execute("SELECT * FROM submissions WHERE state='queued' ORDER BY id"):
                if self._active.get(row["user"], 0) >= MAX_PER_USER:
                    continue
                db.execute("UPDATE submissions SET state='in_process' WHERE id=?", (row["id"],))
                self._active[row["user"]] = self._active.get(row["user"], 0) + 1
                return row  # type: ignore[no-any-return]
        return None

    def _work(self) -> None:
        while not self._stop.is_set():
            row = self._next()
            if row is None:
                with self._wake:
                    self._wake.wait(timeout=0.2)
                continue
            try:
                if self.process_delay:
                    time.sleep(self.process_delay)
                log = self.process(row)
                with self._store_lock, self.db() as db:
                    db.execute(
                        "UPDATE submissions SET state='completed', completed_at=?, "
                        "log_xml=?, batch_id=? WHERE id=?",
                        (time.time(), build_log(log), log.batch_id, row["id"]),
                    )
            finally:
                with self._store_lock:
                    self._active[row["user"]] -= 1

    def process(self, row: sqlite3.Row) -> SubmissionLog:
        sid = str(row["id"])
        data = Path(row["path"]).read_bytes()
        account = self.accounts.get(row["user"])
        try:
            tree = parse_bytes(data, row["file_name"])
        except InputError as exc:
            return self._failed(sid, row["file_name"], f"Error: {exc.diagnostics[0].message}")
        root = tree.getroot()
        batch_id = root.findtext("{*}head/{*}doi_batch_id") or row["file_name"]
        report = self.validator.validate_tree(tree, FileReport(row["file_name"]))
        errors = [d for d in report.diagnostics if d.severity == "error"]
        if errors:
            text = "\n".join(f"Error: {d.message}" for d in errors[:10])
            return self._failed(sid, batch_id, text)
        head_stamp = int(root.findtext("{*}head/{*}timestamp") or 0)
        works = []
        for dd in root.iter("{*}doi_data"):
            doi = (dd.findtext("{*}doi") or "").strip()
            stamp = dd.findtext("{*}timestamp")
            works.append(
                (
                    doi,
                    int(stamp) if stamp else head_stamp,
                    (dd.findtext("{*}resource") or "").strip(),
                )
            )
        log = SubmissionLog("completed", sid, batch_id)
        prefixes = {doi.split("/", 1)[0] for doi, _, _ in works}
        with self._store_lock, self.db() as db:
            for doi, stamp, resource in works:
                prefix = doi.split("/", 1)[0]
                stored = db.execute(
                    "SELECT timestamp FROM records WHERE doi=?", (doi.lower(),)
                ).fetchone()
                if len(prefixes) > 1:
                    result = RecordResult(doi, "Failure", "All prefixes in a submission must match")
                elif account is None or prefix not in account.prefixes:
                    result = RecordResult(
                        doi, "Failure", f"User not allowed to add records for prefix: {prefix}"
                    )
                elif stored is not None and stamp <= stored["timestamp"]:
                    result = RecordResult(
                        doi,
                        "Failure",
                        f"Record not processed because submitted version: "
                        f"{stamp} is less or equal to previously submitted version (DOI match)",
                        MSG_TIMESTAMP,
                    )
                else:
                    db.execute(
                        "INSERT INTO records (doi, timestamp, owner, resource, "
                        "submission) VALUES (?, ?, ?, ?, ?) ON CONFLICT(doi) DO UPDATE "
                        "SET timestamp=excluded.timestamp, resource=excluded.resource, "
                        "submission=excluded.submission",
                        (doi.lower(), stamp, row["user"], resource, row["id"]),
                    )
                    word = "added" if stored is None else "updated"
                    result = RecordResult(doi, "Success", f"Successfully {word}")
                db.execute(
                    "INSERT INTO events (submission, doi, status, message) VALUES (?, ?, ?, ?)",
                    (row["id"], doi.lower(), result.status, result.message),
                )
                log.records.append(result)
        log.record_count = len(log.records)
        log.success_count = sum(r.status == "Success" for r in log.records)
        log.failure_count = sum(r.status == "Failure" for r in log.records)
        return log

    def _failed(self, sid: str, batch_id: str, message: str) -> SubmissionLog:
        log = SubmissionLog(
            "completed", sid, batch_id, [RecordResult("", "Failure", message)], 1, 0, 0, 1
        )
        return log

    def witness(self) -> dict[str, object]:
        """What the registry holds: per DOI, how many uploads carried it and how often it was
        registered. A clean run shows every DOI exactly once in both."""
        with self.db() as db:
            uploads = {
                r["doi"]: r["n"]
                for r in db.execute(
                    "SELECT doi, COUNT(DISTINCT submission) AS n FROM events GROUP BY doi"
                )
            }
            registered = {
                r["doi"]: r["n"]
                for r in db.execute(
                    "SELECT doi, COUNT(*) AS n FROM events WHERE status='Success' GROUP BY doi"
                )
            }
            submissions = db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
            pending = db.execute(
                "SELECT COUNT(*) FROM submissions WHERE state != 'completed'"
            ).fetchone()[0]
        return {
            "uploads": uploads,
            "registered": registered,
            "submissions": submissions,
            "pending": pending,
        }


# --- HTTP ------------------------------------------------------------------------------------


def _form(
    handler: BaseHTTPRequestHandler, body: bytes
) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """Fields and the uploaded file from a query string, urlencoded or multipart body."""
    fields = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(handler.path).query))
    ctype = handler.headers.get("Content-Type", "")
    upload = None
    if ctype.startswith("multipart/form-data"):
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + body
        )
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            raw = part.get_payload(decode=True)
            payload = raw if isinstance(raw, bytes) else b""
            if filename is not None or name in ("fname", "mdFile"):
                upload = (filename or "upload.xml", payload)
            elif name:
                fields[str(name)] = payload.decode("utf-8", "replace")
    elif ctype.startswith("application/x-www-form-urlencoded"):
        fields.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    return fields, upload


def make_handler(sandbox: Sandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "jatsgen-sandbox/1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # requests carry passwords in their bodies; nothing is logged

        def _send(
            self,
            code: int,
            body: bytes,
            ctype: str = "text/html; charset=utf-8",
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _drop(self) -> None:
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(2)

        def _body(self) -> bytes | None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > sandbox.max_upload + 64 * 1024:
                return None
            return self.rfile.read(length) if length else b""

        def do_GET(self) -> None:
            self.do_POST()

        def do_POST(self) -> None:
            route = urllib.parse.urlsplit(self.path).path
            if route not in (DEPOSIT_PATH, DOWNLOAD_PATH):
                self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>")
                return
            body = self._body()
            if body is None:
                self._send(
                    413,
                    f"<html><body><h1>413</h1>File too large: the limit is "
                    f"{sandbox.max_upload} bytes</body></html>".encode(),
                )
                return
            fault = sandbox.faults.draw()
            if fault == "drop":
                self._drop()
                return
            if fault in ("500", "503"):
                self._send(
                    int(fault),
                    f"<html><body><h1>{fault} Service Unavailable</h1>No "
                    "server is available to handle this request.</body></html>".encode(),
                )
                return
            if fault == "429":
                self._send(
                    429,
                    b"<html><body><h1>429 Too Many Requests</h1></body></html>",
                    headers={"Retry-After": str(sandbox.faults.retry_after)},
                )
                return
            fields, upload = _form(self, body)
            try:
                account = sandbox.authenticate(
                    fields.get("login_id") or fields.get("usr") or "",
                    fields.get("login_passwd") or fields.get("pwd") or "",
                )
            except AuthError as exc:
                self._send(401, f"<html><body><h1>401</h1>{exc}</body></html>".encode())
                return
            if route == DEPOSIT_PATH:
                self._deposit(account, upload, fault)
            else:
                self._download(account, fields, fault)

        def _deposit(
            self, account: Account, upload: tuple[str, bytes] | None, fault: str | None
        ) -> None:
            if upload is None:
                self._send(400, b"<html><body><h1>400</h1>No file part 'fname'</body></html>")
                return
            name, data = upload
            if len(data) > sandbox.max_upload:
                self._send(
                    413,
                    f"<html><body><h1>413</h1>File too large: the limit is "
                    f"{sandbox.max_upload} bytes</body></html>".encode(),
                )
                return
            sandbox.store(account, name, data)
            if fault == "lost":
                self._drop()
                return
            if fault == "latency":
                time.sleep(sandbox.faults.latency)
            self._send(
                200,
                f"<html><head><title>SUCCESS</title></head><body><h2>SUCCESS</h2>"
                f"<p>{SUCCESS_SENTENCE}</p></body></html>".encode(),
            )

        def _download(self, account: Account, fields: dict[str, str], fault: str | None) -> None:
            if fault in ("lost", "latency"):
                time.sleep(sandbox.faults.latency)
            kind = fields.get("type", "result")
            row = sandbox.find(account, fields.get("file_name"), fields.get("doi_batch_id"))
            if row is None:
                log = SubmissionLog("unknown_submission", "0", "")
                self._send(200, build_log(log), "application/xml")
                return
            if kind == "contents":
                self._send(200, Path(row["path"]).read_bytes(), "application/xml")
                return
            if row["state"] != "completed":
                state = "in_process" if row["state"] == "in_process" else "queued"
                self._send(
                    200,
                    build_log(SubmissionLog(state, str(row["id"]), row["batch_id"] or "")),
                    "application/xml",
                )
                return
            self._send(200, row["log_xml"], "application/xml")

    return Handler


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-request is normal here (clients are killed in tests);
        anything else is still reported."""
        import sys

        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    server = _Server((host, port), make_handler(sandbox))
    server.daemon_threads = True
    return server


def sandbox_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    name = host.decode() if isinstance(host, bytes) else host
    return f"http://{name}:{port}"
