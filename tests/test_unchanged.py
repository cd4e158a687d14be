"""'Unchanged' means unchanged (issue 21): a changed-only deposit decides by the XML it
registers for each DOI, end to end against the sandbox over HTTP. Every single change to a
deposited conference paper is planned and sent; edits that change nothing the registry
reads (timestamp, batch id, indentation, attribute order, namespace declarations, prefixes,
comments, character references) are not; and the dry run plans exactly what the real run
sends."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FIXTURES, json_lines
from typer.testing import CliRunner

from jatsgen.cli import app

runner = CliRunner()
FAST = ["--timeout", "0.5", "--retry-base", "0.05", "--poll-interval", "0.1"]
BASE = (FIXTURES / "deposit" / "conference-paper-5.3.1.xml").read_text("utf-8")
PAPER, VOLUME = "10.5555/ysc.2025.17", "10.5555/ysc.2025"

# One change each, applied one after another to what was deposited last: (what, old, new)
CHANGES = [
    ("given name and surname split differently",
     "<given_name>Aigul Serikovna</given_name>\n            <surname>Akhmetova</surname>",
     "<given_name>Aigul</given_name>\n            <surname>Serikovna Akhmetova</surname>"),
    ("a name suffix", "<surname>Carberry</surname>",
     "<surname>Carberry</surname>\n            <suffix>Jr.</suffix>"),
    ("ORCID authenticated", 'authenticated="false"', 'authenticated="true"'),
    ("a contributor's role", '<person_name sequence="additional" contributor_role="author">',
     '<person_name sequence="additional" contributor_role="editor">'),
    ("an affiliation's department", "Faculty of Physics", "Faculty of Physics and Technology"),
    ("an institution's place", "<institution_place>Almaty</institution_place>",
     "<institution_place>Almaty, Kazakhstan</institution_place>"),
    ("an institution's acronym", "KazNU", "KNU"),
    ("an institution id", "https://ror.org/03q0vrn42", "https://ror.org/05gq02987"),
    ("the order of two affiliations",
     "<institution>\n                <institution_name>Al-Farabi",
     "<institution>\n                <institution_name>Institute of Mathematics</institution_name>"
     "\n              </institution>\n              <institution>\n                "
     "<institution_name>Al-Farabi"),
    ("an affiliation removed",
     "              <institution>\n                <institution_name>Institute of Mathematics"
     "</institution_name>\n              </institution>\n            </affiliations>",
     "            </affiliations>"),
    ("the order of the authors", 'sequence="first" contributor_role="author">',
     'sequence="additional" contributor_role="author">'),
    ("a citation key", 'key="ref2"', 'key="r2"'),
    ("a structured citation's year", "<cYear>2010</cYear>", "<cYear>2011</cYear>"),
    ("a structured citation's volume", "<volume>29</volume>", "<volume>30</volume>"),
    ("a citation's text", "Understanding metadata.", "Understanding Metadata."),
    ("a citation DOI added", "<author>Park</author>",
     "<author>Park</author>\n            <doi>10.6017/ital.v29i3.3136</doi>"),
    ("the publication day", "<day>07</day>\n          <year>2025</year>\n        </publication",
     "<day>08</day>\n          <year>2025</year>\n        </publication"),
    ("a date's media type", '<publication_date media_type="print">\n          <month>04',
     '<publication_date media_type="online">\n          <month>04'),
    ("an online publication date added", "        <acceptance_date>",
     '        <publication_date media_type="print">\n          <year>2025</year>\n'
     "        </publication_date>\n        <acceptance_date>"),
    ("the acceptance date", "<month>03</month>\n          <day>01</day>",
     "<month>03</month>\n          <day>02</day>"),
    ("the text-mining link", '<resource mime_type="application/pdf">https://example.org/ysc2025/17.pdf',
     '<resource mime_type="application/pdf">https://example.org/ysc2025/17-full.pdf'),
    ("the Similarity Check link",
     '<item crawler="iParadigms">\n              <resource>https://example.org/ysc2025/17.pdf',
     '<item crawler="iParadigms">\n              <resource>https://example.org/ysc2025/17-sc.pdf'),
    ("an archive location added", '<archive name="CLOCKSS"/>',
     '<archive name="CLOCKSS"/>\n          <archive name="Portico"/>'),
    ("the publisher item", ">A-17<", ">A-18<"),
    ("other pages added", "<last_page>329</last_page>",
     "<last_page>329</last_page>\n          <other_pages>331</other_pages>"),
    ("the last page", "<last_page>329</last_page>", "<last_page>330</last_page>"),
    ("face markup in the title", "<i>in situ</i>", "<b>in situ</b>"),
    ("MathML in the title", "<mml:mn>2</mml:mn>", "<mml:mn>3</mml:mn>"),
    ("the licence", "licenses/by/4.0/", "licenses/by-nc/4.0/"),
    ("the licence's start date", 'start_date="2025-04-07"', 'start_date="2025-04-08"'),
    ("two awards split into two funding groups",
     '            <fr:assertion name="award_number">AP2</fr:assertion>\n          </fr:assertion>',
     '          </fr:assertion>\n          <fr:assertion name="fundgroup">\n'
     '            <fr:assertion name="funder_name">Ministry of Science and Higher Education'
     '</fr:assertion>\n            <fr:assertion name="award_number">AP2</fr:assertion>\n'
     "          </fr:assertion>"),
    ("a relation's type", 'relationship-type="isSupplementedBy"',
     'relationship-type="isReferencedBy"'),
    ("an abstract section's title", "<jats:title>Results</jats:title>",
     "<jats:title>Findings</jats:title>"),
    ("an abstract's text", "Caves are cold &amp; damp.", "Caves are cold &amp; wet."),
    ("the paper's language", '<conference_paper publication_type="full_text" language="en">',
     '<conference_paper publication_type="full_text" language="kk">'),
    ("the landing page", "<resource>https://example.org/ysc2025/17</resource>",
     "<resource>https://example.org/ysc2025/paper-17</resource>"),
]  # fmt: skip

# Edits that change nothing the registry reads: (what, edit of the text)
NO_OPS = [
    ("a new timestamp", lambda t: t),  # every variant gets one
    ("another batch id", lambda t: t.replace("<doi_batch_id>ysc-2025", "<doi_batch_id>other")),
    ("re-indented", lambda t: re.sub(r"\n\s*", "\n", t)),
    ("attributes in another order", lambda t: t.replace(
        '<person_name sequence="additional" contributor_role="editor">',
        '<person_name contributor_role="editor" sequence="additional">')),
    ("namespace declarations moved and a prefix renamed", lambda t: t.replace(
        ' xmlns:jats="http://www.ncbi.nlm.nih.gov/JATS1"', "").replace(
        "<jats:abstract ", '<j:abstract xmlns:j="http://www.ncbi.nlm.nih.gov/JATS1" ').replace(
        "</jats:abstract>", "</j:abstract>").replace("jats:", "j:")),
    ("a comment", lambda t: t.replace("<titles>", "<!-- checked by the editor --><titles>")),
    ("a character reference", lambda t: t.replace("Carberry", "Carb&#101;rry")),
    ("a CDATA section", lambda t: t.replace("cold &amp; wet", "<![CDATA[cold & wet]]>")),
    ("an XML declaration in single quotes", lambda t: t.replace(
        '<?xml version="1.0" encoding="UTF-8"?>', "<?xml version='1.0' encoding='utf-8'?>")),
]  # fmt: skip


def run(*args: object):
    return runner.invoke(app, [*map(str, args)])


def variant(folder: Path, text: str, n: int) -> Path:
    """The batch with its n-th timestamp (each newer than the last) and its own name."""
    text = re.sub(r"<timestamp>\d+</timestamp>", f"<timestamp>{20250407000000001 + n}</timestamp>",
                  text)  # fmt: skip
    path = folder / f"v{n:02d}.xml"
    path.write_text(text, "utf-8")
    return path


def plan_of(result) -> dict[str, dict]:
    """DOI -> its plan (status, sent, changes) from a `deposit --format json` result."""
    (item,) = json_lines(result.stdout)
    entries = item["data"]["dois"] if item["data"].get("dry_run") else item["data"]["plan"]
    return {d["doi"]: d for d in entries}


def deposit_both_ways(reg, path: Path) -> tuple[dict[str, dict], dict[str, dict], object]:
    """The dry run's plan, then the real run's (which must be the same)."""
    dry = run("deposit", path, "--endpoint", reg.url, "--dry-run", "--format", "json")
    real = run("deposit", path, "--endpoint", reg.url, "--wait", "--format", "json", *FAST)
    return plan_of(dry), plan_of(real), real


def test_every_single_change_is_sent_and_no_op_edits_are_not(env, registry):
    reg = registry()
    folder = env / "batches"
    folder.mkdir()
    first = run("deposit", variant(folder, BASE, 0), "--endpoint", reg.url, "--wait", *FAST)
    assert first.exit_code == 0, first.stderr
    text, n = BASE, 0
    for what, old, new in CHANGES:
        assert old in text, what
        text, n = text.replace(old, new, 1), n + 1
        path = variant(folder, text, n)
        assert run("validate", path).exit_code == 0, (what, run("validate", path).stdout)
        before = reg.witness()["uploads"].get(PAPER.lower(), 0)
        dry, real, result = deposit_both_ways(reg, path)
        assert dry == real, what  # the dry run plans what the real run sends
        assert dry[PAPER]["status"] == "updated" and dry[PAPER]["sent"], (what, dry)
        assert dry[PAPER]["changes"], f"{what}: a change that says nothing"
        assert result.exit_code == 0, (what, result.stderr)
        assert reg.witness()["uploads"][PAPER.lower()] == before + 1, what
        assert dry[VOLUME]["status"] == "unchanged", what  # sent only as the container
    assert n >= 30
    submissions = reg.witness()["submissions"]
    for what, edit in NO_OPS:
        n += 1
        path = variant(folder, edit(text), n)
        assert run("validate", path).exit_code == 0, what
        dry = run("deposit", path, "--endpoint", reg.url, "--dry-run", "--format", "json")
        assert {d["status"] for d in plan_of(dry).values()} == {"unchanged"}, (what, dry.stdout)
        real = run("deposit", path, "--endpoint", reg.url, *FAST)
        assert real.exit_code == 0 and "0 DOI(s) sent" in real.stderr, (what, real.stderr)
    assert reg.witness()["submissions"] == submissions  # nothing reached the registry


def test_a_change_the_field_summary_cannot_show_is_shown_by_its_xml_path(env, registry):
    reg = registry()
    folder = env / "b"
    folder.mkdir()
    assert run("deposit", variant(folder, BASE, 0), "--endpoint", reg.url, "--wait", *FAST)
    changed = variant(folder, BASE.replace('authenticated="false"', 'authenticated="true"'), 1)
    dry = run("deposit", changed, "--endpoint", reg.url, "--dry-run")
    assert f"{PAPER}\tupdated\tsent" in dry.stdout
    assert "ORCID[1]/@authenticated: 'false' -> 'true'" in dry.stdout, dry.stdout
    seen = run("preview", changed, "--endpoint", reg.url, "--format", "json")
    by_doi = {json.loads(x)["data"]["doi"]: json.loads(x) for x in seen.stdout.splitlines()
              if json.loads(x)["type"] == "result"}  # fmt: skip
    assert by_doi[PAPER]["status"] == "updated"
    assert any("@authenticated" in c["field"] for c in by_doi[PAPER]["data"]["changes"])


@pytest.mark.parametrize(
    "joined, split",
    [
        ('<fr:assertion name="award_number">AP1, AP2</fr:assertion>',
         '<fr:assertion name="award_number">AP1</fr:assertion>'
         '<fr:assertion name="award_number">AP2</fr:assertion>'),
        ("<institution_department>Physics; Chemistry</institution_department>",
         "<institution_department>Physics</institution_department>\n              </institution>"
         "\n              <institution>\n                <institution_name>Institute of "
         "Mathematics</institution_name>\n                <institution_department>Chemistry"
         "</institution_department>"),
    ],
)  # fmt: skip
def test_joined_and_split_values_are_different_registrations(env, registry, joined, split):
    """A field summary joins lists into strings ("AP1, AP2"): two awards and one award
    named "AP1, AP2" summarise alike, and are not alike."""
    reg = registry()
    folder = env / "b"
    folder.mkdir()
    base = BASE.replace(
        '<fr:assertion name="award_number">AP1</fr:assertion>\n'
        '            <fr:assertion name="award_number">AP2</fr:assertion>',
        '<fr:assertion name="award_number">AP1, AP2</fr:assertion>',
    ).replace(
        "<institution_department>Faculty of Physics</institution_department>\n"
        "              </institution>\n              <institution>\n"
        "                <institution_name>Institute of Mathematics</institution_name>",
        "<institution_department>Physics; Chemistry</institution_department>\n"
        "              </institution>\n              <institution>\n"
        "                <institution_name>Institute of Mathematics</institution_name>",
    )
    assert joined in base
    one = variant(folder, base, 0)
    assert run("validate", one).exit_code == 0
    assert run("deposit", one, "--endpoint", reg.url, "--wait", *FAST).exit_code == 0
    two = variant(folder, base.replace(joined, split, 1), 1)
    assert run("validate", two).exit_code == 0, run("validate", two).stdout
    dry, real, result = deposit_both_ways(reg, two)
    assert dry == real and dry[PAPER]["status"] == "updated" and dry[PAPER]["sent"]
    assert result.exit_code == 0
