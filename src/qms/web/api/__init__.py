"""The JSON API under /api/v1: a FastAPI application of its own, mounted by the web
application, authenticated by personal access tokens (:mod:`qms.web.api.auth`).

Its OpenAPI document is ``/api/v1/openapi.json`` and its interactive documentation
``/api/v1/docs`` (Swagger UI, served from the package's own files under the web's
Content-Security-Policy). Every route calls the service the command line calls, as the
token's person; every error is ``application/problem+json`` (:mod:`qms.web.api.problems`).
The web application's CSRF check is a dependency of its own routes only: it does not
apply here, where no cookie is read. Its security headers wrap every response of the
API too (the middleware is the outer application's). :func:`mount` mounts it so that
every path under /api/v1 is the API's, a path holding a newline included
(:class:`ApiMount`).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Security
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qms.bootstrap import Services
from qms.web.api import docs, files, indicators, problems, processmap, records, records_create
from qms.web.api.auth import scheme

DESCRIPTION = """\
The records, indicators and reports of qms for scripts and other systems.

**Authentication**: a personal access token, `Authorization: Bearer qms_...` (create one
on the /tokens page or with `qms token create HANDLE --name NAME [--scope read-write]`).
The token acts as its person: the same permissions as on the web. A `read` token may only
GET; a session cookie is not accepted.

**Errors** are `application/problem+json` (RFC 9457): `type`, `title`, `status`,
`detail` in words and, for wrong input, `errors: [{field, message}]`.
"""


class NoStore:
    """``Cache-Control: no-store`` on every answer of the API: they are personal."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if all(name.lower() != b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def create_api(services: Services) -> FastAPI:
    api = FastAPI(
        title="qms API",
        version="1",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        generate_unique_id_function=lambda route: route.name,
    )
    api.state.services = services
    api.add_middleware(NoStore)
    for exception, handler in problems.HANDLERS:
        api.add_exception_handler(exception, handler)
    for module in (processmap, records_create, records, indicators, files):
        api.include_router(module.router, dependencies=[Security(scheme)])
    api.include_router(docs.router)
    default = api.openapi

    def document() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = problems.problem_document(default())
        return api.openapi_schema

    api.openapi = document  # type: ignore[method-assign]
    return api


PREFIX = "/api/v1"


class ApiMount(Mount):
    """The API at ``/api/v1`` for every path under it: Starlette's ``Mount`` matches its
    paths with a regular expression whose ``.`` stops at a newline, so that a path holding
    one (``%0A``) would fall through to the web's HTML 404 instead of the API's problem."""

    def __init__(self, path: str, app: ASGIApp) -> None:
        super().__init__(path, app=app)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)


def mount(web: FastAPI, services: Services) -> None:
    """Mount the API in the web application ``web`` at /api/v1."""
    web.router.routes.append(ApiMount(PREFIX, create_api(services)))
