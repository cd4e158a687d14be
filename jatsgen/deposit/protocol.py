"""The registry's deposit protocol: endpoints, form fields, and the submission log format.

Shared by the deposit client and the local sandbox registry, so both speak exactly the same
dialect (see ../shared/docs/crossref-protocol.md for the sources).
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

from lxml import etree

from ..errors import JatsgenError
from ..safexml import local, parse_bytes
from ..text import show_forbidden

ENDPOINTS = {"test": "https://test.crossref.org", "production": "https://doi.crossref.org"}
DEPOSIT_PATH = "/servlet/deposit"
DOWNLOAD_PATH = "/servlet/submissionDownload"
SUCCESS_SENTENCE = "Your batch submission was successfully received."
MSG_TIMESTAMP = "4"  # msg_id of "submitted version ... is less or equal to previously submitted"


def endpoint_url(endpoint: str) -> str:
    """'test', 'production' or a base URL such as http://127.0.0.1:8080 -> the base URL in
    one spelling: `...:8080`, `...:8080/` and `HTTP://...:8080//` are one registry, so the
    ledger (which keys every submission on it) sees one endpoint, not three."""
    if endpoint in ENDPOINTS:
        return ENDPOINTS[endpoint]
    parts = urllib.parse.urlsplit(endpoint.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise JatsgenError(
            f"--endpoint {endpoint!r}: use test, production or a URL such as http://127.0.0.1:8080"
        )
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    port = parts.port
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    return f"{scheme}://{host}{path}"


@dataclass
class RecordResult:
    doi: str
    status: str  # Success | Warning | Failure
    message: str
    msg_id: str | None = None
    conflicts: list[str] = field(default_factory=list)

    @property
    def registered(self) -> bool:
        """Warnings (e.g. "Added with conflict") are registered DOIs too."""
        return self.status in ("Success", "Warning")


@dataclass
class SubmissionLog:
    status: str  # completed | unknown_submission | in_process | ...
    submission_id: str
    batch_id: str
    records: list[RecordResult] = field(default_factory=list)
    record_count: int = 0
    success_count: int = 0
    warning_count: int = 0
    failure_count: int = 0

    @property
    def completed(self) -> bool:
        return self.status == "completed"


def parse_log(data: bytes) -> SubmissionLog:
    """A `doi_batch_diagnostic` document; tolerant of missing attributes and counts."""
    root = parse_bytes(data, "submission log").getroot()
    if local(root) != "doi_batch_diagnostic":
        raise JatsgenError(f"the registry answered with <{local(root)}>, not a submission log")

    def text(el: etree._Element | None) -> str:
        return (el.text or "").strip() if el is not None else ""

    log = SubmissionLog(
        root.get("status") or "completed",
        text(root.find("submission_id")),
        text(root.find("batch_id")),
    )
    for rd in root.iterfind("record_diagnostic"):
        msg = rd.find("msg")
        message = text(msg) if msg is not None else "".join(rd.itertext()).strip()
        log.records.append(
            RecordResult(
                text(rd.find("doi")),
                rd.get("status") or "Failure",
                message,
                rd.get("msg_id"),
                [text(d) for d in rd.iterfind("dois_in_conflict/doi")],
            )
        )
    data_el = root.find("batch_data")
    if data_el is not None:
        for name in ("record_count", "success_count", "warning_count", "failure_count"):
            value = text(data_el.find(name))
            setattr(log, name, int(value) if value.isdigit() else 0)
    else:
        log.record_count = len(log.records)
        log.success_count = sum(r.status == "Success" for r in log.records)
        log.warning_count = sum(r.status == "Warning" for r in log.records)
        log.failure_count = sum(r.status == "Failure" for r in log.records)
    return log


def build_log(log: SubmissionLog, server: str = "sandbox") -> bytes:
    """The XML the registry returns for a submission (used by the sandbox, and to keep a
    log in the ledger). Whatever a text holds (a file name with a control character), the
    log is written: a character XML forbids is written as its code point."""
    root = etree.Element("doi_batch_diagnostic", status=log.status, sp=server)
    etree.SubElement(root, "submission_id").text = show_forbidden(log.submission_id)
    etree.SubElement(root, "batch_id").text = show_forbidden(log.batch_id) or None
    for r in log.records:
        rd = etree.SubElement(root, "record_diagnostic", status=r.status)
        if r.msg_id:
            rd.set("msg_id", show_forbidden(r.msg_id))
        etree.SubElement(rd, "doi").text = show_forbidden(r.doi) or None
        etree.SubElement(rd, "msg").text = show_forbidden(r.message)
        if r.conflicts:
            box = etree.SubElement(rd, "dois_in_conflict")
            for doi in r.conflicts:
                etree.SubElement(box, "doi").text = show_forbidden(doi)
    if log.completed:
        data = etree.SubElement(root, "batch_data")
        for name in ("record_count", "success_count", "warning_count", "failure_count"):
            etree.SubElement(data, name).text = str(getattr(log, name))
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return out
