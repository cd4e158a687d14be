"""Every official schema a press meets gets a verdict (issue 22, item 4): Crossref 4.x
deposits, resource-only deposits, grant records, JATS Archiving and Authoring, NLM 2.3 and
3.0, BITS books - each judged by the set and version the file declares, as the official
engine judges it."""

from __future__ import annotations

import json
import os

import pytest
from conftest import FIXTURES, SCHEMAS, SHARED
from lxml import etree
from official import xmllint
from typer.testing import CliRunner

from jatsgen.cli import app
from jatsgen.validation import Validator
from jatsgen.validation.detect import detect_schema
from jatsgen.validation.install import install
from jatsgen.validation.schemas import SchemaLocator, manifest

runner = CliRunner()
LEGACY = sorted((FIXTURES / "crossref-legacy").glob("*.xml"))


def verdicts(stdout: str) -> dict[str, tuple[str, str]]:
    """input -> (status, schema) from `validate --format json`."""
    out = {}
    for line in stdout.splitlines():
        obj = json.loads(line)
        if obj["type"] == "result":
            out[obj["input"]] = (obj["status"], obj["data"]["schema"])
    return out


def test_official_4x_resource_and_grant_examples_are_judged_as_xmllint_judges_them():
    result = runner.invoke(app, ["validate", "--format", "json", *map(str, LEGACY)])
    found = verdicts(result.stdout)
    expected = {
        "dissertation_4.4.2.xml": "crossref-4.4.2",
        "peer_review_R2-1_4.8.0.xml": "crossref-4.8.0",
        "resource_mr_unlock-only_4.4.2.xml": "doi-resources-4.4.2",
        "grantID-example.xml": "grant-id-0.0.1",
    }
    for path in LEGACY:
        status, schema = found[str(path)]
        assert schema == expected.get(path.name, schema), path.name
        report = Validator().validate_file(path)
        assert status == ("valid" if report.ok else "invalid")
        schema_ok = not any(d.code == "xsd" for d in report.diagnostics)
        official, said = xmllint(path, schema)
        assert schema_ok == official, (path.name, said, report.diagnostics)
        assert official, said  # the official examples are schema-valid


@pytest.mark.parametrize("path", LEGACY, ids=lambda p: p.name)
def test_a_broken_legacy_example_is_refused_by_both_at_the_same_line(tmp_path, path):
    tree = etree.parse(str(path))
    doi = next(tree.getroot().iter("{*}doi"))
    doi.addnext(etree.Element(f"{{{etree.QName(doi).namespace}}}bogus"))
    broken = tmp_path / path.name
    tree.write(str(broken), xml_declaration=True, encoding="UTF-8")
    report = Validator().validate_file(broken)
    ours = [d for d in report.diagnostics if d.code == "xsd"]
    official, said = xmllint(broken, report.schema_id or "")
    assert ours and not official, (said, report.diagnostics)
    lines = [int(ln.split(":")[1]) for ln in said.splitlines() if ln.startswith(f"{broken}:")]
    assert [d.line for d in ours] == lines, (said, ours)


def test_a_4x_deposit_can_be_planned_for_deposit_as_it_is(tmp_path, env):
    """A 4.x batch is deposited as it is: planned, its DOIs read (no new batch needed)."""
    from jatsgen.deposit.ledger import Ledger
    from jatsgen.deposit.plan import plan_files
    from jatsgen.validation import ValidateOptions

    (plan,) = plan_files(
        [FIXTURES / "crossref-legacy" / "peer_review_R2-1_4.8.0.xml"],
        Ledger(),
        "http://127.0.0.1:1",
        ValidateOptions(),
    )
    assert plan.action == "send", plan.message
    assert [(d.doi, d.status) for d in plan.dois] == [("10.32013/huB4SaJ", "new")]


