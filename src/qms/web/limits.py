"""The size limit of an uploaded file, enforced before its request's body is read.

FastAPI reads a form's whole body (a file into a temporary file) before the route's
dependencies run, so a check in the route comes too late to spare the memory or the
disk. :class:`LimitedBody` is the route class of a router that takes files
(``APIRouter(route_class=LimitedBody)``, kept when the router is included): it wraps
each request before FastAPI reads it.

- A ``Content-Length`` over the limit is answered 413 at once, nothing read.
- A body without one (``Transfer-Encoding: chunked``) is counted as it is received; the
  reading stops at the first chunk past the limit, answered 413.

The limit is ``QMS_UPLOAD_MAX_BYTES`` (the largest file) plus :data:`ALLOWANCE` for the
multipart framing and the form's other fields, so that a file near the limit is never
refused for the bytes around it; the form itself refuses a file over the limit, next to
its field. A 413 is a page in words, and closes the connection (the rest of the body is
never read).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive

from qms.reporting.words import number
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.security import services_of

ALLOWANCE = 64 * 1024
"""Bytes of a body beyond its file: the multipart boundaries and part headers, the CSRF
token, and a reason of 5,000 characters (at most 20,000 bytes in UTF-8)."""


class BodyTooLarge(HTTPException):
    """The body is over the limit (raised while FastAPI reads it, which lets an
    HTTPException through unchanged)."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="Content Too Large")


def file_limit(request: Request) -> int:
    """The largest file the web takes, in bytes (``QMS_UPLOAD_MAX_BYTES``)."""
    return services_of(request).settings.upload_max_bytes


def body_limit(request: Request) -> int:
    return file_limit(request) + ALLOWANCE


def size_in_words(size: int) -> str:
    """``5 MB``, ``512 KB``, ``900 bytes`` (a megabyte of 1,048,576 bytes)."""
    if size >= 1024 * 1024:
        return f"{number(size / (1024 * 1024), 1)} MB"
    if size >= 1024:
        return f"{number(size / 1024, 1)} KB"
    return f"{size} bytes"


def declared_length(request: Request) -> int | None:
    """The body's ``Content-Length``; None when absent or not a number (then counted)."""
    text = request.headers.get("content-length", "").strip()
    return int(text) if text.isdigit() else None


def counting(receive: Receive, limit: int) -> Receive:
    """``receive``, raising :class:`BodyTooLarge` once more than ``limit`` bytes came."""
    received = 0

    async def guarded() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge
        return message

    return guarded


def too_large(request: Request) -> Response:
    limit = size_in_words(file_limit(request))
    message = _(
        "The file sent is larger than %(limit)s, the most qms accepts: split it into "
        "several files of at most %(limit)s and send each of them."
    ) % {"limit": limit}
    response = page(request, "error.html", {"title": _("File too large"), "message": message}, 413)
    response.headers["Connection"] = "close"  # the rest of the body is never read
    return response


class LimitedBody(APIRoute):
    """A route whose request body is refused (413) past :func:`body_limit`, before
    FastAPI reads it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit = body_limit(request)
            declared = declared_length(request)
            if declared is not None and declared > limit:
                return too_large(request)
            guarded = Request(request.scope, counting(request.receive, limit))
            try:
                return await handler(guarded)
            except BodyTooLarge:
                return too_large(request)

        return limited
