"""A seeded differential fuzz of `jatsgen validate` against the official engines (issue 22).

Real files of every installed schema set are mutated the ways hand-edited and badly exported
files go wrong (structure, names, namespaces, attributes, about a hundred tricky values,
xsi:*, IDs, text in element content, CDATA, comments and processing instructions, entity
references), then judged twice: by jatsgen (with each of its engines) and by the official
engine - xmllint, run once over all of a set's mutants (with --loaddtd, so an entity the
declared official DTD declares is declared, as jatsgen reads it), or for the sets libxml2
cannot load (Crossref 5.5.0 is XSD 1.1, BITS 2.2) xmlschema. Where the official engines
depart from the XSD or XML specification, the specification decides; each such case is
named (`SPEC`) and pinned by a regression file in tests/fixtures/validity/.

Run as a module for the counts per schema set (what bench/RESULTS.md records):

    JATSGEN_SCHEMAS=../shared/schemas python tests/fuzz.py 3000
"""

from __future__ import annotations

import copy
import os
import random
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from conftest import FIXTURES, SCHEMAS, SHARED  # noqa: E402
from official import xmllint_many  # noqa: E402

from jatsgen.safexml import parse_bytes  # noqa: E402
from jatsgen.validation import ValidateOptions, Validator  # noqa: E402
from jatsgen.validation.schemas import SchemaLocator  # noqa: E402

XSI = "http://www.w3.org/2001/XMLSchema-instance"
# what a schema's verdict is made of (the registry rules beyond it are not compared)
SCHEMA_CODES = {"xsd", "dtd", "xml.syntax", "xml.entity-undeclared", "xml.entities"}
# Where xmllint departs from the specification (jatsgen follows the specification):
SPEC = {
    # XSD validates the infoset, where a CDATA section is text like any other: white space in
    # one is white space (XSD 1.0 Structures 3.4.4 cl. 2.3); libxml2's XSD validator alone
    # counts a CDATA section as character content (a DTD does not allow it: XML 1.0 3 VC
    # Element Valid, and xmllint --valid agrees).
    "cdata-whitespace-in-element-content",
}

TRICKY = [
    # digits in other scripts (XSD's numbers, dates and booleans are written in 0-9)
    "\u0662\u0660\u0662\u0664", "\u06f2\u06f0\u06f2\u06f4", "\u0968\u0966\u0968\u096a",
    "\uff12\uff10\uff12\uff14", "\u00b2\u2070\u00b2\u2074", "\U0001d7d0\U0001d7ce", "\u0662",
    "1\u0665", "1.\u0665", "\u0662\u0660\u0662\u0664-01-01",
    # numbers at the edges
    "0", "-0", "+1", "00", "1e3", "1.5", ".5", "5.", "-.5", "1,5", "NaN", "INF", "-INF",
    "9" * 19, "9" * 20, "9" * 25, "9" * 5000, "-9223372036854775809", "18446744073709551616",
    # whitespace XML does not count as whitespace, and some it does
    " 12", "12 ", "\u00a012", "12\u00a0", "\u200b12", "1\u200b2", "\u2028", "\t12\n",
    "\u3000", "\u2009x", "x\u202f", "\ufeff12", "\r\n", "\u0085",
    # bidi controls, soft hyphens, look-alikes
    "\u202e12", "\u2066x\u2069", "10.5555/ab\u00adc", "10.5555/x\u2010y", "\u2212" + "1",
    # dates and times
    "2024-02-29", "2023-02-29", "2024-13-01", "0000-01-01", "2024-01-01Z", "2024-01-01+14:00",
    "2024-01-01+14:01", "2024-01-01T24:00:00", "2024-01-01T10:00:00.5Z", "99999-01-01",
    "2024-1-1", " 2024-01-01 ", "2024", "0000", "10000", "2024-12", "--12-25",
    # booleans
    "true", "false", "1", "TRUE", "yes",
    # names and ids
    "a b", "1abc", "_a", "a:b", "\u00e9", "x\u0301", "id1", "", " ", "-x", ".x",
    # URIs
    "http://a b", "http://\u00e4.example/", "https://[::1]/", "%zz", "a#b#c", "http://x/\u00a0",
    "javascript:alert(1)", "urn:isbn:1", "//x", "http://x:99999/",
    # languages
    "en", "en-US", "e n", "x-klingon", "kk", "\u0440\u0443", "en_US",
    # DOIs, ISSNs, ISBNs, ORCIDs
    "10.5555/x", "10.5555/x\u200b", "doi:10.1/x", "https://doi.org/10.1/x", "1234-567X",
    "\u0661\u0662\u0663\u0664-5678", "978-601-262-587-5", "978\u2011601",
    "https://orcid.org/0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-009\u0667",
    # strings
    "x" * 300, "<", "&", "]]>", "\U0001f600", "a\tb",
]  # fmt: skip


