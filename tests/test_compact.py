"""The compact form of an official schema (issue 14): it proves valid documents valid without
xmlschema, never calls valid what libxml2 rejects, and is cached beside the compiled schema."""

from __future__ import annotations

import copy
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, SCHEMAS, SHARED
from lxml import etree

from jatsgen.safexml import parse_bytes
from jatsgen.validation import compact
from jatsgen.validation.engines import (
    cache_file,
    cached_xmlschema,
    compact_file,
    compile_lxml,
    fill_cache,
)
from jatsgen.validation.schemas import SchemaLocator

GOLDEN = FIXTURES / "golden"
# jatsgen's own outputs and the official examples it carries in its golden files
VALID = {
    "seed-jats-1.3.xml": "jats-1.3-publishing",
    "seed-jats-1.4.xml": "jats-1.4-publishing",
    "seed-crossref-5.3.1.xml": "crossref-5.3.1",
    "seed-crossref-5.4.0.xml": "crossref-5.4.0",
    "seed-crossref-5.5.0.xml": "crossref-5.5.0",
    "collection-p070.xml": "jats-1.3-publishing",
    "examples-crossref-5.4.0-1.xml": "crossref-5.4.0",
    "examples-crossref-5.4.0-2.xml": "crossref-5.4.0",
}


@pytest.fixture(scope="module")
def forms() -> dict[str, dict]:
    """Each schema set's compact form, as `jatsgen schemas install` leaves it in the cache."""
    located = SchemaLocator()
    out = {}
    for set_id in set(VALID.values()):
        resolved = located.find(set_id)
        fill_cache(resolved)
        form = compact.load(compact_file(resolved))
        assert form is not None, set_id
        out[set_id] = form
    return out


def judge(set_id: str, tree: etree._ElementTree) -> bool:
    """libxml2's verdict (xmlschema's for the XSD 1.1 schema libxml2 cannot load)."""
    resolved = SchemaLocator().find(set_id)
    if resolved.set.xsd_version == "1.1":
        import xmlschema

        resource = xmlschema.XMLResource(tree, allow="none")
        return bool(cached_xmlschema(resolved).is_valid(resource, use_location_hints=False))
    return bool(compile_lxml(resolved).validate(tree))


def load(path: Path) -> etree._ElementTree:
    return parse_bytes(path.read_bytes(), str(path))


@pytest.mark.parametrize("name", sorted(VALID))
def test_jatsgen_outputs_are_proven_valid(forms, name):
    tree = load(GOLDEN / name)
    assert judge(VALID[name], tree)
    assert compact.proves_valid(forms[VALID[name]], tree)


@pytest.mark.parametrize(
    "vocab, role_type, contributor_role, valid",
    [
        ("credit", "supervision", "other", True),
        ("credit", "author", "other", False),  # not a CRediT role
        ("crossref", "author", "other", True),
        ("crossref", "supervision", "other", False),
        (None, "supervision", "other", False),  # the vocabulary is required
        ("credit", " supervision ", "other", False),  # xmlschema compares the text as written
        ("credit", "supervision", None, True),  # a role element stands for the attribute
    ],
)
def test_crossref_55_assertions_are_evaluated_as_xmlschema_does(
    forms, vocab, role_type, contributor_role, valid
):
    """Crossref 5.5.0 is XSD 1.1: its assertions (a role's type must be in the vocabulary it
    names; a contributor needs a contributor_role attribute or a role element) are part of
    the compact form, and its verdict is xmlschema's."""
    tree = load(GOLDEN / "seed-crossref-5.5.0.xml")
    ns = {"c": "http://www.crossref.org/schema/5.5.0"}
    role = tree.xpath("//c:role", namespaces=ns)[0]
    for name, value in (("vocab", vocab), ("type", role_type)):
        if value is None:
            del role.attrib[name]
        else:
            role.set(name, value)
    if contributor_role is None:
        del role.getparent().attrib["contributor_role"]
    assert judge("crossref-5.5.0", tree) is valid
    assert compact.proves_valid(forms["crossref-5.5.0"], tree) is valid


