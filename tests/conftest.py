"""Shared test setup: the official schemas from ../shared, no network, a private cache."""

from __future__ import annotations

import os
import tempfile
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
