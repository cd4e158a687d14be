"""Article pages in the rest of the site's forms (issue 15): summaries in the other
languages after the references, supervisor lines in every order, names written with
initials in one place and in full in the other, page locators in citations, and every
problem of a page in one run."""

from __future__ import annotations

import pytest
from conftest import PAGES
from lxml import etree
from typer.testing import CliRunner

from jatsgen.cli import app
from jatsgen.errors import InputError
from jatsgen.model import CiteRef, iter_inlines, plain_text
from jatsgen.readers import read


def page(name):
    result = read(PAGES / name)
    return result.articles[0], [d.code for d in result.diagnostics]


def titles(article):
    return [(t.lang, t.text) for t in article.trans_titles]


def abstracts(article):
    return [(a.lang, a.paragraphs) for a in article.abstracts]


def keywords(article):
    return [(k.lang, k.terms) for k in article.keywords]


def supervisor(article):
    (sup,) = [c for c in article.contributors if c.role == "supervisor"]
    affs = [article.affiliation(i) for i in sup.affiliation_ids]
    return sup, affs


def authors(article):
    return [(c.surname, c.given_names) for c in article.authors]


def cites(article):
    return [n.ref_ids for n in iter_inlines(article.body) if isinstance(n, CiteRef)]


def body_text(article):
    return " ".join(plain_text(i) for i in _inlines(article.body))


def _inlines(blocks):
    for b in blocks:
        if hasattr(b, "inlines"):
            yield b.inlines
        if hasattr(b, "title") and b.title:
            yield b.title
        yield from _inlines(getattr(b, "blocks", []))


# --- 1. summaries in the other languages -----------------------------------------------------


def test_summaries_under_resume_and_summary_headings_are_translations_not_body():
    a, codes = page("kk_summaries_headings.txt")
    assert titles(a) == [
        ("ru", "ЦИФРОВАЯ ГРАМОТНОСТЬ СЕЛЬСКОЙ МОЛОДЁЖИ"),
        ("en", "DIGITAL LITERACY OF RURAL YOUTH"),
    ]
    assert abstracts(a) == [
        ("kk", ["Мақалада Атырау облысының ауыл жастарының цифрлық сауаттылығы зерттеледі."]),
        ("ru", ["В статье исследуется цифровая грамотность сельской молодёжи Атырауской области."]),
        ("en", ["The article examines the digital literacy of rural youth in the Atyrau region."]),
    ]
    assert keywords(a) == [
        ("kk", ["цифрлық сауаттылық", "жастар", "ауыл"]),
        ("ru", ["цифровая грамотность", "молодёжь", "село"]),
        ("en", ["digital literacy", "youth", "village"]),
    ]
    assert len(a.references) == 9 and a.references[-1].text.endswith("– 300 б.")
    assert "сельской" not in body_text(a) and "page.trailing-text" not in codes


def test_summaries_as_titles_in_capitals_with_tuiin_and_summary_labels():
    a, _ = page("ru_summaries_caps.txt")
    assert titles(a) == [
        ("kk", "ҮЛГЕРІМ ТУРАЛЫ ДЕРЕКТЕРДІ ЗИЯТКЕРЛІК ТАЛДАУ"),
        ("en", "INTELLIGENT ANALYSIS OF ACADEMIC PERFORMANCE DATA"),
    ]
    assert [lang for lang, _ in abstracts(a)] == ["ru", "kk", "en"]
    assert abstracts(a)[1][1] == [
        "Мақалада студенттердің үлгерімі туралы деректерді талдау әдісі ұсынылады."
    ]
    assert keywords(a)[1] == ("kk", ["деректерді талдау", "үлгерім", "кластерлеу"])
    # the reference list ends where the summary begins: the last entry keeps only itself
    assert len(a.references) == 4
    assert a.references[3].text.endswith("https://doi.org/10.1002/widm.1355")
    assert a.references[3].doi == "10.1002/widm.1355"