def test_a_contributor_without_a_role_breaks_the_crossref_55_assertion(forms):
    tree = load(GOLDEN / "seed-crossref-5.5.0.xml")
    ns = {"c": "http://www.crossref.org/schema/5.5.0"}
    role = tree.xpath("//c:role", namespaces=ns)[0]
    person = role.getparent()
    person.remove(role)
    del person.attrib["contributor_role"]
    assert not judge("crossref-5.5.0", tree)
    assert not compact.proves_valid(forms["crossref-5.5.0"], tree)


# --- mutations: what libxml2 rejects is never proven valid ------------------------------------

ODD_VALUES = [
    "",
    " ",
    "x",
    "x y",
    "1",
    "-1",
    "0",
    "abc",
    "2020-13-01",
    "2020-02-30",
    "2021-01-05",
    "true",
    " a ",
    "1.5",
    "99999",
    "2020",
    "0000",
    "10.1000/x",
    "http://a b",
    "http://a:b:c/",
    "en",
    "e n",
    "x" * 300,
    "1e3",
    "+3",
    "ABC_1",
    "1abc",
    "a:b",
    "é",
    "%zz",
    "a#b#c",
]


def mutate(tree: etree._ElementTree, rng: random.Random) -> None:
    """One random edit of the kinds a hand-edited file suffers: an element dropped,
    repeated, moved, renamed, wrapped or unwrapped; an attribute set to an odd value, added
    or removed; text where only elements may be."""
    elements = [el for el in tree.getroot().iter() if isinstance(el.tag, str)]
    names = [*sorted({el.tag for el in elements}), "bogus"]
    attributes = [*sorted({a for el in elements for a in el.attrib}), "bogus"]
    el = rng.choice(elements)
    parent = el.getparent()
    kind = rng.randrange(11)
    if kind == 0 and parent is not None:
        parent.remove(el)
    elif kind == 1 and parent is not None:
        el.addnext(copy.deepcopy(el))
    elif kind == 2 and el.getnext() is not None:
        el.getnext().addnext(el)
    elif kind == 3:
        el.tag = rng.choice(names)
    elif kind == 4 and el.attrib:
        el.set(rng.choice(sorted(el.attrib)), rng.choice(ODD_VALUES))
    elif kind == 5:
        el.set(rng.choice(attributes), rng.choice(ODD_VALUES))
    elif kind == 6 and el.attrib:
        del el.attrib[rng.choice(sorted(el.attrib))]
    elif kind == 7:
        if len(el):
            rng.choice(list(el)).tail = rng.choice(["x", " ", "\n"])
        else:
            el.text = (el.text or "") + "x"
    elif kind == 8 and not len(el):
        el.text = rng.choice(ODD_VALUES)
    elif kind == 9 and parent is not None:
        wrapper = etree.Element(rng.choice(names))
        el.addprevious(wrapper)
        wrapper.append(el)
    elif kind == 10 and len(el):
        child = rng.choice(list(el))
        at = el.index(child)
        el.remove(child)
        for i, grandchild in enumerate(list(child)):
            el.insert(at + i, grandchild)


@pytest.mark.parametrize("name", sorted(VALID))
def test_mutated_files_are_proven_valid_only_when_libxml2_accepts_them(forms, name):
    set_id = VALID[name]
    data = (GOLDEN / name).read_bytes()
    rng = random.Random(name)  # the same mutations on every run
    verdicts = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    wrong = []
    for i in range(120):
        tree = parse_bytes(data, name)
        for _ in range(rng.choice([1, 1, 2, 3])):
            mutate(tree, rng)
        proven, valid = compact.proves_valid(forms[set_id], tree), judge(set_id, tree)
        verdicts[(proven, valid)] += 1
        if proven and not valid:
            wrong.append((i, etree.tostring(tree)[:2000]))
    assert not wrong, wrong[:1]
    assert verdicts[(False, False)] >= 30  # the mutations do break files
    # and a valid one is proven, not merely passed on
    assert verdicts[(True, True)] >= 0.95 * (verdicts[(True, True)] + verdicts[(False, True)])