def test_a_bits_book_is_judged_by_the_bits_xsd_which_only_xmlschema_loads(tmp_path):
    import xmlschema

    book = FIXTURES / "bits" / "book.xml"
    resolved = SchemaLocator().find("bits-2.2")
    official = xmlschema.XMLSchema10(str(resolved.entry_path), allow="sandbox")
    report = Validator().validate_file(book)
    assert report.schema_id == "bits-2.2" and report.ok, report.diagnostics
    assert official.is_valid(str(book))
    broken = tmp_path / "book.xml"
    broken.write_text(
        book.read_text("utf-8").replace("<fpage>1</fpage>", "<fpage>1</fpage><fpage>2</fpage>"),
        "utf-8",
    )
    report = Validator().validate_file(broken)
    assert [(d.code, d.line) for d in report.diagnostics] == [("xsd", 22)]
    assert not official.is_valid(str(broken))
    for engine in ("lxml", "xmlschema"):  # libxml2 cannot load BITS: every engine answers
        from jatsgen.validation import ValidateOptions

        again = Validator(ValidateOptions(engine=engine)).validate_file(broken)
        assert [(d.code, d.line) for d in again.diagnostics] == [("xsd", 22)], engine


def _dtd_sets() -> list[str]:
    return sorted(sid for sid, s in manifest().items() if s.format == "dtd")


def _public_ids(set_id: str) -> list[str]:
    """The PUBLIC identifiers of the set's own drivers (the DOCTYPEs a file may declare)."""
    from jatsgen.validation.engines import dtd_catalog

    resolved = SchemaLocator().find(set_id)
    tag = set_id.split("-")[2]
    words = {"publishing": "Publishing", "archiving": "Archiv", "authoring": "Authoring"}[tag]
    return sorted(
        p for p, f in dtd_catalog(resolved).items() if words in p and "mathml" not in f.name
        and f.name not in ("htmltable.dtd",)
    )  # fmt: skip


@pytest.mark.parametrize("set_id", _dtd_sets())
def test_every_dtd_set_judges_a_declared_article_as_xmllint_does(tmp_path, set_id):
    publics = _public_ids(set_id)
    assert publics, set_id
    version = set_id.split("-")[1]
    for i, public in enumerate(publics):
        for body, valid_somewhere in (
            ("<front><article-meta><title-group><article-title>T</article-title>"
             "</title-group></article-meta></front>", True),
            ("<front><article-meta/><bogus/></front>", False),
        ):  # fmt: skip
            path = tmp_path / f"a{i}-{valid_somewhere}.xml"
            path.write_text(
                f'<!DOCTYPE article PUBLIC "{public}" "x.dtd">\n'
                f'<article xmlns:xlink="http://www.w3.org/1999/xlink" dtd-version="{version}">'
                f"{body}</article>",
                "utf-8",
            )
            tree = etree.parse(str(path), etree.XMLParser(load_dtd=False, no_network=True))
            assert detect_schema(tree)[0] == set_id, public
            report = Validator().validate_file(path)
            ours = not any(d.code == "dtd" for d in report.diagnostics)
            official, said = xmllint(path, set_id)
            assert "schema.missing" not in {d.code for d in report.diagnostics}
            assert ours == official, (public, said, report.diagnostics)
            if not valid_somewhere:
                assert not ours


def test_pmc_archiving_files_of_the_corpus_get_a_verdict_not_schema_missing():
    judged = 0
    for path in sorted((SHARED / "corpus" / "jats").glob("*.xml")):
        report = Validator().validate_file(path)
        codes = {d.code for d in report.diagnostics}
        assert not codes & {"schema.missing", "kind.unknown"}, (path.name, report.diagnostics)
        judged += 1
    assert judged >= 40


def test_installing_every_set_keeps_the_sets_that_share_a_folder(tmp_path):
    target = tmp_path / "schemas"
    first = install(str(SCHEMAS), sets=["crossref-4.4.2"], target=target)
    second = install(str(SCHEMAS), sets=["grant-id-0.1.0", "doi-resources-4.5.0"], target=target)
    assert first.installed == ["crossref-4.4.2"] and not second.problems
    every = install(str(SCHEMAS), target=target)
    assert sorted(every.installed) == sorted(manifest()) and not every.problems
    cache = SchemaLocator(env={"JATSGEN_CACHE_DIR": str(tmp_path)})
    for set_id in manifest():
        found = cache.find(set_id)
        assert found.origin == "cache" and not found.integrity_problems(), set_id
    assert os.path.samefile(cache.find("crossref-4.4.2").base, cache.find("grant-id-0.1.0").base)
