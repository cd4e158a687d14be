"""`jatsgen validate`: official XSDs plus registry rules, located findings, safe parsing."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import EXAMPLES, FIXTURES, SEED, SHARED, json_lines
from lxml import etree
from typer.testing import CliRunner

from jatsgen.cli import app
from jatsgen.config import load_config
from jatsgen.jobs import make_batches
from jatsgen.jobs.jats import convert_to_jats
from jatsgen.jobs.timestamps import TimestampClock
from jatsgen.validation import ValidateOptions, Validator, validate_paths

runner = CliRunner()
CR = "{http://www.crossref.org/schema/5.4.0}"
XLINK = "{http://www.w3.org/1999/xlink}href"


@pytest.fixture(scope="session")
def bases(tmp_path_factory, locator):
    """Valid files written by jatsgen itself, to mutate."""
    root = tmp_path_factory.mktemp("bases")
    convert_to_jats(
        [SEED, EXAMPLES / "collection.yaml", FIXTURES / "records" / "conference_full.yaml"],
        root / "jats",
        locator=locator,
    )
    out: dict[str, Path] = {
        "seed.jats": root / "jats" / "000_b55da46bdd52c0c6.xml",
        "orcid.jats": root / "jats" / "collection-p070.xml",
        "ror.jats": root / "jats" / "conference_full.xml",
    }
    config = load_config(FIXTURES / "test.toml")
    for name, record, version in (
        ("conf.cr", FIXTURES / "records" / "conference_full.yaml", "5.4.0"),
        ("journal.cr", FIXTURES / "records" / "journal_full.yaml", "5.4.0"),
        ("two.cr", EXAMPLES / "collection.yaml", "5.4.0"),
        ("conf.cr55", FIXTURES / "records" / "conference_full.yaml", "5.5.0"),
    ):
        run = make_batches(
            [record],
            config,
            root / name,
            version=version,
            locator=locator,
            clock=TimestampClock(root / "state"),
        )
        assert run.ok, [str(d) for d in run.diagnostics]
        out[name] = run.batches[0].path
    for path in out.values():
        report = Validator().validate_file(path)
        assert not [d for d in report.diagnostics if d.severity == "error"], report.diagnostics
    return out


def test_every_official_crossref_example_is_reported_valid():
    files = sorted((SHARED / "examples" / "crossref").glob("*.xml"))
    assert len(files) >= 10
    reports = validate_paths(files)
    for r in reports:
        assert r.ok, (r.path, [str(d) for d in r.diagnostics])
        assert r.schema_id in ("crossref-5.3.0", "crossref-5.3.1")
    # they share one doi_batch_id, which is worth a warning when polled by batch id
    assert any(d.code == "crossref.batch-id-unique" for r in reports for d in r.diagnostics)


def test_jatsgen_outputs_are_reported_valid(bases):
    assert all(Validator().validate_file(p).ok for p in bases.values())


# --- mutations -----------------------------------------------------------------------------

Mutation = Callable[[etree._ElementTree], etree._Element]


def first(tree: etree._ElementTree, xpath: str) -> etree._Element:
    found = tree.xpath(xpath, namespaces={"c": CR[1:-1], "x": "http://www.w3.org/1999/xlink"})
    assert found, xpath
    return found[0]


def set_text(xpath: str, text: str) -> Mutation:
    def mutate(tree: etree._ElementTree) -> etree._Element:
        el = first(tree, xpath)
        el.text = text
        return el

    return mutate


def set_attr(xpath: str, name: str, value: str) -> Mutation:
    def mutate(tree: etree._ElementTree) -> etree._Element:
        el = first(tree, xpath)
        el.set(name, value)
        return el

    return mutate


def remove(xpath: str) -> Mutation:
    def mutate(tree: etree._ElementTree) -> etree._Element:
        el = first(tree, xpath)
        parent = el.getparent()
        parent.remove(el)
        return parent

    return mutate


def swap_pages(first_xpath: str, last_xpath: str) -> Mutation:
    def mutate(tree: etree._ElementTree) -> etree._Element:
        f, la = first(tree, first_xpath), first(tree, last_xpath)
        f.text, la.text = "50", "40"
        return la

    return mutate


def copy_doi(tree: etree._ElementTree) -> etree._Element:
    dois = tree.xpath("//c:doi_data/c:doi", namespaces={"c": CR[1:-1]})
    dois[1].text = dois[0].text
    return dois[1]


def mixed_prefix(tree: etree._ElementTree) -> etree._Element:
    dois = tree.xpath("//c:conference_paper/c:doi_data/c:doi", namespaces={"c": CR[1:-1]})
    dois[1].text = "10.9999/other"
    return dois[1]


def same_citation_keys(tree: etree._ElementTree) -> etree._Element:
    cites = tree.xpath("//c:citation", namespaces={"c": CR[1:-1]})
    cites[1].set("key", cites[0].get("key"))
    return cites[1]


def cite_missing(tree: etree._ElementTree) -> etree._Element:
    p = first(tree, "//body//p")
    p.text = (p.text or "") + " see also [12] "
    return p


def foreign_root(tree: etree._ElementTree) -> etree._Element:
    root = tree.getroot()
    new = etree.Element("{http://example.org/not-jats}article")
    new.extend(list(root))
    tree._setroot(new)
    return new


MUTATIONS: list[tuple[str, str, Mutation, str]] = [
    (
        "jats-dangling-rid",
        "seed.jats",
        set_attr("//xref[@ref-type='bibr']", "rid", "ref99"),
        "jats.rid-resolves",
    ),
    ("jats-duplicate-id", "seed.jats", set_attr("//aff[2]", "id", "aff1"), "jats.id-unique"),
    (
        "jats-bad-lang",
        "seed.jats",
        set_attr("/article", "{http://www.w3.org/XML/1998/namespace}lang", "kazakh"),
        "jats.lang-tag",
    ),
    ("jats-bad-isbn", "seed.jats", set_text("//article-meta/isbn", "978-601-262-587-4"), "id.isbn"),
    (
        "jats-bad-orcid-digit",
        "orcid.jats",
        set_text("//contrib-id", "https://orcid.org/0000-0002-1825-0098"),
        "id.orcid",
    ),
    (  # the schema allows a bare ORCID; JATS4R recommends the URL form (issue 11): a warning
        "jats-bare-orcid",
        "orcid.jats",
        set_text("//contrib-id", "0000-0002-1825-0097"),
        "jats.orcid-url",
    ),
    ("jats-bad-ror", "ror.jats", set_text("//institution-id", "https://ror.org/xyz"), "id.ror"),
    ("jats-reversed-pages", "seed.jats", swap_pages("//fpage", "//lpage"), "pages.order"),
    ("jats-impossible-date", "orcid.jats", set_text("//pub-date/day", "32"), "date.real"),
    ("jats-far-future", "orcid.jats", set_text("//pub-date/year", "2999"), "date.far-future"),
    ("jats-no-title", "seed.jats", remove("//article-meta/title-group"), "xsd"),
    ("jats-wrong-namespace", "seed.jats", foreign_root, "kind.unknown"),
    (
        "jats-bibr-to-aff",
        "seed.jats",
        set_attr("//xref[@ref-type='bibr']", "rid", "aff1"),
        "jats.bibr-target",
    ),
    ("jats-cites-missing-ref", "seed.jats", cite_missing, "jats.cited-present"),
    (
        "jats-bad-doi",
        "orcid.jats",
        set_text("//ref[3]//pub-id", "10.15/has space"),
        "jats.doi-syntax",
    ),
    (
        "jats-bad-iso-date",
        "seed.jats",
        set_attr("//conf-date", "iso-8601-date", "2025-13-01"),
        "date.real",
    ),
    ("cr-bad-isbn", "conf.cr", set_text("//c:isbn", "978-601-262-587-4"), "id.isbn"),
    ("cr-bad-issn", "journal.cr", set_text("//c:issn", "0317-8472"), "id.issn"),
    ("cr-duplicate-doi", "two.cr", copy_doi, "crossref.doi-unique"),
    (
        "cr-lookalike-dash",
        "conf.cr",
        set_text("//c:conference_paper/c:doi_data/c:doi", "10.5555/t\u20102025"),
        "crossref.doi-syntax",
    ),
    ("cr-mixed-prefix", "two.cr", mixed_prefix, "crossref.one-prefix"),
    ("cr-reversed-pages", "conf.cr", swap_pages("//c:first_page", "//c:last_page"), "pages.order"),
    (
        "cr-ftp-resource",
        "conf.cr",
        set_text("//c:conference_paper/c:doi_data/c:resource", "ftp://example.org/x"),
        "crossref.resource-url",
    ),
    (
        "cr-citation-doi-url",
        "conf.cr",
        set_text("//c:citation/c:doi", "https://doi.org/10.1023/A:1010933404324"),
        "crossref.citation-doi",
    ),
    ("cr-duplicate-citation-key", "conf.cr", same_citation_keys, "crossref.citation-key-unique"),
    (
        "cr-bad-orcid-digit",
        "conf.cr",
        set_text("//c:ORCID", "https://orcid.org/0000-0002-1825-0098"),
        "id.orcid",
    ),
    ("cr-impossible-date", "conf.cr", lambda t: _february_30(t), "date.real"),
    ("cr-no-doi-data", "conf.cr", remove("//c:conference_paper/c:doi_data"), "xsd"),
    ("cr-bad-ror", "conf.cr", set_text("//c:institution_id", "https://ror.org/nope"), "id.ror"),
    ("cr-blank-batch-id", "conf.cr", set_text("//c:doi_batch_id", " "), "crossref.batch-id"),
    ("cr55-assertion", "conf.cr55", lambda t: _drop_role(t), "xsd"),
]


def _february_30(tree: etree._ElementTree) -> etree._Element:
    set_text("//c:conference_paper/c:publication_date/c:month", "02")(tree)
    return set_text("//c:conference_paper/c:publication_date/c:day", "30")(tree)


def _drop_role(tree: etree._ElementTree) -> etree._Element:
    ns = {"c": "http://www.crossref.org/schema/5.5.0"}
    person = tree.xpath("//c:person_name", namespaces=ns)[0]
    del person.attrib["contributor_role"]
    return person


@pytest.mark.parametrize("name, base, mutate, rule", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutated_file_fails_with_the_expected_rule_and_line(
    tmp_path, bases, name, base, mutate, rule
):
    tree = etree.parse(str(bases[base]))
    el = mutate(tree)
    target_path = tree.getpath(el)
    out = tmp_path / f"{name}.xml"
    tree.write(
        str(out), xml_declaration=True, encoding="UTF-8", doctype=tree.docinfo.doctype or None
    )
    report = Validator(ValidateOptions(prefixes=("10.5555",))).validate_file(out)
    found = [(d.code, d.line) for d in report.diagnostics]
    assert any(code == rule for code, _ in found), found
    if rule not in ("kind.unknown", "xsd"):
        line = etree.parse(str(out)).xpath(target_path)[0].sourceline
        assert (rule, line) in found, found
    from jatsgen.validation import RULES

    assert report.ok == (RULES[rule].severity == "warning")


def test_there_are_at_least_25_mutations():
    assert len(MUTATIONS) >= 25
    assert len({m[3] for m in MUTATIONS}) >= 18


def test_wrong_prefix_is_reported_when_a_prefix_is_configured(tmp_path, bases):
    report = Validator(ValidateOptions(prefixes=("10.1234",))).validate_file(bases["conf.cr"])
    errors = [d for d in report.diagnostics if d.severity == "error"]
    assert errors and {d.code for d in errors} == {"crossref.doi-prefix"}
    assert all("10.1234" in d.message for d in errors)
    assert Validator().validate_file(bases["conf.cr"]).ok  # no prefix given: not checked


def test_validate_does_not_judge_a_file_by_what_the_ledger_has_sent(tmp_path, bases, monkeypatch):
    """An archived batch the ledger has sent is still a valid file: whether its timestamp
    is newer than one already sent is a deposit-time check (deposit.timestamp-newer)."""
    from jatsgen import Ledger
    from jatsgen.deposit.ledger import Carried
    from jatsgen.deposit.plan import plan_files

    root = etree.parse(str(bases["conf.cr"])).getroot()
    stamp = int(root.findtext(f"{CR}head/{CR}timestamp"))
    doi = root.findtext(f".//{CR}conference_paper/{CR}doi_data/{CR}doi")
    ledger = Ledger(tmp_path / "ledger.sqlite")
    row = ledger.add_submission("x", "a.xml", "a-1.xml", "b", "https://test.crossref.org",
                                [Carried(doi, stamp)])  # fmt: skip
    ledger.set_state(row, "completed")
    (report,) = validate_paths([bases["conf.cr"]], ValidateOptions())
    assert report.ok, report.diagnostics
    (plan,) = plan_files([bases["conf.cr"]], ledger, "https://test.crossref.org", ValidateOptions())
    assert plan.action == "invalid"
    (finding,) = [d for d in plan.report.diagnostics if d.code == "deposit.timestamp-newer"]
    assert str(stamp) in finding.message and doi in finding.message
    (elsewhere,) = plan_files([bases["conf.cr"]], ledger, "https://doi.crossref.org",
                              ValidateOptions())  # fmt: skip
    assert elsewhere.action == "send"  # judged per endpoint: rehearsal, then production


# --- hostile input -------------------------------------------------------------------------


def _bounded(path: Path) -> tuple[list[str], float]:
    t0 = time.perf_counter()
    report = Validator().validate_file(path)
    return [d.code for d in report.diagnostics], time.perf_counter() - t0


def test_xxe_attempt_is_refused_and_nothing_is_read(tmp_path):
    p = tmp_path / "xxe.xml"
    p.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE article [<!ENTITY xxe SYSTEM '
        '"file:///etc/passwd">]>\n<article dtd-version="1.3"><front>&xxe;</front>'
        "</article>\n",
        encoding="utf-8",
    )
    report = Validator().validate_file(p)
    assert [d.code for d in report.diagnostics] == ["xml.entities"]
    assert "root:" not in " ".join(d.message for d in report.diagnostics)


def test_entity_declarations_are_found_after_a_comment_that_mentions_a_doctype(tmp_path):
    from jatsgen.errors import InputError
    from jatsgen.safexml import parse_bytes

    with pytest.raises(InputError) as err:
        parse_bytes(
            b"<?xml version='1.0'?>\n<!-- <!DOCTYPE decoy> -->\n"
            b'<!DOCTYPE article [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
            b"<article>&xxe;</article>",
            "decoy.xml",
        )
    assert err.value.diagnostics[0].code == "xml.entities"
    assert err.value.diagnostics[0].line == 3


def test_billion_laughs_is_refused_quickly_without_expanding(tmp_path):
    lol = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    p = tmp_path / "lol.xml"
    p.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE article [{"".join(lol)}]>\n'
        "<article><front>&lol9;</front></article>\n",
        encoding="utf-8",
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    codes, seconds = _bounded(p)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert codes == ["xml.entities"] and seconds < 5 and grown_mb < 50


def test_200_mb_file_is_refused_before_it_is_read(tmp_path):
    p = tmp_path / "huge.xml"
    with p.open("wb") as fh:
        fh.truncate(200 * 1024 * 1024)
    codes, seconds = _bounded(p)
    assert codes == ["xml.too-large"] and seconds < 1


def test_non_utf8_file_is_a_clear_syntax_error(tmp_path):
    p = tmp_path / "latin.xml"
    p.write_bytes(
        '<?xml version="1.0" encoding="UTF-8"?>\n<article><front>Gö</front></article>\n'.encode(
            "latin-1"
        )
    )
    report = Validator().validate_file(p)
    (d,) = report.diagnostics
    assert d.code == "xml.syntax" and d.line == 2 and "UTF-8" in d.message


def test_truncated_file_is_a_located_syntax_error(tmp_path, bases):
    data = bases["conf.cr"].read_bytes()
    p = tmp_path / "cut.xml"
    p.write_bytes(data[: len(data) // 2])
    (d,) = Validator().validate_file(p).diagnostics
    assert d.code == "xml.syntax" and d.line and d.line > 10


def test_absurdly_deep_nesting_is_refused(tmp_path):
    p = tmp_path / "deep.xml"
    p.write_text("<article>" + "<sec>" * 5000 + "</sec>" * 5000 + "</article>", encoding="utf-8")
    codes, seconds = _bounded(p)
    assert codes == ["xml.syntax"] and seconds < 5


# --- reports, options, engines --------------------------------------------------------------


def _write_bad(tmp_path: Path, bases: dict[str, Path]) -> Path:
    tree = etree.parse(str(bases["conf.cr"]))
    set_text("//c:isbn", "978-601-262-587-4")(tree)
    bad = tmp_path / "bad.xml"
    tree.write(str(bad), xml_declaration=True, encoding="UTF-8")
    return bad


def test_json_format_gives_one_object_per_finding_and_exit_1(tmp_path, bases):
    bad = _write_bad(tmp_path, bases)
    res = runner.invoke(app, ["validate", str(bad), "--format", "json"])
    assert res.exit_code == 1
    rows = json_lines(res.stdout, "finding")
    assert rows and all(set(r) >= {"file", "line", "severity", "rule", "message"} for r in rows)
    assert {r["rule"] for r in rows} == {"id.isbn"}
    (file,) = json_lines(res.stdout)
    assert file["status"] == "invalid" and file["data"]["schema"] == "crossref-5.4.0"
    assert file["errors"] == len(rows) and file["input"] == str(bad)


def test_text_report_is_file_line_rule_message_with_a_summary(tmp_path, bases):
    bad = _write_bad(tmp_path, bases)
    res = runner.invoke(app, ["validate", str(bad), str(bases["seed.jats"])])
    assert res.exit_code == 1
    assert f"{bad}:" in res.stdout and "error [id.isbn]" in res.stdout
    assert "2 file(s) checked: 1 valid, 1 with errors" in res.stderr


def test_ignore_switches_a_rule_off_and_warnings_keep_exit_0(tmp_path, bases):
    bad = _write_bad(tmp_path, bases)
    assert runner.invoke(app, ["validate", str(bad), "--ignore", "id.isbn"]).exit_code == 0
    warned = runner.invoke(app, ["validate", str(bases["seed.jats"])])
    assert warned.exit_code == 0 and "warning [jats.cited-present]" in warned.stdout


@pytest.mark.parametrize("args", [["--ignore", "no.such-rule", "x.xml"], ["missing.xml"], []])
def test_usage_errors_exit_2(tmp_path, bases, args):
    res = runner.invoke(
        app, ["validate", *[a if a != "x.xml" else str(bases["conf.cr"]) for a in args]]
    )
    assert res.exit_code == 2 and "Traceback" not in res.stderr


def test_list_rules_names_every_rule_with_its_severity():
    res = runner.invoke(app, ["validate", "--list-rules"])
    assert res.exit_code == 0
    from jatsgen.validation import RULES

    for rule_id in RULES:
        assert rule_id in res.stdout


def test_config_prefixes_are_checked(tmp_path, bases):
    cfg = tmp_path / "c.toml"
    cfg.write_text((FIXTURES / "test.toml").read_text().replace("10.5555", "10.7777"))
    res = runner.invoke(app, ["validate", str(bases["conf.cr"]), "--config", str(cfg)])
    assert res.exit_code == 1 and "crossref.doi-prefix" in res.stdout


def test_both_xsd_engines_agree(tmp_path, bases):
    tree = etree.parse(str(bases["conf.cr"]))
    remove("//c:conference_paper/c:doi_data")(tree)
    bad = tmp_path / "no-doi-data.xml"
    tree.write(str(bad), xml_declaration=True, encoding="UTF-8")
    for engine in ("lxml", "xmlschema"):
        v = Validator(ValidateOptions(engine=engine))
        assert v.validate_file(bases["conf.cr"]).ok, engine
        assert "xsd" in [d.code for d in v.validate_file(bad).diagnostics], engine


# Schema-level mutations beyond MUTATIONS: content-model, attribute and datatype errors,
# where the two engines' conventions differ most (an unexpected child, what follows it).
def _unexpected_child(tree: etree._ElementTree) -> etree._Element:
    meta = first(tree, "//article-meta")
    meta.insert(0, etree.Element("volume"))  # out of place: before article-id
    etree.SubElement(meta, "bogus").text = "x"  # and an element JATS does not have
    return meta


def _bad_enumerations(tree: etree._ElementTree) -> etree._Element:
    set_attr("//contrib", "contrib-type", "chief wizard")(tree)
    return set_attr("//xref[@ref-type='bibr']", "ref-type", "video")(tree)


def _cr_out_of_order(tree: etree._ElementTree) -> etree._Element:
    paper = first(tree, "//c:conference_paper")
    paper.append(first(tree, "//c:conference_paper/c:titles"))  # titles moved to the end
    return paper


ENGINE_CASES: list[tuple[str, str, Mutation]] = [
    (name, base, mutate) for name, base, mutate, _ in MUTATIONS if not base.endswith("cr55")
] + [
    ("jats-unexpected-children", "seed.jats", _unexpected_child),
    ("jats-bad-enumerations", "seed.jats", _bad_enumerations),
    ("jats-no-front", "seed.jats", remove("//front")),
    ("cr-out-of-order", "conf.cr", _cr_out_of_order),
    ("cr-bad-year", "conf.cr", set_text("//c:publication_date/c:year", "MMXXV")),
]


def xsd_lines(report) -> list[int | None]:
    return sorted((d.line or 0) for d in report.diagnostics if d.code == "xsd")


def assert_engines_agree(path: Path, schema_id: str | None = None) -> None:
    """What jatsgen reports for one file (its default engine: xmlschema from the cache, for
    a file this small) has libxml2's verdict and libxml2's error lines."""
    served = Validator()
    assert served.engine == "compact"
    ours = served.validate_file(path, schema_id)
    libxml2 = Validator(ValidateOptions(engine="lxml")).validate_file(path, schema_id)
    assert ours.ok == libxml2.ok, (path, ours.diagnostics, libxml2.diagnostics)
    assert xsd_lines(ours) == xsd_lines(libxml2), path


@pytest.mark.parametrize("name, base, mutate", ENGINE_CASES, ids=[c[0] for c in ENGINE_CASES])
def test_engines_agree_on_mutated_files(tmp_path, bases, name, base, mutate):
    tree = etree.parse(str(bases[base]))
    mutate(tree)
    out = tmp_path / f"{name}.xml"
    tree.write(
        str(out), xml_declaration=True, encoding="UTF-8", doctype=tree.docinfo.doctype or None
    )
    assert_engines_agree(out)


CORPUS = sorted((SHARED / "corpus" / "jats").glob("*.xml"))


@pytest.mark.slow
@pytest.mark.parametrize("schema_id", ["jats-1.3-publishing", "jats-1.4-publishing"])
def test_engines_agree_on_every_corpus_file_against_jats_13_and_14(schema_id):
    """42 real articles of older versions, judged by the 1.3 and 1.4 XSDs: a few hundred
    errors of every kind, each at the same line in both engines."""
    assert len(CORPUS) >= 40
    for path in CORPUS:
        assert_engines_agree(path, schema_id)


def test_engines_agree_on_the_official_crossref_examples():
    for path in sorted((SHARED / "examples" / "crossref").glob("*.xml")):
        assert_engines_agree(path)


def test_compiled_schema_is_cached_on_disk_and_reloaded(tmp_path, monkeypatch, locator):
    from jatsgen.validation import engines as v

    monkeypatch.setenv("JATSGEN_CACHE_DIR", str(tmp_path))
    resolved = locator.find("crossref-5.4.0")
    fresh = v.cached_xmlschema.__wrapped__(resolved, background=False)
    stored = list((tmp_path / "compiled").glob("crossref-5.4.0-*.pickle"))
    assert len(stored) == 1
    again = v.cached_xmlschema.__wrapped__(resolved, background=False)
    assert (
        again is not fresh
        and again.is_valid(str(SHARED / "examples" / "crossref" / "journal.article5.3.0.xml"))
        is False
    )


def test_many_files_are_validated_in_parallel_with_the_same_results(tmp_path, bases):
    files = []
    for i in range(12):
        for key in ("seed.jats", "conf.cr"):
            p = tmp_path / f"{key}-{i}.xml"
            p.write_bytes(bases[key].read_bytes())
            files.append(p)
    bad = _write_bad(tmp_path, bases)
    files.append(bad)
    parallel = validate_paths(files, jobs=2)
    sequential = validate_paths(files, jobs=1)
    assert [r.path for r in parallel] == [str(f) for f in files]
    assert [[d.code for d in r.diagnostics] for r in parallel] == [
        [d.code for d in r.diagnostics] for r in sequential
    ]
    assert sum(not r.ok for r in parallel) == 1


def test_work_plan_keeps_each_schema_on_as_few_workers_as_possible():
    from jatsgen.validation.validate import plan_work

    kinds = ["crossref-5.4.0"] * 6 + ["jats-1.3"] * 6
    plan = plan_work(kinds, 2)
    assert sorted(len(p) for p in plan) == [6, 6]
    assert all(len({kinds[i] for i in part}) == 1 for part in plan)
    uneven = plan_work(["a"] * 9 + ["b"] * 1, 2)
    assert sorted(len(p) for p in uneven) == [5, 5]
    assert sorted(i for part in uneven for i in part) == list(range(10))


def test_peek_guesses_the_schema_from_the_head_of_the_file(bases):
    from jatsgen.validation.detect import peek_schema

    assert peek_schema(str(bases["conf.cr"])) == "crossref-5.4.0"
    assert peek_schema(str(bases["seed.jats"])) == "jats-1.3"