CORPUS = sorted((SHARED / "corpus" / "jats").glob("*.xml"))


@pytest.mark.slow
@pytest.mark.parametrize("set_id", ["jats-1.3-publishing", "jats-1.4-publishing"])
def test_on_the_corpus_only_what_libxml2_accepts_is_proven(forms, set_id):
    """42 real articles: the invalid ones are never proven; every valid one is, but one whose
    xlink:href holds a space (libxml2 escapes it; the compact check leaves such URIs to the
    full engine)."""
    unproven = []
    for path in CORPUS:
        tree = load(path)
        proven, valid = compact.proves_valid(forms[set_id], tree), judge(set_id, tree)
        assert valid or not proven, path.name
        if valid and not proven:
            unproven.append(path.name)
    assert unproven == ["scielo-a1.xml"]


# --- values and models at the edges, on a small schema of every construct ----------------------

EDGES_XSD = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="doc">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="v" maxOccurs="unbounded">
          <xs:complexType>
            <xs:attribute name="date" type="xs:date"/>
            <xs:attribute name="datetime" type="xs:dateTime"/>
            <xs:attribute name="year" type="xs:gYear"/>
            <xs:attribute name="month" type="xs:gYearMonth"/>
            <xs:attribute name="uri" type="xs:anyURI"/>
            <xs:attribute name="lang" type="xs:language"/>
            <xs:attribute name="tokens" type="xs:NMTOKENS"/>
            <xs:attribute name="flag" type="xs:boolean"/>
            <xs:attribute name="dec" type="xs:decimal"/>
            <xs:attribute name="int" type="xs:unsignedByte"/>
            <xs:attribute name="digits">
              <xs:simpleType>
                <xs:restriction base="xs:decimal">
                  <xs:totalDigits value="4"/><xs:fractionDigits value="1"/>
                </xs:restriction>
              </xs:simpleType>
            </xs:attribute>
            <xs:attribute name="range">
              <xs:simpleType>
                <xs:restriction base="xs:integer">
                  <xs:minExclusive value="10"/><xs:maxInclusive value="20"/>
                </xs:restriction>
              </xs:simpleType>
            </xs:attribute>
            <xs:attribute name="code">
              <xs:simpleType>
                <xs:restriction base="xs:token">
                  <xs:pattern value="[A-Z]{2}\\d"/><xs:maxLength value="3"/>
                </xs:restriction>
              </xs:simpleType>
            </xs:attribute>
            <xs:attribute name="pick">
              <xs:simpleType>
                <xs:union memberTypes="xs:integer">
                  <xs:simpleType>
                    <xs:restriction base="xs:string"><xs:enumeration value="none"/></xs:restriction>
                  </xs:simpleType>
                </xs:union>
              </xs:simpleType>
            </xs:attribute>
          </xs:complexType>
        </xs:element>
        <xs:element name="any-order" minOccurs="0">
          <xs:complexType>
            <xs:all>
              <xs:element name="a"/><xs:element name="b" minOccurs="0"/>
              <xs:element name="am" type="needs-child" minOccurs="0"/>
              <xs:element name="ao" type="any-text" minOccurs="0"/>
            </xs:all>
          </xs:complexType>
        </xs:element>
        <xs:choice minOccurs="0" maxOccurs="3">
          <xs:element name="c"/><xs:element ref="head"/>
        </xs:choice>
        <xs:element name="x" type="xs:string" minOccurs="0" maxOccurs="2"/>
        <xs:element name="m" type="needs-child" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element name="mo" type="any-text" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element name="mk" type="needs-key" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element name="sk" type="keyed-text" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
  <xs:complexType name="needs-child" mixed="true">
    <xs:sequence><xs:element name="i" type="xs:string"/></xs:sequence>
  </xs:complexType>
  <xs:complexType name="any-text" mixed="true">
    <xs:sequence><xs:element name="i" type="xs:string" minOccurs="0"/></xs:sequence>
  </xs:complexType>
  <xs:complexType name="needs-key" mixed="true">
    <xs:sequence><xs:element name="i" type="xs:string" minOccurs="0"/></xs:sequence>
    <xs:attribute name="k" type="xs:string" use="required"/>
  </xs:complexType>
  <xs:complexType name="keyed-text">
    <xs:simpleContent>
      <xs:extension base="xs:string">
        <xs:attribute name="k" type="xs:string" use="required"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:element name="head" abstract="true"/>
  <xs:element name="member" substitutionGroup="head"/>
