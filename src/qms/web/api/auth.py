"""Who calls the API: a personal access token in ``Authorization: Bearer <token>``, nothing
else (a session cookie is not read, so no request of the API can be forged from a page:
no CSRF token is asked for, and none is accepted instead of a token).

Every route of the API is a :class:`Guarded` route, which checks before FastAPI reads the
body: the token (401 with ``WWW-Authenticate: Bearer`` when it is missing, unknown,
expired or revoked, or when its account or person is disabled), its scope (a read token
may only GET: 403 on every other method, nothing read or written) and the body's size
(413 past ``QMS_UPLOAD_MAX_BYTES``, as the web's uploads). The routes then act as the
token's person (:data:`Caller`): the engine's permissions are theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from qms.bootstrap import Services
from qms.services import tokens
from qms.web.api import problems
from qms.web.limits import ALLOWANCE, BodyTooLarge, counting, declared_length, size_in_words

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
scheme = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A personal access token (`qms token create HANDLE --name N`, or the "
    "/tokens page): `Authorization: Bearer qms_...`.",
)


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (the scheme in any case), or None."""
    value = request.headers.get("authorization", "")
    kind, _, token = value.strip().partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def unauthorized(request: Request, given: bool) -> Response:
    challenge = 'Bearer realm="qms"'
    if given:
        challenge += ', error="invalid_token"'
        detail = (
            "The token is unknown, expired or revoked, or its account is disabled: "
            "create a new one (`qms token create`, or the /tokens page)."
        )
    else:
        detail = (
            "This request needs a personal access token: `Authorization: Bearer <token>` "
            "(a session cookie is not accepted by the API)."
        )
    return problems.response(request, 401, detail, headers={"WWW-Authenticate": challenge})


def read_only(request: Request) -> Response:
    return problems.response(
        request,
        403,
        "This token is read-only: a request that changes something needs a read-write token.",
        headers={"WWW-Authenticate": 'Bearer realm="qms", error="insufficient_scope"'},
    )


def too_large(request: Request, limit: int) -> Response:
    detail = f"The body is larger than {size_in_words(limit)}, the most qms accepts."
    response = problems.response(request, 413, detail)
    response.headers["Connection"] = "close"  # the rest of the body is never read
    return response


class Guarded(APIRoute):
    """A route of the API: token, scope and body size checked before the body is read."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            token = bearer_token(request)
            app = services_of(request)
            found = await run_in_threadpool(tokens.authenticate, app, token)
            if found is None:
                return unauthorized(request, token is not None)
            if request.method not in SAFE_METHODS and not found.writes:
                return read_only(request)
            request.state.bearer = found
            limit = app.settings.upload_max_bytes + ALLOWANCE
            declared = declared_length(request)
            if declared is not None and declared > limit:
                return too_large(request, app.settings.upload_max_bytes)
            limited = Request(request.scope, counting(request.receive, limit))
            try:
                return await handler(limited)
            except BodyTooLarge:
                return too_large(request, app.settings.upload_max_bytes)

        return guarded


def caller(request: Request) -> tokens.Bearer:
    found: tokens.Bearer = request.state.bearer
    return found


Caller = Annotated[tokens.Bearer, Depends(caller)]
