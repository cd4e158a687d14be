"""A backfile's batches are validated in milliseconds each, whatever their size (issue 24):
the schema's compact form proves jatsgen's own batches valid, and libxml2 is compiled only
for a batch it does not prove, whose findings are then libxml2's; reference lists written
as bytes are what lxml writes. The throughput itself is
measured side by side with the lxml floor in bench/backfile.py (bench/RESULTS.md), never
here."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

import pytest
from conftest import SHARED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from test_roundtrip import articles

from jatsgen.config import load_config
from jatsgen.diagnostics import Diagnostics
from jatsgen.errors import InputError
from jatsgen.jobs import TimestampClock, make_batches
from jatsgen.jobs.prepare import LossLog
from jatsgen.model import Article, ArticleKind, Journal, PartialDate, Reference, Title, Work
from jatsgen.safexml import HEAD_BYTES, MAX_XML_BYTES, parse_bytes, parse_file
from jatsgen.validation import SchemaLocator, ValidateOptions, Validator
from jatsgen.validation.engines import XMLSCHEMA_BYTES, compile_lxml, fill_cache
from jatsgen.writers.crossref import SPECS, CrossrefWriter, fragment_bytes, namespace_declarations

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


# --- reference lists written as bytes --------------------------------------------------------
# A batch's reference lists are written straight as bytes (CrossrefWriter.prebuilt), not as
# lxml elements: they are most of a work's elements. The bytes must be what lxml writes,
# escapes, indentation, cleaning and what is said included, for any text at all.

_NASTY = st.text(
    st.one_of(
        st.sampled_from(list("&<>\"'\r\n\t\x00\x0b\x1f\ufffe\u00a0\u2028 ;#x")),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
)


@st.composite
def _cited(draw: st.DrawFn) -> Article:
    article = draw(articles())
    refs = [
        Reference(
            draw(st.one_of(st.just("r1"), _NASTY.filter(bool))),  # repeated keys, too
            draw(_NASTY),
            None,
            draw(st.one_of(st.none(), st.just("10.5555/ok.1"), _NASTY.map(lambda s: "10.1/" + s),
                           _NASTY)),
        )
        for _ in range(draw(st.integers(1, 5)))
    ]  # fmt: skip
    return dataclasses.replace(article, references=refs, published=PartialDate(2020, 5, 1))


def _written(work: Work, prebuilt: bool) -> tuple[bytes, list[str], list[str]]:
    config = load_config(ROOT / "bench" / "corpus.toml")
    diags, losses = Diagnostics(), LossLog()
    writer = CrossrefWriter(SPECS["5.4.0"], config, diags, losses)
    if prebuilt:
        writer.prebuilt = {}
    el = writer.work(work)
    data = fragment_bytes(el, 3, namespace_declarations(writer.nsmap), writer.prebuilt)
    return data, [d.message for d in diags], [message for _, message, _ in losses.events]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cited())
def test_reference_lists_written_as_bytes_are_what_lxml_writes(article):
    work = Work(article, "10.5555/work.1", "https://example.org/work/1")
    if not article.title.text:
        return
    assert _written(work, prebuilt=True) == _written(work, prebuilt=False)


def test_a_reference_list_outside_an_indented_parent_is_written_as_lxml_writes_it():
    """Where the work element is not indented (a writer's own element with text), the
    list is not either: as `indent` leaves it."""
    refs = [Reference("a&b", 'x < "y" > z\r\n', None, "10.5555/1"), Reference("a&b", "", None)]
    article = Article(
        ArticleKind.JOURNAL_ARTICLE,
        Title("T"),
        references=refs,
        published=PartialDate(2020),
        container=Journal([Title("J")]),
    )
    work = Work(article, "10.5555/w", "https://e.org/w")
    config = load_config(ROOT / "bench" / "corpus.toml")
    out = []
    for prebuilt in (True, False):
        writer = CrossrefWriter(SPECS["5.4.0"], config, Diagnostics(), LossLog())
        writer.prebuilt = {} if prebuilt else None
        el = writer.work(work)
        el.text = "text that stops indenting"
        out.append(fragment_bytes(el, 3, namespace_declarations(writer.nsmap), writer.prebuilt))
    assert out[0] == out[1]
    assert b'<citation_list><citation key="a&amp;b">' in out[0]  # not indented
    assert b'<citation key="a&amp;b-2">' in out[0]


# --- the long-number rule, settled on the file's bytes ---------------------------------------
# xml.number-too-long used to walk every text of a batch (a tenth of its validation); it now
# reads the bytes first: a value of more than 200,000 characters is that many bytes without
# a "<", which holds a whole aligned block of 100,000. Wherever the number falls, however it
# is written, it is still found.


def _findings(data: bytes) -> list[tuple[int | None, str]]:
    report = Validator(ValidateOptions()).validate_bytes(data, "long.xml", "crossref-5.4.0")
    return [(d.line, d.message) for d in report.diagnostics if d.code == "xml.number-too-long"]


def _batch(inside: str, encoding: str = "UTF-8") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<doi_batch xmlns="http://www.crossref.org/schema/5.4.0" version="5.4.0">\n'
        "<head><doi_batch_id>b</doi_batch_id><timestamp>1</timestamp></head>\n"
        f"<body>\n{inside}\n</body>\n</doi_batch>\n"
    ).encode(encoding)


@pytest.mark.parametrize("shift", [0, 1, 33_333, 66_667, 99_999])
def test_a_number_too_long_is_found_wherever_it_falls_in_the_file(shift):
    padding = "<x>" + "a" * 90 + "</x>\n"  # text between tags, as in any batch
    before = padding * (shift // len(padding) + 3)
    number = "9" * 200_001
    found = _findings(_batch(f"{before}<item_number>{number}</item_number>\n{padding * 5}"))
    assert found == [(before.count("\n") + 5, "a number of 200,001 digits; jatsgen reads numbers "
                      "of up to 200,000 (the registry fewer)")]  # fmt: skip
    in_attribute = _batch(f'{before}<item_number n="{number}"/>')
    assert len(_findings(in_attribute)) == 1
    assert _findings(_batch(f"{before}<item_number>{'9' * 200_000}</item_number>")) == []


def test_a_number_too_long_across_a_cdata_section_or_in_utf16_is_found():
    third = "9" * 66_667  # no run of the bytes between two "<" holds a whole block
    cdata = f"<item_number>{third}<![CDATA[{third}]]><![CDATA[{third}]]></item_number>"
    assert len(_findings(_batch(cdata))) == 1
    assert len(_findings(_batch(f"<item_number>{third * 3}</item_number>", "UTF-16"))) == 1


# --- a large file is parsed as it is read ----------------------------------------------------

_RUN = 200_000  # the run the long-number rule asks about (rules.NUMBER_DIGITS)
_UNIT = b"<p>" + b"a" * 90 + b"</p>\n"  # a batch's texts between tags
_HAZARDS = [
    b"<q><![CDATA[ x < y ]]></q>",  # a CDATA section cut anywhere between two pieces
    "<q>é 𝔘 – 日本</q>".encode(),  # characters of two to four bytes, cut between pieces
    b"<q>&amp;&#x10FFFF;&#9;</q>",  # references
    b"<!-- c --><?pi x?>",
    b"<q>\xff</q>",  # not UTF-8
    b"<q>",  # not closed
    b"</p>",  # closed twice
    b"<q a='1' a='2'/>",  # an attribute twice
    b"<q>" + b"9" * (_RUN + 1) + b"</q>",  # a run longer than asked about
    b"<q>" + b"9" * _RUN + b"</q>",  # and one just as long
    b"<!DOCTYPE q [<!ENTITY e 'x'>]>",  # a DOCTYPE out of place (entities in the head: below)
]


def _large(hazard: bytes, at: int, tail: int = 30_000) -> bytes:
    """A document with `hazard` starting at byte `at`, among texts between tags, and `tail`
    more bytes of them after it."""
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<root>\n'
    before = _UNIT * ((at - len(head)) // len(_UNIT))
    return (head + before + b" " * (at - len(head) - len(before)) + hazard
            + _UNIT * (tail // len(_UNIT)) + b"</root>\n")  # fmt: skip


def _parsed(parse, *args):
    try:
        return parse(*args), None
    except InputError as exc:
        return None, exc.diagnostics


@pytest.mark.parametrize("hazard", _HAZARDS)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    at=st.one_of(
        st.integers(60, 12_000),  # within the file's first pieces
        # across the end of a piece (lxml asks for 4,000 bytes at a time)
        st.builds(lambda k, d: k * 4_000 + d, st.integers(1, 300), st.integers(-12, 2)),
        st.integers(HEAD_BYTES - 12_000, HEAD_BYTES + 12_000),  # where reading the head ends
    ),
    large=st.booleans(),
)
def test_a_file_parsed_as_it_is_read_is_what_parsing_its_bytes_gives(tmp_path, hazard, at, large):
    """parse_file (a large file parsed piece by piece as it is read) against parse_bytes
    over the whole bytes: the same tree, or the same located error; and what it says of the
    bytes is true of them (digest, size, CDATA; a long run never missed)."""
    data = _large(hazard, at, tail=HEAD_BYTES + 10_000 if large else 10_000)
    path = tmp_path / "f.xml"
    path.write_bytes(data)
    expected, expected_error = _parsed(parse_bytes, data, str(path))
    got, error = _parsed(parse_file, path, _RUN)
    assert error == expected_error
    if got is None:
        return
    tree, read = got
    assert etree.tostring(tree) == etree.tostring(expected)
    assert read.size == len(data) and read.sha256 == hashlib.sha256(data).hexdigest()
    assert read.cdata == (b"<![CDATA[" in data)
    longest = max(map(len, data.split(b"<")))
    assert read.long_run or longest <= _RUN  # never says "no long run" when there is one
    assert not read.long_run or longest > _RUN // 2  # and says it only on a run of half


def test_a_large_file_declaring_entities_or_too_large_is_refused_as_its_bytes_are(tmp_path):
    path = tmp_path / "f.xml"
    data = _large(b"", HEAD_BYTES + 100).replace(
        b"<root>", b"<!DOCTYPE root [<!ENTITY e 'x'>]>\n<root>", 1
    )
    path.write_bytes(data)
    assert _parsed(parse_file, path, _RUN)[1] == _parsed(parse_bytes, data, str(path))[1]
    with path.open("r+b") as fh:
        fh.truncate(MAX_XML_BYTES + 1)  # (sparse: no disk used)
    (error,) = _parsed(parse_file, path, _RUN)[1]
    assert error.code == "xml.too-large" and str(MAX_XML_BYTES) in error.message


@pytest.mark.parametrize(
    "at", [60, 3_999, 4_001, HEAD_BYTES - 7, HEAD_BYTES + 3, HEAD_BYTES + 4_005]
)
def test_a_number_too_long_in_a_large_batch_file_is_found_wherever_it_falls(tmp_path, at):
    """validate_file reads a file over HEAD_BYTES as it parses it; a number too long is
    found there as in the bytes, wherever it falls among the pieces read."""
    path = tmp_path / "batch.xml"
    body = _large(b"<item_number>" + b"9" * (_RUN + 1) + b"</item_number>\n", at, HEAD_BYTES)
    data = _batch(body.split(b"<root>\n", 1)[1].rsplit(b"</root>", 1)[0].decode())
    path.write_bytes(data)
    validator = Validator(ValidateOptions())
    found = validator.validate_file(path, "crossref-5.4.0").diagnostics
    assert [d for d in found if d.code == "xml.number-too-long"] == [
        d for d in validator.validate_bytes(data, str(path), "crossref-5.4.0").diagnostics
        if d.code == "xml.number-too-long"
    ]  # fmt: skip
    assert len([d for d in found if d.code == "xml.number-too-long"]) == 1


def test_a_large_batch_file_with_cdata_is_validated_as_its_bytes_are(tmp_path):
    """A file over HEAD_BYTES with a CDATA section is read whole after all (a DTD must
    see CDATA as written; the long-number rule cannot judge it piece by piece)."""
    third = "9" * 66_667
    number = f"<item_number>{third}<![CDATA[{third}]]><![CDATA[{third}]]></item_number>\n"
    data = _batch(_UNIT.decode() * (HEAD_BYTES // len(_UNIT) + 10) + number)
    path = tmp_path / "batch.xml"
    path.write_bytes(data)
    validator = Validator(ValidateOptions())
    report = validator.validate_file(path, "crossref-5.4.0")
    assert (
        report.diagnostics
        == validator.validate_bytes(data, str(path), "crossref-5.4.0").diagnostics
    )
    assert [d.code for d in report.diagnostics].count("xml.number-too-long") == 1
    assert report.sha256 == hashlib.sha256(data).hexdigest()


def test_the_rules_find_every_doi_they_speak_of_though_their_index_leaves_plain_ones_out():
    """The rules' one-pass index leaves out the citations' plain DOIs (leaves, ASCII, not
    URLs); a DOI with an invisible character, one written as a URL, repeated citation keys
    and the works' DOIs the report lists are all still found, in document order."""
    cite = '<citation key="{}"><doi>{}</doi></citation>'
    citations = "".join(
        cite.format(key, doi)
        for key, doi in [("k1", "10.1000/plain"), ("k2", "10.1000/zero\u200bwidth"),
                         ("k3", "https://doi.org/10.1000/url"), ("k3", "10.1000/again"),
                         ("k4", "10.1000/caf\u00e9")]
    )  # fmt: skip
    work = (
        "<journal><journal_article><doi_data><doi>10.5555/{0}</doi>"
        "<resource>https://example.org/{0}</resource></doi_data>"
        "<citation_list>{1}</citation_list></journal_article></journal>"
    )
    data = _batch(work.format("w1", citations) + work.format("w2", cite.format("k1", "10.1/x")))
    report = Validator(ValidateOptions()).validate_bytes(data, "b.xml", "crossref-5.4.0")
    said = [(d.code, d.message) for d in report.diagnostics if d.code != "xsd"]
    assert said == [
        ("crossref.citation-doi", "citation DOI 'https://doi.org/10.1000/url' is a URL; write "
                                  "the bare DOI (10.NNNN/...)"),
        ("crossref.citation-key-unique", "citation key 'k3' is used more than once in this "
                                         "citation list"),
        ("crossref.citation-key-unique", "citation key 'k3' is used more than once in this "
                                         "citation list"),
        ("text.invisible", "doi '10.1000/zero\\u200bwidth': it holds U+200B ZERO WIDTH SPACE at "
                           "position 13, which show nothing; delete it"),
    ]  # fmt: skip
    assert report.dois == ["10.5555/w1", "10.5555/w2"]