</xs:schema>
"""

EDGE_VALUES = {
    "date": [
        "2024-02-29",
        "2023-02-29",
        "2024-13-01",
        "0000-01-01",
        "2024-01-01Z",
        "2024-01-01+14:00",
        "2024-01-01+14:01",
        " 2024-01-01 ",
        "24-01-01",
        "-2024-01-01",
    ],
    "datetime": [
        "2024-01-01T10:00:00",
        "2024-01-01T24:00:00",
        "2024-01-01T10:00:00.5Z",
        "2024-01-01 10:00:00",
        "2024-01-01T10:60:00",
    ],
    "year": ["2024", "0000", "24", "02024", "2024Z", "-0044"],
    "month": ["2024-12", "2024-13", "2024-1"],
    "uri": [
        "https://doi.org/10.1000/x",
        "",
        "a b",
        "http://a:b:c/",
        "%zz",
        "a#b#c",
        "urn:isbn:123",
        "../x?y=1#z",
        "http://[::1]/",
        "é",
    ],
    "lang": ["en", "en-GB", "kk-Cyrl-KZ", "e n", "toolongtag", "", "x-1"],
    "tokens": ["a b", "", " a  b ", "a,b"],
    "flag": ["true", "1", "yes", " false "],
    "dec": ["1.5", ".5", "5.", "-0", "1e3", "", "+1.0"],
    "int": ["0", "255", "256", "-0", "+7", "-1"],
    "digits": ["1234", "12345", "1.5", "1.25", "001234", "123.0", "12.50"],
    "range": ["10", "11", "20", "21", "015"],
    "code": ["AB1", "AB12", "ab1", " AB1 ", "AB١"],
    "pick": ["none", "12", "None", " 12 "],
}
LEFT_TO_THE_FULL_ENGINE = {  # valid, but not proven by the compact check
    '<v date="-2024-01-01"/>',  # years before 1 or after 9999
    '<v year="-0044"/>',
    '<v datetime="2024-01-01T24:00:00"/>',  # midnight written as 24:00
    '<v uri="a b"/>',  # URIs with spaces or non-ASCII, or IPv6 hosts
    '<v uri="é"/>',
    '<v uri="http://[::1]/"/>',
    '<v tokens=""/>',  # libxml2 accepts an empty NMTOKENS (minLength 1)
    '<v flag=" false "/>',  # whitespace around a value that is not a string
    '<v pick=" 12 "/>',
}
EDGE_MODELS = [
    "<any-order><b/><a/></any-order>",
    "<any-order><a/><a/></any-order>",
    "<any-order><b/></any-order>",
    "<any-order/>",
    "<c/><member/><c/>",
    "<c/><c/><c/><c/>",
    "<head/>",
    "<x/><x/>",
    "<x/><x/><x/>",
    "<c/><x>t</x>",
    "<x/><c/>",
    "<x><c/></x>",
    # elements with neither children nor attributes, which the check settles in their
    # parent's loop: mixed content that needs a child or an attribute, and text that does
    "<m>t</m>",
    "<m/>",
    "<m>t<i>u</i></m>",
    "<mo>t</mo>",
    "<mo/>",
    "<mk>t</mk>",
    '<mk k="1">t</mk>',
    "<sk>t</sk>",
    '<sk k="1">t</sk>',
    "<any-order><a/><am>t</am></any-order>",
    "<any-order><a/><am>t<i>u</i></am></any-order>",
    "<any-order><ao>t</ao><a/></any-order>",
]


def test_values_and_content_models_at_their_edges_have_libxml2s_verdict(tmp_path):
    xsd = tmp_path / "edges.xsd"
    xsd.write_text(EDGES_XSD)
    import xmlschema

    from jatsgen.validation.compact_build import build

    form = build(xmlschema.XMLSchema10(str(xsd)))
    libxml2 = etree.XMLSchema(etree.parse(str(xsd)))
    cases = [f'<v {name}="{value}"/>' for name, values in EDGE_VALUES.items() for value in values]
    cases += ["<v/>" + model for model in EDGE_MODELS]
    proven_count = 0
    for case in cases:
        tree = etree.ElementTree(etree.fromstring(f"<doc>{case}</doc>"))
        valid, proven = libxml2.validate(tree), compact.proves_valid(form, tree)
        assert valid or not proven, case  # never valid where libxml2 says not
        proven_count += proven
        if valid and not proven:  # only the few values it leaves to a full engine
            assert case in LEFT_TO_THE_FULL_ENGINE, case
    assert proven_count >= 45


def test_a_duplicate_id_is_not_proven(forms):
    tree = load(GOLDEN / "seed-jats-1.3.xml")
    ids = tree.getroot().xpath("//*[@id]")
    assert len(ids) >= 2
    ids[1].set("id", ids[0].get("id"))
    assert not judge("jats-1.3-publishing", tree)
    assert not compact.proves_valid(forms["jats-1.3-publishing"], tree)


# --- the cache ------------------------------------------------------------------------------


def test_the_compact_form_is_stored_beside_the_compiled_schema(forms):
    resolved = SchemaLocator().find("jats-1.3-publishing")
    assert compact_file(resolved).parent == cache_file(resolved).parent
    assert compact_file(resolved).stem == cache_file(resolved).stem  # the same key
    assert compact_file(resolved).stat().st_size < 2_000_000


def test_a_damaged_compact_file_is_not_trusted_and_is_removed(tmp_path):
    path = tmp_path / "x.compact"
    compact.save({"roots": {}, "decls": [], "types": [], "simple": [], "ids": []}, path)
    path.write_bytes(path.read_bytes()[:-3])
    assert compact.load(path) is None
    assert not path.exists()


def test_a_compact_file_of_another_format_is_not_used(tmp_path, monkeypatch):
    path = tmp_path / "x.compact"
    compact.save({"roots": {}, "decls": [], "types": [], "simple": [], "ids": []}, path)
    monkeypatch.setattr(compact, "FORMAT", compact.FORMAT + 1)
    assert compact.load(path) is None


def test_a_cold_validation_of_a_valid_file_does_not_import_xmlschema(forms):
    """The point of the compact form: a valid file is judged without importing xmlschema
    (0.3 s); an invalid one is handed to it, and its errors are reported as before."""
    script = (
        "import sys\n"
        "from jatsgen.validation import Validator\n"
        "report = Validator().validate_file(sys.argv[1])\n"
        "print(report.ok, 'xmlschema' in sys.modules, 'elementpath' in sys.modules)\n"
    )
    env = {**os.environ, "JATSGEN_SCHEMAS": str(SCHEMAS)}
    valid = subprocess.run(
        [sys.executable, "-c", script, str(GOLDEN / "seed-jats-1.3.xml")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert valid.stdout.split() == ["True", "False", "False"], valid.stderr
    bad = Path(os.environ["JATSGEN_CACHE_DIR"]) / "bad-seed.xml"
    tree = load(GOLDEN / "seed-jats-1.3.xml")
    tree.getroot().find(".//front").append(etree.Element("bogus"))
    tree.write(str(bad), xml_declaration=True, encoding="UTF-8")
    invalid = subprocess.run(
        [sys.executable, "-c", script, str(bad)], capture_output=True, text=True, env=env
    )
    assert invalid.stdout.split() == ["False", "True", "True"], invalid.stderr


def test_a_compact_file_with_a_changed_byte_is_not_trusted(tmp_path):
    path = tmp_path / "x.compact"
    compact.save({"roots": {"a": 0}, "decls": [0], "types": [None], "simple": [], "ids": []}, path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 1  # a flipped bit keeps the marshal stream readable, but not the same
    path.write_bytes(bytes(data))
    assert compact.load(path) is None
