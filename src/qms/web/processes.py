"""The process map (clause 4.4): the tree of processes with their people and open work, a
process in full, a person's roles over time, and each workflow's state diagram.

Read only: the pages call the process map's read models
(:mod:`qms.services.processmap.pages`, :mod:`qms.services.processmap.process_page`) with
the signed-in person as the reader, who sees the records of the processes their roles
let them see; the diagrams are drawn from the workflow definitions
(:mod:`qms.reporting.diagrams`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from qms.errors import NotFound
from qms.models import Role
from qms.reporting.diagrams import workflow_svg
from qms.reporting.words import TERMS
from qms.services.processmap import pages, process_page
from qms.web.auth import Me
from qms.web.i18n import N_
from qms.web.pages import page
from qms.web.processes_workflows import workflow_view, workflows_index
from qms.web.security import services_of
from qms.workflow.definition import WorkflowDefinition
from qms.workflow.registry import Registry

router = APIRouter()


@dataclass(frozen=True)
class Links:
    """Where a process's counts lead: its registers, filtered the same way."""

    nonconformities: str
    actions: str
    overdue: str


def links_of(code: str, open_states: dict[str, tuple[str, ...]]) -> Links:
    def register(path: str, kind: str) -> str:
        query = [("process", code), *(("state", s) for s in open_states.get(kind, ()))]
        return f"{path}?{urlencode(query)}"

    return Links(
        register("/nonconformities", "nonconformity"),
        register("/actions", "improvement_action"),
        "/actions?" + urlencode({"process": code, "overdue": "1"}),
    )


ROLE_LABELS = {role: TERMS["role"][role.value] for role in Role}
INSTITUTION = (  # the institution-wide roles: the label for one holder, for several
    (Role.DIRECTOR, N_("Director"), N_("Directors")),
    (Role.QUALITY_MANAGER, N_("Quality manager"), N_("Quality managers")),
    (Role.AUDITOR, N_("Internal auditor"), N_("Internal auditors")),
)


@router.get("/processes", response_class=HTMLResponse)
def process_map(request: Request, me: Me) -> HTMLResponse:
    found = pages.process_map(services_of(request), me.handle)
    links = {p.code: links_of(p.code, found.open_states) for m in found.macros for p in m.processes}
    return page(
        request,
        "processes/map.html",
        {"map": found, "links": links, "org_roles": INSTITUTION},
    )


@router.get("/processes/{code}", response_class=HTMLResponse)
def process(request: Request, me: Me, code: str) -> HTMLResponse:
    found = process_page.process_page(services_of(request), me.handle, code)
    return page(
        request,
        "processes/process.html",
        {
            "process": found,
            "links": links_of(found.code, found.open_states),
            "Role": Role,
            "roles": ROLE_LABELS,
        },
    )


@router.get("/people/{handle}", response_class=HTMLResponse)
def person(request: Request, me: Me, handle: str) -> HTMLResponse:
    found = pages.person_page(services_of(request), me.handle, handle)
    return page(request, "processes/person.html", {"person": found})


@router.get("/workflows", response_class=HTMLResponse)
def workflows(request: Request, me: Me) -> HTMLResponse:
    registry = services_of(request).registry
    return page(request, "processes/workflows.html", {"workflows": workflows_index(registry)})


@router.get("/workflows/{kind}", response_class=HTMLResponse)
def workflow(request: Request, me: Me, kind: str) -> HTMLResponse:
    definition = _definition(services_of(request).registry, kind)
    svg = Markup(workflow_svg(definition))  # noqa: S704 - the drawing escapes every text
    return page(
        request, "processes/workflow.html", {"workflow": workflow_view(definition), "svg": svg}
    )


def _definition(registry: Registry, kind: str) -> WorkflowDefinition:
    """The workflow that drives records of ``kind`` (or, failing that, of that name)."""
    try:
        return registry.for_kind(kind)
    except NotFound:
        if kind in registry.names:
            return registry.current(kind)
        raise NotFound(f"no workflow for records of kind '{kind}'") from None
