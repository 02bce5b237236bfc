"""Signing in and out, and the dependency that makes a page need a signed-in person."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from qms.services import accounts
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.security import (
    SESSION_COOKIE,
    current,
    pre_token,
    services_of,
    set_pre_cookie,
    set_session_cookie,
)

router = APIRouter()


class SignInNeeded(Exception):
    """A page was asked for without a session: the browser is sent to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def signed_in(request: Request) -> accounts.Current:
    """The signed-in person, or a redirect to the sign-in page (then back here)."""
    found = current(request)
    if found is None:
        raise SignInNeeded(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
    return found


Me = Annotated[accounts.Current, Depends(signed_in)]


def safe_next(value: str | None) -> str:
    """Only a path of this site (never another site: ``//x`` or ``https://x``)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str = "/") -> Response:
    if current(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(request, safe_next(next), "", "", 200)


def _form(request: Request, next_url: str, error: str, handle: str, status: int) -> Response:
    """The sign-in page, its CSRF token in the form and in its own cookie."""
    token = pre_token(request)
    context = {"next": next_url, "error": error, "handle": handle, "pre_token": token}
    response = page(request, "sign_in.html", context, status=status)
    set_pre_cookie(request, response, token)
    return response


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    handle: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=accounts.PASSWORD_MAX)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    address = request.client.host if request.client else ""
    try:
        signed = accounts.sign_in(
            services_of(request),
            handle,
            password,
            address,
            request.headers.get("user-agent", ""),
        )
    except (accounts.SignInRefused, accounts.TooManyAttempts) as refused:
        message = (
            _("Wrong account or password.")
            if isinstance(refused, accounts.SignInRefused)
            else _("Too many failed sign-ins: try again in %(minutes)s min.")
            % {"minutes": refused.minutes}
        )
        status = 401 if isinstance(refused, accounts.SignInRefused) else 429
        return _form(request, safe_next(next), message, handle, status)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(request, response, signed.token)
    return response


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    accounts.sign_out(services_of(request), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def sign_in_redirect(request: Request, next_url: str) -> Response:
    target = "/sign-in?next=" + quote(next_url, safe="/")
    if request.headers.get("hx-request") == "true":
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