@dataclass
class Seed:
    set_id: str
    path: Path
    data: bytes


def seeds() -> list[Seed]:
    """Real files of every installed schema set: the official examples, jatsgen's outputs,
    the corpus, and the legacy fixtures (4.x, resource-only, grants, BITS)."""
    from jatsgen.validation.detect import detect_schema

    paths = [
        *sorted((FIXTURES / "golden").glob("*.xml")),
        *sorted((SHARED / "examples").rglob("*.xml")),
        *sorted((FIXTURES / "crossref-legacy").glob("*.xml")),
        *sorted((FIXTURES / "deposit").glob("*.xml")),
        FIXTURES / "bits" / "book.xml",
        *sorted((SHARED / "corpus" / "jats").glob("*.xml")),
    ]
    out = []
    locator = SchemaLocator()
    for path in paths:
        data = path.read_bytes()
        try:
            tree = parse_bytes(data, str(path))
        except Exception:
            continue
        set_id, _ = detect_schema(tree)
        if set_id is None:
            continue
        try:
            locator.find(set_id)
        except Exception:
            continue
        out.append(Seed(set_id, path, data))
    return out + derived(out)


def derived(real: list[Seed]) -> list[Seed]:
    """A seed for each installed set no real file declares: a real file of the nearest set
    of its family made to declare it (a Crossref namespace and version; a JATS or NLM
    DOCTYPE and dtd-version). It may not be valid there: the fuzz compares verdicts."""
    from jatsgen.validation.engines import dtd_catalog
    from jatsgen.validation.schemas import manifest

    have = {s.set_id for s in real}
    locator = SchemaLocator()
    out = []
    for sid, spec in sorted(manifest().items()):
        if sid in have:
            continue
        try:
            resolved = locator.find(sid)
        except Exception:
            continue
        family, version = sid.rsplit("-", 1) if sid[0] != "j" and sid[0] != "n" else (sid, "")
        if spec.format == "xsd" and family in ("crossref", "doi-resources", "grant-id"):
            donor = _nearest([s for s in real if s.set_id.startswith(family + "-")], version)
            if donor is None:
                continue
            old = donor.set_id.rsplit("-", 1)[1]
            data = donor.data.replace(f"/{old}".encode(), f"/{version}".encode()).replace(
                f'version="{old}"'.encode(), f'version="{version}"'.encode()
            )
            out.append(Seed(sid, donor.path, data))
        elif spec.format == "dtd":
            publics = sorted(p for p, f in dtd_catalog(resolved).items()
                             if f == resolved.entry_path)  # fmt: skip
            donor = next((s for s in real if s.set_id == "jats-1.1-publishing"), None)
            if not publics or donor is None:
                continue
            version = sid.split("-")[1]
            data = re.sub(rb"<!DOCTYPE[^>]*>", b"", donor.data, count=1)
            data = re.sub(rb'dtd-version="[^"]*"', f'dtd-version="{version}"'.encode(), data)
            head = f'<!DOCTYPE article PUBLIC "{publics[0]}" "{resolved.set.entry}">\n'.encode()
            data = re.sub(rb"(<\?xml[^>]*\?>\s*)", rb"\1" + head, data, count=1)
            out.append(Seed(sid, donor.path, data))
    return out


def _nearest(candidates: list[Seed], version: str) -> Seed | None:
    def key(s: Seed) -> tuple[int, ...]:
        theirs = [int(x) for x in s.set_id.rsplit("-", 1)[1].split(".")]
        mine = [int(x) for x in version.split(".")]
        return tuple(abs(a - b) for a, b in zip(theirs, mine, strict=False))

    return min(candidates, key=key) if candidates else None


