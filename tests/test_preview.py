"""`jatsgen preview` (issue 12): the page is checked in a real headless Chromium driven by
Selenium (Debian's chromium and chromium-driver, installed by .ci/run), never a mock."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES, SEED, result_data
from typer.testing import CliRunner

from jatsgen.cli import app

runner = CliRunner()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("Debian's chromium and chromium-driver are needed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,2000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def load(browser, page: Path) -> None:
    """Open `page` and wait until it is whole: loaded, and parsed to its closing script."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(page.as_uri())
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete' && document.body !== null "
            "&& document.body.lastElementChild.tagName === 'SCRIPT' "
            f"&& location.href === {page.as_uri()!r}"
        )
    )


def preview(*args: object):
    return runner.invoke(app, ["preview", *map(str, args)])


@pytest.fixture()
def ledger(tmp_path, monkeypatch):
    monkeypatch.setenv("JATSGEN_LEDGER", str(tmp_path / "ledger.sqlite"))
    return tmp_path / "ledger.sqlite"


def test_the_seed_page_shows_everything_that_will_be_registered(browser, tmp_path, ledger):
    page = tmp_path / "report.html"
    result = preview(SEED, "--config", EXAMPLES / "jatsgen.toml", "-o", page)
    assert result.exit_code == 0, result.stderr
    load(browser, page)
    text = browser.find_element("tag name", "body").text
    for shown in (
        "ҚАЗАҚСТАН ХАЛҚЫ АССАМБЛЕЯСЫ ЖҰМЫСЫНЫҢ ҚҰҚЫҚТЫҚ НЕГІЗДЕРІ",  # the title, in Kazakh
        "Language: kk",
        "Абдуғани",  # the author, as the table spells it
        "10.5555/ysc.2025.070",
        "https://conference.example.kz/ysc/2025/papers/070",
        "323–329",
        "978-601-262-587-5",
        "doi:10.1515/9780295800530-005",  # the eighth reference's DOI
        "classifications (UDC) are not carried",
        "is not carried (supervisors are not)",
        "[page.author-spelling]",  # a finding, with its rule id
        "Жастар және ғылым",  # the conference, in Kazakh
    ):
        assert shown in text, shown
    landing = browser.find_element("link text", "https://conference.example.kz/ysc/2025/papers/070")
    assert landing.get_attribute("href") == "https://conference.example.kz/ysc/2025/papers/070"
    refs = browser.find_elements("css selector", "ol.references li")
    assert len(refs) == 8 and "10.1515/9780295800530-005" in refs[7].text
    title = browser.find_element("css selector", "h2.title")
    assert title.get_attribute("lang") == "kk"
    browser.save_screenshot(str(tmp_path / "seed-preview.png"))
    assert (tmp_path / "seed-preview.png").stat().st_size > 10_000


def volume(folder: Path, papers: int, broken: set[int]) -> Path:
    """A proceedings volume of `papers` papers; those in `broken` carry a control character
    pasted from Word in their title (a warning, so a finding)."""
    lines = [
        "container: {type: proceedings, title: Preview Volume, published: 2025, "
        "isbn: 978-601-262-587-5}",
        "articles:",
    ]
    for i in range(1, papers + 1):
        title = f"Paper {i} on \\u049b\\u0430\\u0437\\u0430\\u049b \\u0442\\u0456\\u043b\\u0456"
        if i in broken:
            title += " \\v pasted"
        lines.append(
            f'  - {{title: "{title}", language: kk, doi: "10.5555/vol.{i}", '
            f"url: 'https://example.org/{i}', pages: {i}-{i + 1}, "
            f"contributors: [{{surname: Author{i}, given_names: Test}}]}}"
        )
    path = folder / "volume.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_500_paper_volume_renders_and_the_filter_leaves_the_records_with_findings(
    browser, tmp_path, ledger
):
    broken = set(range(7, 501, 13))  # 38 papers
    src = volume(tmp_path, 500, broken)
    page = tmp_path / "volume.html"
    started = time.monotonic()
    result = preview(src, "--config", EXAMPLES / "jatsgen.toml", "-o", page, "--format", "json")
    assert result.exit_code == 0, result.stderr
    load(browser, page)
    articles = browser.find_elements("css selector", "article.record")
    elapsed = time.monotonic() - started
    assert len(articles) == 500 and elapsed < 120, elapsed
    counts = browser.find_element("css selector", "ul.counts").text
    assert "500 DOIs" in counts and "500 new" in counts
    assert len(browser.find_elements("css selector", "#contents li")) == 500
    browser.find_element("id", "only-findings").click()
    visible = browser.execute_script(
        "return [...document.querySelectorAll('article.record')]"
        ".filter(a => a.offsetParent !== null).map(a => a.dataset.findings)"
    )
    assert len(visible) == len(broken) and all(int(n) > 0 for n in visible)
    shown_toc = browser.execute_script(
        "return [...document.querySelectorAll('#contents li')]"
        ".filter(li => li.offsetParent !== null).length"
    )
    assert shown_toc == len(broken)
    lines = result_data(result.stdout)
    with_findings = {x["doi"] for x in lines if x["findings"]}
    assert with_findings == {f"10.5555/vol.{i}" for i in broken}


def test_the_summary_is_one_line_per_doi_with_status_pages_author_and_title(tmp_path, ledger):
    result = preview(SEED, "--config", EXAMPLES / "jatsgen.toml")
    assert result.exit_code == 0, result.stderr
    head, row = result.stdout.splitlines()
    assert head.split() == ["DOI", "status", "pages", "first", "author", "title"]
    assert row.startswith("10.5555/ysc.2025.070  new") and "323–329" in row
    assert "Абдуғани" in row and "ҚАЗАҚСТАН" in row
    as_json = preview(SEED, "--config", EXAMPLES / "jatsgen.toml", "--format", "json")
    (obj,) = result_data(as_json.stdout)
    assert obj["doi"] == "10.5555/ysc.2025.070" and obj["status"] == "new"
    assert obj["pages"] == "323–329" and obj["language"] == "kk"
    assert any("UDC" in loss for loss in obj["not_carried"])
    assert {f["rule"] for f in obj["findings"]} >= {"page.author-spelling"}


def test_batch_files_preview_as_they_are(tmp_path, ledger, monkeypatch):
    monkeypatch.setenv("JATSGEN_STATE_DIR", str(tmp_path / "state"))
    out = tmp_path / "batches"
    made = runner.invoke(
        app, ["crossref", str(SEED), "--config", str(EXAMPLES / "jatsgen.toml"), "-o", str(out)]
    )
    assert made.exit_code == 0, made.stderr
    (batch,) = out.glob("*.xml")
    result = preview(batch, "--format", "json")
    assert result.exit_code == 0, result.stderr
    (obj,) = result_data(result.stdout)
    # what the work's source had and the deposit cannot carry, as the batch notes it
    from lxml import etree

    noted = [c.text.strip().removeprefix("jatsgen: ") for c in etree.parse(batch).iter(
        etree.Comment) if c.text.startswith(" jatsgen: ")]  # fmt: skip
    assert any("supervisor" in m for m in noted) and len(noted) >= 2, noted
    assert obj["doi"] == "10.5555/ysc.2025.070" and obj["not_carried"] == noted
