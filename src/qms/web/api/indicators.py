"""Indicators (clause 9.1): their latest values and status, one indicator's values, a value
recorded (one, or a list all or nothing), the breaches and the pilot's decision on each.

A person sees the indicators of the processes their roles let them see and those they own
(as /indicators on the web); recording a value is for its owner, a pilot or correspondent
of its process, or the quality manager (the service's rule); deciding on a breach, for the
pilot of its process.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.errors import NotFound, PermissionDenied
from qms.models import BreachState, Indicator, Measurement, Process
from qms.services import shared, visibility
from qms.services.indicators import breaches as indicators_breaches
from qms.services.indicators import bulk
from qms.services.indicators import queries as indicators_queries
from qms.services.indicators import series as indicators_series
from qms.services.indicators import service as indicators
from qms.services.indicators.files import INDICATOR_CODE
from qms.services.indicators.vocabulary import Outcome
from qms.web.api import schemas_indicators as schemas
from qms.web.api.auth import Caller, Guarded, services_of
from qms.web.api.problems import documented

router = APIRouter(route_class=Guarded, tags=["indicators"])
READ = documented(401, 403, 404, 422)
WRITE = documented(400, 401, 403, 404, 409, 413, 422)
SOURCE = "API"  # where a value came from, kept with it (beside "web form", "command line")
CodePath = Annotated[str, Path(max_length=64, pattern=INDICATOR_CODE)]
BreachId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _scope(session: Session, handle: str, today: date) -> visibility.Scope:
    return visibility.scope(session, shared.person(session, handle, "actor"), today)


def _visible(session: Session, handle: str, code: str, today: date) -> Indicator:
    shared.looked_up("code", code)
    found = session.scalar(select(Indicator).where(Indicator.code == code))
    if found is None:
        raise NotFound(f"there is no indicator {code}")
    if not _scope(session, handle, today).sees_action(found.process_id, found.owner_id):
        raise PermissionDenied(
            f"{code} belongs to {found.process.code}, which is not one of your processes"
        )
    return found


def _out(s: indicators_series.Series) -> dict[str, object]:
    ind, latest = s.indicator, s.latest
    return {
        "code": ind.code,
        "name": ind.name,
        "process": ind.process.code,
        "frequency": str(ind.frequency),
        "unit": ind.unit,
        "direction": str(ind.direction),
        "target": ind.target,
        "alert_threshold": ind.alert_threshold,
        "latest_period": latest.period if latest else None,
        "latest_value": latest.value if latest else None,
        "status": str(s.status) if s.status else None,
        "trend": s.trend,
    }


@router.get(
    "/indicators",
    summary="List indicators",
    response_model=list[schemas.IndicatorOut],
    responses=READ,
)
def indicator_list(
    request: Request,
    bearer: Caller,
    process: Annotated[str | None, Query(max_length=64, description="A process code.")] = None,
) -> list[schemas.IndicatorOut]:
    """The indicators in force the caller may see, with their latest value and status."""
    app = services_of(request)
    today = app.engine.today()
    with app.database.reading() as session:
        scope = _scope(session, bearer.handle, today)
        found = [
            i
            for i in indicators_queries.in_force(session)
            if scope.sees_action(i.process_id, i.owner_id)
            and (not process or i.process.code == process)
        ]
        return [
            schemas.IndicatorOut.model_validate(_out(s))
            for s in indicators_series.series(session, found, today)
        ]


@router.get(
    "/indicators/breaches",
    summary="List breaches",
    response_model=list[schemas.BreachOut],
    responses=READ,
)
def breach_list(
    request: Request,
    bearer: Caller,
    state: Annotated[list[BreachState] | None, Query(description="Repeatable.")] = None,
    process: Annotated[str | None, Query(max_length=64)] = None,
) -> list[schemas.BreachOut]:
    """Values past their alert threshold on the caller's processes, and what was decided."""
    app = services_of(request)
    today = app.engine.today()
    with app.database.reading() as session:
        scope = _scope(session, bearer.handle, today)
        seen = {
            code
            for pid, code in session.execute(select(Process.id, Process.code))
            if scope.sees_process(pid)
        }
        states = tuple(str(s) for s in state or ())
        rows = indicators_breaches.rows(session, states, process or None)
    return [
        schemas.BreachOut.model_validate(row, from_attributes=True)
        for row in rows
        if row.process in seen
    ]