def mutate(tree: etree._ElementTree, rng: random.Random) -> str:
    """One edit; returns its kind (for the counts of what was tried)."""
    root = tree.getroot()
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    names = sorted({el.tag for el in elements})
    attributes = sorted({a for el in elements for a in el.attrib})
    el = rng.choice(elements)
    parent = el.getparent()
    leaves = [e for e in elements if not len(e)]
    kinds = ["drop", "duplicate", "move", "rename", "bogus-name", "attribute-value",
             "attribute-added", "attribute-removed", "text-in-content", "tricky-text",
             "wrap", "unwrap", "namespace", "xsi-type", "xsi-nil", "xsi-location",
             "duplicate-id", "cdata", "comment-pi", "entity"]  # fmt: skip
    kind = rng.choice(kinds)
    if kind == "drop" and parent is not None:
        parent.remove(el)
    elif kind == "duplicate" and parent is not None:
        el.addnext(copy.deepcopy(el))
    elif kind == "move" and el.getnext() is not None:
        el.getnext().addnext(el)
    elif kind == "rename":
        el.tag = rng.choice(names)
    elif kind == "bogus-name":
        el.tag = etree.QName(etree.QName(el).namespace, "bogus").text
    elif kind == "attribute-value" and el.attrib:
        el.set(rng.choice(sorted(el.attrib)), _value(rng))
    elif kind == "attribute-added":
        el.set(rng.choice([*attributes, "bogus"]), _value(rng))
    elif kind == "attribute-removed" and el.attrib:
        del el.attrib[rng.choice(sorted(el.attrib))]
    elif kind == "text-in-content" and len(el):
        rng.choice(list(el)).tail = rng.choice(["x", " ", "\n", "\u00a0", "\u200b"])
    elif kind == "tricky-text" and leaves:
        rng.choice(leaves).text = _value(rng)
    elif kind == "wrap" and parent is not None:
        wrapper = etree.Element(rng.choice(names))
        el.addprevious(wrapper)
        wrapper.append(el)
    elif kind == "unwrap" and len(el):
        child = rng.choice(list(el))
        at = el.index(child)
        el.remove(child)
        for i, grandchild in enumerate(list(child)):
            el.insert(at + i, grandchild)
    elif kind == "namespace":
        ns = rng.choice(["http://example.org/other", "", etree.QName(root).namespace or ""])
        el.tag = etree.QName(ns or None, etree.QName(el).localname).text
    elif kind == "xsi-type":
        el.set(f"{{{XSI}}}type", rng.choice(["nope", "xs:string", "string", "x:y"]))
    elif kind == "xsi-nil":
        el.set(f"{{{XSI}}}nil", rng.choice(["true", "false", "1", "maybe"]))
    elif kind == "xsi-location":
        name = rng.choice(["schemaLocation", "noNamespaceSchemaLocation"])
        el.set(f"{{{XSI}}}{name}", rng.choice(["x.xsd", "http://a b", "a b c", ""]))
    elif kind == "duplicate-id":
        ids = [e for e in elements if e.get("id")]
        if ids:
            el.set("id", rng.choice(ids).get("id"))
    elif kind == "cdata":
        if len(el) and rng.random() < 0.5:
            el.text = etree.CDATA(rng.choice([" ", "\n  ", "x"]))
        elif leaves:
            leaf = rng.choice(leaves)
            leaf.text = etree.CDATA(leaf.text or rng.choice([" ", "x & y"]))
    elif kind == "comment-pi" and leaves:
        leaf = rng.choice(leaves)
        node = etree.Comment(" c ") if rng.random() < 0.5 else etree.ProcessingInstruction("p", "x")
        if leaf.text and rng.random() < 0.5:
            text = leaf.text
            cut = rng.randrange(len(text) + 1)
            leaf.text = text[:cut]
            node.tail = text[cut:]
        leaf.insert(0, node) if rng.random() < 0.5 else leaf.append(node)
    elif kind == "entity" and leaves:
        leaf = rng.choice(leaves)
        leaf.append(etree.Entity(rng.choice(["nbsp", "bogus", "ndash", "#160", "#x2013"])))
    else:
        return "none"
    return kind


def _value(rng: random.Random) -> str:
    return rng.choice(TRICKY)


def serialize(tree: etree._ElementTree) -> bytes:
    """The mutant as a file: its DOCTYPE kept (entities need one to parse)."""
    data: bytes = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return data


