"""The service under load (issue 26): 20 systems upload a 200-paper CSV sheet each at once,
through the API, while people browse the pages; then every review is deposited to the
sandbox. Measured in one run, side by side with references:

- page latency (journal page, DOI board, a job page) while idle, and under the load: p50/p95;
- peak memory of the service (its process and its job processes, summed);
- the whole work's time against the command line doing the same (`jatsgen crossref` then
  `jatsgen deposit --wait` for each sheet, one after another, to the same kind of sandbox);
- nothing lost: every job done, every DOI on the board and registered exactly once.

    python bench/service_load.py [--uploads 20] [--papers 200] [--database postgresql://...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from servicekit import Person, Served, write_sheet  # noqa: E402


def rss_tree(pid: int) -> int:
    """Resident memory of a process and its children, in bytes (from /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
            todo += [int(c) for c in children]
        except OSError:
            continue
    return total


class Browsing(threading.Thread):
    """A person reading pages in turn, as fast as they come, noting each page's time."""

    def __init__(self, person: Person, pages: list[str]) -> None:
        super().__init__(daemon=True)
        self.person, self.pages, self.times = person, pages, []
        self.stop = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            start = time.perf_counter()
            r = self.person.get(self.pages[i % len(self.pages)])
            assert r.status_code == 200, r.status_code
            self.times.append(time.perf_counter() - start)
            i += 1


def percentiles(times: list[float]) -> str:
    q = statistics.quantiles(times, n=20)
    return f"p50 {statistics.median(times) * 1000:.0f} ms, p95 {q[18] * 1000:.0f} ms"


def browse(person: Person, pages: list[str], seconds: float, people: int = 3) -> list[float]:
    readers = [Browsing(Person(person.base), pages) for _ in range(people)]
    for r in readers:
        r.person.http.cookies.update(person.http.cookies)
        r.start()
    time.sleep(seconds)
    for r in readers:
        r.stop.set()
        r.join()
    return [t for r in readers for t in r.times]


def sandbox(folder: Path, port: int) -> subprocess.Popen[bytes]:
    """The registry sandbox in a process of its own (its XSD checks are not the service's
    work), with the processing delay both runs see."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jatsgen", "registry", "serve", "--port", str(port), "--data",
         str(folder / "sandbox"), "--accounts", str(HERE.parent / "examples" /
         "sandbox-accounts.toml"), "--process-delay", "0.5"],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(2)
    return proc


def service_run(folder: Path, sheets: list[Path], database: str | None) -> dict[str, object]:
    import requests

    registry = sandbox(folder, 18932)
    args = ["--poll", "1"]  # the default workers (4)
    served = Served(folder / "data", *args, *(["--database", database] if database else []))
    admin = Person(served.url)
    admin.login("admin", served.admin_password())
    config = (HERE.parent / "examples" / "jatsgen.toml").read_text("utf-8")
    admin.add_journal("ysc", config, "http://127.0.0.1:18932")
    admin.set_credentials("ysc", "demo", "demo-password")
    assert admin.wait(admin.upload("ysc", HERE.parent / "examples" / "page.txt")) == "done"
    token = admin.token("ysc", "depositor")
    auth = {"authorization": f"Bearer {token}"}
    pages = ["/j/ysc", "/j/ysc/board", "/j/ysc/jobs/1"]
    idle = browse(admin, pages, 10)
    peak = [0]
    watching = threading.Event()

    def watch() -> None:
        while not watching.is_set():
            peak[0] = max(peak[0], rss_tree(served.proc.pid))
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()
    start = time.perf_counter()
    jobs: list[int] = []

    def submit(sheet: Path) -> None:
        files = [("files", (sheet.name, sheet.read_bytes()))]
        r = requests.post(served.url + "/api/journals/ysc/jobs", files=files, headers=auth)
        jobs.append(r.json()["id"])

    uploads = [threading.Thread(target=submit, args=(s,)) for s in sheets]
    readers = [Browsing(Person(served.url), pages) for _ in range(3)]
    for r in readers:
        r.person.http.cookies.update(admin.http.cookies)
        r.start()
    for t in uploads:
        t.start()
    for t in uploads:
        t.join()
    deposits = []
    for job in jobs:
        while (body := requests.get(f"{served.url}/api/jobs/{job}", headers=auth).json())[
            "state"
        ] in ("queued", "running"):
            time.sleep(0.5)
        assert body["state"] == "done", body
        sent = requests.post(f"{served.url}/api/jobs/{job}/deposit", headers=auth).json()
        deposits.append(sent["id"])
    for job in deposits:
        while requests.get(f"{served.url}/api/jobs/{job}", headers=auth).json()["state"] in (
            "queued", "running", "waiting",
        ):  # fmt: skip
            time.sleep(0.5)
    elapsed = time.perf_counter() - start
    for r in readers:
        r.stop.set()
        r.join()
    watching.set()
    loaded = [t for r in readers for t in r.times]
    board = requests.get(
        served.url + "/api/journals/ysc/dois?state=success&limit=10000", headers=auth
    ).json()
    served.stop()
    registry.terminate()
    return {"idle": idle, "loaded": loaded, "peak": peak[0], "elapsed": elapsed,
            "registered": {r["doi"] for r in board}, "jobs": len(jobs)}  # fmt: skip


def cli_run(folder: Path, sheets: list[Path]) -> float:
    """The same work by the command line, one sheet after another, to a sandbox."""
    env = {**os.environ, "JATSGEN_USER": "demo", "JATSGEN_PASSWORD": "demo-password",
           "JATSGEN_LEDGER": str(folder / "ledger.sqlite"),
           "JATSGEN_STATE_DIR": str(folder / "state")}  # fmt: skip
    registry = sandbox(folder, 18931)
    config = HERE.parent / "examples" / "jatsgen.toml"
    start = time.perf_counter()
    try:
        for i, sheet in enumerate(sheets):
            out = folder / f"out{i}"
            subprocess.run([sys.executable, "-m", "jatsgen", "crossref", str(sheet), "-c",
                            str(config), "-o", str(out), "-q"], check=True, env=env)  # fmt: skip
            subprocess.run([sys.executable, "-m", "jatsgen", "deposit", str(out), "--endpoint",
                            "http://127.0.0.1:18931", "--wait", "--poll-interval", "1", "-q"],
                           check=True, env=env, stdout=subprocess.DEVNULL)  # fmt: skip
        return time.perf_counter() - start
    finally:
        registry.terminate()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uploads", type=int, default=20)
    ap.add_argument("--papers", type=int, default=200)
    ap.add_argument("--database", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sheets = [write_sheet(folder / f"s{i}.csv", args.papers, 5000 + i * args.papers)
                  for i in range(args.uploads)]  # fmt: skip
        got = service_run(folder / "service", sheets, args.database)
        reference = cli_run(folder / "cli", sheets)
    wanted = {f"10.5555/ysc.2025.{n}" for n in range(5000, 5000 + args.uploads * args.papers)}
    registered: set[str] = got["registered"]  # type: ignore[assignment]
    idle: list[float] = got["idle"]  # type: ignore[assignment]
    loaded: list[float] = got["loaded"]  # type: ignore[assignment]
    lost = wanted - registered
    database = "PostgreSQL" if args.database else "SQLite"
    print(f"{args.uploads} uploads of {args.papers} papers at once ({len(wanted)} DOIs), "
          f"database: {database}")  # fmt: skip
    print(f"pages while idle:        {percentiles(idle)} ({len(idle)} pages)")
    print(f"pages under the load:    {percentiles(loaded)} ({len(loaded)} pages)")
    print(f"service peak memory:     {got['peak'] / 2**20:.0f} MB "  # type: ignore[operator]
          "(its process and its job processes)")  # fmt: skip
    print(f"uploads to registered:   service {got['elapsed']:.0f} s; "
          f"the CLI, sheet after sheet: {reference:.0f} s")  # fmt: skip
    print(f"nothing lost:            {len(wanted) - len(lost)} of {len(wanted)} DOIs registered"
          + (f"; LOST: {sorted(lost)[:5]}" if lost else ""))  # fmt: skip


if __name__ == "__main__":
    main()
