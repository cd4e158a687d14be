"""The review page leads to what matters (issue 25, part 2), checked in a real headless
Chromium (Selenium; Debian's chromium and chromium-driver): a "changed only" filter and
clickable counts, ORCID iDs shown, changes marked where they are, each volume's container
once, labels a person reads, the depositor, what is not carried (also from batch files), and
links only for http(s) addresses."""

from __future__ import annotations

from pathlib import Path

from conftest import EXAMPLES
from test_preview import browser, load  # noqa: F401  (the Chromium fixture)
from typer.testing import CliRunner

from jatsgen.cli import app

runner = CliRunner()
CONFIG = EXAMPLES / "jatsgen.toml"
FAST = ["--timeout", "2", "--retry-base", "0.1", "--poll-interval", "0.1"]
VOLUME = """\
container:
  type: proceedings
  title: Proceedings of Youth and Science
  published: 2025
  publisher: {name: Atyrau University, place: Atyrau}
  event: {name: Youth and Science, start: 2025-10-16, end: 2025-10-17, location: Atyrau}
articles:
  - title: Paper one
    number: 1
    pages: 1-5
    contributors:
      - {surname: Smith, given_names: Anna Maria, orcid: 0000-0002-1825-0097}
      - {surname: Brown, given_names: Bob}
  - {title: Paper two, number: 2, pages: 6-9, contributors: [{surname: Lee, given_names: Kim}]}
  - {title: Paper three, number: 3, pages: 10-12, contributors: [{surname: Park, given_names: Jo}]}
"""


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def visible_dois(browser) -> list[str]:  # noqa: F811
    return browser.execute_script(
        "return [...document.querySelectorAll('article.record')]"
        ".filter(r => r.offsetParent !== null)"
        ".map(r => r.querySelector('header .doi').textContent)"
    )


def deposited_then_corrected(
    env: Path, registry, was: str = "Anna Maria", now: str = "Anna Marie"
) -> tuple[Path, str]:
    """A volume deposited to the sandbox, then one value corrected (a given name): its page."""
    reg = registry()
    volume = env / "v.yaml"
    volume.write_text(VOLUME, "utf-8")
    made = run("crossref", volume, "-c", CONFIG, "-o", env / "b1", "-q")
    assert made.exit_code == 0, made.stderr
    sent = run("deposit", env / "b1", "--endpoint", reg.url, "--wait", *FAST, "-q")
    assert sent.exit_code == 0, sent.stderr
    volume.write_text(VOLUME.replace(was, now), "utf-8")
    page = env / "review.html"
    shown = run("preview", volume, "-c", CONFIG, "--endpoint", reg.url, "-o", page)
    assert shown.exit_code == 0, shown.stderr + shown.stdout + page.read_text("utf-8")[-3000:]
    return page, reg.url


def test_changed_only_and_the_counts_leave_only_what_they_name(browser, env, registry):  # noqa: F811
    from selenium.webdriver.common.by import By

    page, _ = deposited_then_corrected(env, registry)
    load(browser, page)
    assert len(visible_dois(browser)) == 3
    browser.find_element(By.ID, "changed-only").click()
    assert visible_dois(browser) == ["10.5555/ysc.2025.1"]  # the one updated DOI
    browser.find_element(By.ID, "changed-only").click()
    assert len(visible_dois(browser)) == 3
    browser.find_element(By.CSS_SELECTOR, '.counts a[data-filter="unchanged"]').click()
    assert visible_dois(browser) == ["10.5555/ysc.2025.2", "10.5555/ysc.2025.3"]
    assert not browser.find_element(By.ID, "changed-only").is_selected()
    browser.find_element(By.CSS_SELECTOR, '.counts a[data-filter="updated"]').click()
    assert visible_dois(browser) == ["10.5555/ysc.2025.1"]
    assert browser.find_element(By.ID, "changed-only").is_selected()  # the same filter
    browser.find_element(By.CSS_SELECTOR, '.counts a[data-filter=""]').click()  # all DOIs
    assert len(visible_dois(browser)) == 3