@dataclass
class Outcome:
    set_id: str
    total: int = 0
    agree: int = 0
    false_valid: list[str] = field(default_factory=list)  # jatsgen valid, official invalid
    false_invalid: list[str] = field(default_factory=list)
    engines_differ: list[str] = field(default_factory=list)
    internal: list[str] = field(default_factory=list)
    spec: Counter[str] = field(default_factory=Counter)  # named departures, by class
    kinds: Counter[str] = field(default_factory=Counter)


def jatsgen_verdicts(data: bytes, name: str, set_id: str, xsd10: bool) -> dict[str, bool | str]:
    """Valid or not, by each of jatsgen's engines (an internal error: its text)."""
    out: dict[str, bool | str] = {}
    for engine in ("compact", "xmlschema", *(("lxml",) if xsd10 else ())):
        report = Validator(ValidateOptions(engine=engine)).validate_bytes(data, name, set_id)
        internal = [d for d in report.diagnostics if d.code == "internal"]
        out[engine] = (
            internal[0].message
            if internal
            else not any(d.code in SCHEMA_CODES for d in report.diagnostics)
        )
    return out


def official_verdicts(set_id: str, files: list[Path]) -> dict[Path, bool]:
    """The official engine's verdict on each file: xmllint once over them all (`official`),
    or xmlschema for a set libxml2 cannot load."""
    resolved = SchemaLocator(SCHEMAS).find(set_id)
    if resolved.set.format == "xsd" and not (resolved.set.xsd_version == "1.0"
                                             and resolved.set.libxml2):  # fmt: skip
        return {f: _xmlschema_ok(resolved, f) for f in files}
    return xmllint_many(set_id, files)[0]


def _xmlschema_ok(resolved: object, path: Path) -> bool:
    """xmlschema's verdict, where it follows the specification (`_departures` says where it
    does not): comments and processing instructions are not content."""
    import xmlschema

    from jatsgen.validation.engines import cached_xmlschema
    from jatsgen.validation.infoset import without_comments

    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return False
    if any(True for _ in tree.getroot().iter(etree.Entity)):
        return False  # no DTD declares entities for these sets
    schema = cached_xmlschema(resolved)
    judged = without_comments(tree)
    seen: list[str] = []
    try:
        resource = xmlschema.XMLResource(judged, allow="none")
        errors = list(schema.iter_errors(resource, validation_hook=_departures(seen)))
    except Exception:
        return False
    return not errors and not seen


ASCII_PRIMITIVES = {"decimal", "boolean", "date", "dateTime", "gYear", "gYearMonth", "double",
                    "float", "duration", "time", "gMonth", "gDay", "gMonthDay", "hexBinary",
                    "base64Binary"}  # fmt: skip


def _departures(seen: list[str]):  # type: ignore[no-untyped-def]
    """A hook that notes, with xmlschema's own view of each element's type, where xmlschema
    is laxer than the specification: XML's white space is four characters (xmlschema's
    str.strip() takes a no-break space, U+2028, ...), and numbers, dates and booleans are
    written in ASCII (its int() takes Arabic-Indic and fullwidth digits)."""

    def ascii_only(t: object) -> bool:
        if getattr(t, "is_list", lambda: False)():
            return ascii_only(t.item_type)  # type: ignore[attr-defined]
        if getattr(t, "is_union", lambda: False)():
            return all(ascii_only(m) for m in t.member_types)  # type: ignore[attr-defined]
        primitive = getattr(t, "primitive_type", None)
        return getattr(primitive, "local_name", None) in ASCII_PRIMITIVES

    def hook(elem: etree._Element, xsd_element: object) -> bool:
        t = xsd_element.type  # type: ignore[attr-defined]
        if t.is_complex() and not t.mixed and not t.has_simple_content():
            texts = [elem.text, *(c.tail for c in elem)]
            if any(x and x.strip(" \t\r\n") and x.isspace() for x in texts):
                seen.append(f"odd white space in {elem.tag}")
        simple = t if t.is_simple() else (t.content if t.has_simple_content() else None)
        if simple is not None and ascii_only(simple) and not (elem.text or "").isascii():
            seen.append(f"{elem.tag}: {elem.text!r}")
        for name, value in elem.attrib.items():
            decl = t.attributes.get(name) if t.is_complex() else None
            if decl is not None and ascii_only(decl.type) and not value.isascii():
                seen.append(f"{elem.tag}/@{name}: {value!r}")
        return False  # go on validating

    return hook


