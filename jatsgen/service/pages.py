"""The pages a person uses: log in, upload, follow a job, read the review, deposit or ask
for a deposit, the DOI board and each DOI's history, a journal's settings. Server-rendered
forms that work without scripts; every form carries the session's CSRF token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from . import actions
from .app import REVIEW_CSP, Refused, caller_of, job_for, journal_for, page, svc_of
from .auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    Caller,
    digest,
    hash_password,
    locked_out,
    login,
    new_secret,
    same,
    start_session,
)

router = APIRouter(include_in_schema=False)
KINDS = {"prepare": "Upload", "deposit": "Deposit"}  # what a person calls each kind of job
Csrf = Annotated[str, Form()]
BOARD_STATES = ("new", "updated", "unchanged", "reviewed", "asked", "sending", "pending",
                "success", "warning", "failure", "refused")  # fmt: skip


def checked(request: Request, csrf: str) -> Caller:
    """The signed-in caller, when the form carries their session's CSRF token."""
    caller = caller_of(request)
    if not csrf or not same(csrf, caller.csrf):
        raise Refused(
            403,
            "service.csrf",
            "the form's security token is missing or out of date: reload the page and send "
            "the form again",
        )
    return caller


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    return _login_page(request, "")


def _login_page(request: Request, error: str) -> Response:
    token = new_secret()
    response = page(request, "login.html", title="Log in", csrf=token, error=error)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=_secure(request), max_age=3600)  # fmt: skip
    return response


@router.post("/login")
def login_post(
    request: Request,
    login_name: Annotated[str, Form(alias="login")] = "",
    password: Annotated[str, Form()] = "",
    csrf: Csrf = "",
) -> Response:
    svc = svc_of(request)
    address = request.client.host if request.client else "?"
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not csrf or not expected or not same(csrf, expected):
        raise Refused(403, "service.csrf", "the login form is out of date: reload it and log in")
    if locked_out(svc.store, login_name, address):
        response = _login_page(request, "too many failed logins: wait 15 minutes and try again")
        response.status_code = 429
        return response
    person = login(svc.store, login_name, password, address)
    if person is None:
        response = _login_page(request, "wrong login or password")
        response.status_code = 401
        return response
    cookie, _ = start_session(svc.store, person)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="lax",
                        secure=_secure(request), max_age=SESSION_SECONDS)  # fmt: skip
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, csrf: Csrf = "") -> Response:
    checked(request, csrf)
    svc_of(request).store.end_session(digest(request.cookies.get(SESSION_COOKIE, "")))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request) -> Response:
    return account(request)


def account(request: Request, error: str = "", status: int = 200) -> Response:
    caller = caller_of(request)
    return page(request, "account.html", status, title="Your password", caller=caller,
                error=error)  # fmt: skip


@router.post("/account")
def change_password(
    request: Request,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    again: Annotated[str, Form()] = "",
    csrf: Csrf = "",
) -> Response:
    """Choose one's own password (the one-time one stops working)."""
    caller = checked(request, csrf)
    svc = svc_of(request)
    assert caller.person is not None
    address = request.client.host if request.client else "?"
    if locked_out(svc.store, caller.person.login, address):
        return account(request, "too many failed attempts: wait 15 minutes", 429)
    if login(svc.store, caller.person.login, current, address) is None:
        return account(request, "the current password is not right", 403)
    if len(new) < 12 or new != again:
        return account(request, "the new password needs 12 characters or more, twice the "
                       "same", 422)  # fmt: skip
    svc.store.set_password(caller.person.id, hash_password(new))
    return RedirectResponse("/", status_code=303)


@router.get("/", response_class=HTMLResponse)
def home_page(request: Request) -> Response:
    return home(request)


def home(request: Request, secret: tuple[str, str] | None = None) -> Response:
    caller = caller_of(request)
    svc = svc_of(request)
    journals = [(j, caller.role(j.id)) for j in svc.store.journals() if caller.role(j.id)]
    return page(request, "home.html", title="Journals and series", caller=caller,
                journals=journals, secret=secret,
                example_config=actions.EXAMPLE_CONFIG)  # fmt: skip


