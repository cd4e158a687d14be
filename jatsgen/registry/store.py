"""The sandbox registry's durable state: uploads, the queue, registered DOIs and the event log.

One SQLite file under the sandbox's data folder; every SQL statement of the sandbox is here.
One lock serialises the writers inside the process (the HTTP threads and the queue workers).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
    log_xml      BLOB,
    operation    TEXT                 -- doMDUpload, doDOICitUpload
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
class Upload:
    """A stored submission, as the queue and the download servlet see it."""

    id: int
    user: str
    file_name: str
    batch_id: str | None
    path: str
    state: str
    log_xml: bytes | None
    operation: str = "doMDUpload"


def _upload(row: sqlite3.Row) -> Upload:
    return Upload(
        row["id"],
        row["user"],
        row["file_name"],
        row["batch_id"],
        row["path"],
        row["state"],
        row["log_xml"],
        row["operation"] or "doMDUpload",
    )


# decides one record: (doi, its timestamp, the stored timestamp or None) -> (status, message,
# msg_id); a "Success" is registered
Judge = Callable[[str, int, int | None], tuple[str, str, str | None]]


class RegistryStore:
    def __init__(self, data: Path) -> None:
        self.data = data
        (data / "uploads").mkdir(parents=True, exist_ok=True)
        self.path = data / "registry.sqlite"
        self.lock = threading.Lock()
        with self.db() as db:
            db.executescript(SCHEMA)
            columns = {r["name"] for r in db.execute("PRAGMA table_info(submissions)")}
            if "operation" not in columns:  # a sandbox from before resource-only deposits
                db.execute("ALTER TABLE submissions ADD COLUMN operation TEXT")

    @contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        finally:
            conn.close()

    def requeue_interrupted(self) -> None:
        """A submission caught mid-processing by a restart is processed again."""
        with self.db() as db:
            db.execute("UPDATE submissions SET state='queued' WHERE state='in_process'")

    def store(self, user: str, file_name: str, data: bytes, operation: str = "doMDUpload") -> int:
        """Write the upload to disk (fsync) and queue it; only then may the caller answer."""
        with self.lock, self.db() as db:
            cur = db.execute(
                "INSERT INTO submissions (user, file_name, path, sha256, size, state, "
                "received_at, operation) VALUES (?, ?, '', ?, ?, 'queued', ?, ?)",
                (
                    user,
                    file_name,
                    hashlib.sha256(data).hexdigest(),
                    len(data),
                    time.time(),
                    operation,
                ),
            )
            sid = int(cur.lastrowid or 0)
            path = self.data / "uploads" / f"{sid:08d}.xml"
            with open(path, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            db.execute("UPDATE submissions SET path=? WHERE id=?", (str(path), sid))
        return sid

    def find(self, user: str, file_name: str | None, batch_id: str | None) -> Upload | None:
        """The user's first submission by upload file name (else by batch id)."""
        with self.db() as db:
            if file_name:
                row = db.execute(
                    "SELECT * FROM submissions WHERE user=? AND file_name=? ORDER BY id LIMIT 1",
                    (user, file_name),
                ).fetchone()
            else:
                row = db.execute(
                    "SELECT * FROM submissions WHERE user=? AND batch_id=? ORDER BY id LIMIT 1",
                    (user, batch_id),
                ).fetchone()
        return _upload(row) if row is not None else None

    def take_next(self, claim: Callable[[str], bool]) -> Upload | None:
        """The oldest queued submission whose user `claim` gives a processing slot (it is
        called under the lock, so claiming is atomic), marked in process."""
        with self.lock, self.db() as db:
            for row in db.execute("SELECT * FROM submissions WHERE state='queued' ORDER BY id"):
                if not claim(row["user"]):
                    continue
                db.execute("UPDATE submissions SET state='in_process' WHERE id=?", (row["id"],))
                return _upload(row)
        return None

    def complete(self, submission: int, log_xml: bytes, batch_id: str) -> None:
        with self.lock, self.db() as db:
            db.execute(
                "UPDATE submissions SET state='completed', completed_at=?, "
                "log_xml=?, batch_id=? WHERE id=?",
                (time.time(), log_xml, batch_id, submission),
            )

    def register(
        self,
        upload: Upload,
        works: list[tuple[str, int, str]],
        judge: Judge,
        keep_stamps: bool = False,
    ) -> list[tuple[str, str, str, str | None]]:
        """Each work (DOI, timestamp, resource) judged against the stored record, in one
        locked pass: successes are stored (with `keep_stamps`, a resource-only deposit, the
        stored timestamp stays), every result is logged as an event. Returns (doi, status,
        message, msg_id) per work."""
        out = []
        with self.lock, self.db() as db:
            for doi, stamp, resource in works:
                stored = db.execute(
                    "SELECT timestamp FROM records WHERE doi=?", (doi.lower(),)
                ).fetchone()
                status, message, msg_id = judge(doi, stamp, stored[0] if stored else None)
                if status == "Success" and keep_stamps and stored:
                    stamp = stored[0]
                if status == "Success":
                    db.execute(
                        "INSERT INTO records (doi, timestamp, owner, resource, "
                        "submission) VALUES (?, ?, ?, ?, ?) ON CONFLICT(doi) DO UPDATE "
                        "SET timestamp=excluded.timestamp, resource=excluded.resource, "
                        "submission=excluded.submission",
                        (doi.lower(), stamp, upload.user, resource, upload.id),
                    )
                db.execute(
                    "INSERT INTO events (submission, doi, status, message) VALUES (?, ?, ?, ?)",
                    (upload.id, doi.lower(), status, message),
                )
                out.append((doi, status, message, msg_id))
        return out

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
