"""The deposit ledger: one SQLite file (or a PostgreSQL database, `--database URL`) recording
every submission and every DOI sent.

It is written before and after each network step, so a run killed at any point can be
resumed, and it is what `jatsgen validate` consults to refuse a timestamp that is not newer
than the last one this machine deposited for a DOI. It never stores a password. Every SQL
statement jatsgen runs against it is in this module.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from ..errors import JatsgenError
from ..registration import RESOURCES_KIND
from .database import Connection, Database, is_url

if TYPE_CHECKING:
    import sqlite3

ENV_LEDGER = "JATSGEN_LEDGER"

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id            INTEGER PRIMARY KEY,
    file_sha256   TEXT NOT NULL,
    source_path   TEXT NOT NULL,
    upload_name   TEXT NOT NULL UNIQUE,
    batch_id      TEXT NOT NULL,
    endpoint      TEXT NOT NULL,
    state         TEXT NOT NULL,   -- validated, uploading, received, completed, rejected
    attempts      INTEGER NOT NULL DEFAULT 0,
    submission_id TEXT,
    message       TEXT,
    log_xml       TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_by_file ON submissions (file_sha256, endpoint);
CREATE TABLE IF NOT EXISTS dois (
    submission    INTEGER NOT NULL REFERENCES submissions(id),
    doi           TEXT NOT NULL,   -- lower case: DOIs are case-insensitive
    written       TEXT,            -- as the file writes it (what people are shown)
    timestamp     INTEGER NOT NULL,
    result        TEXT NOT NULL DEFAULT 'pending',  -- pending, success, warning, failure
    message       TEXT,
    msg_id        TEXT,
    digest        TEXT,            -- sha256 of the DOI's metadata field by field (a summary)
    metadata      TEXT,            -- that metadata, field by field (JSON), for people
    canonical     TEXT,            -- sha256 of what the deposit registered for the DOI (C14N)
    canonical_xml BLOB,            -- that canonical form, compressed (to say what changed)
    PRIMARY KEY (submission, doi)
);
CREATE INDEX IF NOT EXISTS dois_by_doi ON dois (doi);
CREATE TABLE IF NOT EXISTS claims (   -- who is sending a file to an endpoint right now
    file_sha256   TEXT NOT NULL,
    endpoint      TEXT NOT NULL,
    owner         TEXT NOT NULL,       -- one token per attempt to send
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    claimed_at    TEXT NOT NULL,
    PRIMARY KEY (file_sha256, endpoint)
);
"""
VERSION = 5  # PRAGMA user_version of a ledger with the tables above
STALE_CLAIM = dt.timedelta(hours=6)  # a claim from another host older than this is abandoned

SENT_STATES = ("uploading", "received", "completed")  # what may have reached the registry
# what may have reached the registry, or it answered about (an `uploading` one is not known)
SEEN_STATES = ("uploading", "received", "completed", "rejected")


def ledger_path(explicit: str | Path | None = None) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV_LEDGER):
        return Path(os.environ[ENV_LEDGER])
    return Path(platformdirs.user_data_dir("jatsgen")) / "ledger.sqlite"


def ledger_place(explicit: str | Path | None = None) -> str | Path:
    """The ledger's file, or the PostgreSQL URL given (`--ledger`/`--database`, or
    $JATSGEN_LEDGER)."""
    for given in (explicit, os.environ.get(ENV_LEDGER)):
        if given and is_url(str(given)):
            return str(given)
    return ledger_path(explicit)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@contextmanager
