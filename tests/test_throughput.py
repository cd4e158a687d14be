"""A backfile's batches are validated in milliseconds each, whatever their size (issue 24):
the schema's compact form proves jatsgen's own batches valid, and libxml2 is compiled only
for a batch it does not prove, whose findings are then libxml2's. The throughput itself is
measured side by side with the lxml floor in bench/backfile.py (bench/RESULTS.md), never
here."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import SHARED
from lxml import etree

from jatsgen.config import load_config
from jatsgen.jobs import TimestampClock, make_batches
from jatsgen.validation import SchemaLocator, ValidateOptions, Validator
from jatsgen.validation.engines import XMLSCHEMA_BYTES, compile_lxml, fill_cache

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((SHARED / "corpus" / "jats").glob("*.xml"))
_DOI = re.compile(rb'(<article-id[^>]*pub-id-type="doi"[^>]*>\s*)([^<\s]+)')


def _run(tmp_path: Path, inputs: list[str]):
    config = load_config(ROOT / "bench" / "corpus.toml")
    clock = TimestampClock(tmp_path / "state")
    return make_batches(inputs, config, tmp_path / "out", clock=clock, locator=SchemaLocator(),
                        any_prefix=True, skip_invalid=True, jobs=1)  # fmt: skip


def test_large_batches_are_proven_valid_without_compiling_libxml2(tmp_path):
    locator = SchemaLocator()
    fill_cache(locator.find("crossref-5.4.0"))  # a cache as any earlier run leaves it
    copies = []
    (tmp_path / "in").mkdir()
    for n in range(3):  # the corpus three times, each copy with DOIs of its own
        for src in CORPUS:
            target = tmp_path / "in" / f"c{n}-{src.name}"
            target.write_bytes(_DOI.sub(rb"\1\2.c%d" % n, src.read_bytes(), count=1))
            copies.append(str(target))
    compile_lxml.cache_clear()
    run = _run(tmp_path, copies)
    assert run.ok and run.works >= 100
    # batches above the mark where a run used to compile libxml2 (512 KB), in all far more
    assert max(b.size for b in run.batches) > XMLSCHEMA_BYTES
    assert sum(b.size for b in run.batches) > 4 * XMLSCHEMA_BYTES
    assert compile_lxml.cache_info().currsize == 0  # no libxml2 schema compiled


def test_a_batch_not_proven_valid_gets_libxml2s_findings(tmp_path):
    run = _run(tmp_path, [str(p) for p in CORPUS[:6]])
    path = run.batches[0].path
    tree = etree.parse(str(path))
    titles = next(tree.iter("{*}titles"))
    titles.getparent().remove(titles)  # a journal_article without its titles: invalid
    broken = tmp_path / "broken.xml"
    tree.write(str(broken), xml_declaration=True, encoding="UTF-8")
    compile_lxml.cache_clear()
    proven = Validator(ValidateOptions(engine="proven")).validate_file(broken, "crossref-5.4.0")
    assert compile_lxml.cache_info().currsize == 1  # compiled for the file it did not prove
    libxml2 = Validator(ValidateOptions(engine="lxml")).validate_file(broken, "crossref-5.4.0")
    assert not proven.ok
    assert [(d.line, d.message) for d in proven.diagnostics if d.code == "xsd"] == [
        (d.line, d.message) for d in libxml2.diagnostics if d.code == "xsd"
    ]
