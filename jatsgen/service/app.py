"""The web app: who is asking, what they may reach, and how a refusal is said (a page for a
person, JSON with a rule id for a system), shared by the pages (`pages.py`) and the API
(`api.py`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from .auth import ROLES, SESSION_COOKIE, Caller, from_session, from_token
from .store import Job, Journal
from .work import Service, plain

MAX_UPLOAD = 50_000_000  # bytes in one upload, all files together
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# the review page is the one `preview` writes: self-contained, its own script and styles
REVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class Refused(Exception):
    """A request refused: its status, the rule id (`service.*`, or the CLI's rule for what
    the inputs broke) and what to do; `findings` in the CLI's JSON Lines shape."""

    def __init__(
        self, status: int, rule: str, message: str, findings: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.rule, self.message = status, rule, message
        self.findings = findings or []

    def as_json(self) -> dict[str, Any]:
        return {
            "error": {"status": self.status, "rule": self.rule, "message": self.message},
            "findings": self.findings,
        }


templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _when(seconds: float | None) -> str:
    if not seconds:
        return ""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


templates.env.globals.update(when=_when, plain=plain, roles=ROLES)


def svc_of(request: Request) -> Service:
    return request.app.state.svc  # type: ignore[no-any-return]


def caller_of(request: Request, *, api: bool = False) -> Caller:
    """The signed-in person (pages) or the API token (the API); else a refusal (an API
    without a token is 401; a page without a session sends the person to the login)."""
    store = svc_of(request).store
    if api:
        found = from_token(store, request.headers.get("authorization"))
        if found is None:
            raise Refused(401, "service.auth", "send a live API token: Authorization: Bearer TOKEN")
        return found
    found = from_session(store, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise Refused(401, "service.login", "log in first")
    return found


def journal_for(request: Request, caller: Caller, slug: str, needed: str) -> Journal:
    """The journal, when the caller has a role in it that allows `needed`. A journal the
    caller has no role in is not found (404), as one that does not exist: its name is not
    confirmed to someone who guesses it; too low a role is 403."""
    journal = svc_of(request).store.journal(slug)
    if journal is None or caller.role(journal.id) is None:
        raise Refused(404, "service.not-found", f"no journal {slug!r} that you may see")
    if not caller.may(journal.id, needed):
        raise Refused(
            403,
            "service.role",
            f"{caller.name} is {caller.role(journal.id)} in {slug}: this needs {needed}",
        )
    return journal


def job_for(request: Request, caller: Caller, job_id: int, needed: str) -> tuple[Job, Journal]:
    store = svc_of(request).store
    job = store.job(job_id)
    if job is None or caller.role(job.journal) is None:
        raise Refused(404, "service.not-found", f"no job {job_id} that you may see")
    journal = store.journal_by_id(job.journal)
    return job, journal_for(request, caller, journal.slug, needed)


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request, template, {"title": "jatsgen", "journal": None, "caller": None, **context},
        status_code=status,
    )  # fmt: skip


def create_app(svc: Service) -> FastAPI:
    from . import api, pages

    app = FastAPI(
        title="jatsgen service",
        version=_version(),
        description="Submit inputs, follow jobs, read the review, deposit to the registry, "
        "and read each DOI's state and history. Authenticate with an API token (an admin "
        "of the journal makes one in its settings): `Authorization: Bearer TOKEN`.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.svc = svc
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(exc.as_json(), status_code=exc.status)
        if exc.rule == "service.login":
            return Response(status_code=303, headers={"location": "/login"})
        return page(request, "message.html", exc.status, title="Not allowed" if exc.status ==
                    403 else "Not found" if exc.status == 404 else "Refused",
                    message=exc.message, rule=exc.rule, kind="error", link="/")  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> Response:
        said = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return await refused(request, Refused(422, "service.bad-request", said))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        rules = {404: "service.not-found", 405: "service.method"}
        rule = rules.get(exc.status_code, "service.http")
        return await refused(request, Refused(exc.status_code, rule, str(exc.detail)))

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("content-security-policy", PAGE_CSP)
        response.headers["x-content-type-options"] = "nosniff"
        response.headers["referrer-policy"] = "no-referrer"
        response.headers["x-frame-options"] = "DENY"
        if request.url.path.startswith(("/j/", "/api/")):
            response.headers.setdefault("cache-control", "no-store")
        return response

    return app


def _version() -> str:
    from ..versions import __version__

    return __version__
