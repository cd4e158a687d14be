"""The tests from a fresh clone with nothing beside it (issue 25, part 5): the README's test
command passes where the official schemas are found as a user's first run finds them
($JATSGEN_SCHEMAS here; else the user cache, downloaded on first use), the tests that read
../shared (the seed page, the corpus, the official examples) left out with one line saying so."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT, SCHEMAS


@pytest.mark.slow
def test_the_default_run_passes_in_a_clone_with_no_shared_folder_beside_it(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    clone = tmp_path / "alone" / "jatsgen"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    assert not (clone.parent / "shared").exists()
    env = {k: v for k, v in os.environ.items()
           if k not in ("JATSGEN_SHARED", "JATSGEN_CACHE_DIR", "PYTEST_ADDOPTS")}  # fmt: skip
    env["JATSGEN_SCHEMAS"] = str(SCHEMAS)  # how a user points at official schemas
    env["PYTHONPATH"] = str(clone)  # the clone's own code, not this checkout's
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "not slow", "-p", "no:cacheprovider"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=2400,
    )  # fmt: skip
    tail = done.stdout[-4000:]
    assert done.returncode == 0, tail
    said = [line for line in done.stdout.splitlines() if "skipped: they read" in line]
    assert len(said) == 1, tail  # one line says why, not one per test
    assert "not found at" in said[0] and "JATSGEN_SHARED" in said[0]
    assert " passed" in tail and " failed" not in tail
