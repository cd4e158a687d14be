"""The service's pages in a real headless Chromium (Selenium; Debian's chromium and
chromium-driver), as a production office uses them: log in, upload the bundled page and a
CSV sheet, read the review, deposit to the sandbox, see each DOI registered on the board; an
editor cannot deposit; a person of another journal gets 404; a form without its CSRF token
is refused. Screenshots of each step are kept in `test-artifacts/service/`."""

from __future__ import annotations

import time

import pytest
from conftest import ROOT
from servicekit import CONFIG_B, PAGE, Person, Served, write_sheet
from test_preview import browser  # noqa: F401  (the Chromium fixture)

SHOTS = ROOT / "test-artifacts" / "service"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("service-browser") / "data"
    served = Served(data, "--sandbox", "--poll", "0.5")
    admin = Person(served.url)
    admin.login("admin", served.admin_password())
    admin.add_journal("b", CONFIG_B, "test")
    people = {
        "eddie": admin.add_member("ysc", "eddie", "editor"),
        "bea": admin.add_member("b", "bea", "viewer"),
    }
    yield served, served.admin_password(), people
    served.stop()


def shot(browser, name: str) -> None:  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / f"{name}.png"))


def sign_in(browser, base: str, login: str, password: str) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(base + "/login")
    browser.find_element(By.ID, "login").send_keys(login)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "sign-in").click()
    wait_for(browser, lambda: not browser.current_url.endswith("/login"))


def wait_for(browser, check, timeout: float = 180) -> None:  # noqa: F811
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, browser.page_source[-3000:]
        time.sleep(0.3)


def follow(browser, element) -> None:  # noqa: F811
    """Click a link or a form's button, and wait for the next page to be there (a click can
    return while the old page is still shown)."""
    was = browser.current_url
    element.click()
    wait_for(browser, lambda: browser.current_url != was)
    wait_for(browser, lambda: browser.execute_script("return document.readyState") == "complete")


def state(browser) -> str:  # noqa: F811
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        return browser.find_element(By.ID, "state").text
    except (NoSuchElementException, StaleElementReferenceException):
        return ""


def test_upload_review_deposit_and_see_every_doi_registered(browser, site, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    served, password, _ = site
    sign_in(browser, served.url, "admin", password)
    shot(browser, "01-journals")
    follow(browser, browser.find_element(By.LINK_TEXT, "Youth and Science (demo, sandbox)"))
    sheet = write_sheet(tmp_path / "papers.csv", 3, start=301)
    browser.find_element(By.ID, "files").send_keys(f"{PAGE}\n{sheet}")
    shot(browser, "02-upload")
    browser.find_element(By.ID, "upload").click()
    wait_for(browser, lambda: state(browser) == "done")  # the page refreshes itself
    shot(browser, "03-reviewed")
    dois = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#entries tr td:first-child")]
    assert sorted(dois) == [
        "10.5555/ysc.2025.012",
        *(f"10.5555/ysc.2025.{n}" for n in (301, 302, 303)),
    ]
    job = browser.current_url
    follow(browser, browser.find_element(By.ID, "review-link"))
    wait_for(browser, lambda: "ysc.2025.302" in browser.page_source)
    shot(browser, "04-review-page")
    shown = browser.execute_script(
        "return [...document.querySelectorAll('article.record header .doi')]"
        ".map(e => e.textContent)"
    )
    assert sorted(shown) == sorted(dois)
    browser.get(job)
    follow(browser, browser.find_element(By.ID, "deposit"))  # to the deposit's own page
    wait_for(browser, lambda: state(browser) in ("done", "failed"))
    shot(browser, "05-deposited")
    assert state(browser) == "done", browser.page_source[-3000:]
    follow(browser, browser.find_element(By.LINK_TEXT, "DOI board"))
    rows = {
        tr.find_element(By.CSS_SELECTOR, "td:first-child").text: tr.find_element(
            By.CSS_SELECTOR, "td.status"
        ).text
        for tr in browser.find_elements(By.CSS_SELECTOR, "tr.doi-row")
    }
    shot(browser, "06-board")
    assert {d: rows.get(d) for d in dois} == dict.fromkeys(dois, "success")
    follow(browser, browser.find_element(By.LINK_TEXT, "10.5555/ysc.2025.301"))
    assert browser.find_element(By.ID, "status").text == "success"
    sent = browser.find_element(By.CSS_SELECTOR, "#history td a")
    shot(browser, "07-doi-history")
    follow(browser, sent)
    wait_for(browser, lambda: "doi_batch" in browser.page_source)
    assert "10.5555/ysc.2025.301" in browser.page_source  # what was sent
    browser.get(served.url + "/j/ysc/board?attention=1")
    assert browser.find_elements(By.CSS_SELECTOR, "tr.doi-row") == []  # nothing failed


def test_an_editor_can_ask_for_a_deposit_but_not_deposit(browser, site):  # noqa: F811
    from selenium.webdriver.common.by import By

    served, _, people = site
    sign_in(browser, served.url, "eddie", people["eddie"])
    browser.get(served.url + "/j/ysc")
    browser.find_element(By.ID, "files").send_keys(str(PAGE))
    browser.find_element(By.ID, "upload").click()
    wait_for(browser, lambda: state(browser) == "done")
    assert browser.find_elements(By.ID, "deposit") == []
    shot(browser, "08-editor-review")
    job = browser.current_url
    # a deposit form made by hand, with the editor's own CSRF token: the role still decides
    browser.execute_script(
        "const f = document.createElement('form'); f.method = 'post';"
        "f.action = location.pathname + '/deposit'; const i = document.createElement('input');"
        "i.name = 'csrf'; i.value = document.querySelector('input[name=csrf]').value;"
        "f.appendChild(i); document.body.appendChild(f); f.submit();"
    )
    wait_for(browser, lambda: "Not allowed" in browser.page_source)
    assert "this needs depositor" in browser.find_element(By.ID, "message").text
    shot(browser, "09-editor-refused")
    browser.get(job)
    browser.find_element(By.ID, "ask").click()
    wait_for(browser, lambda: state(browser) == "asked")
    shot(browser, "10-asked")


def test_a_person_of_another_journal_gets_not_found(browser, site):  # noqa: F811
    from selenium.webdriver.common.by import By

    served, _, people = site
    sign_in(browser, served.url, "bea", people["bea"])
    assert "ysc" not in browser.find_element(By.ID, "journals").text
    for path in (
        "/j/ysc",
        "/j/ysc/board",
        "/j/ysc/jobs/1",
        "/j/ysc/jobs/1/review",
        "/j/ysc/settings",
    ):
        browser.get(served.url + path)
        assert browser.title.startswith("Not found"), path
    shot(browser, "11-other-journal")


def test_a_form_posted_without_its_csrf_token_is_refused(browser, site):  # noqa: F811
    from selenium.webdriver.common.by import By

    served, password, _ = site
    sign_in(browser, served.url, "admin", password)
    browser.get(served.url + "/j/ysc")
    jobs = len(browser.find_elements(By.CSS_SELECTOR, "#jobs tr"))
    browser.execute_script(
        "document.querySelector('form[action$=\"/upload\"] input[name=csrf]').remove()"
    )
    browser.find_element(By.ID, "files").send_keys(str(PAGE))
    browser.find_element(By.ID, "upload").click()
    wait_for(browser, lambda: "Not allowed" in browser.page_source)
    assert "security token" in browser.find_element(By.ID, "message").text
    shot(browser, "12-csrf-refused")
    browser.get(served.url + "/j/ysc")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#jobs tr")) == jobs  # nothing made