def test_summaries_under_tuiin_and_annotation_headings_after_an_english_paper():
    a, _ = page("en_supervisor_after_name.txt")
    assert titles(a) == [
        ("kk", "ЖАЙЫҚ ӨЗЕНІНІҢ СУ САПАСЫН БАҚЫЛАУҒА АРНАЛҒАН АРЗАН СЕНСОРЛАР"),
        ("ru", "НЕДОРОГИЕ ДАТЧИКИ ДЛЯ МОНИТОРИНГА КАЧЕСТВА ВОДЫ РЕКИ УРАЛ"),
    ]
    assert [lang for lang, _ in abstracts(a)] == ["en", "kk", "ru"]
    assert [lang for lang, _ in keywords(a)] == ["en", "kk", "ru"]


def test_summaries_with_bold_titles_and_inline_labels():
    a, _ = page("en_bold_summaries.txt")
    assert titles(a) == [
        ("kk", "ПОДКАСТТАР АРҚЫЛЫ АҒЫЛШЫН ТІЛІН ОҚЫТУ"),
        ("ru", "ОБУЧЕНИЕ АНГЛИЙСКОМУ ЯЗЫКУ С ПОМОЩЬЮ ПОДКАСТОВ"),
    ]
    assert abstracts(a)[2] == (
        "ru",
        ["Подкасты помогают изучающим английский язык больше слушать."],
    )
    assert keywords(a)[1] == ("kk", ["подкасттар", "тыңдалым", "ағылшын тілі"])


def test_a_resume_label_takes_the_language_of_its_text():
    a, _ = page("kk_names_initials_in_text.txt")
    assert titles(a) == [("ru", "ЭКОЛОГИЧЕСКОЕ СОСТОЯНИЕ ПРИКАСПИЙСКОГО ПОБЕРЕЖЬЯ")]
    assert abstracts(a)[1] == (
        "ru",
        ["В статье оценивается экологическое состояние прикаспийского побережья."],
    )


@pytest.mark.parametrize("version", ["1.3", "1.4"])
def test_translations_are_tagged_with_their_languages_in_jats(tmp_path, version):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "jats",
            str(PAGES / "kk_summaries_headings.txt"),
            "-o",
            str(out),
            "--jats-version",
            version,
        ],
    )
    assert result.exit_code == 0, result.output
    root = etree.parse(str(out / "kk_summaries_headings.xml")).getroot()
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    meta = root.find("front/article-meta")
    if version == "1.4":  # JATS 1.4 repeats the title group, one per language
        groups = [g.get(lang) for g in meta.findall("title-group")]
        assert groups == ["kk", "ru", "en"]
    else:
        assert [g.get(lang) for g in meta.iter("trans-title-group")] == ["ru", "en"]
    assert [g.get(lang) for g in meta.findall("kwd-group")] == ["kk", "ru", "en"]
    tag = "abstract" if version == "1.4" else "trans-abstract"
    assert [g.get(lang) for g in meta.findall(tag) if g.get(lang)] == ["ru", "en"]
    assert "сельской" not in etree.tostring(root.find("body"), encoding="unicode")


# --- 2. supervisors in every order ---------------------------------------------------------------


def test_supervisor_with_degrees_before_the_name_initials_after_the_surname():
    a, codes = page("kk_summaries_headings.txt")
    sup, affs = supervisor(a)
    assert (sup.surname, sup.given_names) == ("Сейтқалиева", "А.Б.")
    assert sup.degrees == "PhD, қауымдастырылған профессор" and affs == []
    assert sup.role_label == "Ғылыми жетекші"
    assert "page.supervisor-mismatch" not in codes  # the table's cell has no label


def test_supervisor_with_name_first_then_degrees_then_affiliation_in_russian():
    a, _ = page("ru_summaries_caps.txt")
    sup, (aff,) = supervisor(a)
    assert (sup.surname, sup.given_names, sup.degrees) == ("Сергеев", "С.С.", "к.т.н., доцент")
    assert (aff.institution, aff.city) == ("Казахский национальный университет имени аль-Фараби",
                                           "Алматы")  # fmt: skip
    assert sup.role_label == "Научный руководитель"


