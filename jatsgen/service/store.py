"""Every SQL statement of the service: journals, people and their roles, sessions, API
tokens, uploaded files, jobs (the queue) and the DOI board. The tables live beside the
deposit ledger, in the same SQLite file or PostgreSQL database, and the board reads the
ledger's own rows: what the registry said of a DOI is said in one place.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..deposit.database import Connection, ddl, set_version, version_of
from ..deposit.ledger import Ledger, connect

VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS journals (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    config      TEXT NOT NULL,       -- jatsgen.toml, as written in the page
    endpoint    TEXT NOT NULL,       -- test, production or a URL
    credentials BLOB,                -- encrypted (vault.py); never shown
    created_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS people (
    id          INTEGER PRIMARY KEY,
    login       TEXT NOT NULL UNIQUE,
    password    TEXT NOT NULL,       -- argon2 hash
    is_admin    INTEGER NOT NULL DEFAULT 0,
    one_time    INTEGER NOT NULL DEFAULT 0,   -- the password was made here: to be changed
    created_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS roles (
    person      INTEGER NOT NULL REFERENCES people(id),
    journal     INTEGER NOT NULL REFERENCES journals(id),
    role        TEXT NOT NULL,       -- admin, depositor, editor, viewer
    PRIMARY KEY (person, journal)
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash  TEXT PRIMARY KEY,    -- sha256 of the cookie's value
    person      INTEGER NOT NULL REFERENCES people(id),
    csrf        TEXT NOT NULL,
    expires_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    journal     INTEGER NOT NULL REFERENCES journals(id),
    role        TEXT NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES people(id),
    created_at  REAL NOT NULL,
    revoked_at  REAL
);
CREATE TABLE IF NOT EXISTS failed_logins (
    login       TEXT NOT NULL,
    address     TEXT NOT NULL,
    at          REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS failed_logins_at ON failed_logins (at);
CREATE TABLE IF NOT EXISTS jobs (
    id          INTEGER PRIMARY KEY,
    journal     INTEGER NOT NULL REFERENCES journals(id),
    kind        TEXT NOT NULL,       -- prepare (inputs to batches and a review), deposit
    parent      INTEGER,             -- a deposit's prepare job
    state       TEXT NOT NULL,       -- queued, asked, running, waiting, done, failed
    account     TEXT,                -- jobs of one account run one at a time (work.py)
    person      INTEGER,             -- who started it (NULL: an API token)
    done_count  INTEGER NOT NULL DEFAULT 0,
    total       INTEGER NOT NULL DEFAULT 0,
    message     TEXT,
    result      TEXT,                -- JSON: findings, entries, outcomes
    review      BLOB,                -- the review page (a prepare job's)
    owner       TEXT,                -- the worker running it
    heartbeat   REAL,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, id);
CREATE TABLE IF NOT EXISTS files (
    id          INTEGER PRIMARY KEY,
    job         INTEGER NOT NULL REFERENCES jobs(id),
    role        TEXT NOT NULL,       -- input (uploaded) or batch (made by the job)
    name        TEXT NOT NULL,
    data        BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS files_by_job ON files (job, role);
CREATE TABLE IF NOT EXISTS board (
    journal     INTEGER NOT NULL REFERENCES journals(id),
    doi         TEXT NOT NULL,       -- lower case
    written     TEXT NOT NULL,
    title       TEXT,
    change      TEXT NOT NULL,       -- new, updated, unchanged, pending, refused
    state       TEXT NOT NULL,       -- reviewed, asked, queued, sent, unchanged, refused
    job         INTEGER NOT NULL,    -- the latest job that spoke of it
    batch       INTEGER,             -- files.id of the batch that carried it
    submission  INTEGER,             -- the ledger's submission, once sent
    message     TEXT,
    updated_at  REAL NOT NULL,
    PRIMARY KEY (journal, doi)
);
CREATE TABLE IF NOT EXISTS board_sent (   -- which ledger submission carried a stored batch
    journal     INTEGER NOT NULL REFERENCES journals(id),
    batch       INTEGER NOT NULL REFERENCES files(id),
    submission  INTEGER NOT NULL,
    PRIMARY KEY (journal, batch, submission)
);
"""


