"""The compiled-schema cache (issue 14): keyed by the schema files and library versions, filled
in the background or at install time, safe when two processes fill it at once, and a damaged
file is compiled again rather than trusted."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, SCHEMAS
from lxml import etree
from typer.testing import CliRunner

from jatsgen.cli import app
from jatsgen.validation import compact
from jatsgen.validation.engines import cache_file, cached_xmlschema
from jatsgen.validation.schemas import SchemaLocator

SEED_JATS = FIXTURES / "golden" / "seed-jats-1.3.xml"
SET = "jats-1.3-publishing"


def compiled(cache: Path) -> list[Path]:
    folder = cache / "compiled"
    return sorted(folder.glob("*.pickle")) if folder.is_dir() else []


def settle(cache: Path, count: int = 1, timeout: float = 120.0) -> list[Path]:
    """The cache once the background writers are done (no temporary file left)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        temporary = (
            list((cache / "compiled").glob("*.tmp")) if (cache / "compiled").is_dir() else []
        )
        forms = list((cache / "compiled").glob("*.compact")) if not temporary else []
        if len(compiled(cache)) >= count and len(forms) >= count:
            return compiled(cache)
        time.sleep(0.2)
    raise AssertionError(f"the cache in {cache} was not filled: {list(cache.rglob('*'))}")


