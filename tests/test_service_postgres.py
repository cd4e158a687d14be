"""Several service hosts on one PostgreSQL (issue 26): one queue and one ledger, each DOI
registered exactly once while the sandbox injects faults, and the work of a host killed
with kill -9 finished by another. Real servers: PostgreSQL (Debian's), the sandbox, and
`jatsgen serve` processes."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
from conftest import EXAMPLES
from servicekit import Person, Served, write_sheet

from jatsgen.registry import Faults

KEY = {"JATSGEN_SERVICE_KEY": "y1Vq8H5cQ5Qm0Jm3cQ3b7vVw7b9v3dO3oQh1p8k2x0c="}  # the hosts share it
FAST = ["--lease", "3", "--poll", "0.5"]


def host(tmp_path, name: str, database: str) -> Served:
    return Served(tmp_path / name, "--database", database, *FAST, env=KEY)


def journal(first: Served, url: str, max_records: int = 500) -> Person:
    admin = Person(first.url)
    admin.login("admin", first.admin_password())
    config = (EXAMPLES / "jatsgen.toml").read_text("utf-8")
    config = config.replace("max_records = 500", f"max_records = {max_records}")
    admin.add_journal("pg", config, url)
    admin.set_credentials("pg", "demo", "demo-password")
    return admin


def job_state(person: Person, job: str) -> str:
    found = re.search(r'id="state">([^<]+)<', person.get(job).text)
    return found.group(1) if found else ""


def wait_until(check, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.3)


def registered_once(witness: dict, dois: list[str]) -> None:
    dois = [d.lower() for d in dois]
    assert {d: witness["registered"].get(d) for d in dois} == dict.fromkeys(dois, 1)
    assert {d: witness["uploads"].get(d) for d in dois} == dict.fromkeys(dois, 1)


@pytest.mark.slow
def test_two_hosts_on_one_postgres_register_every_doi_exactly_once(tmp_path, postgres, registry):
    database = postgres()
    reg = registry(Faults(0.3, ("drop", "500", "503", "429", "lost"), 0.5, 1, 7), process_delay=0.2)
    a = host(tmp_path, "a", database)
    b = host(tmp_path, "b", database)
    try:
        admin_a = journal(a, reg.url)
        admin_b = Person(b.url)  # the same person, through the other host
        admin_b.login("admin", a.admin_password())
        assert "one-time password" not in b.output()  # one first admin for the shared database
        uploads = []
        for i, person in enumerate((admin_a, admin_b, admin_a, admin_b)):
            sheet = write_sheet(tmp_path / f"s{i}.csv", 15, start=1000 + 100 * i)
            uploads.append((person, person.upload("pg", sheet)))
        for person, job in uploads:
            assert person.wait(job) == "done", person.get(job).text[-3000:]
        deposits = []
        for i, (_, job) in enumerate(uploads):
            other = (admin_b, admin_a)[i % 2]  # deposited through the other host
            other.get(job)
            deposits.append((other, other.post(f"{job}/deposit").url[len(other.base) :]))
        for person, job in deposits:
            assert person.wait(job, timeout=300) == "done", person.get(job).text[-3000:]
        dois = [f"10.5555/ysc.2025.{1000 + 100 * i + n}" for i in range(4) for n in range(15)]
        registered_once(reg.witness(), dois)
        board = admin_b.get("/j/pg/board?state=success").text
        assert all(d in board for d in dois)
    finally:
        a.stop()
        b.stop()


@pytest.mark.slow
def test_a_host_killed_mid_work_leaves_it_to_another_that_finishes_it(tmp_path, postgres, registry):
    database = postgres()
    reg = registry(Faults(1.0, ("latency",), 0.7, 1, 3), process_delay=0.2)
    a = host(tmp_path, "a", database)
    admin = journal(a, reg.url, max_records=40)
    sheet = write_sheet(tmp_path / "big.csv", 400, start=2001)
    job = admin.upload("pg", sheet)
    wait_until(lambda: job_state(admin, job) == "running", 60)
    a.kill()  # mid-upload: the review was being made
    b = host(tmp_path, "b", database)
    try:
        person = Person(b.url)
        person.login("admin", a.admin_password())
        assert person.wait(job) == "done", person.get(job).text[-3000:]
        number = job.rsplit("/", 1)[1]
        assert f"job {number} (prepare): taken" in a.output()  # begun by the killed host
        assert f"job {number} (prepare): taken" in b.output()  # finished by the other
        b.stop()  # now a deposit, started on a host that is then killed mid-way
        c = host(tmp_path, "c", database)
        person = Person(c.url)
        person.login("admin", a.admin_password())
        person.get(job)
        deposit = person.post(f"{job}/deposit").url[len(c.url) :]
        wait_until(lambda: reg.witness()["submissions"] >= 2, 120)
        assert job_state(person, deposit) == "running"
        c.kill()
        d = host(tmp_path, "d", database)
        person = Person(d.url)
        person.login("admin", a.admin_password())
        assert person.wait(deposit, timeout=300) == "done", person.get(deposit).text[-3000:]
        number = deposit.rsplit("/", 1)[1]
        assert f"job {number} (deposit): taken" in c.output()
        assert f"job {number} (deposit): taken" in d.output()
        registered_once(reg.witness(), [f"10.5555/ysc.2025.{n}" for n in range(2001, 2401)])
        d.stop()
    finally:
        for served in (a, b):
            served.stop()


def test_the_command_line_deposits_and_reads_through_the_same_database(
    tmp_path, postgres, registry, env
):
    database = postgres()
    reg = registry()
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "jatsgen",
            "crossref",
            str(EXAMPLES / "collection.yaml"),
            "-c",
            str(EXAMPLES / "jatsgen.toml"),
            "-o",
            str(tmp_path / "out"),
            "-q",
        ],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    sent = subprocess.run(
        [
            sys.executable,
            "-m",
            "jatsgen",
            "deposit",
            str(tmp_path / "out"),
            "--endpoint",
            reg.url,
            "--database",
            database,
            "--wait",
            "--poll-interval",
            "0.2",
        ],
        capture_output=True,
        text=True,
    )
    assert sent.returncode == 0, sent.stderr
    status = subprocess.run(
        [sys.executable, "-m", "jatsgen", "status", "--database", database],
        capture_output=True,
        text=True,
    )
    assert "10.5555/ysc.2025.070  success" in status.stdout, status.stdout + status.stderr
    assert not (tmp_path / "ledger.sqlite").exists()  # the database, not a file, holds it
    wrong = subprocess.run(
        [
            sys.executable,
            "-m",
            "jatsgen",
            "status",
            "--database",
            "postgresql://someone:hunter22@127.0.0.1:1/none",
        ],
        capture_output=True,
        text=True,
    )
    assert wrong.returncode == 1 and "hunter22" not in wrong.stderr
    assert "cannot connect to the database" in wrong.stderr and "Traceback" not in wrong.stderr


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_claims_of_a_runner_that_died_on_another_host_are_released_by_the_one_resuming(
    kind, tmp_path, request, monkeypatch
):
    """A host that died holds its ledger claims for hours (another host cannot see whether
    its process lives); the service tags each deposit job's claims, and the worker that
    resumes the job releases them - only that job's."""
    import os
    import socket

    from jatsgen.deposit.ledger import Ledger

    place = request.getfixturevalue("postgres")() if kind == "postgresql" else tmp_path / "l"
    ledger = Ledger(str(place))
    with monkeypatch.context() as patched:
        patched.setattr(socket, "gethostname", lambda: "host-that-died")
        assert ledger.claim("abc", "http://x", "jatsgen-service-job-7:1") is None
        assert ledger.claim("def", "http://x", "jatsgen-service-job-70:1") is None
    held = ledger.claim("abc", "http://x", "jatsgen-service-job-7:2")
    assert held == f"pid {os.getpid()} on host-that-died"  # recent, on another host: waited
    assert ledger.release_tagged("jatsgen-service-job-7") == 1  # job 70's claim is kept
    assert ledger.claim("abc", "http://x", "jatsgen-service-job-7:2") is None
    assert ledger.claim("def", "http://x", "jatsgen-service-job-7:2") is not None