def connect(place: Database, *, readonly: bool = False) -> Iterator[Connection]:
    """A connection to the ledger; whatever the database or the file system says is wrong
    with it (damaged, read-only, disk full, file too large, unreachable) is a one-line error
    naming it."""
    import sqlite3  # here, not at the top: `jatsgen validate` of a JATS file never opens it

    path = place.path
    if (
        path is not None
        and readonly
        and os.access(path, os.W_OK)
        and os.access(path.parent, os.W_OK)
    ):
        readonly = False  # a writable ledger is opened as such: one written by an earlier
        # jatsgen is brought up to date before it is read
    errors: tuple[type[BaseException], ...] = (sqlite3.DatabaseError, OSError)
    if place.url is not None:
        import psycopg

        errors = (psycopg.Error, OSError)
    try:
        with place.connect(_open, readonly=readonly) as conn:
            if place.url is not None:
                _ensure_migrated(place, conn)
            yield conn
    except errors as exc:
        raise _ledger_error(place.label, exc) from None


_MIGRATED: set[str] = set()  # PostgreSQL databases brought up to date by this process


def _ensure_migrated(place: Database, conn: Connection) -> None:
    if place.label in _MIGRATED:
        return
    _migrate(conn)
    _MIGRATED.add(place.label)


def _open(path: Path, readonly: bool) -> sqlite3.Connection:
    import sqlite3

    if readonly:
        uri = path.resolve().as_uri()
        try:
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30)
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # on a read-only mount a WAL ledger cannot even be opened read-only: read it as
            # an unchanging file
            conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, timeout=30)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        if conn.execute("PRAGMA user_version").fetchone()[0] < VERSION:
            from .database import SqliteConnection

            _migrate(SqliteConnection(conn))
    conn.row_factory = sqlite3.Row
    return conn


def _ledger_error(path: str, exc: BaseException) -> JatsgenError:
    """What is wrong with the ledger file, and what to do, in one line."""
    import errno

    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC or "disk is full" in text or "database or disk is full" in text:
        why = "the disk is full; free some space and run the same command again"
    elif code == errno.EFBIG or "too large" in text or "too big" in text:
        why = "the file is at the size limit (EFBIG); raise the limit or move the ledger"
    elif "readonly" in text or "read-only" in text or code in (errno.EROFS, errno.EACCES):
        why = (
            "it cannot be written (read-only); use --ledger or $JATSGEN_LEDGER for a "
            "writable one (reading it still works)"
        )
    elif "not a database" in text or "malformed" in text or "no such table" in text:
        why = (
            "it is damaged or not a ledger; restore it from a backup, or move it aside and "
            "jatsgen starts a new one (and forgets what it recorded)"
        )
    else:
        why = f"{exc}; check the file and its folder"
    return JatsgenError(f"{path}: deposit ledger: {why}")


def _migrate(conn: Connection) -> None:
    """Create the tables, or bring a ledger written by an earlier jatsgen up to `VERSION`,
    in one transaction (one path for SQLite and PostgreSQL): metadata and canonical-form
    columns for DOIs (a DOI deposited before them has none: `plan` then judges it by its
    fields where they decide, and otherwise sends it once), and endpoints in the one spelling
    `endpoint_url` gives."""
    from .database import ddl, set_version, version_of
    from .protocol import endpoint_url

    conn.begin(lock="jatsgen-ledger-migration")
    try:
        if version_of(conn, "ledger") >= VERSION:
            conn.commit()
            return
        for statement in ddl(SCHEMA, conn.dialect):
            conn.execute(statement)
        for column, kind in (("digest", "TEXT"), ("metadata", "TEXT"), ("canonical", "TEXT"),
                             ("canonical_xml", "BLOB"), ("written", "TEXT")):  # fmt: skip
            if column not in columns_of(conn, "dois"):
                conn.execute(f"ALTER TABLE dois ADD COLUMN {column} {ddl(kind, conn.dialect)[0]}")
        rows = conn.execute("SELECT DISTINCT endpoint FROM submissions").fetchall()
        for (endpoint,) in rows:
            try:
                key = endpoint_url(endpoint)
            except JatsgenError:
                continue  # not ours to guess
            if key != endpoint:
                conn.execute("UPDATE submissions SET endpoint=? WHERE endpoint=?", (key, endpoint))
        set_version(conn, "ledger", VERSION)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def columns_of(conn: Connection, table: str) -> set[str]:
    if conn.dialect == "sqlite":
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", (table,)
    )
    return {row[0] for row in rows}


