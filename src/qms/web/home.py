"""Home: what needs the signed-in person now, overdue first (the pilot's and the
correspondent's day), with counts by kind for the navigation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from qms.services import worklist
from qms.web.auth import Me
from qms.web.i18n import N_
from qms.web.pages import page
from qms.web.security import services_of

router = APIRouter()

SECTIONS = (
    ("nonconformity", N_("Nonconformities waiting on you")),
    ("improvement_action", N_("Actions waiting on you")),
    ("finding", N_("Audit findings to follow")),
    ("measurement", N_("Indicator values due")),
    ("off_target", N_("Indicators off target")),
    ("breach", N_("Breach proposals to decide")),
)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, me: Me) -> HTMLResponse:
    found = worklist.for_person(services_of(request), me.handle)
    late = [item for item in found.items if item.days_late > 0]
    sections = [
        (kind, title, [item for item in found.items if item.kind == kind])
        for kind, title in SECTIONS
    ]
    request.state.nav_counts = found.counts()
    return page(
        request,
        "home.html",
        {"worklist": found, "late": late, "sections": [s for s in sections if s[2]]},
    )