@router.post("/journals")
def add_journal(
    request: Request,
    slug: Annotated[str, Form()],
    name: Annotated[str, Form()],
    config: Annotated[str, Form()],
    endpoint: Annotated[str, Form()] = "test",
    csrf: Csrf = "",
) -> Response:
    caller = checked(request, csrf)
    if not caller.is_admin:
        raise Refused(403, "service.role", "only the service's admin makes journals")
    actions.add_journal(svc_of(request), slug, name, config, endpoint)
    return RedirectResponse(f"/j/{slug}/settings", status_code=303)


@router.post("/people")
def add_person(
    request: Request,
    login_name: Annotated[str, Form(alias="login")],
    journal: Annotated[str, Form()],
    role: Annotated[str, Form()],
    csrf: Csrf = "",
) -> Response:
    caller = checked(request, csrf)
    target = journal_for(request, caller, journal, "admin")
    secret = actions.set_member(svc_of(request), target, login_name, role)
    return home(request, (login_name, secret) if secret else None)


@router.get("/j/{slug}", response_class=HTMLResponse)
def journal_page(request: Request, slug: str) -> Response:
    caller = caller_of(request)
    journal = journal_for(request, caller, slug, "viewer")
    jobs = svc_of(request).store.jobs(journal.id)
    return page(request, "journal.html", title=journal.name, caller=caller, journal=journal,
                role=caller.role(journal.id), jobs=jobs,
                may_upload=caller.may(journal.id, "editor"))  # fmt: skip


@router.post("/j/{slug}/upload")
def upload(
    request: Request, slug: str, files: Annotated[list[UploadFile], File()], csrf: Csrf = ""
) -> Response:
    caller = checked(request, csrf)
    journal = journal_for(request, caller, slug, "editor")
    job = actions.upload(svc_of(request), journal, caller, actions.read_uploads(files))
    return RedirectResponse(f"/j/{slug}/jobs/{job}", status_code=303)


