"""Finding and installing the official schemas: manifest, lookup order, sha256, URL installs."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
import zipfile

import pytest
from conftest import SCHEMAS, SEED, SHARED
from typer.testing import CliRunner

from jatsgen.cli import app
from jatsgen.errors import JatsgenError, SchemaNotFoundError
from jatsgen.validation import engines
from jatsgen.validation import schemas as sm
from jatsgen.validation.install import install


def test_manifest_records_the_sha256_listed_in_shared_sources():
    sources = (SHARED / "schemas" / "SOURCES.md").read_text("utf-8")
    listed = dict(re.findall(r"\| (\S+\.(?:xsd|dtd)) \| `([0-9a-f]{64})` \|", sources))
    assert len(listed) >= 30  # the XSD sets and, since sections 9-15, the DTD drivers too
    by_path = {
        f"{s.dir}/{rel}": sha for s in sm.manifest().values() for rel, sha in s.files.items()
    }
    for path, sha in listed.items():
        assert by_path[path] == sha, path


def test_every_manifest_set_names_an_official_url():
    for s in sm.manifest().values():
        assert s.official_url.startswith("https://"), s.id


def test_explicit_folder_wins_over_environment_and_cache(tmp_path):
    mine = tmp_path / "mine"
    shutil.copytree(SCHEMAS / "jats" / "1.3", mine / "jats" / "1.3")
    loc = sm.SchemaLocator(
        mine, env={"JATSGEN_SCHEMAS": str(SCHEMAS), "JATSGEN_CACHE_DIR": str(tmp_path / "c")}
    )
    assert loc.find("jats-1.3-publishing").origin == "--schemas"
    assert loc.find("jats-1.4-publishing").origin == "$JATSGEN_SCHEMAS"


def test_cache_is_the_last_place_looked_and_the_error_lists_every_place(tmp_path):
    loc = sm.SchemaLocator(env={"JATSGEN_CACHE_DIR": str(tmp_path)})
    with pytest.raises(SchemaNotFoundError) as exc:
        loc.find("crossref-5.4.0")
    msg = str(exc.value)
    assert "cache" in msg and str(tmp_path) in msg
    assert "--schemas DIR" in msg and "jatsgen schemas install --source" in msg
    assert "https://www.crossref.org/schemas/crossref5.4.0.xsd" in msg


def test_install_from_a_folder_checks_sha256_and_fills_the_cache(tmp_path):
    result = install(
        str(SCHEMAS), sets=["jats-1.4-publishing", "crossref-5.5.0"], target=tmp_path / "schemas"
    )
    assert result.installed == ["jats-1.4-publishing", "crossref-5.5.0"] and not result.problems
    loc = sm.SchemaLocator(env={"JATSGEN_CACHE_DIR": str(tmp_path)})
    found = loc.find("crossref-5.5.0")
    assert found.origin == "cache" and not found.integrity_problems()
    engines.compile_xmlschema(found)  # the XSD 1.1 schema compiles from the cache, offline


def test_install_refuses_a_changed_file_unless_told_to_accept_it(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(SCHEMAS / "jats" / "1.3", src / "jats" / "1.3")
    entry = src / "jats/1.3/publishing/JATS-journalpublishing1-3-mathml3.xsd"
    entry.write_bytes(entry.read_bytes() + b"\n<!-- edited -->\n")
    result = install(str(src), sets=["jats-1.3-publishing"], target=tmp_path / "c")
    assert result.installed == [] and "sha256" in result.problems[0]
    assert not (tmp_path / "c" / "jats").exists()
    forced = install(
        str(src), sets=["jats-1.3-publishing"], target=tmp_path / "c", accept_changed=True
    )
    assert forced.installed == ["jats-1.3-publishing"]


def test_a_changed_schema_in_use_is_reported_by_integrity_check(tmp_path):
    shutil.copytree(SCHEMAS / "jats" / "1.3", tmp_path / "jats" / "1.3")
    entry = tmp_path / "jats/1.3/publishing/JATS-journalpublishing1-3-mathml3.xsd"
    entry.write_bytes(entry.read_bytes() + b" ")
    found = sm.SchemaLocator(tmp_path, env={}).find("jats-1.3-publishing")
    assert found.integrity_problems()


def test_install_from_a_folder_holding_one_set_directly(tmp_path):
    result = install(str(SCHEMAS / "jats" / "1.3" / "publishing"), target=tmp_path)
    assert result.installed == ["jats-1.3-publishing"]


@pytest.fixture()
def http_root(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_install_from_a_url_of_a_mirror_folder(http_root, tmp_path):
    root, url = http_root
    shutil.copytree(SCHEMAS / "crossref" / "5.4.0", root / "crossref" / "5.4.0")
    result = install(url, sets=["crossref-5.4.0", "crossref-5.3.1"], target=tmp_path / "c")
    assert result.installed == ["crossref-5.4.0"]
    assert (tmp_path / "c/crossref/5.4.0/standard-modules/mathml3/mathml3.xsd").is_file()


def test_install_from_an_official_style_zip_package(http_root, tmp_path):
    root, url = http_root
    with zipfile.ZipFile(root / "JATS-Publishing-1-3-MathML3-XSD.zip", "w") as z:
        base = SCHEMAS / "jats" / "1.3" / "publishing"
        for f in base.rglob("*"):
            if f.is_file():
                z.write(f, "JATS-Publishing-1-3-MathML3-XSD/" + f.relative_to(base).as_posix())
    result = install(f"{url}/JATS-Publishing-1-3-MathML3-XSD.zip", target=tmp_path / "c")
    assert result.installed == ["jats-1.3-publishing"]


def test_unreachable_url_gives_one_clear_message(tmp_path):
    with pytest.raises(JatsgenError) as exc:
        install("http://127.0.0.1:9/schemas.zip", target=tmp_path)
    assert "cannot download" in str(exc.value) and "--schemas DIR" in str(exc.value)


def test_cli_install_then_convert_using_only_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JATSGEN_CACHE_DIR", str(tmp_path / "cache"))
    runner = CliRunner()
    res = runner.invoke(
        app, ["schemas", "install", "--source", str(SCHEMAS), "--set", "jats-1.3-publishing"]
    )
    assert res.exit_code == 0, res.stderr
    monkeypatch.delenv("JATSGEN_SCHEMAS")
    out = runner.invoke(app, ["jats", str(SEED), "-o", str(tmp_path / "o"), "-q"])
    assert out.exit_code == 0, out.stderr


def test_cli_without_any_schema_offline_says_how_to_point_at_a_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("JATSGEN_CACHE_DIR", str(tmp_path / "empty"))
    monkeypatch.delenv("JATSGEN_SCHEMAS")
    res = CliRunner().invoke(app, ["jats", str(SEED), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "--schemas DIR" in res.stderr and "JATSGEN_SCHEMAS" in res.stderr
    assert "Traceback" not in res.stderr