@dataclass(frozen=True)
class Journal:
    id: int
    slug: str
    name: str
    config: str
    endpoint: str
    has_credentials: bool


@dataclass(frozen=True)
class Person:
    id: int
    login: str
    is_admin: bool
    one_time: bool = False  # still on the one-time password the service made


@dataclass(frozen=True)
class Job:
    id: int
    journal: int
    kind: str
    parent: int | None
    state: str
    done_count: int
    total: int
    message: str | None
    result: dict[str, Any]
    created_at: float
    updated_at: float
    person: int | None
    account: str | None


def _journal(row: Any) -> Journal:
    return Journal(
        row["id"], row["slug"], row["name"], row["config"], row["endpoint"],
        row["credentials"] is not None,
    )  # fmt: skip


def _job(row: Any) -> Job:
    return Job(
        row["id"], row["journal"], row["kind"], row["parent"], row["state"], row["done_count"],
        row["total"], row["message"], json.loads(row["result"]) if row["result"] else {},
        row["created_at"], row["updated_at"], row["person"], row["account"],
    )  # fmt: skip


class Store:
    """The service's tables in the ledger's database (`ledger.place`)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._ready = False

    @contextmanager
    def db(self) -> Iterator[Connection]:
        with connect(self.ledger.place) as conn:
            if not self._ready:
                self._migrate(conn)
                self._ready = True
            yield conn

    @contextmanager
    def transaction(self, lock: str | None = None) -> Iterator[Connection]:
        with self.db() as conn:
            conn.begin(lock=lock)
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def _migrate(self, conn: Connection) -> None:
        conn.begin(lock="jatsgen-service-migration")
        try:
            if version_of(conn, "service") < VERSION:
                for statement in ddl(SCHEMA, conn.dialect):
                    conn.execute(statement)
                set_version(conn, "service", VERSION)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise

    # --- journals ------------------------------------------------------------------------

    def add_journal(self, slug: str, name: str, config: str, endpoint: str) -> int:
        with self.db() as db:
            row = db.execute(
                "INSERT INTO journals (slug, name, config, endpoint, created_at) VALUES "
                "(?, ?, ?, ?, ?) RETURNING id",
                (slug, name, config, endpoint, time.time()),
            ).fetchone()
        return int(row[0])

    def journals(self, ids: Sequence[int] | None = None) -> list[Journal]:
        with self.db() as db:
            rows = db.execute("SELECT * FROM journals ORDER BY slug").fetchall()
        return [_journal(r) for r in rows if ids is None or r["id"] in ids]

    def journal(self, slug: str) -> Journal | None:
        with self.db() as db:
            row = db.execute("SELECT * FROM journals WHERE slug = ?", (slug,)).fetchone()
        return _journal(row) if row else None

    def journal_by_id(self, journal: int) -> Journal:
        with self.db() as db:
            row = db.execute("SELECT * FROM journals WHERE id = ?", (journal,)).fetchone()
        return _journal(row)

    def update_journal(self, journal: int, *, config: str, endpoint: str, name: str) -> None:
        with self.db() as db:
            db.execute(
                "UPDATE journals SET config = ?, endpoint = ?, name = ? WHERE id = ?",
                (config, endpoint, name, journal),
            )

    def set_credentials(self, journal: int, sealed: bytes) -> None:
        with self.db() as db:
            db.execute("UPDATE journals SET credentials = ? WHERE id = ?", (sealed, journal))

    def credentials(self, journal: int) -> bytes | None:
        with self.db() as db:
            row = db.execute("SELECT credentials FROM journals WHERE id = ?", (journal,)).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    # --- people, roles, sessions, tokens -------------------------------------------------

    def add_person(self, login: str, password_hash: str, *, is_admin: bool = False) -> int:
        """A person with a one-time password (made here, shown once)."""
        with self.db() as db:
            row = db.execute(
                "INSERT INTO people (login, password, is_admin, one_time, created_at) VALUES "
                "(?, ?, ?, 1, ?) RETURNING id",
                (login, password_hash, int(is_admin), time.time()),
            ).fetchone()
        return int(row[0])

    def people_count(self) -> int:
        with self.db() as db:
            return int(db.execute("SELECT COUNT(*) FROM people").fetchone()[0])

    def person_login(self, login: str) -> tuple[Person, str] | None:
        """A person and their password hash."""
        with self.db() as db:
            row = db.execute("SELECT * FROM people WHERE login = ?", (login,)).fetchone()
        return (
            (
                Person(row["id"], row["login"], bool(row["is_admin"]), bool(row["one_time"])),
                row["password"],
            )
            if row
            else None
        )

    def set_password(self, person: int, password_hash: str) -> None:
        """A password the person chose (no longer a one-time one)."""
        with self.db() as db:
            db.execute(
                "UPDATE people SET password = ?, one_time = 0 WHERE id = ?", (password_hash, person)
            )

    def set_role(self, person: int, journal: int, role: str | None) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM roles WHERE person = ? AND journal = ?", (person, journal))
            if role:
                db.execute("INSERT INTO roles VALUES (?, ?, ?)", (person, journal, role))

    def roles_of(self, person: int) -> dict[int, str]:
        with self.db() as db:
            rows = db.execute("SELECT journal, role FROM roles WHERE person = ?", (person,))
            return {r[0]: r[1] for r in rows}

    def members(self, journal: int) -> list[tuple[str, str]]:
        with self.db() as db:
            rows = db.execute(
                "SELECT p.login, r.role FROM roles r JOIN people p ON p.id = r.person "
                "WHERE r.journal = ? ORDER BY p.login",
                (journal,),
            )
            return [(r[0], r[1]) for r in rows]

    def add_session(self, token_hash: str, person: int, csrf: str, expires_at: float) -> None:
        with self.db() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (time.time(),))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)", (token_hash, person, csrf, expires_at)
            )

    def session(self, token_hash: str) -> tuple[Person, str] | None:
        """The person a session cookie stands for, and the session's CSRF token."""
        with self.db() as db:
            row = db.execute(
                "SELECT p.id, p.login, p.is_admin, p.one_time, s.csrf FROM sessions s JOIN people "
                "p ON p.id = s.person WHERE s.token_hash = ? AND s.expires_at > ?",
                (token_hash, time.time()),
            ).fetchone()
        return (Person(row[0], row[1], bool(row[2]), bool(row[3])), row[4]) if row else None

    def end_session(self, token_hash: str) -> None:
        with self.db() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def add_token(self, name: str, token_hash: str, journal: int, role: str, by: int) -> int:
        with self.db() as db:
            row = db.execute(
                "INSERT INTO tokens (name, token_hash, journal, role, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (name, token_hash, journal, role, by, time.time()),
            ).fetchone()
        return int(row[0])

    def token(self, token_hash: str) -> tuple[int, int, str] | None:
        """(token id, journal, role) of a live token."""
        with self.db() as db:
            row = db.execute(
                "SELECT id, journal, role FROM tokens WHERE token_hash = ? AND revoked_at IS NULL",
                (token_hash,),
            ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def tokens(self, journal: int) -> list[dict[str, Any]]:
        with self.db() as db:
            rows = db.execute(
                "SELECT id, name, role, created_at, revoked_at FROM tokens WHERE journal = ? "
                "ORDER BY id",
                (journal,),
            )
            return [dict(zip(("id", "name", "role", "created_at", "revoked_at"), r, strict=True))
                    for r in rows]  # fmt: skip

    def revoke_token(self, token: int, journal: int) -> bool:
        with self.db() as db:
            row = db.execute(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND journal = ? AND revoked_at "
                "IS NULL RETURNING id",
                (time.time(), token, journal),
            ).fetchone()
        return row is not None

    def failed_login(self, login: str, address: str) -> None:
        with self.db() as db:
            db.execute("DELETE FROM failed_logins WHERE at < ?", (time.time() - 86400,))
            db.execute("INSERT INTO failed_logins VALUES (?, ?, ?)", (login, address, time.time()))

    def failures_since(self, login: str, address: str, since: float) -> tuple[int, int]:
        """Failed logins since `since`: of this login name, and from this address."""
        with self.db() as db:
            row = db.execute(
                "SELECT SUM(CASE WHEN login = ? THEN 1 ELSE 0 END), SUM(CASE WHEN address = ? "
                "THEN 1 ELSE 0 END) FROM failed_logins WHERE at > ?",
                (login, address, since),
            ).fetchone()
        return int(row[0] or 0), int(row[1] or 0)

    # --- jobs and their files ------------------------------------------------------------

    def add_job(
        self,
        journal: int,
        kind: str,
        *,
        state: str = "queued",
        parent: int | None = None,
        person: int | None = None,
        account: str | None = None,
        files: Sequence[tuple[str, bytes]] = (),
    ) -> int:
        """A job and its input files, in one transaction: a job is never queued without
        its inputs."""
        now = time.time()
        with self.transaction() as db:
            job = int(db.execute(
                "INSERT INTO jobs (journal, kind, parent, state, account, person, total, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (journal, kind, parent, state, account, person, len(files), now, now),
            ).fetchone()[0])  # fmt: skip
            db.executemany(
                "INSERT INTO files (job, role, name, data) VALUES (?, 'input', ?, ?)",
                [(job, name, data) for name, data in files],
            )
        return job

    def job(self, job: int) -> Job | None:
        with self.db() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job,)).fetchone()
        return _job(row) if row else None

    def jobs(self, journal: int, limit: int = 50) -> list[Job]:
        with self.db() as db:
            rows = db.execute(
                "SELECT * FROM jobs WHERE journal = ? ORDER BY id DESC LIMIT ?", (journal, limit)
            ).fetchall()
        return [_job(r) for r in rows]

    def children(self, job: int) -> list[Job]:
        with self.db() as db:
            rows = db.execute("SELECT * FROM jobs WHERE parent = ? ORDER BY id", (job,)).fetchall()
        return [_job(r) for r in rows]

    def files(self, job: int, role: str) -> list[tuple[int, str, bytes]]:
        with self.db() as db:
            rows = db.execute(
                "SELECT id, name, data FROM files WHERE job = ? AND role = ? ORDER BY id",
                (job, role),
            ).fetchall()
        return [(r[0], r[1], bytes(r[2])) for r in rows]

    def file(self, file: int) -> tuple[int, str, bytes] | None:
        """(job, name, bytes) of a stored file."""
        with self.db() as db:
            row = db.execute("SELECT job, name, data FROM files WHERE id = ?", (file,)).fetchone()
        return (row[0], row[1], bytes(row[2])) if row else None

    def claim_job(self, owner: str, stale_before: float) -> Job | None:
        """Take the oldest queued job, or one whose worker stopped beating (its process died):
        one transaction under the queue's lock (and rows skipped when locked, in PostgreSQL),
        so two workers, on any hosts, never take the same job. Jobs of one `account` run one
        at a time: a deposit waits while another deposit to the same registry account sends
        (each sends at most five files at once); an upload waits while another upload of the
        same journal is made into batches (a `{seq}` DOI is the next one free: two made at
        once would give the same DOI to two papers)."""
        skip = " FOR UPDATE SKIP LOCKED" if self.ledger.place.dialect == "postgresql" else ""
        with self.transaction(lock="jatsgen-queue") as db:
            row = db.execute(
                "SELECT * FROM jobs j WHERE (j.state = 'queued' OR (j.state IN ('running', "
                "'waiting') AND j.heartbeat < ?)) AND NOT (j.account IS NOT NULL AND EXISTS ("
                "SELECT 1 FROM jobs o WHERE o.state = 'running' AND o.heartbeat >= ? AND "
                "o.account = j.account AND o.id != j.id)) "
                f"ORDER BY j.id LIMIT 1{skip}",
                (stale_before, stale_before),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET state = 'running', owner = ?, heartbeat = ?, updated_at = ? "
                "WHERE id = ?",
                (owner, time.time(), time.time(), row["id"]),
            )
        return _job(row)

    def beat(self, job: int, owner: str) -> bool:
        """Say the job's worker is alive; False when another worker took the job over."""
        with self.db() as db:
            row = db.execute(
                "UPDATE jobs SET heartbeat = ? WHERE id = ? AND owner = ? RETURNING id",
                (time.time(), job, owner),
            ).fetchone()
        return row is not None

    def progress(self, job: int, done: int, total: int, message: str | None = None) -> None:
        with self.db() as db:
            db.execute(
                "UPDATE jobs SET done_count = ?, total = ?, message = ?, updated_at = ? "
                "WHERE id = ?",
                (done, total, message, time.time(), job),
            )

    def finish(
        self,
        job: int,
        state: str,
        message: str,
        result: dict[str, Any],
        *,
        review: bytes | None = None,
        batches: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        """A job's end (or a deposit's `waiting` for the registry's answers): its result and
        what it made, in one transaction (a rerun after a crash replaces them)."""
        with self.transaction() as db:
            if batches:
                db.execute("DELETE FROM files WHERE job = ? AND role = 'batch'", (job,))
                db.executemany(
                    "INSERT INTO files (job, role, name, data) VALUES (?, 'batch', ?, ?)",
                    [(job, name, data) for name, data in batches],
                )
            db.execute(
                "UPDATE jobs SET state = ?, message = ?, result = ?, updated_at = ?, "
                "review = COALESCE(?, review) WHERE id = ?",
                (state, message, json.dumps(result, ensure_ascii=False), time.time(), review,
                 job),
            )  # fmt: skip

    def release(self, job: int, state: str) -> None:
        """Hand a job back (`queued`), or set an editor's ask to `queued` or `failed`."""
        with self.db() as db:
            db.execute(
                "UPDATE jobs SET state = ?, owner = NULL, updated_at = ? WHERE id = ?",
                (state, time.time(), job),
            )

    def phase(self, job: int, owner: str, state: str) -> None:
        """Move a running job to another state while its worker keeps it (a deposit that
        has sent its files is `waiting` for answers: its registry account is free for the
        next deposit to send)."""
        with self.db() as db:
            db.execute(
                "UPDATE jobs SET state = ?, updated_at = ? WHERE id = ? AND owner = ?",
                (state, time.time(), job, owner),
            )

    def later(self, job: int, delay: float) -> None:
        """Hand a waiting job back, to be taken again (by any worker) in `delay` seconds."""
        with self.db() as db:
            db.execute(
                "UPDATE jobs SET owner = NULL, heartbeat = ? WHERE id = ?",
                (time.time() + delay, job),
            )

    def review(self, job: int) -> bytes | None:
        with self.db() as db:
            row = db.execute("SELECT review FROM jobs WHERE id = ?", (job,)).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    def waiting_jobs(self) -> list[Job]:
        with self.db() as db:
            rows = db.execute("SELECT * FROM jobs WHERE state = 'waiting' ORDER BY id").fetchall()
        return [_job(r) for r in rows]

    # --- the board -----------------------------------------------------------------------

    def mark(self, journal: int, rows: Sequence[dict[str, Any]]) -> None:
        """Put DOIs on the board (or move them on): what a job found or did with each. A
        DOI's last sending is kept until another is made: a new review of it does not
        hide what the registry said of the last deposit."""
        now = time.time()
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO board (journal, doi, written, title, change, state, job, batch, "
                "submission, message, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (journal, doi) DO UPDATE SET written = excluded.written, "
                "title = COALESCE(excluded.title, board.title), change = excluded.change, "
                "state = excluded.state, job = excluded.job, "
                "batch = COALESCE(excluded.batch, board.batch), "
                "submission = COALESCE(excluded.submission, board.submission), "
                "message = excluded.message, "
                "updated_at = excluded.updated_at",
                [
                    (journal, r["doi"].lower(), r["doi"], r.get("title"), r["change"], r["state"],
                     r["job"], r.get("batch"), r.get("submission"), r.get("message"), now)
                    for r in rows
                ],
            )  # fmt: skip

    def board(
        self,
        journal: int,
        *,
        state: str | None = None,
        text: str | None = None,
        since: float | None = None,
        attention: bool = False,
        limit: int = 500,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The journal's DOIs with what the registry said (the ledger's rows), newest first."""
        where: list[str] = ["b.journal = ?"]
        args: list[Any] = [journal]
        if text:
            where.append("(LOWER(b.doi) LIKE ? OR LOWER(COALESCE(b.title, '')) LIKE ?)")
            args += [f"%{text.lower()}%"] * 2
        if since is not None:
            where.append("b.updated_at >= ?")
            args.append(since)
        with self.db() as db:
            rows = db.execute(
                "SELECT b.*, d.result, d.message AS registry_message, s.state AS sub_state, "
                "s.upload_name, s.updated_at AS sent_at FROM board b LEFT JOIN submissions s "
                "ON s.id = b.submission LEFT JOIN dois d ON d.submission = b.submission AND "
                f"d.doi = b.doi WHERE {' AND '.join(where)} ORDER BY b.updated_at DESC, b.doi",
                args,
            ).fetchall()
        out = [_board_row(r) for r in rows]
        if state:
            out = [r for r in out if state in (r["status"], r["change"])]
        if attention:
            out = [r for r in out if r["attention"]]
        return out[offset : offset + limit]

    def board_row(self, journal: int, doi: str) -> dict[str, Any] | None:
        rows = [r for r in self.board(journal, text=doi) if r["doi"].lower() == doi.lower()]
        return rows[0] if rows else None

    def history(self, journal: int, doi: str) -> list[dict[str, Any]]:
        """Every sending of a DOI by this journal's deposits, oldest first, with what the
        registry said and the batch that carried it."""
        with self.db() as db:
            rows = db.execute(
                "SELECT DISTINCT s.id, s.upload_name, s.endpoint, s.state, s.created_at, "
                "s.updated_at, d.result, d.message, d.timestamp, f.id AS batch FROM dois d JOIN "
                "submissions s ON s.id = d.submission JOIN board_sent x ON x.submission = s.id "
                "JOIN files f ON f.id = x.batch WHERE d.doi = ? AND x.journal = ? ORDER BY s.id",
                (doi.lower(), journal),
            ).fetchall()
        keys = ("submission", "upload_name", "endpoint", "state", "created_at", "updated_at",
                "result", "message", "timestamp", "batch")  # fmt: skip
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def remember_sent(self, journal: int, batch: int, submission: int) -> None:
        """Which ledger submission carried which stored batch, for this journal: a DOI's
        history is read through it (so a journal never reads another's submissions)."""
        with self.db() as db:
            db.execute(
                "INSERT INTO board_sent VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (journal, batch, submission),
            )

    def sent_batch(self, journal: int, batch: int) -> bool:
        with self.db() as db:
            row = db.execute(
                "SELECT 1 FROM board_sent WHERE journal = ? AND batch = ?", (journal, batch)
            ).fetchone()
        return row is not None


PENDING_TOO_LONG = 86400.0  # a DOI the registry has not answered about in a day needs a look


def _board_row(r: Any) -> dict[str, Any]:
    """A board row: its status is the registry's word when there is one (the ledger's
    result), else where the service has it."""
    status = r["state"]
    if r["submission"] is not None and status != "refused":
        status = r["result"] or "pending"
        if r["sub_state"] == "rejected":
            status = "failure"
        elif r["sub_state"] in ("validated", "uploading"):
            status = "sending"
    since = r["updated_at"]
    if r["sent_at"]:  # pending since it was last sent, not since it was last reviewed
        since = dt.datetime.fromisoformat(r["sent_at"]).timestamp()
    stale = status in ("pending", "sending") and time.time() - since > PENDING_TOO_LONG
    return {
        "doi": r["written"],
        "title": r["title"],
        "change": r["change"],
        "status": status,
        "message": r["registry_message"] or r["message"],
        "step": r["state"],  # the latest step: reviewed, asked, queued, sent, ...
        "job": r["job"],
        "batch": r["batch"],
        "submission": r["submission"],
        "upload_name": r["upload_name"],
        "updated_at": r["updated_at"],
        "attention": status in ("failure", "refused") or stale,
    }
