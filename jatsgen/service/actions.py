"""What the pages and the API both do, written once: make a journal, set a person's role,
take an upload, start or ask for a deposit, read the board; each refusal a `Refused` with
its rule id."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any

from fastapi import UploadFile

from ..deposit.protocol import endpoint_url
from ..errors import ConfigError, JatsgenError
from .app import MAX_UPLOAD, Refused
from .auth import ROLES, Caller, digest, hash_password, new_secret
from .store import Job, Journal
from .work import Service, account_key, findings, journal_config, upload_key

EXAMPLE_CONFIG = """\
[depositor]
name = "Production office"
email = "doi@press.example.org"

[registrant]
name = "Example University Press"

[doi]
prefix = "10.5555"
suffix = "{year}.{number}"
resource = "https://press.example.org/{year}/{number}"
"""
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def config_problems(text: str) -> list[dict[str, Any]]:
    """The config checked as `jatsgen.toml` is, and one rule more: registry credentials go
    in the journal's credentials (kept encrypted), never in its config."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        journal = Journal(0, "check", "check", text, "test", False)
        try:
            journal_config(journal, Path(folder))
            found: list[dict[str, Any]] = []
        except ConfigError as exc:
            found = findings(exc.diagnostics, Path(folder))
    try:
        registry = tomllib.loads(text).get("registry", {})
    except tomllib.TOMLDecodeError:
        registry = {}
    for key in ("user", "password", "role"):
        if isinstance(registry, dict) and key in registry:
            found.append({
                "type": "finding", "file": "jatsgen.toml", "line": None, "row": None,
                "column": None, "severity": "error", "rule": "service.credentials-in-config",
                "message": f"[registry] {key} does not belong in the config here: enter the "
                "registry credentials in the journal's credentials form (kept encrypted)",
                "path": f"registry.{key}",
            })  # fmt: skip
    return found


def _said(found: list[dict[str, Any]]) -> list[str]:
    return [
        f"{f['file']}{':' + str(f['line']) if f['line'] else ''}: {f['severity']} "
        f"[{f['rule']}]: {f['message']}"
        for f in found
    ]


def _endpoint(endpoint: str) -> str:
    try:
        endpoint_url(endpoint.strip())
    except JatsgenError as exc:
        raise Refused(422, "service.endpoint", str(exc).replace("--endpoint ", "")) from None
    return endpoint.strip()


def add_journal(svc: Service, slug: str, name: str, config: str, endpoint: str) -> int:
    if not SLUG.match(slug):
        raise Refused(422, "service.slug", f"{slug!r}: use a-z, 0-9 and -, up to 40 characters")
    if svc.store.journal(slug) is not None:
        raise Refused(409, "service.exists", f"there is already a journal {slug!r}")
    found = config_problems(config)
    if found:
        raise Refused(422, found[0]["rule"], "; ".join(_said(found)), found)
    return svc.store.add_journal(slug, name.strip() or slug, config, _endpoint(endpoint))


def save_settings(
    svc: Service, journal: Journal, name: str, endpoint: str, config: str
) -> list[str]:
    """Save the journal's settings, or say every problem with them (nothing saved)."""
    found = config_problems(config)
    if found:
        return _said(found)
    try:
        where = _endpoint(endpoint)
    except Refused as exc:
        return [exc.message]
    svc.store.update_journal(journal.id, config=config, endpoint=where, name=name.strip())
    return []


def set_member(svc: Service, journal: Journal, login: str, role: str) -> str | None:
    """Give `login` a role in the journal (or none); a new person is made with a one-time
    password, returned to be shown once."""
    login = login.strip()
    if role and role not in ROLES:
        raise Refused(422, "service.role-name", f"{role!r}: a role is one of {', '.join(ROLES)}")
    if not re.match(r"^[\w.@+-]{1,80}$", login):
        raise Refused(422, "service.login-name", f"{login!r}: use letters, digits and . @ + - _")
    secret = None
    found = svc.store.person_login(login)
    if found is None:
        secret = new_secret()[:20]
        person = svc.store.add_person(login, hash_password(secret))
    else:
        person = found[0].id
    svc.store.set_role(person, journal.id, role or None)
    return secret


def make_token(svc: Service, journal: Journal, caller: Caller, name: str, role: str) -> str:
    if role not in ROLES:
        raise Refused(422, "service.role-name", f"{role!r}: a role is one of {', '.join(ROLES)}")
    assert caller.person is not None
    token = new_secret("jg_")
    svc.store.add_token(name.strip() or "token", digest(token), journal.id, role, caller.person.id)
    return token


