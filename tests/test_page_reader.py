"""The article-page reader on the seed and on varied pages of the same site."""

from __future__ import annotations

import pytest
from conftest import PAGES, SEED

from jatsgen.errors import InputError
from jatsgen.model import CiteRef, ListBlock, Paragraph, Section, Table, iter_inlines, plain_text
from jatsgen.readers import read


def codes(result):
    return [d.code for d in result.diagnostics]


def cites(article):
    return [n.ref_ids for n in iter_inlines(article.body) if isinstance(n, CiteRef)]


def test_seed_table_truncated_supervisor_is_completed_from_the_body():
    result = read(SEED)
    (sup,) = [c for c in result.articles[0].contributors if c.role == "supervisor"]
    assert (sup.surname, sup.given_names, sup.degrees) == ("Ерёменко", "Н.", "з.ғ.м.")
    aff = result.articles[0].affiliation(sup.affiliation_ids[0])
    assert aff.department == "«Конституциялық және халықаралық құқық» кафедрасы"
    assert "page.truncated-cell" in codes(result)


def test_seed_semicolon_citation_links_both_numbers_in_the_list():
    article = read(SEED).articles[0]
    assert [
        "ref2",
    ] in cites(article) and ["ref5"] in cites(article)
    # [9;4]: 9 has no entry and stays text, 4 is linked
    assert all(rid in {r.id for r in article.references} for ids in cites(article) for rid in ids)


def test_seed_dash_items_become_lists():
    article = read(SEED).articles[0]
    lists = [b for b in article.body if isinstance(b, ListBlock)]
    assert lists and all(not lst.ordered for lst in lists)
    assert sum(len(lst.items) for lst in lists) >= 15


def test_russian_page_with_two_authors_superscript_affiliations_and_orcid():
    result = read(PAGES / "ru_two_authors.txt")
    a = result.articles[0]
    assert a.language == "ru"
    authors = a.authors
    assert [(c.surname, c.given_names) for c in authors] == [
        ("Иванов", "Иван Петрович"),
        ("Петрова", "Анна Сергеевна"),
    ]
    assert [c.email for c in authors] == ["ivanov@example.kz", "petrova@example.kz"]
    assert authors[0].orcid == "https://orcid.org/0000-0002-1825-0097"
    assert [a.affiliation(c.affiliation_ids[0]).city for c in authors] == ["Алматы", "Астана"]
    assert a.container.event.start.iso() == "2024-03-15"
    assert a.container.event.location == "Алматы"
    assert (a.fpage, a.lpage, a.number) == ("45", "52", "012")
    assert a.classifications[0].code == "004.8:37.0"


def test_russian_page_citation_forms_ranges_pairs_and_page_locators():
    a = read(PAGES / "ru_two_authors.txt").articles[0]
    assert cites(a) == [["ref1"], ["ref3"], ["ref4"], ["ref5", "ref6", "ref7"], ["ref2"], ["ref8"]]
    first = a.body[0].blocks[1]
    assert "[2, с. 15]" in plain_text(first.inlines)


def test_russian_page_sections_numbered_list_and_table():
    a = read(PAGES / "ru_two_authors.txt").articles[0]
    assert [plain_text(s.title) for s in a.body] == ["Введение", "Методы", "Заключение"]
    methods = a.body[1].blocks
    assert isinstance(methods[1], ListBlock) and methods[1].ordered and len(methods[1].items) == 3
    assert isinstance(methods[2], Table) and methods[2].header_rows == 1
    assert plain_text(methods[2].rows[1][0]) == "Логистическая регрессия"


def test_russian_page_abstracts_keywords_and_trailing_english_title():
    a = read(PAGES / "ru_two_authors.txt").articles[0]
    assert [x.lang for x in a.abstracts] == ["ru", "en"]
    assert a.keywords[0].terms[0] == "машинное обучение"
    assert [(t.lang, t.text[:11]) for t in a.trans_titles] == [("en", "APPLICATION")]


def test_russian_page_references_dois_in_text_and_urls():
    a = read(PAGES / "ru_two_authors.txt").articles[0]
    dois = {r.label: r.doi for r in a.references if r.doi}
    assert dois == {"5": "10.1145/3411764.3445518", "8": "10.1023/A:1010933404324"}


def test_english_page_with_missing_isbn_udc_and_bracketed_reference_numbers():
    result = read(PAGES / "en_single_missing.txt")
    a = result.articles[0]
    assert a.language == "en"
    (author,) = a.contributors
    assert (author.given_names, author.surname) == ("John", "Smith")
    aff = a.affiliation(author.affiliation_ids[0])
    assert (aff.institution, aff.city, aff.country_code) == (
        "Nazarbayev University",
        "Astana",
        "KZ",
    )
    assert a.container.isbns == [] and a.classifications == []
    assert [r.label for r in a.references] == ["1", "2", "3", "4"]
    assert a.references[1].doi == "10.1016/j.rser.2015.10.078"
    assert a.container.event.start.iso() == "2025-04-07"
    assert cites(a)[:4] == [["ref1"], ["ref2"], ["ref3"], ["ref4"]]


