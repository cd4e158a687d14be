"""The deposit ledger: one SQLite file recording every submission and every DOI sent.

It is written before and after each network step, so a run killed at any point can be
resumed, and it is what `jatsgen validate` consults to refuse a timestamp that is not newer
than the last one this machine deposited for a DOI. It never stores a password.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import platformdirs

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
    timestamp     INTEGER NOT NULL,
    result        TEXT NOT NULL DEFAULT 'pending',  -- pending, success, warning, failure
    message       TEXT,
    msg_id        TEXT,
    PRIMARY KEY (submission, doi)
);
CREATE INDEX IF NOT EXISTS dois_by_doi ON dois (doi);
"""

SENT_STATES = ("uploading", "received", "completed")


def ledger_path(explicit: str | Path | None = None) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV_LEDGER):
        return Path(os.environ[ENV_LEDGER])
    return Path(platformdirs.user_data_dir("jatsgen")) / "ledger.sqlite"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@contextmanager
def connect(path: Path, *, readonly: bool = False) -> Iterator[sqlite3.Connection]:
    if readonly:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(SCHEMA)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


@dataclass(frozen=True)
class SentTimestamp:
    doi: str
    timestamp: int
    endpoint: str
    upload_name: str
    file_sha256: str


def last_sent(
    path: Path, dois: Iterable[str], *, except_file: str | None = None
) -> dict[str, SentTimestamp]:
    """The largest timestamp already sent for each DOI (any endpoint), from the ledger.

    `except_file` (a sha256) leaves out that file's own submissions: resuming an interrupted
    deposit of the same file is not a second deposit with the same timestamp.
    """
    wanted = sorted({d.lower() for d in dois})
    if not wanted or not path.is_file():
        return {}
    out: dict[str, SentTimestamp] = {}
    with connect(path, readonly=True) as conn:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                "SELECT d.doi, d.timestamp, s.endpoint, s.upload_name, s.file_sha256 "
                f"FROM dois d JOIN submissions s ON s.id = d.submission WHERE d.doi IN ({marks}) "
                f"AND s.state IN ({','.join('?' * len(SENT_STATES))})",
                [*chunk, *SENT_STATES],
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