def validate(cache: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "JATSGEN_CACHE_DIR": str(cache), "JATSGEN_SCHEMAS": str(SCHEMAS)}
    cmd = [sys.executable, "-m", "jatsgen", "validate", "-q", *args, str(SEED_JATS)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_key_names_the_files_digest_and_the_library_versions(tmp_path, monkeypatch):
    import elementpath
    import xmlschema

    monkeypatch.setenv("JATSGEN_CACHE_DIR", str(tmp_path))
    name = cache_file(SchemaLocator().find(SET)).name
    assert name.startswith(f"{SET}-")
    assert f"-xs{xmlschema.__version__}-" in name and f"-ep{elementpath.__version__}-" in name
    assert f"-py{sys.version_info.major}{sys.version_info.minor}" in name


def test_a_changed_schema_file_is_a_new_key(tmp_path, monkeypatch):
    monkeypatch.setenv("JATSGEN_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS / "jats" / "1.3", copy / "jats" / "1.3")
    before = cache_file(SchemaLocator(copy).find(SET))
    entry = copy / "jats" / "1.3" / "publishing" / "JATS-journalpublishing1-3-mathml3.xsd"
    entry.write_bytes(entry.read_bytes() + b"<!-- changed -->\n")
    after = cache_file(SchemaLocator(copy).find(SET))
    assert before != after and before.name.split("-xs")[1] == after.name.split("-xs")[1]


def test_two_processes_filling_the_cache_at_once_both_succeed_and_leave_one_good_file(
    tmp_path,
):
    cache = tmp_path / "cache"
    runs = [validate(cache), validate(cache)]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        assert "1 file(s) checked: 1 valid" in err
    (store,) = settle(cache)
    third = validate(cache, "--format", "json")
    _, err = third.communicate(timeout=120)
    assert third.returncode == 0 and "1 valid" in err
    assert compiled(cache) == [store]  # loaded, not written again


def validates_seed(cache: Path) -> None:
    """A cold `jatsgen validate` of the seed's JATS with `cache` finds it valid."""
    run = validate(cache)
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0 and "1 file(s) checked: 1 valid" in err, err


def filled(cache: Path) -> Path:
    """The compiled schema that a first validation with an empty `cache` leaves there."""
    validates_seed(cache)
    (store,) = settle(cache)
    return store


def test_a_truncated_cache_file_is_compiled_again_and_replaced(tmp_path):
    cache = tmp_path / "cache"
    store = filled(cache)
    form = store.with_suffix(".compact")
    good, good_form = store.read_bytes(), form.read_bytes()
    store.write_bytes(good[: len(good) // 3])  # a disk that filled up, a killed writer
    form.write_bytes(good_form[: len(good_form) // 3])
    validates_seed(cache)
    (replaced,) = settle(cache)
    assert replaced == store and replaced.stat().st_size > len(good) // 2
    with replaced.open("rb") as fh:
        schema = pickle.load(fh)  # whole again: it loads and judges
    assert schema.is_valid(str(SEED_JATS))
    tree = etree.parse(str(SEED_JATS))
    assert compact.proves_valid(compact.load(form), tree)  # and so does the compact form


def test_a_cache_filled_before_the_compact_form_existed_gets_one(tmp_path):
    cache = tmp_path / "cache"
    store = filled(cache)
    form = store.with_suffix(".compact")
    form.unlink()  # as a cache written by a jatsgen without compact forms
    validates_seed(cache)
    assert settle(cache) == [store]  # the pickle kept, the compact form built beside it
    assert compact.proves_valid(compact.load(form), etree.parse(str(SEED_JATS)))


def test_without_background_writing_the_cache_is_written_before_returning(tmp_path, monkeypatch):
    monkeypatch.setenv("JATSGEN_CACHE_DIR", str(tmp_path))
    resolved = SchemaLocator().find("crossref-5.4.0")
    cached_xmlschema.__wrapped__(resolved, background=False)
    assert [p.name for p in compiled(tmp_path)] == [cache_file(resolved).name]


def test_installing_a_schema_set_also_fills_the_compiled_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JATSGEN_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(
        app, ["schemas", "install", "--source", str(SCHEMAS), "--set", "crossref-5.4.0"]
    )
    assert result.exit_code == 0, result.stderr
    assert "compiled Crossref deposit 5.4.0" in result.stderr
    located = SchemaLocator(env={"JATSGEN_CACHE_DIR": str(tmp_path / "cache")})
    store = cache_file(located.find("crossref-5.4.0"))
    assert store.is_file()
    assert compact.load(store.with_suffix(".compact")) is not None  # and the compact form


@pytest.mark.parametrize("value", ["0"])
def test_the_cache_can_be_switched_off(tmp_path, value):
    env = {
        **os.environ,
        "JATSGEN_CACHE_DIR": str(tmp_path),
        "JATSGEN_SCHEMAS": str(SCHEMAS),
        "JATSGEN_SCHEMA_CACHE": value,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "jatsgen", "validate", "-q", str(SEED_JATS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    time.sleep(1)
    assert compiled(tmp_path) == []


def test_the_engine_follows_the_amount_of_xml():
    from jatsgen.validation import Validator
    from jatsgen.validation.engines import XMLSCHEMA_BYTES

    assert Validator().engine == "compact"  # nothing seen yet: the cached compact form
    assert Validator(planned_bytes=XMLSCHEMA_BYTES).engine == "compact"
    assert Validator(planned_bytes=XMLSCHEMA_BYTES + 1).engine == "lxml"
    growing = Validator()
    growing.seen = XMLSCHEMA_BYTES + 1  # a run that turned out large switches to libxml2
    assert growing.engine == "lxml"


def test_workers_start_only_for_work_that_repays_them(monkeypatch):
    import jatsgen.jobs.prepare as prepare

    monkeypatch.setattr(prepare.os, "cpu_count", lambda: 8)
    count = prepare.worker_count
    assert count(None, 15, 15 * 48_000, "fork") == 0  # 15 article pages: one process
    assert count(None, 42, 5_100_000, "fork") == 5  # the JATS corpus: one per megabyte
    assert count(2, 42, 5_100_000, "fork") == 2
    assert count(8, 8, 100_000_000, "fork") == 2  # 4 inputs a worker at least
    assert count(8, 64, 10_000_000, "spawn") == 0  # a spawned worker costs more to start
    assert count(1, 1000, 10**9, "fork") == 0


def test_filling_the_cache_stores_where_the_cache_is_now(tmp_path, monkeypatch):
    """A process that filled one cache folder fills another when the folder changes (the
    compiled schema it holds is stored again, not taken as already stored): a test suite's
    fixture once found no compact form because an earlier test had filled its own folder."""
    from jatsgen.validation import compact
    from jatsgen.validation.engines import compact_file, fill_cache
    from jatsgen.validation.schemas import SchemaLocator

    resolved = SchemaLocator().find("jats-1.3-publishing")
    for folder in ("first", "second"):
        monkeypatch.setenv("JATSGEN_CACHE_DIR", str(tmp_path / folder))
        store = fill_cache(resolved)
        assert store.is_file() and str(tmp_path / folder) in str(store)
        assert compact.load(compact_file(resolved)) is not None
