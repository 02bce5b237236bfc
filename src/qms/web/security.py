"""What every response and every state-changing request of the web goes through.

- Security headers on every response: a Content-Security-Policy without inline script or
  style, ``nosniff``, no framing, a same-origin referrer, no caching of personal pages.
- The session: a random token in an HttpOnly, SameSite=Lax cookie (Secure over HTTPS),
  looked up once per request (``services.accounts.current``).
- CSRF: a POST (or any unsafe method) carries the session's token as the hidden form field
  ``csrf_token`` or, from htmx, as the ``X-CSRF-Token`` header; before sign-in, the sign-in
  form carries the token of a short-lived cookie of its own. Checked by a dependency that
  reads the form FastAPI has already parsed (the body is read once, not consumed twice).
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qms.bootstrap import Services
from qms.services import accounts
from qms.web.i18n import _

SESSION_COOKIE = "qms_session"
PRE_COOKIE = "qms_pre"  # the sign-in form's CSRF token, before there is a session
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class CsrfRefused(Exception):
    """A state-changing request without the right token: nothing is done."""


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def current(request: Request) -> accounts.Current | None:
    """The signed-in person of this request, looked up once."""
    if not hasattr(request.state, "current"):
        token = request.cookies.get(SESSION_COOKIE)
        request.state.current = accounts.current(services_of(request), token)
    found: accounts.Current | None = request.state.current
    return found


def secure(request: Request) -> bool:
    setting = services_of(request).settings.cookie_secure
    return setting == "always" or (setting == "auto" and request.url.scheme == "https")


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/",
    )


def pre_token(request: Request) -> str:
    """The sign-in form's token: the browser's cookie's, or a new one."""
    return request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(32)


def set_pre_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        PRE_COOKIE, token, httponly=True, samesite="lax", secure=secure(request), max_age=3600
    )


async def csrf_protect(request: Request) -> None:
    """Refuse an unsafe request whose token is missing or wrong (a dependency of every
    route). The form is the one FastAPI parses for the route (Starlette keeps it)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        form: FormData = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    signed = current(request)
    expected = signed.csrf_token if signed else request.cookies.get(PRE_COOKIE)
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        raise CsrfRefused(_("This form has expired or did not come from qms: reload the page."))


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers to every HTTP response (a pure one:
    Starlette's ``BaseHTTPMiddleware`` costs a task and a stream per request).

    ``cookie_secure`` is the setting: HSTS is sent when it is ``always``, or ``auto`` over
    HTTPS (the scheme uvicorn gives, from the proxy's headers when trusted)."""

    def __init__(self, app: ASGIApp, cookie_secure: str) -> None:
        self.app = app
        self.cookie_secure = cookie_secure
        self.fixed = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = self.cookie_secure == "always" or (
            self.cookie_secure == "auto" and scope.get("scheme") == "https"
        )

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.fixed if k not in present]
                if https and b"strict-transport-security" not in present:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                html = any(
                    k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers
                )
                if html and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
