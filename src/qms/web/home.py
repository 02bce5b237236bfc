"""Home: what needs the signed-in person now, overdue first (the pilot's and the
correspondent's day), with counts by kind for the navigation."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from qms.errors import NotFound
from qms.services import worklist
from qms.web.auth import Me
from qms.web.i18n import N_, _
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


# Items a card of the home page lists, most late first; "See all" lists every one.
SHOWN = 8


@dataclass(frozen=True)
class Section:
    kind: str
    title: str
    items: list[worklist.Item]  # all of them, most late first

    @property
    def late(self) -> int:
        return sum(1 for item in self.items if item.days_late)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, me: Me) -> HTMLResponse:
    found = worklist.for_person(services_of(request), me.handle)
    sections = [Section(kind, title, found.of_kind(kind)) for kind, title in SECTIONS]
    request.state.nav_counts = found.counts()
    context = {
        "worklist": found,
        "late": sum(section.late for section in sections),
        "sections": [section for section in sections if section.items],
        "shown": SHOWN,
    }
    return page(request, "home.html", context)


@router.get("/work/{kind}", response_class=HTMLResponse)
def work_of_kind(request: Request, me: Me, kind: str) -> HTMLResponse:
    """One card of the home page with every item in it."""
    titles = dict(SECTIONS)
    if kind not in titles:
        raise NotFound(_("There is no list of work named %(kind)s.") % {"kind": kind})
    found = worklist.for_person(services_of(request), me.handle)
    request.state.nav_counts = found.counts()
    section = Section(kind, titles[kind], found.of_kind(kind))
    return page(request, "work.html", {"worklist": found, "section": section})