@router.get("/j/{slug}/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, slug: str, job_id: int) -> Response:
    caller = caller_of(request)
    job, journal = job_for(request, caller, job_id, "viewer")
    if journal.slug != slug:
        raise Refused(404, "service.not-found", f"no job {job_id} in {slug}")
    running = job.state in ("queued", "running", "waiting")
    return page(request, "job.html", title=f"{KINDS[job.kind]} #{job.id}", caller=caller,
                journal=journal, job=job, children=svc_of(request).store.children(job.id),
                may_deposit=caller.may(journal.id, "depositor"),
                may_ask=caller.may(journal.id, "editor"),
                refresh=2 if running else None)  # fmt: skip


@router.get("/j/{slug}/jobs/{job_id}/review", response_class=HTMLResponse)
def review_page(request: Request, slug: str, job_id: int) -> Response:
    caller = caller_of(request)
    job, journal = job_for(request, caller, job_id, "viewer")
    body = svc_of(request).store.review(job.id) if journal.slug == slug else None
    if body is None:
        raise Refused(404, "service.not-found", f"job {job_id} has no review page")
    return HTMLResponse(body, headers={"content-security-policy": REVIEW_CSP})


@router.post("/j/{slug}/jobs/{job_id}/{action}")
def job_action(request: Request, slug: str, job_id: int, action: str, csrf: Csrf = "") -> Response:
    caller = checked(request, csrf)
    needed = {"deposit": "depositor", "approve": "depositor", "ask": "editor"}.get(action)
    if needed is None:
        raise Refused(404, "service.not-found", f"no action {action!r}")
    job, journal = job_for(request, caller, job_id, needed)
    if journal.slug != slug:
        raise Refused(404, "service.not-found", f"no job {job_id} in {slug}")
    made = actions.job_action(svc_of(request), caller, job, journal, action)
    return RedirectResponse(f"/j/{slug}/jobs/{made}", status_code=303)


@router.get("/j/{slug}/board", response_class=HTMLResponse)
def board(
    request: Request, slug: str, state: str = "", q: str = "", since: str = "", attention: str = ""
) -> Response:
    caller = caller_of(request)
    journal = journal_for(request, caller, slug, "viewer")
    rows = actions.board(svc_of(request), journal, state, q, since, attention)
    return page(request, "board.html", title=f"DOI board: {journal.name}", caller=caller,
                journal=journal, rows=rows, states=BOARD_STATES, state=state, q=q, since=since,
                attention=bool(attention))  # fmt: skip


@router.get("/j/{slug}/dois/{doi:path}", response_class=HTMLResponse)
def doi_page(request: Request, slug: str, doi: str) -> Response:
    caller = caller_of(request)
    journal = journal_for(request, caller, slug, "viewer")
    row, history = actions.doi(svc_of(request), journal, doi)
    return page(request, "doi.html", title=doi, caller=caller, journal=journal, row=row,
                history=history)  # fmt: skip


@router.get("/j/{slug}/batches/{batch}")
def batch_file(request: Request, slug: str, batch: int) -> Response:
    """What was sent: the batch file as it was stored (the registry got it, or its changed
    works only: the ledger's history says which)."""
    caller = caller_of(request)
    journal = journal_for(request, caller, slug, "viewer")
    name, data = actions.batch(svc_of(request), journal, batch)
    return Response(data, media_type="application/xml",
                    headers={"content-disposition": f'inline; filename="{name}"'})  # fmt: skip


@router.get("/j/{slug}/settings", response_class=HTMLResponse)
def settings_page(request: Request, slug: str) -> Response:
    return settings(request, slug)


def settings(
    request: Request,
    slug: str,
    problems: list[str] | None = None,
    secret: tuple[str, str] | None = None,
    config: str | None = None,
) -> Response:
    caller = caller_of(request)
    journal = journal_for(request, caller, slug, "admin")
    store = svc_of(request).store
    return page(request, "settings.html", title=f"Settings: {journal.name}", caller=caller,
                journal=journal, config=journal.config if config is None else config,
                members=store.members(journal.id), tokens=store.tokens(journal.id),
                problems=problems, secret=secret, status=422 if problems else 200)  # fmt: skip


@router.post("/j/{slug}/settings")
def save_settings(
    request: Request,
    slug: str,
    name: Annotated[str, Form()],
    endpoint: Annotated[str, Form()],
    config: Annotated[str, Form()],
    csrf: Csrf = "",
) -> Response:
    caller = checked(request, csrf)
    journal = journal_for(request, caller, slug, "admin")
    problems = actions.save_settings(svc_of(request), journal, name, endpoint, config)
    if problems:
        return settings(request, slug, problems=problems, config=config)
    return RedirectResponse(f"/j/{slug}/settings", status_code=303)


@router.post("/j/{slug}/credentials")
def save_credentials(
    request: Request,
    slug: str,
    user: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()] = "",
    csrf: Csrf = "",
) -> Response:
    caller = checked(request, csrf)
    journal = journal_for(request, caller, slug, "admin")
    svc = svc_of(request)
    svc.store.set_credentials(journal.id, svc.vault.seal(user.strip(), password, role.strip()))
    return RedirectResponse(f"/j/{slug}/settings", status_code=303)


@router.post("/j/{slug}/members")
def set_member(
    request: Request,
    slug: str,
    login_name: Annotated[str, Form(alias="login")],
    role: Annotated[str, Form()] = "",
    csrf: Csrf = "",
) -> Response:
    caller = checked(request, csrf)
    journal = journal_for(request, caller, slug, "admin")
    secret = actions.set_member(svc_of(request), journal, login_name, role)
    return settings(request, slug, secret=(login_name, secret) if secret else None)


@router.post("/j/{slug}/tokens")
def make_token(
    request: Request,
    slug: str,
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    csrf: Csrf = "",
) -> Response:
    caller = checked(request, csrf)
    journal = journal_for(request, caller, slug, "admin")
    token = actions.make_token(svc_of(request), journal, caller, name, role)
    return settings(request, slug, secret=(name, token))


@router.post("/j/{slug}/tokens/{token}/revoke")
def revoke_token(request: Request, slug: str, token: int, csrf: Csrf = "") -> Response:
    caller = checked(request, csrf)
    journal = journal_for(request, caller, slug, "admin")
    if not svc_of(request).store.revoke_token(token, journal.id):
        raise Refused(404, "service.not-found", f"no live token {token} in {slug}")
    return RedirectResponse(f"/j/{slug}/settings", status_code=303)
