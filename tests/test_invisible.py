"""Text that looks right and is not (issue 22, item 5): zero-width characters, bidi controls
and soft hyphens in a DOI, ORCID, ISSN/ISBN or URL pass every schema and get registered; they
are errors naming the code point, in `validate` and when batches are made, and the preview
page shows them, in a real headless Chromium."""

from __future__ import annotations

import pytest
from conftest import FIXTURES
from test_preview import browser, load  # noqa: F401  (the module's Chromium fixture)
from typer.testing import CliRunner

from jatsgen.cli import app

runner = CliRunner()
PAPER = (FIXTURES / "deposit" / "conference-paper-5.3.1.xml").read_text("utf-8")


def run(*args: object):
    return runner.invoke(app, [*map(str, args)])


JATS = (FIXTURES / "golden" / "seed-jats-1.3.xml").read_text("utf-8")


@pytest.mark.parametrize(
    "where, text, old, new, rule, shown",
    [
        ("a DOI", PAPER, "<doi>10.5555/ysc.2025.17</doi>", "<doi>10.5555/ysc.2025\u200b.17</doi>",
         "crossref.doi-syntax", "U+200B ZERO WIDTH SPACE at position 17"),
        ("a DOI's soft hyphen", PAPER, "<doi>10.5555/ysc.2025.17</doi>",
         "<doi>10.5555/ysc.20\u00ad25.17</doi>", "crossref.doi-syntax", "U+00AD SOFT HYPHEN"),
        ("a landing page", PAPER, "<resource>https://example.org/ysc2025/17</resource>",
         "<resource>https://example.org/ysc2025/\u202e17</resource>", "text.invisible",
         "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("a licence URL", PAPER, "https://creativecommons.org/licenses/by/4.0/",
         "https://creativecommons.org/licenses/by/4.0/\ufeff", "text.invisible",
         "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("a relation's DOI", PAPER, ">10.5555/data.17<", ">10.5555/\u2066data.17\u2069<",
         "text.invisible", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("an ISBN in JATS", JATS, ">978-601-262-587-5<", ">978-601-262\u2060-587-5<",
         "id.isbn", "U+2060 WORD JOINER"),
        ("a cited DOI in JATS", JATS, ">10.1515/9780295800530-005<",
         ">10.1515/9780295800530\u200c-005<", "jats.doi-syntax",
         "U+200C ZERO WIDTH NON-JOINER"),
    ],
)  # fmt: skip
def test_an_invisible_character_is_an_error_naming_its_code_point(
    tmp_path, where, text, old, new, rule, shown
):
    assert old in text
    path = tmp_path / "paper.xml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    schema = run("validate", "--ignore", rule, "--ignore", "jats.cited-present", path)
    assert schema.exit_code == 0, (where, schema.stdout)  # the schema lets it through
    found = run("validate", path)
    assert found.exit_code == 1
    (line,) = [ln for ln in found.stdout.splitlines() if f"[{rule}]" in ln]
    assert shown in line, line


@pytest.mark.parametrize(
    "value, shown",
    [("https://orcid.org/0000-0002-1825\u200d-0097", "U+200D ZERO WIDTH JOINER"),
     ("1942-40\u00ad27", "U+00AD SOFT HYPHEN")],
)  # fmt: skip
def test_an_orcid_or_issn_with_one_is_refused_by_the_check_that_reads_it(value, shown):
    from jatsgen.ids import check_issn, check_orcid

    check = check_orcid if "orcid" in value else check_issn
    said = check(value)
    assert said is not None and shown in said


def test_a_record_with_an_invisible_character_in_its_doi_makes_no_batch(tmp_path, env):
    record = tmp_path / "paper.yaml"
    record.write_text(
        "title: Caves\ndoi: '10.5555/caves\u200b.1'\nurl: https://example.org/caves\n"
        "contributors: [{surname: Akhmetova}]\n"
        "container: {type: proceedings, title: Caves Volume, published: 2025}\n",
        "utf-8",
    )
    made = run("crossref", record, "--config", FIXTURES / "test.toml", "-o", tmp_path / "out")
    assert made.exit_code == 1
    assert "U+200B ZERO WIDTH SPACE" in made.stderr and "paper.yaml" in made.stderr
    assert not list((tmp_path / "out").glob("*.xml"))


def test_the_preview_page_shows_an_invisible_character(browser, tmp_path, env):  # noqa: F811
    from selenium.webdriver.common.by import By

    hidden = PAPER.replace(
        "<resource>https://example.org/ysc2025/17</resource>",
        "<resource>https://example.org/ysc2025/1\u200b7</resource>",
        1,
    )
    path = tmp_path / "paper.xml"
    path.write_text(hidden, "utf-8")
    page = tmp_path / "preview.html"
    shown = run("preview", path, "-o", page)
    assert shown.exit_code == 1  # the record has an error (text.invisible)
    load(browser, page)
    marks = browser.find_elements(By.CSS_SELECTOR, "span.invisible")
    assert [m.text for m in marks] == ["\u27e8U+200B\u27e9"]
    link = marks[0].find_element(By.XPATH, "..")
    assert link.tag_name == "a" and link.get_attribute("href").endswith("1%E2%80%8B7")
    findings = browser.find_element(By.CSS_SELECTOR, "ul li.error").text
    assert "text.invisible" in findings and "U+200B ZERO WIDTH SPACE" in findings