def test_supervisor_in_english_with_initials_before_the_surname():
    a, _ = page("en_supervisor_after_name.txt")
    sup, (aff,) = supervisor(a)
    assert (sup.surname, sup.given_names) == ("Nurlanova", "A.B.")
    assert sup.degrees == "PhD, Associate Professor"
    assert (aff.institution, aff.city, aff.country_code) == (
        "Atyrau University of Oil and Gas",
        "Atyrau",
        "KZ",
    )


def test_supervisor_with_full_given_names_and_no_affiliation():
    a, _ = page("kk_supervisor_name_first.txt")
    sup, affs = supervisor(a)
    assert (sup.surname, sup.given_names) == ("Жақыпова", "Гүлнар Тұрсынқызы")
    assert (sup.degrees, affs) == ("п.ғ.к., аға оқытушы", [])


def test_supervisor_in_table_and_text_in_two_orders_is_one_person_without_warning():
    a, codes = page("ru_supervisor_degrees_first.txt")
    sup, _ = supervisor(a)
    assert (sup.surname, sup.given_names, sup.degrees) == ("Касымова", "Р.Т.", "д.э.н., профессор")
    assert "page.supervisor-mismatch" not in codes
    assert len([c for c in a.contributors if c.role == "supervisor"]) == 1


def test_supervisor_with_an_english_label_and_a_spelled_out_degree_on_a_kazakh_page():
    a, _ = page("kk_names_initials_in_text.txt")
    sup, (aff,) = supervisor(a)
    assert (sup.surname, sup.given_names) == ("Omarov", "K.T.")
    assert sup.degrees == "candidate of technical sciences"
    assert aff.institution == "Atyrau University of Oil and Gas"


def test_supervisor_with_a_title_before_the_name_and_a_place_after():
    a, _ = page("en_bold_summaries.txt")
    sup, (aff,) = supervisor(a)
    assert (sup.surname, sup.given_names, sup.degrees) == ("Karimov", "T.", "Dr.")
    assert aff.institution == "Atyrau University"


def test_table_cell_naming_no_supervisor_gives_way_to_the_text(tmp_path):
    from conftest import ROOT

    result = read(ROOT / "examples" / "page.txt")
    sup = [c for c in result.articles[0].contributors if c.role == "supervisor"]
    assert [(c.surname, c.given_names, c.degrees) for c in sup] == [("Жумабаева", "Г.К.", "к.т.н.")]
    assert [d.code for d in result.diagnostics] == ["page.supervisor-from-text"]


# --- 3. names written two ways -------------------------------------------------------------------


def test_initials_in_the_table_take_the_full_names_of_the_text_without_a_warning():
    a, codes = page("kk_summaries_headings.txt")
    assert authors(a) == [("Ахметова", "Айгүл Сериковна"), ("Бекова", "Гүлнар Нұрланқызы")]
    assert "page.author-spelling" not in codes and "page.author-mismatch" not in codes
    a, codes = page("en_supervisor_after_name.txt")
    assert authors(a) == [("Nurlanov", "Dias"), ("Smith", "John")]
    assert "page.author-spelling" not in codes
    a, codes = page("ru_supervisor_degrees_first.txt")
    assert authors(a) == [("Сидоров", "Пётр Ильич")]


def test_full_names_in_the_table_are_kept_when_the_text_has_initials():
    a, codes = page("kk_names_initials_in_text.txt")
    assert authors(a) == [("Омарова", "Жанар Қайратқызы"), ("Сейітов", "Болат Ерланұлы")]
    assert "page.author-spelling" not in codes and "page.author-mismatch" not in codes
    a, codes = page("ru_summaries_caps.txt")
    assert authors(a) == [("Иванов", "Иван Петрович"), ("Петрова", "Анна Сергеевна")]
    a, codes = page("en_bold_summaries.txt")
    assert authors(a) == [("Brown", "Emily Jane")] and "page.author-spelling" not in codes


