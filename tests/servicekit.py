"""The service as its users meet it: `jatsgen serve` started as a real process on a free
port, and a person's (or a system's) session with it over HTTP."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from conftest import EXAMPLES, ROOT

CONFIG_B = """\
[depositor]
name = "Other press"
email = "doi@other.example.org"

[registrant]
name = "Other press"

[doi]
prefix = "10.9999"
suffix = "b.{year}.{number}"
resource = "https://other.example.org/{year}/{number}"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """One `jatsgen serve` process."""

    def __init__(self, data: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data.parent / f"{data.name}-{self.port}.log"
        data.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jatsgen",
                "serve",
                "--data",
                str(data),
                "--port",
                str(self.port),
                *args,
            ],
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(self.url + "/login", timeout=2)
                break
            except requests.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"jatsgen serve did not start:\n{self.output()}")
                time.sleep(0.2)

    def output(self) -> str:
        return self.log.read_text("utf-8", "replace")

    def admin_password(self) -> str:
        found = re.search(r"one-time password (\S+)", self.output())
        assert found, self.output()
        return found.group(1)

    def kill(self) -> None:
        """kill -9: no goodbye, no cleanup."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


class Person:
    """A browser-less person: a session cookie and each page's CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.csrf = ""

    def _keep(self, r: requests.Response) -> requests.Response:
        found = re.search(r'name="csrf" value="([^"]+)"', r.text)
        if found:
            self.csrf = found.group(1)
        return r

    def get(self, path: str, **kw: object) -> requests.Response:
        return self._keep(self.http.get(self.base + path, timeout=60, **kw))  # type: ignore[arg-type]

    def post(self, path: str, data: dict | None = None, **kw: object) -> requests.Response:
        data = {"csrf": self.csrf, **(data or {})}
        return self._keep(self.http.post(self.base + path, data=data, timeout=60, **kw))  # type: ignore[arg-type]

    def login(self, login: str, password: str) -> requests.Response:
        self.get("/login")
        return self.post("/login", {"login": login, "password": password})

    def upload(self, slug: str, *paths: Path) -> str:
        """Upload files as the journal's page does; the job page's path."""
        files = [("files", (p.name, p.read_bytes())) for p in paths]
        r = self.post(f"/j/{slug}/upload", files=files)
        assert r.status_code == 200 and "/jobs/" in r.url, (r.status_code, r.text[-2000:])
        return r.url[len(self.base) :]

    def wait(self, job_path: str, timeout: float = 180) -> str:
        """Follow a job's page until it settles; its state."""
        deadline = time.monotonic() + timeout
        while True:
            state = re.search(r'id="state">([^<]+)<', self.get(job_path).text)
            assert state, job_path
            if state.group(1) not in ("queued", "running", "waiting"):
                return state.group(1)
            assert time.monotonic() < deadline, f"{job_path} still {state.group(1)}"
            time.sleep(0.5)

    def add_member(self, slug: str, login: str, role: str) -> str:
        """Give `login` a role in a journal (admin); a new person's one-time password."""
        self.get(f"/j/{slug}/settings")
        r = self.post(f"/j/{slug}/members", {"login": login, "role": role})
        found = re.search(r'id="secret">([^<]+)<', r.text)
        return found.group(1) if found else ""

    def add_journal(self, slug: str, config: str, endpoint: str) -> None:
        self.get("/")
        r = self.post(
            "/journals",
            {"slug": slug, "name": f"Journal {slug}", "config": config, "endpoint": endpoint},
        )
        assert r.status_code == 200, r.text[-2000:]

    def set_credentials(self, slug: str, user: str, password: str) -> None:
        self.get(f"/j/{slug}/settings")
        r = self.post(f"/j/{slug}/credentials", {"user": user, "password": password})
        assert r.status_code == 200, r.text[-2000:]

    def token(self, slug: str, role: str, name: str = "system") -> str:
        self.get(f"/j/{slug}/settings")
        r = self.post(f"/j/{slug}/tokens", {"name": name, "role": role})
        found = re.search(r'id="secret">([^<]+)<', r.text)
        assert found, r.text[-2000:]
        return found.group(1)


PAGE = EXAMPLES / "page.txt"
SHEET = EXAMPLES / "papers.csv"


def write_sheet(path: Path, papers: int, start: int = 1) -> Path:
    """A CSV sheet of `papers` papers of one volume, numbered from `start`: the benchmarks'
    sheet (`bench/csv_scale.py`; DOIs `10.5555/ysc.2025.N` with the bundled config)."""
    if str(ROOT / "bench") not in sys.path:
        sys.path.insert(0, str(ROOT / "bench"))
    from csv_scale import write_sheet as bench_sheet

    bench_sheet(papers, path, start)
    return path
