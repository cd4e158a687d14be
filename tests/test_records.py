"""Record files (YAML/JSON): the JSON Schema check with located errors, and the model."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES, ROOT

from jatsgen.errors import InputError
from jatsgen.model import ArticleKind, Book, Journal, Proceedings
from jatsgen.readers import read


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def error_of(path):
    with pytest.raises(InputError) as exc:
        read(path)
    return exc.value.diagnostics


def test_record_schema_is_valid_json_schema():
    import jsonschema

    schema = json.loads((ROOT / "schemas" / "record.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)


def test_example_collection_reads_every_optional_field():
    result = read(EXAMPLES / "collection.yaml")
    first, second = result.articles
    assert isinstance(first.container, Proceedings) and first.container is second.container
    c = first.container
    assert c.isbns[0].value == "978-601-262-587-5" and c.publisher.place == "Атырау"
    assert (c.event.acronym, c.event.start.iso(), c.event.end.iso()) == (
        "YSPF",
        "2025-04-07",
        "2025-04-08",
    )
    assert [t.lang for t in first.trans_titles] == ["ru", "en"]
    assert first.contributors[1].role == "supervisor"
    assert first.affiliation("buketov").country_code == "KZ"
    assert first.abstracts[1].paragraphs[1] == "It reviews national law and international treaties."
    assert first.license.url.startswith("https://creativecommons.org/")
    assert first.funding[0].award_ids == ["AP19678901"]
    assert (first.fpage, first.lpage) == ("323", "329")
    assert first.published.iso() == "2025-05-20"
    assert first.references[2].doi == "10.1515/9780295800530-005"
    assert second.kind is ArticleKind.CONFERENCE_PAPER and second.abstracts == []


def test_json_single_article_with_journal_container_and_inline_affiliation():
    (a,) = read(EXAMPLES / "article.json").articles
    assert a.kind is ArticleKind.JOURNAL_ARTICLE and isinstance(a.container, Journal)
    assert a.container.issns[0].value == "0317-8471"
    assert a.contributors[0].orcid == "https://orcid.org/0000-0002-1825-0097"
    assert a.affiliations[0].institution == "Nazarbayev University"
    assert a.contributors[0].affiliation_ids == [a.affiliations[0].id]


def test_book_chapter_kind_defaults_from_a_book_container(tmp_path):
    p = write(
        tmp_path,
        "c.yaml",
        "title: Ch\ncontainer: {type: book, title: B, isbn: 978-601-262-587-5}\n",
    )
    (a,) = read(p).articles
    assert a.kind is ArticleKind.BOOK_CHAPTER and isinstance(a.container, Book)


def test_missing_title_names_file_line_and_json_path(tmp_path):
    p = write(tmp_path, "r.yaml", "articles:\n  - language: kk\n    pages: 1-2\n")
    (d,) = error_of(p)
    assert d.file == str(p) and d.line == 2 and d.field == "$.articles[0]"
    assert "required field 'title' is missing" in d.message


def test_wrong_type_is_reported_at_its_line(tmp_path):
    p = write(tmp_path, "r.yaml", "title: T\ncontributors:\n  - surname: 42\n")
    (d,) = error_of(p)
    assert (d.line, d.field) == (3, "$.contributors[0].surname")
    assert "expected string" in d.message


def test_unknown_field_is_named(tmp_path):
    p = write(tmp_path, "r.yaml", "title: T\nauthor: X\n")
    (d,) = error_of(p)
    assert "unknown field" in d.message and "'author'" in d.message


def test_several_problems_are_all_reported(tmp_path):
    p = write(tmp_path, "r.yaml", "title: T\nlanguage: 'not a tag'\npages: {last: 3}\n")
    found = {d.field for d in error_of(p)}
    assert found == {"$.language", "$.pages"}


def test_bad_isbn_checksum_is_a_located_error(tmp_path):
    p = write(
        tmp_path,
        "r.yaml",
        "title: T\ncontainer:\n  type: proceedings\n  title: P\n  isbn: 978-601-262-587-4\n",
    )
    (d,) = error_of(p)
    assert (d.line, d.field, d.code) == (5, "$.container.isbn", "record.bad-isbn")


def test_bad_issn_and_orcid_checksums_are_located_errors(tmp_path):
    p = write(
        tmp_path,
        "r.yaml",
        "title: T\ncontributors:\n  - {surname: S, orcid: 0000-0002-1825-0098}\n"
        "container: {type: journal, title: J, issn: 0317-8472}\n",
    )
    found = {(d.field, d.code) for d in error_of(p)}
    assert found == {
        ("$.contributors[0].orcid", "record.bad-orcid"),
        ("$.container.issn", "record.bad-issn"),
    }


def test_reversed_pages_are_a_located_error(tmp_path):
    p = write(tmp_path, "r.json", '{"title": "T",\n "pages": "329-323"}')
    (d,) = error_of(p)
    assert (d.line, d.field, d.code) == (2, "$.pages", "record.bad-pages")


def test_unknown_affiliation_reference_lists_the_known_ids(tmp_path):
    p = write(
        tmp_path,
        "r.yaml",
        "title: T\naffiliations: [{id: a1, institution: U}]\n"
        "contributors:\n  - {surname: S, affiliations: [a2]}\n",
    )
    (d,) = error_of(p)
    assert "'a2'" in d.message and "a1" in d.message


def test_malformed_yaml_reports_the_line(tmp_path):
    p = write(tmp_path, "r.yaml", "title: T\ncontributors:\n  - surname: [unclosed\n")
    (d,) = error_of(p)
    assert d.code == "record.syntax" and d.line in (3, 4)
    assert "malformed YAML" in d.message


def test_malformed_json_reports_the_line(tmp_path):
    p = write(tmp_path, "r.json", '{\n  "title": "T",\n  "pages": \n}')
    (d,) = error_of(p)
    assert d.code == "record.syntax" and d.line == 4


def test_control_characters_in_record_text_are_removed_with_a_warning(tmp_path):
    p = write(tmp_path, "r.yaml", 'title: "Bad\\vtitle"\n')
    result = read(p)
    assert result.articles[0].title.text == "Badtitle"
    (d,) = result.diagnostics
    assert d.code == "text.forbidden-char" and d.field == "$.title" and d.line == 1


def test_body_citations_without_reference_warn_at_the_body_line(tmp_path):
    p = write(
        tmp_path, "r.yaml", "title: T\nreferences: [A. Book. 2020]\nbody: |\n  See [1] and [4].\n"
    )
    result = read(p)
    (d,) = result.diagnostics
    assert d.code == "cite.unresolved" and d.line == 4 and "[4]" in d.message
