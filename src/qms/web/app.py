"""The web application: routes, the errors a person can meet, static files.

:func:`factory` is what ``qms web`` gives uvicorn: it reads the ``QMS_*`` settings and
wires the services in each worker process, after the fork, so that no worker inherits
another's database connections.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from starlette.exceptions import HTTPException

from qms.bootstrap import Services, bootstrap
from qms.errors import ConflictError, NotFound, PermissionDenied, QmsError, ValidationError
from qms.models import Organisation
from qms.web import (
    api,
    auditing,
    audits,
    auth,
    director,
    forms,
    home,
    processes,
    records,
    registers,
    reviews,
    tokens,
)
from qms.web.i18n import _
from qms.web.pages import STATIC, page
from qms.web.security import CsrfRefused, SecurityHeaders, csrf_protect


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="qms",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.services = services
    app.state.institution = institution_name(services)
    app.add_middleware(SecurityHeaders, cookie_secure=services.settings.cookie_secure)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    api.mount(app, services)
    app.include_router(auth.router)
    pages = (home, registers, records, forms, processes, audits, auditing, reviews, director)
    for module in (*pages, tokens):
        app.include_router(module.router)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    app.add_exception_handler(auth.SignInNeeded, _sign_in_needed)  # type: ignore[arg-type]
    app.add_exception_handler(CsrfRefused, _refused(403, _("Refused")))
    app.add_exception_handler(PermissionDenied, _refused(403, _("Not allowed")))
    app.add_exception_handler(NotFound, _refused(404, _("Not found")))
    app.add_exception_handler(ConflictError, _refused(409, _("Changed by someone else")))
    app.add_exception_handler(ValidationError, _refused(400, _("Not accepted")))
    app.add_exception_handler(QmsError, _refused(400, _("Not accepted")))
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    return app


def factory() -> FastAPI:
    """The application of this worker process, from the ``QMS_*`` settings."""
    from qms.config import get_settings

    return create_app(bootstrap(get_settings()))


def institution_name(services: Services) -> str:
    with services.database.reading() as session:
        name = session.scalar(select(Organisation.name).order_by(Organisation.id))
    return name or "qms"


async def _sign_in_needed(request: Request, exc: auth.SignInNeeded) -> Response:
    return auth.sign_in_redirect(request, exc.next_url)


def _refused(status: int, title: str):  # type: ignore[no-untyped-def]
    async def handler(request: Request, exc: Exception) -> HTMLResponse:
        return page(request, "error.html", {"title": title, "message": str(exc)}, status)

    return handler


async def _invalid_request(request: Request, exc: RequestValidationError) -> HTMLResponse:
    where = "; ".join(
        f"{'.'.join(str(p) for p in error.get('loc', ())[1:]) or 'request'}: {error.get('msg')}"
        for error in exc.errors()
    )
    return page(request, "error.html", {"title": _("Not accepted"), "message": where}, 400)


async def _http_error(request: Request, exc: HTTPException) -> HTMLResponse:
    title = _("Not found") if exc.status_code == 404 else _("Refused")
    message = _("There is no page at this address.") if exc.status_code == 404 else exc.detail
    return page(request, "error.html", {"title": title, "message": message}, exc.status_code)
