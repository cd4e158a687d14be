"""The deposit service (issue 26) over HTTP, as people and systems use it: a real `jatsgen
serve --sandbox` process; the API's token scopes, its OpenAPI schema, its errors (JSON with
the CLI's rule ids); journals kept apart; passwords, credentials and forms kept safe."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from servicekit import CONFIG_B, PAGE, SHEET, Person, Served, write_sheet


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One service with the sandbox; journals `ysc` (the demo) and `b`; an admin, an editor
    of ysc, a viewer of b; tokens of each role for ysc."""
    data = tmp_path_factory.mktemp("service") / "data"
    served = Served(data, "--sandbox", "--poll", "0.5", "--lease", "5")
    admin = Person(served.url)
    assert admin.login("admin", served.admin_password()).url.endswith("/")
    admin.add_journal("b", CONFIG_B, "test")
    people = {
        "editor": admin.add_member("ysc", "eddie", "editor"),
        "viewer-b": admin.add_member("b", "bea", "viewer"),
    }
    tokens = {
        role: admin.token("ysc", role, f"{role} system")
        for role in ("viewer", "editor", "depositor")
    }
    tokens["b-admin"] = admin.token("b", "admin", "b system")
    yield served, admin, people, tokens
    served.stop()


def api(served, token: str | None, method: str, path: str, **kw):
    import requests

    headers = {"authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, served.url + path, headers=headers, timeout=60, **kw)


def follow(served, token: str, job: int, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = api(served, token, "GET", f"/api/jobs/{job}").json()
        if body["state"] not in ("queued", "running", "waiting"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.5)


def submit(served, token: str, slug: str, *paths) -> dict:
    files = [("files", (p.name, p.read_bytes())) for p in paths]
    r = api(served, token, "POST", f"/api/journals/{slug}/jobs", files=files)
    assert r.status_code == 202, r.text
    return r.json()


def test_the_openapi_schema_is_valid_and_documents_the_api(site):
    from openapi_spec_validator import validate

    served, *_ = site
    spec = api(served, None, "GET", "/openapi.json").json()
    validate(spec)
    paths = spec["paths"]
    for needed in (
        "/api/journals/{slug}/jobs",
        "/api/jobs/{job_id}",
        "/api/jobs/{job_id}/preview",
        "/api/jobs/{job_id}/deposit",
        "/api/jobs/{job_id}/ask",
        "/api/journals/{slug}/dois",
        "/api/journals/{slug}/dois/{doi}",
    ):
        assert needed in paths, needed
    assert not any(p.startswith("/j/") or p == "/login" for p in paths)  # pages are not API
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_a_token_reaches_only_its_journal_and_what_its_role_allows(site):
    served, _, _, tokens = site
    shown = api(served, tokens["viewer"], "GET", "/api/journals").json()
    assert [j["slug"] for j in shown] == ["ysc"] and shown[0]["role"] == "viewer"
    refused = api(
        served,
        tokens["viewer"],
        "POST",
        "/api/journals/ysc/jobs",
        files=[("files", ("page.txt", PAGE.read_bytes()))],
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["rule"] == "service.role"
    other = api(served, tokens["viewer"], "GET", "/api/journals/b/dois")
    assert other.status_code == 404 and other.json()["error"]["rule"] == "service.not-found"
    b_job = submit(served, tokens["b-admin"], "b", PAGE)["id"]
    for path in (f"/api/jobs/{b_job}", f"/api/jobs/{b_job}/preview"):
        assert api(served, tokens["editor"], "GET", path).status_code == 404, path
    assert api(served, tokens["editor"], "POST", f"/api/jobs/{b_job}/ask").status_code == 404
    none = api(served, None, "GET", "/api/journals")
    assert none.status_code == 401 and none.json()["error"]["rule"] == "service.auth"
    wrong = api(served, "jg_not-a-token", "GET", "/api/journals")
    assert wrong.status_code == 401
    for method, path, status, rule in (
        ("POST", "/api/journals/ysc/jobs", 422, "service.bad-request"),  # no files
        ("GET", "/api/no-such-thing", 404, "service.not-found"),
        ("GET", "/api/jobs/not-a-number", 422, "service.bad-request"),
    ):
        said = api(served, tokens["editor"], method, path)
        assert said.status_code == status and said.json()["error"]["rule"] == rule, said.text


def test_a_revoked_token_is_refused_at_once(site):
    served, admin, _, _ = site
    token = admin.token("ysc", "viewer", "short-lived")
    assert api(served, token, "GET", "/api/journals").status_code == 200
    page = admin.get("/j/ysc/settings").text
    number = max(int(n) for n in __import__("re").findall(r"/tokens/(\d+)/revoke", page))
    assert admin.post(f"/j/ysc/tokens/{number}/revoke").status_code == 200
    assert api(served, token, "GET", "/api/journals").status_code == 401


def test_a_system_submits_reviews_asks_and_a_depositor_deposits(site, tmp_path):
    served, _, _, tokens = site
    sheet = write_sheet(tmp_path / "api.csv", 5, start=501)
    job = submit(served, tokens["editor"], "ysc", sheet)
    done = follow(served, tokens["editor"], job["id"])
    assert done["state"] == "done", done
    preview = api(served, tokens["viewer"], "GET", f"/api/jobs/{job['id']}/preview").json()
    assert sorted(e["doi"] for e in preview["entries"]) == [
        f"10.5555/ysc.2025.{n}" for n in range(501, 506)
    ]
    assert {e["status"] for e in preview["entries"]} == {"new"}
    html = api(served, tokens["viewer"], "GET", f"/api/jobs/{job['id']}/preview?format=html")
    assert (
        html.headers["content-type"].startswith("text/html") and "10.5555/ysc.2025.503" in html.text
    )
    editor_deposit = api(served, tokens["editor"], "POST", f"/api/jobs/{job['id']}/deposit")
    assert editor_deposit.status_code == 403
    asked = api(served, tokens["editor"], "POST", f"/api/jobs/{job['id']}/ask").json()
    assert asked["state"] == "asked" and asked["kind"] == "deposit"
    sent = api(served, tokens["depositor"], "POST", f"/api/jobs/{asked['id']}/deposit").json()
    assert sent["id"] == asked["id"] and sent["state"] in ("queued", "running")
    finished = follow(served, tokens["depositor"], asked["id"])
    assert finished["state"] == "done", finished
    state = api(served, tokens["viewer"], "GET", "/api/journals/ysc/dois/10.5555/ysc.2025.502")
    body = state.json()
    assert body["doi"]["status"] == "success" and body["doi"]["change"] == "new"
    assert [h["result"] for h in body["history"]] == ["success"]
    sent_xml = api(served, tokens["viewer"], "GET", body["history"][0]["sent"])
    assert b"10.5555/ysc.2025.502" in sent_xml.content
    board = api(served, tokens["viewer"], "GET", "/api/journals/ysc/dois?q=ysc.2025.50").json()
    assert {r["doi"] for r in board} >= {f"10.5555/ysc.2025.{n}" for n in range(501, 506)}
    assert (
        api(served, tokens["viewer"], "GET", "/api/journals/ysc/dois?since=07.04").status_code
        == 422
    )


def test_errors_are_json_with_the_rule_ids_the_command_line_gives(site, tmp_path):
    served, _, _, tokens = site
    bad = tmp_path / "bad.csv"
    bad.write_text(SHEET.read_text("utf-8").replace("author1_orcid", "author1_orcd", 1), "utf-8")
    job = submit(served, tokens["editor"], "ysc", bad)
    failed = follow(served, tokens["editor"], job["id"])
    assert failed["state"] == "failed"
    served_rules = {f["rule"] for f in failed["result"]["findings"] if f["severity"] == "error"}
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "jatsgen",
            "crossref",
            str(bad),
            "--config",
            str(SHEET.parent / "jatsgen.toml"),
            "-o",
            str(tmp_path / "out"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    cli_rules = {
        json.loads(line)["rule"]
        for line in cli.stdout.splitlines()
        if json.loads(line)["type"] == "finding" and json.loads(line)["severity"] == "error"
    }
    assert cli.returncode == 1 and served_rules == cli_rules == {"sheet.unknown-column"}
    where = next(f for f in failed["result"]["findings"] if f["rule"] == "sheet.unknown-column")
    assert where["file"] == "bad.csv" and "author1_orcid" in where["message"]
    refused = api(served, tokens["depositor"], "POST", f"/api/jobs/{job['id']}/deposit")
    assert refused.status_code == 409
    assert refused.json()["error"]["rule"] == "sheet.unknown-column"
    assert refused.json()["findings"][0]["rule"] == "sheet.unknown-column"


def test_a_person_sees_only_their_journals_pages(site):
    served, admin, people, _ = site
    bea = Person(served.url)
    bea.login("bea", people["viewer-b"])
    assert bea.get("/j/b").status_code == 200
    job = admin.upload("ysc", PAGE)
    for path in (
        "/j/ysc",
        "/j/ysc/board",
        job,
        f"{job}/review",
        "/j/ysc/dois/10.5555/ysc.2025.070",
        "/j/ysc/settings",
        "/j/ysc/batches/1",
    ):
        assert bea.get(path).status_code == 404, path
    number = job.rsplit("/", 1)[1]
    assert bea.get(f"/j/b/jobs/{number}").status_code == 404  # another journal's job by its id
    assert bea.post(f"{job}/deposit").status_code == 404
    assert bea.post("/j/b/upload", files=[("files", ("p.txt", b"x"))]).status_code == 403
    assert "ysc" not in bea.get("/").text


def test_an_editor_may_ask_for_a_deposit_but_not_deposit(site):
    served, admin, people, _ = site
    eddie = Person(served.url)
    eddie.login("eddie", people["editor"])
    job = eddie.upload("ysc", PAGE)
    assert eddie.wait(job) == "done"
    page = eddie.get(job).text
    assert 'id="ask"' in page and 'id="deposit"' not in page
    refused = eddie.post(f"{job}/deposit")
    assert refused.status_code == 403 and "this needs depositor" in refused.text
    asked = eddie.post(f"{job}/ask")
    assert asked.status_code == 200 and 'id="state">asked<' in asked.text
    assert 'id="approve"' not in asked.text
    assert 'id="approve"' in admin.get(asked.url[len(served.url) :]).text


def test_a_form_without_its_csrf_token_is_refused(site):
    served, admin, _, _ = site
    before = admin.get("/j/ysc").text.count("<tr>")
    for token in ("", "forged-token"):
        r = admin.http.post(
            served.url + "/j/ysc/upload",
            data={"csrf": token},
            files=[("files", ("page.txt", PAGE.read_bytes()))],
            timeout=60,
        )
        assert r.status_code == 403 and "security token" in r.text
    assert admin.get("/j/ysc").text.count("<tr>") == before  # no job was made
    other = Person(served.url)
    other.get("/login")
    r = other.http.post(served.url + "/login", data={"login": "admin", "password": "x"}, timeout=60)
    assert r.status_code == 403  # a login form posted from elsewhere (no token)


def test_logins_are_rate_limited_and_sessions_are_httponly(site):
    served, _, people, _ = site
    guesser = Person(served.url)
    for _ in range(5):
        assert guesser.login("nobody-here", "guess").status_code == 401
    assert guesser.login("nobody-here", "guess").status_code == 429
    eddie = Person(served.url)
    r = eddie.get("/login")
    r = eddie.http.post(
        served.url + "/login",
        data={"login": "eddie", "password": people["editor"], "csrf": eddie.csrf},
        allow_redirects=False,
        timeout=60,
    )
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_credentials_are_write_only_and_encrypted_at_rest(site, tmp_path):
    served, admin, _, _ = site
    secret = "Very-Secret-Pass-9731"
    admin.set_credentials("b", "b-user", secret)
    page = admin.get("/j/b/settings").text
    assert secret not in page and "Set (never shown" in page
    data = next(served.log.parent.glob("data"))
    for f in data.rglob("*"):
        if f.is_file():
            assert secret.encode() not in f.read_bytes(), f
    assert secret not in served.output()


def test_a_journals_config_is_checked_as_the_command_line_checks_it(site):
    _served, admin, _, _ = site
    admin.get("/j/b/settings")
    r = admin.post(
        "/j/b/settings", {"name": "B", "endpoint": "test", "config": CONFIG_B + "\n[doi2]\nx = 1\n"}
    )
    assert r.status_code == 422 and "[config.invalid]" in r.text
    assert "unknown table [doi2]; did you mean &#39;doi&#39;?" in r.text  # the CLI's words
    r = admin.post(
        "/j/b/settings",
        {"name": "B", "endpoint": "test", "config": CONFIG_B + '\n[registry]\npassword = "p"\n'},
    )
    assert r.status_code == 422 and "service.credentials-in-config" in r.text
    kept = admin.get("/j/b/settings").text
    assert "10.9999" in kept and "[doi2]" not in kept and "[registry]" not in kept  # unsaved


def test_the_other_commands_do_not_load_the_service():
    code = (
        "import sys, jatsgen.cli; print(sorted(m for m in ('fastapi', 'uvicorn', 'psycopg', "
        "'jinja2', 'argon2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_first_run_prints_an_admin_password_and_reviews_the_bundled_examples(site):
    served, admin, _, _ = site
    assert served.output().count("one-time password") == 1
    assert "sandbox registry at http://127.0.0.1:" in served.output()
    assert admin.wait("/j/ysc/jobs/1") == "done"
    page = admin.get("/j/ysc/jobs/1").text
    for doi in ("10.5555/ysc.2025.012", "10.5555/ysc.2025.101", "10.5555/ysc.2025.103"):
        assert f"<td>{doi}</td>" in page
    assert 'id="deposit"' in page


def test_queued_work_resumes_after_a_restart(tmp_path):
    data = tmp_path / "data"
    first = Served(data, "--sandbox", "--workers", "1", "--lease", "2")
    admin = Person(first.url)
    admin.login("admin", first.admin_password())
    jobs = [
        admin.upload("ysc", write_sheet(tmp_path / f"r{i}.csv", 30, 700 + 50 * i)) for i in range(3)
    ]
    first.kill()  # with work queued and under way
    second = Served(data, "--sandbox", "--lease", "2")
    try:
        again = Person(second.url)
        again.login("admin", first.admin_password())
        assert [again.wait(job) for job in jobs] == ["done"] * 3
        assert "one-time password" not in second.output()  # the admin is made once
    finally:
        second.stop()


def test_a_deposit_batch_file_is_reviewed_and_sent_as_it_is(site, tmp_path):
    served, _, _, tokens = site
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "jatsgen",
            "crossref",
            str(write_sheet(tmp_path / "s.csv", 2, 801)),
            "-c",
            str(SHEET.parent / "jatsgen.toml"),
            "-o",
            str(tmp_path / "out"),
            "-q",
        ],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "JATSGEN_STATE_DIR": str(tmp_path / "state")},
    )
    assert made.returncode == 0, made.stderr
    batch = next((tmp_path / "out").glob("*.xml"))
    job = follow(served, tokens["editor"], submit(served, tokens["editor"], "ysc", batch)["id"])
    assert job["state"] == "done", job
    assert sorted(e["doi"] for e in job["result"]["entries"]) == [
        "10.5555/ysc.2025.801",
        "10.5555/ysc.2025.802",
    ]
    sent = api(served, tokens["depositor"], "POST", f"/api/jobs/{job['id']}/deposit").json()
    assert follow(served, tokens["depositor"], sent["id"])["state"] == "done"
    history = api(served, tokens["viewer"], "GET", "/api/journals/ysc/dois/10.5555/ysc.2025.801")
    stored = api(served, tokens["viewer"], "GET", history.json()["history"][0]["sent"])
    assert stored.content == batch.read_bytes()  # the very file uploaded


def test_a_one_time_password_is_replaced_by_ones_own(site):
    served, admin, _, _ = site
    once = admin.add_member("ysc", "olga", "viewer")
    olga = Person(served.url)
    assert 'id="one-time"' in olga.login("olga", once).text
    short = olga.post("/account", {"current": once, "new": "short", "again": "short"})
    assert short.status_code == 422
    mine = "olga's own long password"
    changed = olga.post("/account", {"current": once, "new": mine, "again": mine})
    assert changed.status_code == 200 and 'id="one-time"' not in changed.text
    assert Person(served.url).login("olga", once).status_code == 401
    assert Person(served.url).login("olga", mine).status_code == 200
    shown = admin.get("/login?error=Call+0800+now").text  # nothing from the address is shown
    assert "0800" not in shown


def test_uploads_at_once_never_give_one_seq_doi_to_two_papers(site, tmp_path):
    """A journal's uploads are made into batches one at a time: with a `{seq}` pattern, two
    made at once would each give the next free DOI to a paper of their own."""
    served, admin, _, _ = site
    config = (SHEET.parent / "jatsgen.toml").read_text("utf-8")
    admin.add_journal("sq", config.replace("ysc.{year}.{number}", "s.{seq:04d}"), "test")
    token = admin.token("sq", "editor")
    jobs = [
        submit(served, token, "sq", write_sheet(tmp_path / f"q{i}.csv", 5, 100 * i + 1))
        for i in range(4)
    ]
    done = [follow(served, token, job["id"]) for job in jobs]
    assert [d["state"] for d in done] == ["done"] * 4, [d["message"] for d in done]
    dois = [e["doi"] for d in done for e in d["result"]["entries"]]
    assert sorted(dois) == [f"10.5555/s.{n:04d}" for n in range(1, 21)]