@dataclass(frozen=True)
class SentTimestamp:
    """The largest timestamp already deposited from here for a DOI, and where it went."""

    doi: str
    timestamp: int
    endpoint: str
    upload_name: str
    file_sha256: str


@dataclass(frozen=True)
class Carried:
    """A DOI a submission carries: its timestamp and, when known, its metadata (field by
    field, for people) and its canonical form (what decides a change)."""

    doi: str
    timestamp: int
    digest: str | None = None
    fields: dict[str, str] | None = None
    canonical: str | None = None
    canonical_xml: bytes | None = None  # compressed (`registration.pack`)


@dataclass(frozen=True)
class Held:
    """A DOI as one submission to an endpoint carried it, and what the registry said."""

    doi: str
    digest: str | None
    fields: dict[str, str]
    timestamp: int
    upload_name: str
    updated_at: str
    canonical: str | None = None  # None: deposited by a jatsgen before canonical forms
    canonical_xml: bytes | None = None
    result: str = "success"  # pending | success | warning | failure | unknown (interrupted)
    message: str | None = None


@dataclass(frozen=True)
class History:
    """What an endpoint was last sent for a DOI (`latest`, whatever became of it) and what
    it last registered (`registered`: its latest success or warning)."""

    latest: Held
    registered: Held | None


@dataclass(frozen=True)
class DoiResult:
    doi: str
    timestamp: int
    result: str  # pending | success | warning | failure
    message: str | None = None
    msg_id: str | None = None