def read_uploads(files: list[UploadFile]) -> list[tuple[str, bytes]]:
    """The uploaded files (name, bytes), within the upload limit."""
    out, size = [], 0
    for f in files:
        data = f.file.read(MAX_UPLOAD + 1 - size)
        size += len(data)
        if size > MAX_UPLOAD:
            raise Refused(413, "service.too-large", f"an upload holds at most {MAX_UPLOAD} bytes")
        if f.filename:
            out.append((Path(f.filename).name or "upload", data))
    if not out:
        raise Refused(422, "service.no-files", "choose at least one file to upload")
    return out


def upload(svc: Service, journal: Journal, caller: Caller, files: list[tuple[str, bytes]]) -> int:
    person = caller.person.id if caller.person else None
    return svc.store.add_job(journal.id, "prepare", person=person, files=files,
                             account=upload_key(journal))  # fmt: skip


def job_action(svc: Service, caller: Caller, job: Job, journal: Journal, action: str) -> int:
    """Deposit a review (`deposit`), ask a depositor to (`ask`), or deposit what was asked
    (`approve`); the deposit job's number."""
    if action == "approve":
        if job.kind != "deposit" or job.state != "asked":
            raise Refused(409, "service.not-asked", f"job {job.id} is not a deposit asked for")
        svc.store.release(job.id, "queued")
        svc.store.mark(journal.id, _marks(svc, job.parent or 0, "queued", job.id))
        return job.id
    if job.kind == "prepare" and job.result.get("errors"):
        errors = [f for f in job.result.get("findings", []) if f["severity"] == "error"]
        for e in job.result.get("entries", []):
            errors += [f for f in e["findings"] if f["severity"] == "error"]
        rule = errors[0]["rule"] if errors else "service.has-errors"
        raise Refused(409, rule, f"the review found {job.result['errors']} error(s): mend the "
                      "inputs and upload them again; nothing is sent", errors)  # fmt: skip
    if job.kind != "prepare" or job.state != "done":
        raise Refused(409, "service.not-ready", f"job {job.id} is not a finished review")
    sealed = svc.store.credentials(journal.id)
    if sealed is None:
        raise Refused(409, "service.no-credentials", "the journal has no registry credentials: "
                      "an admin of the journal sets them in its settings")  # fmt: skip
    state = "queued" if action == "deposit" else "asked"
    account = account_key(journal, svc.vault.open(sealed).user)
    person = caller.person.id if caller.person else None
    made = svc.store.add_job(journal.id, "deposit", state=state, parent=job.id, person=person,
                             account=account)  # fmt: skip
    svc.store.mark(journal.id, _marks(svc, job.id, state, made))
    return made


def _marks(svc: Service, prepare: int, state: str, job: int) -> list[dict[str, Any]]:
    found = svc.store.job(prepare)
    entries = found.result.get("entries", []) if found else []
    return [{"doi": e["doi"], "change": e["status"], "state": state, "job": job} for e in entries]


def since_seconds(since: str) -> float | None:
    """A board's "since" date (YYYY-MM-DD) as seconds; an unreadable one is refused."""
    if not since:
        return None
    try:
        return dt.datetime.fromisoformat(since).replace(tzinfo=dt.UTC).timestamp()
    except ValueError:
        raise Refused(422, "service.bad-date", f"since {since!r}: write YYYY-MM-DD") from None


def board(
    svc: Service,
    journal: Journal,
    state: str,
    text: str,
    since: str,
    attention: str | bool,
    limit: int = 500,
    offset: int = 0,
) -> list[dict[str, Any]]:
    if not 1 <= limit <= 10_000 or offset < 0:
        raise Refused(422, "service.page", "limit is 1 to 10000, offset 0 or more")
    return svc.store.board(journal.id, state=state or None, text=text.strip() or None,
                           since=since_seconds(since), attention=bool(attention), limit=limit,
                           offset=offset)  # fmt: skip


def doi(svc: Service, journal: Journal, name: str) -> tuple[dict[str, Any] | None, list[Any]]:
    row = svc.store.board_row(journal.id, name)
    history = svc.store.history(journal.id, name)
    if row is None and not history:
        raise Refused(404, "service.not-found", f"{name} is not a DOI of {journal.slug}")
    return row, history


def batch(svc: Service, journal: Journal, batch: int) -> tuple[str, bytes]:
    found = svc.store.file(batch)
    job = svc.store.job(found[0]) if found else None
    if found is None or job is None or job.journal != journal.id:
        raise Refused(404, "service.not-found", f"no batch {batch} in {journal.slug}")
    return found[1], found[2]