def test_the_page_shows_ids_changes_in_place_the_volume_once_and_readable_labels(
    browser,  # noqa: F811
    env,
    registry,
):
    from selenium.webdriver.common.by import By

    page, _ = deposited_then_corrected(env, registry)
    load(browser, page)
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "ORCID iD 0000-0002-1825-0097" in text  # the iD itself, not the word
    orcid = browser.find_element(By.CSS_SELECTOR, ".orcid a")
    assert orcid.get_attribute("href") == "https://orcid.org/0000-0002-1825-0097"
    # the change inside the contributor, marked where it is
    assert [e.text for e in browser.find_elements(By.CSS_SELECTOR, "del.diff")] == ["Maria"]
    assert [e.text for e in browser.find_elements(By.CSS_SELECTOR, "ins.diff")] == ["Marie"]
    cell = browser.find_element(By.CSS_SELECTOR, "table.changes td.old")
    assert cell.text == "Anna Maria Smith (author; https://orcid.org/0000-0002-1825-0097)"
    # the container once: its title and event in the volume's section, not under each paper
    assert text.count("Proceedings of Youth and Science") == 1
    volumes = browser.find_elements(By.CSS_SELECTOR, "section.volume")
    assert len(volumes) == 1 and "Atyrau University, Atyrau" in volumes[0].text
    assert "2025-10-16 to 2025-10-17" in volumes[0].text
    assert "(2025-10-16)" not in text
    for word in ("None", "Made from None", "Date publication", "not given", "(vor)"):
        assert word not in text, word
    assert "Published" in text
    assert "deposited by Youth and Science conference secretariat <doi@conference.example.kz>" in (
        text
    )
    assert f"Made from {env / 'v.yaml'}:" in text  # the record's file and line


def test_not_carried_is_shown_for_batch_files_too(browser, env, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    made = run("crossref", EXAMPLES / "collection.yaml", "-c", CONFIG, "-o", tmp_path / "b", "-q")
    assert made.exit_code == 0, made.stderr
    page = tmp_path / "batch.html"
    shown = run("preview", *sorted((tmp_path / "b").glob("*.xml")), "-o", page)
    assert shown.exit_code == 0, shown.stderr
    load(browser, page)
    losses = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "section.losses")]
    assert len(losses) == 1, losses  # the first paper's (the second has nothing to lose)
    first = losses[0]
    assert "translated titles in ru are not carried ([ru] ПРАВОВЫЕ ОСНОВЫ" in first
    assert "the supervisor" in first and "is not carried (supervisors are not)" in first
    assert "Made from None" not in browser.find_element(By.TAG_NAME, "body").text


def test_only_http_addresses_become_links(browser, env, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    made = run("crossref", EXAMPLES / "collection.yaml", "-c", CONFIG, "-o", tmp_path / "b", "-q")
    assert made.exit_code == 0, made.stderr
    (batch,) = sorted((tmp_path / "b").glob("*.xml"))
    text = batch.read_text("utf-8")
    hostile = text.replace(
        "<resource>https://conference.example.kz/ysc/2025/papers/070</resource>",
        "<resource>javascript:alert(document.domain)</resource>",
    ).replace(
        "</person_name>",
        "<ORCID>javascript:alert(1)//0000-0002-1825-0097</ORCID></person_name>",
        1,
    )
    assert hostile.count("javascript:") == 2
    bad = tmp_path / "hostile.xml"
    bad.write_text(hostile, "utf-8")
    page = tmp_path / "hostile.html"
    run("preview", bad, "-o", page)  # (an invalid file is previewed as it is, with its errors)
    load(browser, page)
    hrefs = browser.execute_script("return [...document.links].map(a => a.href)")
    assert hrefs and all(h.startswith(("https:", "http:", "file:")) for h in hrefs), hrefs
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "javascript:alert(document.domain)" in body  # shown, as text
    assert "0000-0002-1825-0097" in body


def test_a_long_value_wraps_inside_its_column(browser, env, registry):  # noqa: F811
    long_name = "Anna-" + "x" * 50  # one word wider than its column (given_name holds 60)
    page, _ = deposited_then_corrected(env, registry, "Anna Maria", long_name)
    load(browser, page)
    overflow = browser.execute_script(
        "const cells = [...document.querySelectorAll('table.changes td, dl.fields dd')];"
        "return [document.documentElement.scrollWidth - document.documentElement.clientWidth,"
        " cells.filter(c => c.scrollWidth > c.clientWidth + 1).length, cells.length]"
    )
    assert overflow[0] <= 0 and overflow[1] == 0 and overflow[2] > 0, overflow
