"""New records: ``POST /records/{kind}`` for each kind a service opens.

- a nonconformity and an improvement action take the fields of their web forms, with the
  same checks: a process the caller may open a record on (their own; any for a director
  or the quality manager), an owner (a detector) who holds a role on it;
- an internal audit is scheduled as ``qms audit plan`` does (a quality correspondent or
  the quality manager), a management or process review planned as ``qms review plan``.

Findings come from an audit's checklist and programmes from the cycle's plan (``qms audit
...``): they are not created here. Each answers 201 with the record and its address.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response

from qms.bootstrap import Services
from qms.errors import ValidationError
from qms.models import ReviewKind, WorkflowRecord
from qms.services import shared
from qms.services.audits import service as audits
from qms.services.capa import actions, nonconformities
from qms.services.reviews import service as reviews
from qms.web.api import records_read, schemas
from qms.web.api.auth import Caller, Guarded, services_of
from qms.web.api.problems import documented
from qms.web.forms_common import check_person_of, check_process, choices

router = APIRouter(route_class=Guarded, tags=["records"])
CREATE = documented(400, 401, 403, 409, 413, 422)


def _opened(
    request: Request, response: Response, create: Callable[[Services], WorkflowRecord]
) -> schemas.Record:
    app = services_of(request)
    made = create(app)
    with app.database.reading() as session:
        found = shared.record(session, made.record_kind, made.id)
        record = records_read.as_record(session, app, found)
    response.headers["Location"] = f"{request.scope.get('root_path', '')}/records/" + (
        f"{record.kind}/{record.id}"
    )
    return record


def _check_opening(app: Services, handle: str, process: str, people: dict[str, str]) -> None:
    """The web forms' checks: the caller's process, and people who hold a role on it (a
    nonconformity's detector may be the caller, whoever they are; an action's owner is
    always one of the process's people)."""
    today = app.engine.today()
    with app.database.reading() as session:
        shared.process(session, process, on=today)  # unknown or retired: 422
        caller = shared.person(session, handle, "actor")
        options = choices(session, caller.id, today)
        check_process(options, process)  # not one of theirs: 403
        for field, person in people.items():
            if person and not (field == "detected_by" and person == handle):
                check_person_of(session, options, process, person, field)


@router.post(
    "/records/nonconformity",
    summary="Log a nonconformity",
    status_code=201,
    response_model=schemas.Record,
    responses=CREATE,
)
def new_nonconformity(
    request: Request, response: Response, bearer: Caller, body: schemas.NewNonconformity
) -> schemas.Record:
    """Log a nonconformity (as /nonconformities/new): detected today by the caller unless
    told otherwise."""
    spec = nonconformities.NewNonconformity(
        title=body.title,
        process=body.process,
        description=body.description,
        source=str(body.source),
        severity=body.severity,
        detected_on=body.detected_on,
        detected_by=body.detected_by,
        reference=body.reference,
    )

    def create(app: Services) -> WorkflowRecord:
        _check_opening(app, bearer.handle, body.process, {"detected_by": body.detected_by or ""})
        return nonconformities.new(app, bearer.handle, spec)

    return _opened(request, response, create)


@router.post(
    "/records/improvement_action",
    summary="Propose an improvement action",
    status_code=201,
    response_model=schemas.Record,
    responses=CREATE,
)
def new_action(
    request: Request, response: Response, bearer: Caller, body: schemas.NewAction
) -> schemas.Record:
    """Propose an improvement action (as /actions/new): its owner holds a role on its
    process."""
    spec = actions.NewAction(
        title=body.title,
        process=body.process,
        owner=body.owner,
        due_date=body.due_date,
        kind=str(body.kind),
        description=body.description,
        priority=str(body.priority),
        origin=str(body.origin),
        origin_ref=body.origin_ref,
        effectiveness_criteria=body.effectiveness_criteria,
        effectiveness_check_date=body.effectiveness_check_date,
    )

    def create(app: Services) -> WorkflowRecord:
        if not body.owner.strip():
            raise ValidationError("owner", "choose a person")
        _check_opening(app, bearer.handle, body.process, {"owner": body.owner})
        return actions.new(app, bearer.handle, spec)

    return _opened(request, response, create)


@router.post(
    "/records/internal_audit",
    summary="Schedule an audit",
    status_code=201,
    response_model=schemas.Record,
    responses=CREATE,
)
def new_audit(
    request: Request, response: Response, bearer: Caller, body: schemas.NewAudit
) -> schemas.Record:
    """Schedule an audit of a process (as `qms audit plan`)."""
    details = {name: value for name in audits.DETAILS if (value := getattr(body, name))}
    spec = audits.AuditPlan(
        process=body.process,
        cycle=body.cycle,
        audit_type=str(body.audit_type),
        start=body.start,
        end=body.end,
        lead=body.lead,
        details=details,
    )
    return _opened(request, response, lambda app: audits.plan(app, bearer.handle, spec))


def _review(
    kind: ReviewKind, handle: str, body: schemas.NewReview, process: str | None
) -> Callable[[Services], WorkflowRecord]:
    spec = reviews.Plan(
        planned_on=body.planned_on,
        process=process,
        period_start=body.period_start,
        period_end=body.period_end,
        title=body.title,
    )
    return lambda app: reviews.plan(app, kind, handle, spec)


@router.post(
    "/records/management_review",
    summary="Plan the management review",
    status_code=201,
    response_model=schemas.Record,
    responses=CREATE,
)
def new_management_review(
    request: Request, response: Response, bearer: Caller, body: schemas.NewReview
) -> schemas.Record:
    """Plan the management review (a director or the quality manager, clause 9.3.1)."""
    create = _review(ReviewKind.MANAGEMENT, bearer.handle, body, None)
    return _opened(request, response, create)


@router.post(
    "/records/process_review",
    summary="Plan a process review",
    status_code=201,
    response_model=schemas.Record,
    responses=CREATE,
)
def new_process_review(
    request: Request, response: Response, bearer: Caller, body: schemas.NewProcessReview
) -> schemas.Record:
    """Plan the review of a process (its pilot or the quality manager)."""
    create = _review(ReviewKind.PROCESS, bearer.handle, body, body.process)
    return _opened(request, response, create)
