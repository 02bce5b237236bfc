"""The pages' templates and how a page is answered.

Autoescape is on for every template (a text a person typed never becomes markup) and an
undefined value raises. An htmx request (``HX-Request``, not a history restore) gets the
page's ``content`` block alone; every other request the whole page; both carry
``Vary: HX-Request`` so that a cache never serves one for the other.
"""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from qms.reporting import render, words
from qms.services import worklist
from qms.web import i18n
from qms.web.security import current, services_of

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@cache
def templates(timezone: str, date_format: str) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(), newstyle=True)  # type: ignore[attr-defined]
    env.filters["day"] = lambda value: render.day(value, date_format)
    env.filters["plural"] = words.plural
    env.filters["whole"] = words.whole
    env.filters["number"] = words.number
    return Jinja2Templates(env=env)


COUNTS_FOR = 30.0  # seconds a person's navigation counts are reused in this worker
_counts: dict[str, tuple[float, dict[str, int]]] = {}


def nav_counts(request: Request, handle: str) -> dict[str, int]:
    """What waits on the person, by kind, for the navigation bar: the home page's counts,
    reused for COUNTS_FOR seconds (a page that changes them, home, refreshes them)."""
    fresh = getattr(request.state, "nav_counts", None)
    now = time.monotonic()
    if fresh is None:
        kept = _counts.get(handle)
        if kept is not None and now - kept[0] < COUNTS_FOR:
            return kept[1]
        fresh = worklist.for_person(services_of(request), handle).counts()
    _counts[handle] = (now, fresh)
    return dict(fresh)


def partial(request: Request) -> bool:
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def page(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """The page ``template`` with ``context``, the signed-in person and the CSRF token."""
    services = services_of(request)
    signed = current(request)
    full = {
        "request": request,
        "current": signed,
        "csrf_token": signed.csrf_token if signed else "",
        "institution": request.app.state.institution,
        "partial": partial(request),
        "nav_counts": nav_counts(request, signed.handle) if signed and not partial(request) else {},
        **(context or {}),
    }
    settings = services.settings
    response = templates(settings.timezone, settings.date_format).TemplateResponse(
        request, template, full, status_code=status
    )
    response.headers["Vary"] = "HX-Request"
    return response