# --- 4. citations with page locators ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cited", "count"),
    [
        ("kk_summaries_headings.txt", [["ref9"], ["ref2"]], 9),  # [9, 45-б.] and [2, 5-бет]
        ("kk_supervisor_name_first.txt", [["ref8"]], 8),  # [8, б. 27]
        ("ru_summaries_caps.txt", [["ref3"]], 4),  # [3, с. 12–14]
        ("en_supervisor_after_name.txt", [["ref4"]], 4),  # [4, p. 7]
        ("en_bold_summaries.txt", [["ref2"]], 2),  # [2, pp. 10-12]
    ],
)
def test_a_citation_with_a_page_locator_cites_its_reference(name, cited, count):
    a, codes = page(name)
    assert all(c in cites(a) for c in cited)
    assert len(a.references) == count and "cite.unresolved" not in codes
    locators = [n for n in iter_inlines(a.body) if isinstance(n, CiteRef)]
    assert all(set(n.ref_ids) <= {r.id for r in a.references} for n in locators)


def test_page_locators_stay_in_the_text_and_link_only_the_number():
    a, _ = page("kk_summaries_headings.txt")
    text = body_text(a)
    assert "[9, 45-б.]" in text and "[2, 5-бет]" in text
    (nine,) = [n for n in iter_inlines(a.body) if isinstance(n, CiteRef) and n.ref_ids == ["ref9"]]
    assert nine.text == "9"


# --- 5. every problem of a page in one run -------------------------------------------------------


def test_a_page_with_four_problems_reports_all_four_located():
    with pytest.raises(InputError) as caught:
        read(PAGES / "bad_page_four_problems.txt")
    found = [(d.line, d.code) for d in caught.value.diagnostics]
    assert found == [
        (6, "page.bad-date"),
        (7, "page.bad-isbn"),
        (9, "page.bad-pages"),
        (19, "page.bad-email"),
    ]
    messages = [d.message for d in caught.value.diagnostics]
    assert "'31 ақпан 2025' is not a real date" in messages[0]
    assert "5 fits the rest" in messages[1]
    assert "last page 323 is before first page 329" in messages[2]
    assert "'aliyev.mail.kz' is not an e-mail address (no @)" in messages[3]


def test_the_four_problems_reach_the_command_line_in_one_run(tmp_path):
    src = PAGES / "bad_page_four_problems.txt"
    result = CliRunner().invoke(app, ["jats", str(src), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    errors = [ln for ln in result.stderr.splitlines() if ": error [page." in ln]
    assert [ln.split("error [")[1].split("]")[0] for ln in errors] == [
        "page.bad-date",
        "page.bad-isbn",
        "page.bad-pages",
        "page.bad-email",
    ]
    assert all(ln.startswith(f"{src}:") for ln in errors)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_an_e_mail_without_at_in_the_table_is_an_error(tmp_path):
    src = tmp_path / "p.txt"
    src.write_text(
        "Конференция атауы\tX конференция жинағы\nАвтор(лар)\tӘлиев Марат\nE-mail\taliyev.mail.kz\n"
        "Мақала атауы\tT\n\n#### T\n\nӘлиев Марат\n\nМәтін.\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read(src)
    (d,) = caught.value.diagnostics
    assert (d.line, d.field, d.code) == (3, "E-mail", "page.bad-email")


def test_a_sentence_beginning_with_email_is_body_text_not_a_bad_address(tmp_path):
    src = tmp_path / "p.txt"
    src.write_text(
        "Conference\tX conference proceedings\nArticle title\tT\n\n#### T\n\nAliyev Marat\n\n"
        "Email marketing reaches young readers [1].\n\n### References\n\n1. Book. – 2020.\n",
        encoding="utf-8",
    )
    a = read(src).articles[0]
    assert "Email marketing reaches young readers" in body_text(a)


def test_a_reference_line_beginning_with_abstract_continues_its_entry(tmp_path):
    src = tmp_path / "p.txt"
    src.write_text(
        "Conference\tX conference proceedings\nArticle title\tT\n\n#### T\n\nAliyev Marat\n\n"
        "Text [1].\n\n### References\n\n1. Smith J. Water in the steppe.\n"
        "Abstract of the PhD thesis. – Almaty, 2019.\n",
        encoding="utf-8",
    )
    a = read(src).articles[0]
    assert a.references[0].text.endswith("Abstract of the PhD thesis. – Almaty, 2019.")
    assert a.abstracts == []
