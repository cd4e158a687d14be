"""A local registry that speaks the deposit protocol, for rehearsal and tests.

`jatsgen registry serve` runs it: accounts with passwords, roles and owned prefixes; uploads
stored durably before the 200 answer; asynchronous processing through a queue (at most five
submissions per user at a time, as the registry does); validation with the official XSDs;
the registry's per-record rules (one prefix per file, prefix owned, timestamp newer than the
stored one); submission logs in the registry's XML; everything persisted in SQLite; and fault
injection so a client's resilience can be shown, not assumed.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from lxml import etree

from ..deposit.protocol import MSG_TIMESTAMP, RecordResult, SubmissionLog, build_log
from ..errors import InputError
from ..registration import doi_holders
from ..safexml import local, parse_bytes
from ..validation import RULES, FileReport, ValidateOptions, Validator
from ..validation.rules import MAX_TIMESTAMP  # what the store (SQLite INTEGER) holds
from .accounts import Account, authenticate
from .faults import Faults
from .store import RegistryStore, Upload

MAX_PER_USER = 5


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
        self.store = RegistryStore(self.data)
        self.accounts = accounts
        self.faults = faults or Faults()
        self.process_delay = process_delay
        self.max_upload = max_upload
        self.validator = Validator(
            ValidateOptions(schemas=schemas, ignore=frozenset(r for r in RULES if r != "xsd"))
        )
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._active: dict[str, int] = {}
        self.store.requeue_interrupted()
        self._threads = [
            threading.Thread(target=self._work, daemon=True, name=f"queue-{i}")
            for i in range(workers)
        ]
        for t in self._threads:
            t.start()

    def close(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        for t in self._threads:
            t.join(timeout=5)

    def authenticate(self, login_id: str, password: str) -> Account:
        return authenticate(self.accounts, login_id, password)

    def store_upload(
        self, account: Account, file_name: str, data: bytes, operation: str = "doMDUpload"
    ) -> int:
        """Store an upload durably and wake a worker; only then may the caller answer."""
        sid = self.store.store(account.user, file_name, data, operation)
        with self._wake:
            self._wake.notify()
        return sid

    def find(self, account: Account, file_name: str | None, batch_id: str | None) -> Upload | None:
        return self.store.find(account.user, file_name, batch_id)

    def witness(self) -> dict[str, object]:
        return self.store.witness()

    # --- the processing queue ---------------------------------------------------------------

    def _claim(self, user: str) -> bool:
        """A processing slot for `user` (called under the store's lock)."""
        if self._active.get(user, 0) >= MAX_PER_USER:
            return False
        self._active[user] = self._active.get(user, 0) + 1
        return True

    def _work(self) -> None:
        while not self._stop.is_set():
            upload = self.store.take_next(self._claim)
            if upload is None:
                with self._wake:
                    self._wake.wait(timeout=0.2)
                continue
            try:
                self._settle(upload)
            finally:
                with self.store.lock:
                    self._active[upload.user] -= 1

    def _settle(self, upload: Upload) -> None:
        """Process one upload into its log. Whatever goes wrong is that submission's
        failure, recorded in its log; the worker lives on to take the next one."""
        if self.process_delay:
            time.sleep(self.process_delay)
        try:
            log = self.process(upload)
        except Exception as exc:  # a bug or a full disk: the submission fails, not the queue
            log = _failed(
                str(upload.id),
                upload.file_name,
                f"Error: the submission could not be processed ({type(exc).__name__}: {exc})",
            )
        try:
            self.store.complete(upload.id, build_log(log), log.batch_id)
        except Exception as exc:  # cannot record that log: record that it failed, plainly
            sys.stderr.write(f"sandbox: submission {upload.id}: log not recorded: {exc}\n")
            plain = _failed(str(upload.id), "", f"Error: the submission log failed ({exc})")
            try:
                self.store.complete(upload.id, build_log(plain), "")
            except Exception as again:  # a full disk: left queued for the next start
                sys.stderr.write(f"sandbox: submission {upload.id} not recorded: {again}\n")

    def process(self, upload: Upload) -> SubmissionLog:
        """Validate an upload and apply the registry's per-record rules."""
        sid = str(upload.id)
        data = Path(upload.path).read_bytes()
        account = self.accounts.get(upload.user)
        try:
            tree = parse_bytes(data, upload.file_name)
        except InputError as exc:
            return _failed(sid, upload.file_name, f"Error: {exc.diagnostics[0].message}")
        root = tree.getroot()
        batch_id = root.findtext("{*}head/{*}doi_batch_id") or upload.file_name
        report = self.validator.validate_tree(tree, FileReport(upload.file_name))
        errors = [d for d in report.diagnostics if d.severity == "error"]
        if errors:
            return _failed(sid, batch_id, "\n".join(f"Error: {d.message}" for d in errors[:10]))
        works = _registrations(root)
        too_large = [stamp for _, stamp, _ in works if not 0 <= stamp <= MAX_TIMESTAMP]
        if too_large:
            return _failed(
                sid,
                batch_id,
                f"Error: timestamp {too_large[0]} is larger than a timestamp can be "
                f"({MAX_TIMESTAMP}), or not a whole number",
            )
        prefixes = {doi.split("/", 1)[0] for doi, _, _ in works}
        owned = account.prefixes if account is not None else ()
        # a resource-only deposit adds resources to a registered DOI: no timestamp of its own
        resources = "doi_resources_schema" in (etree.QName(root).namespace or "")
        if resources:  # one record per DOI, whatever number of parts it gains
            works = list({doi.lower(): (doi, st, res) for doi, st, res in works}.values())
        wanted = "doDOICitUpload" if resources else "doMDUpload"
        if upload.operation != wanted:
            what = "a resource-only deposit (doi_resources)" if resources else "a metadata deposit"
            return _failed(
                sid,
                batch_id,
                f"Error: {what} is sent with operation={wanted}, not {upload.operation}",
            )

        def judge(doi: str, stamp: int, stored: int | None) -> tuple[str, str, str | None]:
            prefix = doi.split("/", 1)[0]
            if len(prefixes) > 1:
                return "Failure", "All prefixes in a submission must match", None
            if prefix not in owned:
                return "Failure", f"User not allowed to add records for prefix: {prefix}", None
            if resources:
                if stored is None:
                    return "Failure", f"DOI {doi} is not registered: resources need a DOI", None
                return "Success", "Successfully updated resources", None
            if stored is not None and stamp <= stored:
                return (
                    "Failure",
                    f"Record not processed because submitted version: {stamp} is less or "
                    "equal to previously submitted version (DOI match)",
                    MSG_TIMESTAMP,
                )
            return "Success", f"Successfully {'added' if stored is None else 'updated'}", None

        log = SubmissionLog("completed", sid, batch_id)
        keep_stamps = resources  # resources leave the record's timestamp as it is
        for doi, status, message, msg_id in self.store.register(upload, works, judge,
                                                                keep_stamps):  # fmt: skip
            log.records.append(RecordResult(doi, status, message, msg_id))
        log.record_count = len(log.records)
        log.success_count = sum(r.status == "Success" for r in log.records)
        log.failure_count = sum(r.status == "Failure" for r in log.records)
        return log


def _registrations(root: etree._Element) -> list[tuple[str, int, str]]:
    """(DOI, timestamp, resource) of each DOI the deposit registers: in a doi_data, or bare
    in a child of the body (pending_publication, a resource-only deposit's records); its
    own timestamp, else the head's. A timestamp that is no number is -1 (refused below)."""

    def stamp(text: str | None, default: int) -> int:
        value = (text or "").strip()
        if not value:
            return default
        ok = value.isascii() and value.isdigit() and len(value) < 400  # (int() of 4,300+
        return int(value) if ok else -1  # digits raises)

    head = stamp(root.findtext("{*}head/{*}timestamp"), 0)
    body = next((c for c in root if local(c) == "body"), None)
    out = []
    for holder, doi in (doi_holders(body) if body is not None else {}).items():
        data = next((c for c in holder if local(c) == "doi_data"), None)
        own = data.findtext("{*}timestamp") if data is not None else None
        resource = (data.findtext("{*}resource") or "").strip() if data is not None else ""
        out.append((doi, stamp(own, head), resource))
    return out


def _failed(sid: str, batch_id: str, message: str) -> SubmissionLog:
    return SubmissionLog(
        "completed", sid, batch_id, [RecordResult("", "Failure", message)], 1, 0, 0, 1
    )
