"""/tokens: the signed-in person's personal access tokens for the JSON API (``qms token``).

A person lists their tokens, creates one (named, read or read-write, for 30 to 366 days)
and revokes one. A new token is shown once, on the page the creation answers with (it is
not put in an address or kept anywhere: only its sha256 is stored), with how to use it.
Every form carries the CSRF token, as every form of the web.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from qms.errors import ValidationError
from qms.services import tokens
from qms.web.auth import Me
from qms.web.forms_common import FormState
from qms.web.i18n import N_, _
from qms.web.pages import page
from qms.web.security import services_of

router = APIRouter()

DAYS = (30, 90, 180, 366)
SCOPES = (("read", N_("Read only")), ("read-write", N_("Read and write")))
STATUS = {"active": N_("Active"), "expired": N_("Expired"), "revoked": N_("Revoked")}


@dataclass(frozen=True)
class Shown:
    """A token as the page lists it, dates in the institution's time zone."""

    row: tokens.TokenRow
    status: str
    status_label: str
    created: datetime
    expires: datetime
    last_used: datetime | None


def _tokens_page(
    request: Request,
    me: Me,
    state: FormState,
    status: int = 200,
    created: tokens.Created | None = None,
    flash: str = "",
) -> HTMLResponse:
    app = services_of(request)
    now, zone = app.engine.clock.now(), app.settings.zone
    shown = []
    for row in tokens.rows(app, me.handle):
        status_code = row.status(now)
        shown.append(
            Shown(
                row,
                status_code,
                _(STATUS[status_code]),
                row.created_at.astimezone(zone),
                row.expires_at.astimezone(zone),
                row.last_used_at.astimezone(zone) if row.last_used_at else None,
            )
        )
    context = {
        "state": state,
        "tokens": shown,
        "scopes": [(code, _(label)) for code, label in SCOPES],
        "days": [(str(n), _("%(days)s days") % {"days": n}) for n in DAYS],
        "created": created,
        "flash": flash,
        "base_url": app.settings.base_url.rstrip("/"),
    }
    return page(request, "tokens/tokens.html", context, status)


def _fresh() -> FormState:
    return FormState({"name": "", "scope": "read", "days": "90"})


@router.get("/tokens", response_class=HTMLResponse)
def token_list(request: Request, me: Me, revoked: int | None = None) -> HTMLResponse:
    flash = ""
    if revoked is not None:
        flash = _("Token #%(id)s revoked: it is refused from now on.") % {"id": revoked}
    return _tokens_page(request, me, _fresh(), flash=flash)


@router.post("/tokens", response_class=HTMLResponse)
def token_create(
    request: Request,
    me: Me,
    name: Annotated[str, Form(max_length=1000)] = "",
    scope: Annotated[str, Form(max_length=20)] = "read",
    days: Annotated[str, Form(max_length=10)] = "90",
) -> Response:
    """Create a token and show it, once, on the page this answers with."""
    state = FormState({"name": name, "scope": scope, "days": days})
    try:
        count = int(days) if days.strip().isdigit() else 0
        if count not in DAYS:
            raise ValidationError("days", _("choose how long it lasts"))
        created = tokens.create(services_of(request), me.handle, name, scope, count)
    except ValidationError as refused:
        state.refuse(refused)
        return _tokens_page(request, me, state, 400)
    return _tokens_page(request, me, _fresh(), 201, created=created)


@router.post("/tokens/{token_id}/revoke")
def token_revoke(
    request: Request, me: Me, token_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> Response:
    """Revoke one of the person's tokens (another's: 403, nothing changed)."""
    tokens.revoke(services_of(request), token_id, owner=me.handle)
    return RedirectResponse(f"/tokens?revoked={token_id}", status_code=303)