def test_english_page_bare_email_in_body_is_an_email_and_bullets_are_a_list():
    from jatsgen.model import Email

    a = read(PAGES / "en_single_missing.txt").articles[0]
    assert any(isinstance(n, Email) for n in iter_inlines(a.body))
    policy = a.body[1]
    assert isinstance(policy, Section) and isinstance(policy.blocks[1], ListBlock)


def test_kazakh_page_three_authors_supervisor_abstracts_in_three_languages():
    result = read(PAGES / "kk_three_authors.txt")
    a = result.articles[0]
    assert len(a.authors) == 3
    assert [c.email for c in a.authors] == [
        "serikbayev@mail.kz",
        "zhumabekova@mail.kz",
        "ospanov@mail.kz",
    ]
    (sup,) = [c for c in a.contributors if c.role == "supervisor"]
    assert (sup.surname, sup.given_names, sup.degrees) == ("Нұрғалиев", "Б.Қ.", "т.ғ.к.")
    assert [x.lang for x in a.abstracts] == ["kk", "ru", "en"]
    assert [k.lang for k in a.keywords] == ["kk", "ru", "en"]
    assert {t.lang for t in a.trans_titles} == {"ru", "en"}
    ev = a.container.event
    assert (ev.start.iso(), ev.end.iso(), ev.location) == ("2025-04-07", "2025-04-08", "Атырау")


def test_kazakh_page_bold_paragraphs_are_section_headings_and_b_locator_is_a_page():
    a = read(PAGES / "kk_three_authors.txt").articles[0]
    assert [plain_text(s.title) for s in a.body] == ["Кіріспе", "Негізгі бөлім"]
    assert ["ref4"] in cites(a)


def test_page_without_metadata_table_is_read_from_the_text_with_warnings():
    result = read(PAGES / "no_table.txt")
    a = result.articles[0]
    assert a.title.text == "ҚАЗАҚ ТІЛІНДЕГІ ТЕРМИНЖАСАМ МӘСЕЛЕЛЕРІ"
    assert a.authors[0].surname == "Төлегенова"
    assert a.classifications[0].code == "81'373"
    assert "page.no-table" in codes(result) and "page.no-container" in codes(result)
    assert cites(a) == [["ref1"], ["ref2", "ref3"]]


def test_control_characters_are_removed_with_a_located_warning():
    result = read(PAGES / "control_chars.txt")
    a = result.articles[0]
    warnings = [d for d in result.diagnostics if d.code == "text.forbidden-char"]
    assert [d.line for d in warnings] == [9, 15, 19]
    assert a.title.text == "БАҚЫЛАУ ТАҢБАЛАРЫ"
    assert "\x01" not in a.references[0].text
    assert all("\x0c" not in plain_text(b.inlines) for b in a.body if isinstance(b, Paragraph))


def test_reversed_page_range_is_a_located_error():
    with pytest.raises(InputError) as exc:
        read(PAGES / "reversed_pages.txt")
    (diag,) = exc.value.diagnostics
    assert diag.line == 4 and diag.code == "page.bad-pages"
    assert "reversed_pages.txt" in diag.file
    assert "323" in diag.message and "329" in diag.message


def test_impossible_conference_date_is_a_located_error(tmp_path):
    page = tmp_path / "p.txt"
    page.write_text(
        "Конференция атауы\tX конференция жинағы\nӨткізілген күні\t31 ақпан 2024, Атырау\n"
        "Мақала атауы\tT\n\n#### T\n\nАлиев Марат\n\nМәтін.\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as exc:
        read(page)
    assert exc.value.diagnostics[0].line == 2
    assert "not a real date" in exc.value.diagnostics[0].message


def test_table_and_body_authors_that_disagree_keep_the_table_with_a_warning(tmp_path):
    page = tmp_path / "p.txt"
    page.write_text(
        "Конференция атауы\tX конференция жинағы\nАвтор(лар)\tОмаров Асқар\nМақала атауы\tT\n\n"
        "#### T\n\nСейітов Болат\n\nМәтін [1].\n\n### ӘДЕБИЕТТЕР\n\n1. Кітап. – 2020.\n",
        encoding="utf-8",
    )
    result = read(page)
    assert result.articles[0].authors[0].surname == "Омаров"
    assert "page.author-mismatch" in codes(result)
