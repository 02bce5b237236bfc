"""The process map (clause 4.4) as it stands today: macro-processes, processes in force,
who pilots and corresponds for each, and the indicators the caller may see."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from qms.models import Organisation, Role
from qms.services import shared, visibility
from qms.services.indicators import queries as indicators_queries
from qms.services.processmap import queries as processmap
from qms.web.api import schemas
from qms.web.api.auth import Caller, Guarded, services_of
from qms.web.api.problems import documented

router = APIRouter(route_class=Guarded, tags=["process map"])


@router.get(
    "/processmap",
    summary="The process map",
    response_model=schemas.ProcessMap,
    responses=documented(401),
)
def process_map(request: Request, bearer: Caller) -> schemas.ProcessMap:
    """The macro-processes and their processes in force today, with their people."""
    app = services_of(request)
    today = app.engine.today()
    with app.database.reading() as session:
        scope = visibility.scope(session, shared.person(session, bearer.handle), today)
        held: dict[tuple[int | None, str], list[schemas.PersonOut]] = {}
        for a in sorted(processmap.holders(session, today), key=lambda a: a.person.name):
            person = schemas.PersonOut(handle=a.person.handle, name=a.person.name)
            held.setdefault((a.process_id, str(a.role)), []).append(person)
        indicators: dict[int, list[schemas.IndicatorRef]] = {}
        for i in indicators_queries.in_force(session):
            if scope.sees_action(i.process_id, i.owner_id):
                ref = schemas.IndicatorRef(code=i.code, name=i.name)
                indicators.setdefault(i.process_id, []).append(ref)

        def people(process_id: int | None, role: Role) -> list[schemas.PersonOut]:
            return held.get((process_id, str(role)), [])

        macros = [
            schemas.MacroProcessOut(
                code=macro.code,
                name=macro.name,
                processes=[
                    schemas.ProcessOut(
                        code=p.code,
                        name=p.name,
                        pilots=people(p.id, Role.PILOT),
                        correspondents=people(p.id, Role.CORRESPONDENT),
                        contributors=people(p.id, Role.CONTRIBUTOR),
                        indicators=indicators.get(p.id, []),
                    )
                    for p in macro.processes
                    if p.retired_on is None or p.retired_on > today
                ],
            )
            for macro in processmap.tree(session)
        ]
        organisation = session.scalar(select(Organisation.name).order_by(Organisation.id))
        return schemas.ProcessMap(
            organisation=organisation or "",
            on=today,
            directors=people(None, Role.DIRECTOR),
            quality_managers=people(None, Role.QUALITY_MANAGER),
            auditors=people(None, Role.AUDITOR),
            macro_processes=macros,
        )
