"""Shared test setup: the official schemas found as a user's first run finds them, no network
after that, a private cache; tests that read ../shared skipped, with one line, without it."""

from __future__ import annotations

import inspect
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# the project's shared material (the seed page, the corpus, the official examples and
# schemas): ../shared beside the repository, or wherever JATSGEN_SHARED says
SHARED = Path(os.environ.get("JATSGEN_SHARED", ROOT.parent / "shared")).resolve()
HAVE_SHARED = (SHARED / "seeds").is_dir()
SEED = SHARED / "seeds" / "000_b55da46bdd52c0c6.txt"
FIXTURES = ROOT / "tests" / "fixtures"
PAGES = FIXTURES / "pages"
EXAMPLES = ROOT / "examples"


def _official_schemas() -> Path:
    """$JATSGEN_SCHEMAS, else ../shared/schemas, else the user's cache, filled on first use
    from the official URLs (`jatsgen schemas install`, what a user's first run does)."""
    if os.environ.get("JATSGEN_SCHEMAS"):
        return Path(os.environ["JATSGEN_SCHEMAS"]).resolve()
    if (SHARED / "schemas").is_dir():
        return SHARED / "schemas"
    from jatsgen.validation.schemas import cache_dir

    cache = cache_dir()
    if not (cache / "jats" / "1.3" / "publishing").is_dir():
        print(f"conftest: no official schemas beside the repository; installing into {cache}")
        subprocess.run([sys.executable, "-m", "jatsgen", "schemas", "install"], check=False)
    return cache


SCHEMAS = _official_schemas()

# Set before any jatsgen code runs: tests never download, never touch the real user cache.
os.environ["JATSGEN_SCHEMAS"] = str(SCHEMAS)
os.environ["JATSGEN_OFFLINE"] = "1"
os.environ.setdefault("JATSGEN_CACHE_DIR", tempfile.mkdtemp(prefix="jatsgen-test-cache-"))

if not (SCHEMAS / "jats" / "1.3" / "publishing").is_dir():
    raise pytest.UsageError(
        f"official schemas not found at {SCHEMAS}: set JATSGEN_SCHEMAS to a folder of them, or "
        "run `jatsgen schemas install` (it downloads them from their official URLs)"
    )

# --- without ../shared: the tests that read it are skipped, said in one line -----------------

_READS_SHARED = re.compile(r"\b(SHARED|SEED|CORPUS|SHARED_FILES)\b")
_skipped_for_shared: list[str] = []


def _reads_shared(fn: object, namespace: dict[str, object], depth: int = 2) -> bool:
    """Whether `fn`'s code names the shared material, or a function of its module (or of a
    module it names: `fuzz.run`) that it calls does, `depth` calls down."""
    try:
        code = inspect.getsource(fn)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return False
    if _READS_SHARED.search(code):
        return True
    if depth == 0:
        return False
    for owner, name in re.findall(r"(?:\b(\w+)\.)?\b(\w+)\(", code):
        where = getattr(namespace.get(owner), "__dict__", {}) if owner else namespace
        called = where.get(name)
        helper = inspect.isfunction(called) and called is not fn
        if helper and _reads_shared(called, called.__globals__, depth - 1):
            return True
    return False


def _needs_shared(item: pytest.Item) -> bool:
    """A test reads ../shared if it is marked so, or its code, a helper it calls or a
    fixture it uses names the material."""
    if item.get_closest_marker("shared"):
        return True
    fn = getattr(item, "function", None)
    if fn is not None and _reads_shared(fn, fn.__globals__):
        return True
    info = getattr(item, "_fixtureinfo", None)
    for defs in info.name2fixturedefs.values() if info else ():
        for fixture in defs:
            func = fixture.func
            if _reads_shared(func, getattr(func, "__globals__", {})):
                return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without ../shared, leave out each test that reads its material (`_needs_shared`):
    one line at the end says how many and why, not a line each."""
    if HAVE_SHARED:
        return
    keep = []
    for item in items:
        if _needs_shared(item):
            _skipped_for_shared.append(item.nodeid)
        else:
            keep.append(item)
    if _skipped_for_shared:
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def pytest_terminal_summary(terminalreporter: object) -> None:
    if _skipped_for_shared:
        write = getattr(terminalreporter, "write_line")  # noqa: B009 (typed loosely on purpose)
        write(
            f"{len(_skipped_for_shared)} test(s) skipped: they read the seed page, the corpus "
            f"or the official examples of ../shared, not found at {SHARED} (set "
            "JATSGEN_SHARED to its folder to run them)"
        )


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


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server: the one `.ci/run` started ($JATSGEN_TEST_POSTGRES), else one
    started here from Debian's `postgresql` programs; each test makes its own database."""
    import pgserver

    url = os.environ.get(pgserver.ENV_URL)
    folder = None
    if not url:
        if pgserver.binaries() is None:
            if os.environ.get("JATSGEN_REQUIRE_POSTGRES"):
                pytest.fail("PostgreSQL is required here but its server programs are missing")
            pytest.skip("PostgreSQL's server programs are not installed (Debian: postgresql)")
        url, folder = pgserver.start()
    made = iter(range(1, 1000))

    def database() -> str:
        return pgserver.new_database(url, f"jatsgen_test_{os.getpid()}_{next(made)}")

    yield database
    if folder is not None:
        pgserver.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)
