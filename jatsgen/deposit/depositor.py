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
import re
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DepositError, JatsgenError, UnansweredError
from ..safexml import parse_bytes
from ..validation import FileReport, ValidateOptions
from .client import Ambiguous, Credentials, NotSent, RegistryClient
from .ledger import Ledger, Submission
from .plan import FilePlan, plan_files
from .protocol import SubmissionLog, build_log, endpoint_url

MAX_IN_FLIGHT = 5  # the registry processes five submissions per user at a time


@dataclass
class Outcome:
    path: str
    # invalid | skipped | unchanged | received | completed | rejected | unavailable | pending
    # | interrupted (not sent: Ctrl-C came first)
    state: str
    message: str = ""
    upload_name: str | None = None
    submission: int | None = None
    dois: list[tuple[str, str, str]] = field(default_factory=list)  # (doi, result, message)
    report: FileReport | None = None
    plan: FilePlan | None = None  # what was decided for the file (and sent, if it was)

    @property
    def failed(self) -> bool:
        if self.state in ("invalid", "rejected", "unavailable", "pending", "interrupted"):
            return True
        if self.state == "completed" and not self.dois:
            return True  # the registry completed an empty batch: nothing was registered
        return any(result == "failure" for _, result, _ in self.dois)


CLAIM_WAIT = 900.0  # seconds to wait for another run sending the same file