def _breach(request: Request, breach_id: int) -> schemas.BreachOut:
    with services_of(request).database.reading() as session:
        row = next(r for r in indicators_breaches.rows(session) if r.id == breach_id)
    return schemas.BreachOut.model_validate(row, from_attributes=True)


@router.post(
    "/indicators/breaches/{breach_id}/accept",
    summary="Accept a breach",
    response_model=schemas.Accepted,
    responses=WRITE,
)
def accept_breach(
    request: Request, bearer: Caller, breach_id: BreachId, body: schemas.Accept
) -> schemas.Accepted:
    """The pilot accepts the breach: an improvement action is proposed (origin
    indicator_breach)."""
    app = services_of(request)
    action = indicators_breaches.accept(
        app, breach_id, bearer.handle, body.owner, body.due_date, body.title
    )
    return schemas.Accepted(breach=_breach(request, breach_id), action_id=action.id)


@router.post(
    "/indicators/breaches/{breach_id}/dismiss",
    summary="Dismiss a breach",
    response_model=schemas.BreachOut,
    responses=WRITE,
)
def dismiss_breach(
    request: Request, bearer: Caller, breach_id: BreachId, body: schemas.Dismiss
) -> schemas.BreachOut:
    """The pilot dismisses the breach, saying why no action is needed."""
    indicators_breaches.dismiss(services_of(request), breach_id, bearer.handle, body.reason)
    return _breach(request, breach_id)


@router.get(
    "/indicators/{code}",
    summary="Read an indicator",
    response_model=schemas.IndicatorDetail,
    responses=READ,
)
def indicator(request: Request, bearer: Caller, code: CodePath) -> schemas.IndicatorDetail:
    """One indicator: what it measures, its status, trend and every value recorded."""
    app = services_of(request)
    today = app.engine.today()
    with app.database.reading() as session:
        found = _visible(session, bearer.handle, code, today)
        series = indicators_series.series(session, [found], today)[0]
        values = session.scalars(
            select(Measurement)
            .where(Measurement.indicator_id == found.id)
            .order_by(Measurement.period_end)
        )
        return schemas.IndicatorDetail.model_validate(
            {
                **_out(series),
                "measures": found.measures,
                "method": found.method,
                "owner": found.owner.handle if found.owner else None,
                "values": [
                    schemas.ValueOut.model_validate(m, from_attributes=True) for m in values
                ],
            }
        )


@router.post(
    "/indicators/{code}/values",
    summary="Record a value",
    response_model=schemas.RecordedValue,
    responses={**WRITE, 201: {"description": "A new period", "model": schemas.RecordedValue}},
)
def record_value(
    request: Request, response: Response, bearer: Caller, code: CodePath, body: schemas.NewValue
) -> schemas.RecordedValue:
    """Record the value of one period (201), or correct it, giving a reason (200)."""
    app = services_of(request)
    with app.database.reading() as session:
        _visible(session, bearer.handle, code, app.engine.today())
    outcome, period = indicators.record_period(
        app, bearer.handle, code, body.period, body.value, body.comment, body.reason, source=SOURCE
    )
    if outcome == Outcome.CREATED:
        response.status_code = 201
    return schemas.RecordedValue(
        indicator=code, period=period.label, value=body.value, outcome=str(outcome)
    )


@router.post(
    "/indicator-values",
    summary="Record values, all or nothing",
    response_model=schemas.BulkRecorded,
    responses=WRITE,
)
def record_values(
    request: Request, bearer: Caller, body: schemas.BulkValues
) -> schemas.BulkRecorded:
    """Several values, all or nothing: every wrong one is named by its position and field
    (``values[3].period``), and nothing is recorded then."""
    values = [bulk.Value(v.indicator, v.period, v.value, v.comment, v.reason) for v in body.values]
    done = bulk.record_values(services_of(request), bearer.handle, values, SOURCE)
    counted = bulk.counts(done)
    return schemas.BulkRecorded(
        recorded=[
            schemas.RecordedValue(
                indicator=value.indicator.strip().upper(),
                period=period,
                value=value.value,
                outcome=str(outcome),
            )
            for value, outcome, period in done
        ],
        created=counted["created"],
        corrected=counted["corrected"],
        unchanged=counted["unchanged"],
    )
