"""The HTTP API, for systems (OJS, Janeway, a typesetter's pipeline): submit inputs, follow
a job, read the review (HTML or JSON), ask for or make a deposit, read a DOI's state and
history. Authenticated by API tokens, each scoped to one journal and a role; every error is
JSON with a rule id (`service.*`, or the CLI's for what the inputs broke)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from . import actions
from .app import REVIEW_CSP, Refused, caller_of, job_for, journal_for, svc_of
from .auth import Caller
from .store import Job


class ErrorBody(BaseModel):
    status: int
    rule: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody
    findings: list[dict[str, Any]] = []


class JobOut(BaseModel):
    id: int
    journal: str
    kind: str
    state: str
    parent: int | None
    done: int
    total: int
    message: str | None
    result: dict[str, Any]
    links: dict[str, str]


class JournalOut(BaseModel):
    slug: str
    name: str
    role: str
    endpoint: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": what}
    for code, what in ((401, "no live token"), (403, "the token's role does not allow it"),
                       (404, "not found, or of a journal the token is not for"),
                       (409, "not possible in the job's state, or the review has errors"),
                       (413, "too large"), (422, "bad request"))
}  # fmt: skip
bearer = HTTPBearer(auto_error=False, description="An API token made in a journal's settings")
router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)


def api_caller(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
) -> Caller:
    return caller_of(request, api=True)


ApiCaller = Annotated[Caller, Depends(api_caller)]


def job_out(request: Request, job: Job) -> JobOut:
    journal = svc_of(request).store.journal_by_id(job.journal)
    links = {"self": f"/api/jobs/{job.id}", "page": f"/j/{journal.slug}/jobs/{job.id}"}
    if job.kind == "prepare" and job.state == "done":
        links["preview"] = f"/api/jobs/{job.id}/preview"
    return JobOut(
        id=job.id, journal=journal.slug, kind=job.kind, state=job.state, parent=job.parent,
        done=job.done_count, total=job.total, message=job.message, result=job.result,
        links=links,
    )  # fmt: skip


@router.get("/journals", response_model=list[JournalOut])
def journals(request: Request, caller: ApiCaller) -> list[JournalOut]:
    """The journals the token is for, with its role in each."""
    return [
        JournalOut(slug=j.slug, name=j.name, role=caller.role(j.id) or "", endpoint=j.endpoint)
        for j in svc_of(request).store.journals(list(caller.roles))
    ]


@router.post("/journals/{slug}/jobs", response_model=JobOut, status_code=202)
def submit(
    request: Request,
    slug: str,
    caller: ApiCaller,
    files: Annotated[list[UploadFile], File(description="pages, records, CSV, JATS, batches")],
) -> JobOut:
    """Submit inputs: they are made into deposit batches and reviewed in the background
    (needs editor). Follow the job at `links.self`."""
    journal = journal_for(request, caller, slug, "editor")
    job = actions.upload(svc_of(request), journal, caller, actions.read_uploads(files))
    found = svc_of(request).store.job(job)
    assert found is not None
    return job_out(request, found)


@router.get("/jobs/{job_id}", response_model=JobOut)
def job(request: Request, job_id: int, caller: ApiCaller) -> JobOut:
    """A job: its state and progress; a review's findings and DOIs (each new, updated or
    unchanged); a deposit's files and what the registry said of each DOI."""
    found, _ = job_for(request, caller, job_id, "viewer")
    return job_out(request, found)


@router.get(
    "/jobs/{job_id}/preview",
    responses={200: {"content": {"text/html": {}, "application/json": {}}}},
)
def preview(request: Request, job_id: int, caller: ApiCaller, format: str = "json") -> Response:
    """The review of a finished upload: the page `jatsgen preview` writes (`format=html`),
    or its DOIs and findings as JSON (`format=json`, the default)."""
    found, _ = job_for(request, caller, job_id, "viewer")
    if found.kind != "prepare" or found.state != "done":
        raise Refused(409, "service.not-ready", f"job {job_id} is not a finished review")
    if format == "html":
        body = svc_of(request).store.review(found.id) or b""
        return HTMLResponse(body, headers={"content-security-policy": REVIEW_CSP})
    if format != "json":
        raise Refused(422, "service.format", f"format {format!r}: use json or html")
    keys = ("entries", "findings", "counts", "errors")
    return JSONResponse({k: found.result.get(k) for k in keys})


@router.post("/jobs/{job_id}/deposit", response_model=JobOut, status_code=202)
def deposit(request: Request, job_id: int, caller: ApiCaller) -> JobOut:
    """Deposit a finished review (needs depositor): what changed since each DOI's last
    deposit is sent. A deposit job asked for by an editor (`state` asked) is sent as asked."""
    found, journal = job_for(request, caller, job_id, "depositor")
    action = "approve" if found.kind == "deposit" else "deposit"
    made = actions.job_action(svc_of(request), caller, found, journal, action)
    return job(request, made, caller)


@router.post("/jobs/{job_id}/ask", response_model=JobOut, status_code=202)
def ask(request: Request, job_id: int, caller: ApiCaller) -> JobOut:
    """Ask for a deposit of a finished review (needs editor): a depositor sends it."""
    found, journal = job_for(request, caller, job_id, "editor")
    made = actions.job_action(svc_of(request), caller, found, journal, "ask")
    return job(request, made, caller)


@router.get("/journals/{slug}/dois")
def dois(
    request: Request,
    slug: str,
    caller: ApiCaller,
    state: str = "",
    q: str = "",
    since: str = "",
    attention: bool = False,
    limit: int = 500,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The DOI board, newest first: each DOI's change (new, updated, unchanged) and state
    (the registry's result once it answered), filtered by state, text, date (YYYY-MM-DD) or
    needing attention (failed, refused, pending over a day); `limit` rows from `offset`."""
    journal = journal_for(request, caller, slug, "viewer")
    return actions.board(svc_of(request), journal, state, q, since, attention, limit, offset)


@router.get("/journals/{slug}/dois/{doi:path}")
def doi(request: Request, slug: str, doi: str, caller: ApiCaller) -> dict[str, Any]:
    """A DOI's state and its history: every sending, with the registry's result and a link
    to the batch that carried it."""
    journal = journal_for(request, caller, slug, "viewer")
    row, history = actions.doi(svc_of(request), journal, doi)
    for h in history:
        h["sent"] = f"/api/journals/{slug}/batches/{h['batch']}"
    return {"doi": row, "history": history}


@router.get(
    "/journals/{slug}/batches/{batch}", responses={200: {"content": {"application/xml": {}}}}
)
def batch(request: Request, slug: str, batch: int, caller: ApiCaller) -> Response:
    """What was sent: a stored batch file, as a DOI's history links it."""
    journal = journal_for(request, caller, slug, "viewer")
    name, data = actions.batch(svc_of(request), journal, batch)
    return Response(data, media_type="application/xml",
                    headers={"content-disposition": f'inline; filename="{name}"'})  # fmt: skip
