"""Shared test setup: the official schemas from ../shared, no network, a private cache."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("JATSGEN_SHARED", ROOT.parent / "shared")).resolve()
SEED = SHARED / "seeds" / "000_b55da46bdd52c0c6.txt"
SCHEMAS = Path(os.environ.get("JATSGEN_SCHEMAS", SHARED / "schemas")).resolve()
FIXTURES = ROOT / "tests" / "fixtures"
PAGES = FIXTURES / "pages"
EXAMPLES = ROOT / "examples"

# Set before any jatsgen code runs: tests never download, never touch the real user cache.
os.environ["JATSGEN_SCHEMAS"] = str(SCHEMAS)
os.environ["JATSGEN_OFFLINE"] = "1"
os.environ.setdefault("JATSGEN_CACHE_DIR", tempfile.mkdtemp(prefix="jatsgen-test-cache-"))

if not (SCHEMAS / "jats" / "1.3" / "publishing").is_dir():
    raise RuntimeError(f"official schemas not found at {SCHEMAS}; set JATSGEN_SCHEMAS")


@pytest.fixture(scope="session")
def locator():
    from jatsgen.validation.schemas import SchemaLocator

    return SchemaLocator()


@pytest.fixture(scope="session")
def jats13(locator):
    from jatsgen.validation.engines import compile_lxml

    return compile_lxml(locator.find("jats-1.3-publishing"))


@pytest.fixture(scope="session")
def jats14(locator):
    from jatsgen.validation.engines import compile_lxml

    return compile_lxml(locator.find("jats-1.4-publishing"))


ACCOUNTS = EXAMPLES / "sandbox-accounts.toml"
PASSWORD = "demo-password"


class Registry:
    def __init__(self, data: Path, faults: object = None, **kw: object) -> None:
        from jatsgen.registry import Sandbox, load_accounts, sandbox_url, serve

        self.sandbox = Sandbox(data, load_accounts(ACCOUNTS), faults, **kw)  # type: ignore[arg-type]
        self.server = serve(self.sandbox)
        self.url = sandbox_url(self.server)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.sandbox.close()

    def witness(self) -> dict:
        return self.sandbox.witness()


@pytest.fixture()
def registry(tmp_path):
    made: list[Registry] = []

    def start(faults: object = None, **kw: object) -> Registry:
        r = Registry(tmp_path / f"registry{len(made)}", faults, **kw)
        made.append(r)
        return r

    yield start
    for r in made:
        r.close()


@pytest.fixture()
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("JATSGEN_USER", "demo")
    monkeypatch.setenv("JATSGEN_PASSWORD", PASSWORD)
    monkeypatch.delenv("JATSGEN_ROLE", raising=False)
    monkeypatch.setenv("JATSGEN_LEDGER", str(tmp_path / "ledger.sqlite"))
    monkeypatch.setenv("JATSGEN_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


def json_lines(stdout: str, kind: str = "result") -> list[dict]:
    """The objects of one kind ("result" or "finding") a `--format json` run printed."""
    import json

    objects = [json.loads(line) for line in stdout.splitlines()]
    assert all(o["type"] in ("result", "finding") for o in objects), objects
    return [o for o in objects if o["type"] == kind]


def result_data(stdout: str) -> list[dict]:
    """Each result's command-specific data, with its status."""
    return [{**o["data"], "status": o["status"]} for o in json_lines(stdout)]