def spec_departure(data: bytes, set_format: str) -> str | None:
    """The named case where xmllint departs from the specification, if the mutant is one."""
    if set_format == "xsd" and re.search(rb">\s*<!\[CDATA\[\s*\]\]>\s*<", data):
        return "cdata-whitespace-in-element-content"
    return None


def run(count: int, seed: int = 22, only: set[str] | None = None) -> dict[str, Outcome]:
    """`count` mutants spread over the seeds of every installed set; the outcomes per set."""
    rng = random.Random(seed)
    pool = [s for s in seeds() if only is None or s.set_id in only]
    by_set: dict[str, list[Seed]] = {}
    for s in pool:
        by_set.setdefault(s.set_id, []).append(s)
    outcomes: dict[str, Outcome] = {}
    with tempfile.TemporaryDirectory(prefix="jatsgen-fuzz-") as tmp:
        per_set = max(1, count // max(1, len(by_set)))
        for set_id, members in sorted(by_set.items()):
            outcomes[set_id] = _run_set(set_id, members, per_set, rng, Path(tmp) / set_id)
    return outcomes


def _run_set(
    set_id: str, members: list[Seed], count: int, rng: random.Random, folder: Path
) -> Outcome:
    folder.mkdir(parents=True)
    resolved = SchemaLocator(SCHEMAS).find(set_id)
    xsd10 = (
        resolved.set.format == "xsd"
        and resolved.set.xsd_version == "1.0"
        and (resolved.set.libxml2)
    )
    outcome = Outcome(set_id)
    made: list[tuple[Path, str, dict[str, bool | str]]] = []
    for i in range(count):
        seed = rng.choice(members)
        tree = parse_bytes(seed.data, str(seed.path))
        kinds = [mutate(tree, rng) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        outcome.kinds.update(kinds)
        data = serialize(tree)
        path = folder / f"m{i:05d}-{seed.path.stem[:40]}.xml"
        path.write_bytes(data)
        made.append((path, ",".join(kinds), jatsgen_verdicts(data, str(path), set_id, xsd10)))
    official = official_verdicts(set_id, [p for p, _, _ in made])
    for path, kinds, ours in made:
        outcome.total += 1
        errors = [v for v in ours.values() if isinstance(v, str)]
        if errors:
            outcome.internal.append(f"{path.name} ({kinds}): {errors[0]}")
            _keep(path, outcome)
            continue
        if len(set(ours.values())) > 1:
            outcome.engines_differ.append(f"{path.name} ({kinds}): {ours}")
            _keep(path, outcome)
            continue
        mine, theirs = bool(next(iter(ours.values()))), official[path]
        if mine == theirs:
            outcome.agree += 1
            continue
        named = spec_departure(path.read_bytes(), resolved.set.format)
        if named is not None and mine and not theirs:
            outcome.spec[named] += 1
        elif mine:
            outcome.false_valid.append(f"{path.name} ({kinds})")
        else:
            outcome.false_invalid.append(f"{path.name} ({kinds})")
        _keep(path, outcome)
    return outcome


def _keep(path: Path, outcome: Outcome) -> None:
    """A disagreement is kept where a person can open it ($JATSGEN_FUZZ_KEEP)."""
    keep = os.environ.get("JATSGEN_FUZZ_KEEP")
    if keep:
        target = Path(keep) / outcome.set_id
        target.mkdir(parents=True, exist_ok=True)
        (target / path.name).write_bytes(path.read_bytes())


def table(outcomes: dict[str, Outcome]) -> Iterator[str]:
    yield "| schema set | mutants | agree | false valid | false invalid | spec cases | internal |"
    yield "|---|---|---|---|---|---|---|"
    for set_id, o in sorted(outcomes.items()):
        spec = ", ".join(f"{k} {v}" for k, v in o.spec.items()) or "0"
        yield (
            f"| {set_id} | {o.total} | {o.agree} | {len(o.false_valid)} | "
            f"{len(o.false_invalid)} | {spec} | {len(o.internal)} |"
        )


if __name__ == "__main__":
    found = run(
        int(sys.argv[1]) if len(sys.argv) > 1 else 3000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 22,
    )
    for line in table(found):
        print(line)
    for o in found.values():
        for what in (o.false_valid, o.false_invalid, o.engines_differ, o.internal):
            for item in what[:5]:
                print(o.set_id, item)