class Depositor:
    """Deposits batch files through `client`, recording every step in `ledger`."""

    def __init__(
        self,
        client: RegistryClient,
        ledger: Ledger | str | Path | None,
        endpoint: str,
        *,
        validate: ValidateOptions | None = None,
        force: bool = False,
        prefixes: tuple[str, ...] = (),
        reassign: Iterable[str] = (),
        claim_tag: str | None = None,
    ) -> None:
        """`reassign`: DOIs the user says may now be registered for another work than the
        one the ledger has them for (`--reassign`). `claim_tag` marks this depositor's
        claims in the ledger, so that whoever resumes its work after it died (on any host)
        can release them (`Ledger.release_tagged`) rather than wait for them to go stale."""
        self.client = client
        self.ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
        self.endpoint = endpoint
        self.validate_options = validate or ValidateOptions()
        self.force = force
        self.prefixes = prefixes
        self.reassign = frozenset(reassign)
        self.claim_tag = claim_tag
        self.notes: list[str] = []  # what could not be done on the way (a refresh, ...)
        self.interrupted = False  # Ctrl-C stopped `deposit` (its outcomes say where)

    def plan(self, paths: Sequence[str | Path]) -> list[FilePlan]:
        """What `deposit(paths)` would do, file by file, sending nothing (`--dry-run`):
        invalid files refused, and each DOI of the others new, updated, unchanged or still
        pending since its last deposit here (the registry is asked first about deposits it
        has not answered); a file this endpoint already took whole, and registered every
        DOI of, is skipped."""
        paths = list(dict.fromkeys(str(Path(p)) for p in paths))  # a file named twice is one
        opts = self.validate_options
        options = ValidateOptions(
            schemas=opts.schemas,
            ignore=opts.ignore,
            prefixes=opts.prefixes or self.prefixes,
            engine=opts.engine,
        )
        plans = plan_files(
            paths,
            self.ledger,
            self.endpoint,
            options,
            force=self.force,
            reassign=self.reassign,
            refresh=self.refresh_dois,
        )
        for fp in plans:
            if self.force or fp.action not in ("send", "unchanged"):
                continue
            for sha in dict.fromkeys((_file_sha(fp.path), fp.sha256)):
                row = self.ledger.received(sha, self.endpoint)
                if row is not None:  # these very bytes were taken, and nothing refused
                    fp.action, fp.message = "skipped", self._received_message(row)
                    break
        return plans

    def deposit(
        self, paths: Sequence[str | Path], on_done: Callable[[Outcome], None] | None = None
    ) -> list[Outcome]:
        """Deposit each file as `plan` decides: what changed since its last deposit here."""
        plans = self.plan(paths)
        outcomes: list[Outcome | None] = [None] * len(plans)

        def settle(i: int, outcome: Outcome) -> None:
            outcomes[i] = outcome
            if on_done:
                on_done(outcome)

        todo: list[tuple[int, FilePlan]] = []
        for i, fp in enumerate(plans):
            if fp.action == "send":
                todo.append((i, fp))
                continue
            row = self.ledger.received(fp.sha256, self.endpoint) if fp.data else None
            if fp.action == "pending":  # what --wait polls: the submission not yet answered
                waited = self.ledger.awaiting([d.doi for d in fp.dois], self.endpoint)
                row = waited[-1] if waited else row
            settle(i, Outcome(fp.path, fp.action, fp.message, report=fp.report,
                              upload_name=row.upload_name if row else None,
                              submission=row.id if row else None, plan=fp))  # fmt: skip

        def one(item: tuple[int, FilePlan]) -> tuple[int, Outcome]:
            i, fp = item
            try:
                outcome = self._deposit_one(fp)
            except UnansweredError as exc:  # sent, maybe arrived: the ledger holds it as such
                said = (
                    f"whether the registry took it is not known yet ({exc}); run the same "
                    "command again: it asks the registry before sending anything again"
                )
                outcome = Outcome(fp.path, "unavailable", self.client.creds.redact(said))
            except DepositError as exc:
                outcome = Outcome(fp.path, "rejected", self.client.creds.redact(str(exc)))
            outcome.report, outcome.plan = fp.report, fp
            if fp.message:  # e.g. "2 of 40 DOI(s) sent: ...; only the changed works are sent"
                outcome.message = f"{outcome.message}; {fp.message}"
            return i, outcome

        pool = ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT)
        futures = [pool.submit(one, item) for item in todo]
        try:
            for future in futures:  # in the order given: the lines a run prints are stable
                settle(*future.result())
        except KeyboardInterrupt:  # Ctrl-C: nothing more starts; what is on the wire ends
            self.interrupted = True
            pool.shutdown(wait=True, cancel_futures=True)
            for future, (i, fp) in zip(futures, todo, strict=True):
                if outcomes[i] is not None:
                    continue
                if future.done() and not future.cancelled():
                    settle(*future.result())
                else:
                    settle(i, Outcome(fp.path, "interrupted", "not sent: the run was "
                                      "interrupted first", report=fp.report, plan=fp))  # fmt: skip
        finally:
            pool.shutdown(wait=True)
        return [o for o in outcomes if o is not None]

    def _received_message(self, row: Submission) -> str:
        return (
            f"already {row.state} by {self.endpoint} as "
            f"{row.upload_name}; nothing sent (use --force to send it again)"
        )

    def _deposit_one(self, plan: FilePlan) -> Outcome:
        """Send one planned file, holding the ledger's claim on (file, endpoint) meanwhile:
        another run (or thread) sending the same file waits, then finds it received."""
        token = f"{self.claim_tag}:{uuid.uuid4().hex}" if self.claim_tag else uuid.uuid4().hex
        deadline = time.monotonic() + CLAIM_WAIT
        while (holder := self.ledger.claim(plan.sha256, self.endpoint, token)) is not None:
            if time.monotonic() > deadline:
                return Outcome(
                    plan.path,
                    "unavailable",
                    f"another jatsgen run ({holder}) is still sending this file to "
                    f"{self.endpoint}; nothing sent (run the same command again later)",
                )
            time.sleep(0.2)
        try:
            row = None if self.force else self.ledger.received(plan.sha256, self.endpoint)
            if row is not None:  # sent by the run that held the claim
                return Outcome(
                    plan.path, "skipped", self._received_message(row), row.upload_name, row.id
                )
            return self._claimed(plan)
        finally:
            self.ledger.release(plan.sha256, self.endpoint, token)

    def _claimed(self, plan: FilePlan) -> Outcome:
        path, data, sha = plan.path, plan.data, plan.sha256
        root = parse_bytes(data, path).getroot()
        batch_id = (root.findtext("{*}head/{*}doi_batch_id") or Path(path).stem).strip()
        reuse: Submission | None = None
        for r in self.ledger.submissions_of(sha, self.endpoint):
            state = r.state
            if state == "uploading":
                # a run was interrupted, or the last answer was ambiguous: ask first
                if self.client.arrived(r.upload_name):
                    self._set(r.id, "received", "found at the registry on resume")
                    return Outcome(
                        path,
                        "received",
                        "received (confirmed after an interrupted run)",
                        r.upload_name,
                        r.id,
                    )
                self._set(r.id, "validated", "not at the registry; will be sent again")
                state = "validated"
            if state == "validated" and not self.force:
                reuse = r
        if reuse is not None:
            return self._send(path, reuse.id, reuse.upload_name, data)
        stem = re.sub(r"[^\w.-]+", "_", batch_id)
        name = f"{stem}-{uuid.uuid4().hex[:10]}.xml"
        row_id = self.ledger.add_submission(
            sha, str(Path(path).resolve()), name, batch_id, self.endpoint, plan.carried
        )
        return self._send(path, row_id, name, data)

    def _set(self, row_id: int, state: str, message: str | None = None) -> None:
        self.ledger.set_state(row_id, state, message)

    def _send(self, path: str, row_id: int, name: str, data: bytes) -> Outcome:
        policy = self.client.policy
        last = ""
        for attempt in range(policy.attempts):
            self.ledger.start_upload(row_id)
            try:
                self.client.upload(name, data)
            except NotSent as exc:
                self._set(row_id, "validated", f"not sent: {exc}")
                last = str(exc)
                time.sleep(policy.backoff(attempt, exc.retry_after))
                continue
            except Ambiguous as exc:
                last = str(exc)
                time.sleep(policy.backoff(0, exc.retry_after))
                if self.client.arrived(name):
                    self._set(row_id, "received", f"received (confirmed after {exc})")
                    return Outcome(path, "received", _taken(name), name, row_id)
                self._set(row_id, "validated", f"did not arrive ({exc}); sending again")
                time.sleep(policy.backoff(attempt, exc.retry_after))
                continue
            except DepositError as exc:
                message = self.client.creds.redact(str(exc))
                self._set(row_id, "rejected", message)
                self.ledger.refuse_dois(
                    row_id, f"not registered: the upload was refused ({message})"
                )
                return Outcome(path, "rejected", message, name, row_id)
            self._set(row_id, "received", "received")
            return Outcome(path, "received", _taken(name), name, row_id)
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
            o
            for o in outcomes
            if o.state in ("received", "skipped", "pending") and o.submission is not None
        ]
        deadline = time.monotonic() + timeout
        delay = interval
        unanswered: dict[int, str] = {}
        while pending:
            still = []
            for o in pending:
                try:
                    done = self.refresh(o)
                    unanswered.pop(id(o), None)
                except UnansweredError as exc:  # no news is not a verdict: ask again later
                    unanswered[id(o)] = str(exc)
                    done = False
                if done:
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
                    o.message = (
                        f"{unanswered[id(o)]}; run `jatsgen status` later"
                        if id(o) in unanswered
                        else "still being processed by the registry; run `jatsgen status` later"
                    )
                break
            time.sleep(delay)
            delay = min(delay * 1.5, 60.0)

    def refresh(self, o: Outcome) -> bool:
        """Fetch the submission log once; True when it is complete (and recorded)."""
        assert o.submission is not None and o.upload_name is not None
        if self.ledger.submission(o.submission).state != "completed":
            log = self.client.result(o.upload_name)
            if not log.completed:
                return False
            self.record(o.submission, log)
        done = self.ledger.submission(o.submission)
        o.state = "completed"
        o.dois = [(r.doi, r.result, r.message or "") for r in done.dois]
        o.message = done.message or ""
        return True

    def refresh_dois(self, dois: list[str]) -> None:
        """Ask the registry about every submission to this endpoint still awaiting its
        answer that carries any of `dois`, recording the answers (before planning: the
        registry's word decides what is unchanged). What cannot be asked is a note; those
        DOIs stay pending."""
        for s in self.ledger.awaiting(dois, self.endpoint):
            o = Outcome(s.source_path, "received", "", s.upload_name, s.id)
            try:
                self.refresh(o)
            except JatsgenError as exc:
                self.notes.append(
                    self.client.creds.redact(f"note: {s.upload_name}: not refreshed ({exc})")
                )

    def record(self, submission: int, log: SubmissionLog) -> None:
        """Store a completed log: one result per DOI, the raw log, and a batch summary; the
        password redacted from whatever the registry echoed, before anything is kept."""
        redact = self.client.creds.redact
        for said in log.records:
            said.message = redact(said.message)
        batch_level = [r for r in log.records if not r.doi]
        by_doi = {r.doi.lower(): r for r in log.records if r.doi}
        results: dict[str, tuple[str, str, str | None]] = {}
        for d in self.ledger.submission(submission).dois:
            key = d.doi.lower()  # (the ledger's key; d.doi is as the file wrote it)
            r = by_doi.get(key)
            if r is not None:
                result = {"Success": "success", "Warning": "warning"}.get(r.status, "failure")
                results[key] = (result, explain(r.message, r.msg_id), r.msg_id)
            elif batch_level:
                results[key] = ("failure", explain(batch_level[0].message, None), None)
            else:
                results[key] = ("failure", "not in the submission log", None)
        summary = (
            f"{log.record_count} record(s): {log.success_count} success, "
            f"{log.warning_count} warning, {log.failure_count} failure"
        )
        if log.record_count == 0:
            summary = "the registry processed no records (an empty or unreadable batch)"
        self.ledger.complete(
            submission,
            redact(log.submission_id),
            redact(build_log(log).decode("utf-8")),
            summary,
            results,
        )


def _file_sha(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def refresh_pending(ledger: Ledger, creds: Credentials) -> list[str]:
    """Ask the registry about every submission the ledger holds as received but not yet
    processed, recording the logs that are complete; notes on those that could not be asked."""
    notes = []
    for s in ledger.submissions():
        if s.state != "received":
            continue
        client = RegistryClient(endpoint_url(s.endpoint), creds, label=s.endpoint)
        o = Outcome(s.source_path, "received", "", s.upload_name, s.id)
        try:
            Depositor(client, ledger, s.endpoint).refresh(o)
        except JatsgenError as exc:
            notes.append(creds.redact(f"note: {s.upload_name}: not refreshed ({exc})"))
    return notes


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


def _taken(name: str) -> str:
    """What a received upload's line says (`path: received: ...`)."""
    return f"the registry took it as {name}"