@dataclass(frozen=True)
class Submission:
    """One upload of one batch file to one endpoint, as the ledger holds it."""

    id: int
    file_sha256: str
    source_path: str
    upload_name: str
    batch_id: str
    endpoint: str
    state: str
    attempts: int
    submission_id: str | None
    message: str | None
    created_at: str
    updated_at: str
    dois: list[DoiResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape `jatsgen status --format json` prints."""
        out = {k: getattr(self, k) for k in _SUBMISSION_FIELDS}
        out["dois"] = [
            {"doi": d.doi, "timestamp": d.timestamp, "result": d.result, "message": d.message}
            for d in self.dois
        ]
        return out


_SUBMISSION_FIELDS = (
    "id",
    "source_path",
    "upload_name",
    "batch_id",
    "endpoint",
    "state",
    "attempts",
    "submission_id",
    "message",
    "created_at",
    "updated_at",
)


def _alive(claim: sqlite3.Row, host: str) -> bool:
    """Whether the run that holds a claim is still running (on this host: its process
    exists; on another, the claim is recent)."""
    if claim["host"] != host:
        claimed = dt.datetime.fromisoformat(claim["claimed_at"])
        return dt.datetime.now(dt.UTC) - claimed < STALE_CLAIM
    try:
        os.kill(int(claim["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, alive
    return True


def _submission(row: sqlite3.Row, dois: list[DoiResult] | None = None) -> Submission:
    return Submission(
        row["id"],
        row["file_sha256"],
        row["source_path"],
        row["upload_name"],
        row["batch_id"],
        row["endpoint"],
        row["state"],
        row["attempts"],
        row["submission_id"],
        row["message"],
        row["created_at"],
        row["updated_at"],
        dois or [],
    )


def _held(row: sqlite3.Row) -> Held:
    return Held(
        row["doi"],
        row["digest"],
        json.loads(row["metadata"]) if row["metadata"] else {},
        row["timestamp"],
        row["upload_name"],
        row["updated_at"],
        row["canonical"],
        row["canonical_xml"],
        row["result"],
        row["message"],
    )


def _doi(row: sqlite3.Row) -> DoiResult:
    """A DOI's result, named as its file wrote it (a ledger from before `written`, or
    opened read-only before its migration, has only the lower case)."""
    shown = row["written"] if "written" in row.keys() and row["written"] else row["doi"]  # noqa: SIM118 (a Row's "in" looks at values)
    return DoiResult(shown, row["timestamp"], row["result"], row["message"], row["msg_id"])


class Ledger:
    """The ledger file at `path`; each call opens its own connection (processes share it)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.place = Database(ledger_place(path))
        self.path = self.place.path or Path(self.place.label)  # what messages name

    @property
    def label(self) -> str:
        """The ledger's file, or its database's URL without the password."""
        return self.place.label

    def exists(self) -> bool:
        return self.place.exists()

    # --- what has been sent ----------------------------------------------------------------

    def last_sent(
        self,
        dois: Iterable[str],
        endpoint: str,
        *,
        except_file: str | None = None,
    ) -> dict[str, SentTimestamp]:
        """The largest timestamp already sent for each DOI to `endpoint`,
        leaving out DOIs the registry refused: a refused DOI holds no timestamp there.

        `except_file` (a sha256) leaves out that file's own submissions: resuming an
        interrupted deposit of the same file is not a second deposit with the same timestamp.
        """
        wanted = sorted({d.lower() for d in dois})
        if not wanted or not self.exists():
            return {}
        out: dict[str, SentTimestamp] = {}
        with connect(self.place, readonly=True) as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    "SELECT d.doi, d.timestamp, s.endpoint, s.upload_name, s.file_sha256 "
                    "FROM dois d JOIN submissions s ON s.id = d.submission "
                    f"WHERE d.doi IN ({marks}) AND d.result != 'failure' "
                    f"AND s.state IN ({','.join('?' * len(SENT_STATES))}) AND s.endpoint = ?",
                    [*chunk, *SENT_STATES, endpoint],
                )
                for row in rows:
                    if except_file is not None and row["file_sha256"] == except_file:
                        continue
                    best = out.get(row["doi"])
                    if best is None or row["timestamp"] > best.timestamp:
                        out[row["doi"]] = SentTimestamp(
                            row["doi"],
                            row["timestamp"],
                            row["endpoint"],
                            row["upload_name"],
                            row["file_sha256"],
                        )
        return out

    def highest_timestamp(self) -> int | None:
        """The highest timestamp sent from here to any endpoint: the floor of the next one."""
        if not self.exists():
            return None
        with connect(self.place, readonly=True) as conn:
            row = conn.execute(
                "SELECT MAX(d.timestamp) FROM dois d JOIN submissions s ON s.id = d.submission "
                f"WHERE s.state IN ({','.join('?' * len(SENT_STATES))})",
                SENT_STATES,
            ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def received(self, sha256: str, endpoint: str) -> Submission | None:
        """The latest submission of this file to `endpoint` that the registry received and
        refused none of the DOIs of (a refused DOI is for sending again)."""
        if not self.exists():
            return None
        with connect(self.place, readonly=True) as db:
            row = db.execute(
                "SELECT * FROM submissions s WHERE file_sha256=? AND endpoint=? AND state IN "
                "('received', 'completed') AND NOT EXISTS (SELECT 1 FROM dois d WHERE "
                "d.submission = s.id AND d.result = 'failure') ORDER BY id DESC LIMIT 1",
                (sha256, endpoint),
            ).fetchone()
        return _submission(row) if row is not None else None

    def submissions_of(self, sha256: str, endpoint: str) -> list[Submission]:
        if not self.exists():
            return []
        with connect(self.place, readonly=True) as db:
            rows = db.execute(
                "SELECT * FROM submissions WHERE file_sha256=? AND endpoint=? ORDER BY id",
                (sha256, endpoint),
            ).fetchall()
        return [_submission(r) for r in rows]

    def submission(self, submission: int) -> Submission:
        """One submission with its DOIs."""
        with connect(self.place, readonly=True) as db:
            row = db.execute("SELECT * FROM submissions WHERE id=?", (submission,)).fetchone()
            dois = db.execute(
                "SELECT * FROM dois WHERE submission=? ORDER BY doi", (submission,)
            ).fetchall()
        return _submission(row, [_doi(d) for d in dois])

    def awaiting(self, dois: Iterable[str], endpoint: str) -> list[Submission]:
        """The submissions to `endpoint` that carry any of `dois` and that the registry has
        received but not yet answered about (their results are still pending)."""
        wanted = sorted({d.lower() for d in dois})
        if not wanted or not self.exists():
            return []
        ids: set[int] = set()
        with connect(self.place, readonly=True) as db:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                ids.update(
                    row[0]
                    for row in db.execute(
                        "SELECT DISTINCT s.id FROM submissions s JOIN dois d ON d.submission "
                        f"= s.id WHERE d.doi IN ({','.join('?' * len(chunk))}) AND "
                        "s.endpoint = ? AND s.state = 'received'",
                        [*chunk, endpoint],
                    )
                )
        return [self.submission(i) for i in sorted(ids)]

    def submissions(self) -> list[Submission]:
        """Every submission, oldest first, each with its DOIs."""
        if not self.exists():
            return []
        with connect(self.place, readonly=True) as db:
            rows = db.execute("SELECT * FROM submissions ORDER BY id").fetchall()
            dois: dict[int, list[DoiResult]] = {}
            for d in db.execute("SELECT * FROM dois ORDER BY submission, doi"):
                dois.setdefault(d["submission"], []).append(_doi(d))
        return [_submission(r, dois.get(r["id"], [])) for r in rows]

    @contextmanager
    def kept_open(self) -> Iterator[None]:
        """One idle connection held for the length of a run. Each step opens and closes its
        own, and when the last connection to a WAL database closes, SQLite cleans up the
        log under an exclusive lock: another run (or thread) opening the ledger in that
        moment gets "database is locked" without waiting (sqlite.org/wal.html, "Sometimes
        Queries Return SQLITE_BUSY In WAL Mode"). While this one is open, no step's close
        is the last."""
        with connect(self.place):
            yield

    # --- who is sending what ----------------------------------------------------------------

    def claim(self, sha256: str, endpoint: str, owner: str) -> str | None:
        """Take the right to send this file to `endpoint` (one locked transaction, so two
        runs never both hold it). None when taken; else who holds it ("pid 123 on host")."""
        import socket

        host = socket.gethostname()
        with connect(self.place) as db:
            db.begin(lock=f"claim {sha256} {endpoint}")
            row = db.execute(
                "SELECT * FROM claims WHERE file_sha256=? AND endpoint=?", (sha256, endpoint)
            ).fetchone()
            if row is not None and row["owner"] != owner and _alive(row, host):
                db.commit()
                return f"pid {row['pid']} on {row['host']}"
            db.execute(
                "INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (file_sha256, "
                "endpoint) DO UPDATE SET owner=excluded.owner, host=excluded.host, "
                "pid=excluded.pid, claimed_at=excluded.claimed_at",
                (sha256, endpoint, owner, host, os.getpid(), now()),
            )
            db.commit()
        return None

    def release_tagged(self, tag: str) -> int:
        """Release the claims of a depositor made with `claim_tag=tag` that died (its work
        is being resumed); how many there were."""
        with connect(self.place) as db:
            rows = db.execute(
                "DELETE FROM claims WHERE owner LIKE ? RETURNING owner", (f"{tag}:%",)
            ).fetchall()
        return len(rows)

    def release(self, sha256: str, endpoint: str, owner: str) -> None:
        with connect(self.place) as db:
            db.execute(
                "DELETE FROM claims WHERE file_sha256=? AND endpoint=? AND owner=?",
                (sha256, endpoint, owner),
            )

    # --- recording each step ----------------------------------------------------------------

    def add_submission(
        self,
        sha256: str,
        source_path: str,
        upload_name: str,
        batch_id: str,
        endpoint: str,
        dois: Iterable[Carried],
    ) -> int:
        """A new submission in state `validated`, with the DOIs it carries."""
        with connect(self.place) as db:
            db.begin()
            row_id = int(db.execute(
                "INSERT INTO submissions (file_sha256, source_path, upload_name, batch_id, "
                "endpoint, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'validated', "
                "?, ?) RETURNING id",
                (sha256, source_path, upload_name, batch_id, endpoint, now(), now()),
            ).fetchone()[0])  # fmt: skip
            db.executemany(
                "INSERT INTO dois (submission, doi, written, timestamp, digest, metadata, "
                "canonical, canonical_xml) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO "
                "NOTHING",
                [
                    (
                        row_id,
                        d.doi.lower(),
                        d.doi,
                        d.timestamp,
                        d.digest,
                        json.dumps(d.fields, ensure_ascii=False) if d.fields else None,
                        d.canonical,
                        d.canonical_xml,
                    )
                    for d in dois
                ],
            )
            db.commit()
        return row_id

    def history(
        self, dois: Iterable[str], endpoint: str, *, resources: bool = False
    ) -> dict[str, History]:
        """For each DOI (lower case) sent to `endpoint` in a submission the registry answered
        about (received, processed or refused): the latest such sending, whatever its
        result, and the latest the registry registered. Metadata deposits and resource-only
        deposits (`resources`) each have their own history: one does not replace the other."""
        wanted = sorted({d.lower() for d in dois})
        if not wanted or not self.exists():
            return {}
        latest: dict[str, Held] = {}
        registered: dict[str, Held] = {}
        with connect(self.place, readonly=True) as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = conn.execute(
                    "SELECT d.*, s.upload_name, s.updated_at, s.state FROM dois d JOIN "
                    "submissions s "
                    f"ON s.id = d.submission WHERE d.doi IN ({','.join('?' * len(chunk))}) "
                    f"AND s.endpoint = ? AND s.state IN ({','.join('?' * len(SEEN_STATES))}) "
                    "ORDER BY s.id",
                    [*chunk, endpoint, *SEEN_STATES],
                )
                for row in rows:  # the latest submission wins
                    held = _held(row)
                    if (held.fields.get("Type") == RESOURCES_KIND) != resources:
                        continue
                    if row["state"] == "uploading":  # interrupted before any answer
                        held = dataclasses.replace(held, result="unknown")
                    latest[held.doi] = held
                    if held.result in ("success", "warning"):
                        registered[held.doi] = held
        return {doi: History(h, registered.get(doi)) for doi, h in latest.items()}

    def refuse_dois(self, submission: int, message: str) -> None:
        """The registry refused the whole upload: none of its DOIs is registered by it."""
        with connect(self.place) as db:
            db.execute(
                "UPDATE dois SET result='failure', message=? WHERE submission=? "
                "AND result='pending'",
                (message, submission),
            )

    def set_state(self, submission: int, state: str, message: str | None = None) -> None:
        with connect(self.place) as db:
            db.execute(
                "UPDATE submissions SET state=?, message=?, updated_at=? WHERE id=?",
                (state, message, now(), submission),
            )

    def start_upload(self, submission: int) -> None:
        """Mark the submission `uploading` before the bytes go out (one more attempt)."""
        with connect(self.place) as db:
            db.execute(
                "UPDATE submissions SET state='uploading', attempts=attempts+1, "
                "updated_at=? WHERE id=?",
                (now(), submission),
            )

    def complete(
        self,
        submission: int,
        submission_id: str,
        log_xml: str,
        summary: str,
        results: dict[str, tuple[str, str, str | None]],
    ) -> None:
        """Store a processed submission: its log, a summary, and for each of its DOIs
        (lower case) the result, message and msg_id (`results`, from the log)."""
        with connect(self.place) as db:
            db.begin()
            db.executemany(
                "UPDATE dois SET result=?, message=?, msg_id=? WHERE submission=? AND doi=?",
                [(r, m, i, submission, doi) for doi, (r, m, i) in results.items()],
            )
            db.execute(
                "UPDATE submissions SET state='completed', submission_id=?, log_xml=?, "
                "message=?, updated_at=? WHERE id=?",
                (submission_id, log_xml, summary, now(), submission),
            )
            db.commit()
