"""Every class of disagreement found between jatsgen and the official engines (issue 22), kept
as a named file in tests/fixtures/validity/: each gets the verdict the XSD or XML
specification gives, from every engine jatsgen has and whatever its cache holds, with the
official engine that departs from the specification named, and no internal error."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import FIXTURES, SCHEMAS
from official import xmllint

from jatsgen.validation import ValidateOptions, Validator
from jatsgen.validation.schemas import SchemaLocator

CASES = FIXTURES / "validity"
SCHEMA_CODES = {"xsd", "dtd", "xml.syntax", "xml.entity-undeclared"}

# file -> (schema set, valid by the specification, who departs from it and why, or None)
EXPECTED = {
    # XSD's lexical spaces of numbers and dates are ASCII ([0-9]); Python's \d and int() are not
    "arabic-indic-digits-in-date.xml": ("crossref-5.3.1", False, None),
    "arabic-indic-digits-in-mathml-decimal.xml": ("jats-1.4-publishing", False, None),
    "fullwidth-digits-in-year.xml": ("crossref-5.4.0", False, "xmlschema: int() takes them"),
    "fullwidth-digits-in-year-xsd11.xml": ("crossref-5.5.0", False, "xmlschema: int()"),
    "devanagari-digits-in-year-xsd11.xml": ("crossref-5.5.0", False, "xmlschema: int()"),
    # XML's white space is space, tab, CR and LF; a no-break space or U+3000 is a character
    "no-break-space-after-year-xsd11.xml": ("crossref-5.5.0", False, "xmlschema: strip()"),
    "no-break-space-between-elements-xsd11.xml": ("crossref-5.5.0", False, "xmlschema"),
    "ideographic-space-as-citation-key.xml": ("crossref-5.3.1", True, "xmlschema: split()"),
    # comments and processing instructions are not content
    "comment-in-doi.xml": ("crossref-5.4.0", True, "xmlschema refuses it"),
    "processing-instruction-in-doi-xsd11.xml": ("crossref-5.5.0", True, "xmlschema"),
    # an entity is declared by the official DTD the DOCTYPE names, or not at all
    "declared-entity-jats-xsd.xml": ("jats-1.3-publishing", True, None),
    "undeclared-entity-jats-xsd.xml": ("jats-1.3-publishing", False, None),
    "undeclared-entity-crossref.xml": ("crossref-5.4.0", False, None),
    "dtd-declared-entity.xml": ("jats-1.1-publishing", True, None),
    "dtd-undeclared-entity.xml": ("jats-1.1-publishing", False, None),
    # XML 1.0 3, VC Element Valid: a CDATA section is not the white space element content
    # allows; XSD validates the infoset, where it is white space like any other
    "dtd-cdata-whitespace-in-element-content.xml": ("jats-1.1-publishing", False, None),
    "xsd-cdata-whitespace-in-element-content.xml": (
        "crossref-5.4.0", True, "libxml2's XSD validator counts a CDATA section as content"),
    # values a rule or an engine could not read once ended the run
    "unresolvable-xsi-type.xml": ("crossref-5.4.0", False, None),
    "year-zero.xml": ("crossref-5.4.0", False, None),
    "year-10000.xml": ("crossref-5.4.0", False, None),
    "year-in-superscript-digits.xml": ("crossref-5.4.0", False, None),
    "timestamp-of-5000-digits.xml": (
        "crossref-5.4.0", True, "xmllint's command line refuses an integer that long; lxml's "
        "validation of the same tree by the same libxml2 takes it, as XSD does"),
}  # fmt: skip
# the registry rules these files break besides (or instead of) the schema
RULES = {
    "year-zero.xml": "date.year-range",
    "year-10000.xml": "date.year-range",
    "year-in-superscript-digits.xml": "date.real",
    "timestamp-of-5000-digits.xml": "crossref.timestamp-range",
}


def test_every_case_file_is_named():
    assert sorted(p.name for p in CASES.glob("*.xml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_engine_gives_the_specifications_verdict(name):
    set_id, valid, departs = EXPECTED[name]
    path = CASES / name
    libxml2 = SchemaLocator().find(set_id).set.libxml2 and set_id != "crossref-5.5.0"
    engines = ["compact", "xmlschema", *(["lxml"] if libxml2 else [])]
    for engine in engines:
        report = Validator(ValidateOptions(engine=engine)).validate_file(path)
        assert report.schema_id == set_id, engine
        codes = [d.code for d in report.diagnostics]
        assert "internal" not in codes, (engine, report.diagnostics)
        schema_ok = not SCHEMA_CODES & set(codes)
        assert schema_ok is valid, (engine, [str(d) for d in report.diagnostics])
        if name in RULES:
            assert RULES[name] in codes, (engine, codes)
        assert all(d.line for d in report.diagnostics if d.code in SCHEMA_CODES), engine
    if libxml2 and departs is None:
        official, said = xmllint(path, set_id)
        assert official is valid, said


def test_the_verdict_does_not_depend_on_the_cache(tmp_path):
    """The same file, first with an empty cache (the full engine; the compact form is built
    meanwhile), then with the compact form in it: one verdict (a JATS 1.4 file with
    Arabic-Indic digits in a MathML decimal attribute was invalid on first use and valid on
    every run after)."""
    import subprocess
    import sys
    import time

    path = CASES / "arabic-indic-digits-in-mathml-decimal.xml"
    env = {**os.environ, "JATSGEN_CACHE_DIR": str(tmp_path / "cache")}

    def verdict() -> int:
        done = subprocess.run([sys.executable, "-m", "jatsgen", "validate", "-q", str(path)],
                              env=env, capture_output=True, text=True)  # fmt: skip
        assert "internal error" not in done.stderr, done.stderr
        return done.returncode

    first = verdict()
    deadline = time.monotonic() + 120
    while not any((tmp_path / "cache").rglob("jats-1.4*.compact")):
        assert time.monotonic() < deadline, "the compact form was never built"
        time.sleep(0.5)
    assert (first, verdict(), verdict()) == (1, 1, 1)


def test_an_undeclared_entity_in_a_file_over_512_kb_is_an_error_not_a_crash(tmp_path):
    """Over 512 KB a run validates with libxml2, which gave up on entity references with an
    'internal error' that ended the whole run."""
    text = (CASES / "undeclared-entity-crossref.xml").read_text("utf-8")
    padding = "<!-- " + "x" * 600_000 + " -->"
    big = tmp_path / "big.xml"
    big.write_text(text.replace("<body>", f"{padding}<body>", 1), "utf-8")
    assert big.stat().st_size > 512 * 1024
    report = Validator().validate_file(big)  # the automatic engine: libxml2 at this size
    assert [d.code for d in report.diagnostics if d.severity == "error"] == [
        "xml.entity-undeclared"
    ]


def test_xmllint_is_the_one_that_departs_where_named():
    """The departures named above are real: xmllint says what it is said to say."""
    assert shutil.which("xmllint")
    for name, (set_id, valid, departs) in EXPECTED.items():
        if departs and departs.startswith(("libxml2", "xmllint")):
            official, _ = xmllint(CASES / name, set_id)
            assert official is not valid, name
    assert os.environ.get("JATSGEN_SCHEMAS") == str(SCHEMAS)
