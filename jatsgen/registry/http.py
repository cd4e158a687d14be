"""The sandbox's HTTP face: the registry's two servlets (deposit and submissionDownload),
with its answers, status codes and injected faults."""

from __future__ import annotations

import email.parser
import email.policy
import sys
import time
import urllib.parse
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast

from lxml import etree

from ..deposit.protocol import (
    DEPOSIT_PATH,
    DOWNLOAD_PATH,
    SUCCESS_SENTENCE,
    SubmissionLog,
    build_log,
)
from ..errors import RegistryAuthError
from .accounts import Account
from .sandbox import Sandbox

Form = tuple[dict[str, str], tuple[str, bytes] | None]


def parse_form(path: str, ctype: str, body: bytes) -> Form:
    """Fields and the uploaded file from a query string, urlencoded or multipart body."""
    fields = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
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


def _page(title: str, text: str = "") -> bytes:
    return f"<html><body><h1>{title}</h1>{text}</body></html>".encode()


class SandboxHandler(BaseHTTPRequestHandler):
    server_version = "jatsgen-sandbox/1"
    timeout = 30  # seconds a client may take between bytes: half-sent requests do not pile up

    @property
    def sandbox(self) -> Sandbox:
        return cast(SandboxServer, self.server).sandbox

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

    def _too_large(self) -> None:
        limit = self.sandbox.max_upload
        self._send(413, _page("413", f"File too large: the limit is {limit} bytes"))

    def _body(self) -> bytes | None:
        """The request body, or None once an error has been answered: a length that is not
        a number, negative, or over the upload limit (checked before anything is read)."""
        raw = (self.headers.get("Content-Length") or "0").strip()
        if not raw.isdigit():
            self._send(400, _page("400", "Content-Length must be a number of bytes"))
            self.close_connection = True
            return None
        length = int(raw)
        if length > self.sandbox.max_upload + 64 * 1024:
            self._too_large()
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        route = urllib.parse.urlsplit(self.path).path
        if route not in (DEPOSIT_PATH, DOWNLOAD_PATH):
            self._send(404, _page("404 Not Found"))
            return
        body = self._body()
        if body is None:
            return
        fault = self.sandbox.faults.draw()
        if self._injected(fault):
            return
        fields, upload = parse_form(self.path, self.headers.get("Content-Type", ""), body)
        try:
            account = self.sandbox.authenticate(
                fields.get("login_id") or fields.get("usr") or "",
                fields.get("login_passwd") or fields.get("pwd") or "",
            )
        except RegistryAuthError as exc:
            self._send(401, _page("401", str(exc)))
            return
        if route == DEPOSIT_PATH:
            self._deposit(account, upload, fault, fields.get("operation") or "doMDUpload")
        else:
            self._download(account, fields, fault)

    def _injected(self, fault: str | None) -> bool:
        """Answer with an injected fault before the request is handled; True if one was."""
        if fault == "drop":
            self._drop()
        elif fault in ("500", "503"):
            self._send(
                int(fault),
                _page(
                    f"{fault} Service Unavailable",
                    "No server is available to handle this request.",
                ),
            )
        elif fault == "429":
            self._send(
                429,
                _page("429 Too Many Requests"),
                headers={"Retry-After": str(self.sandbox.faults.retry_after)},
            )
        else:
            return False
        return True

    def _deposit(
        self,
        account: Account,
        upload: tuple[str, bytes] | None,
        fault: str | None,
        operation: str,
    ) -> None:
        if upload is None:
            self._send(400, _page("400", "No file part 'fname'"))
            return
        name, data = upload
        if len(data) > self.sandbox.max_upload:
            self._too_large()
            return
        if operation not in ("doMDUpload", "doDOICitUpload"):
            self._send(400, _page("400", f"Unsupported operation: {operation}"))
            return
        self.sandbox.store_upload(account, name, data, operation)
        if fault == "lost":
            self._drop()
            return
        if fault == "latency":
            time.sleep(self.sandbox.faults.latency)
        self._send(
            200,
            f"<html><head><title>SUCCESS</title></head><body><h2>SUCCESS</h2>"
            f"<p>{SUCCESS_SENTENCE}</p></body></html>".encode(),
        )

    def _download(self, account: Account, fields: dict[str, str], fault: str | None) -> None:
        if fault in ("lost", "latency"):
            time.sleep(self.sandbox.faults.latency)
        kind = fields.get("type", "result")
        row = self.sandbox.find(account, fields.get("file_name"), fields.get("doi_batch_id"))
        if row is None:
            log = SubmissionLog("unknown_submission", "0", "")
            self._send(200, build_log(log), "application/xml")
        elif kind == "contents":
            self._send(200, Path(row.path).read_bytes(), "application/xml")
        elif row.state != "completed" or row.log_xml is None:
            state = "in_process" if row.state == "in_process" else "queued"
            log = SubmissionLog(state, str(row.id), row.batch_id or "")
            self._send(200, build_log(log), "application/xml")
        elif fault == "echo":  # the log's messages repeat the request, password and all
            self._send(200, _echoing(row.log_xml, fields), "application/xml")
        else:
            self._send(200, row.log_xml, "application/xml")


def _echoing(log_xml: bytes, fields: dict[str, str]) -> bytes:
    """A submission log whose every message echoes the request's password, as a careless
    server does: URL-encoded, as character references, and as it was typed."""
    password = fields.get("login_passwd") or fields.get("pwd") or ""
    echo = (
        f" [request: login_passwd={urllib.parse.quote(password)}; "
        f"{''.join(f'&#{ord(c)};' for c in password)}; {password}]"
    )
    root = etree.fromstring(log_xml)
    for msg in root.iter("msg"):
        msg.text = (msg.text or "") + echo
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return out


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        super().__init__(address, SandboxHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-request is normal here (clients are killed in tests);
        anything else is still reported."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    return SandboxServer((host, port), sandbox)


def sandbox_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    name = host.decode() if isinstance(host, bytes) else host
    return f"http://{name}:{port}"
