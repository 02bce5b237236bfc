"""Reports as files: an audit report's issued revision and a management review's pack, each
exactly the PDF bytes frozen when it was issued (their sha256 in ``X-Content-SHA256``), and
a cycle's audit programme as iCalendar. A person gets the files of what they may see: an
audit of one of their processes, a management review for whoever sees every process (a
director, the quality manager, an internal auditor); the calendar holds the audits of the
processes they see."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import select

from qms.errors import NotFound, TrailError
from qms.models import Process, ReviewKind
from qms.reporting.render import content_hash
from qms.services import record_view, shared, visibility
from qms.services.audits import calendar as audits_calendar
from qms.services.audits import report as audits_report
from qms.services.reviews import frozen as reviews_frozen
from qms.services.reviews import report as reviews_pack
from qms.web.api.auth import Caller, Guarded, services_of
from qms.web.api.problems import documented

router = APIRouter(route_class=Guarded, tags=["reports"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
PDF: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The PDF as it was frozen",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    },
    **documented(401, 403, 404, 422),
}


def _pdf(document: bytes, name: str) -> Response:
    return Response(
        document,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-SHA256": content_hash(document),
        },
    )


@router.get(
    "/audits/{audit_id}/report/{revision}.pdf",
    summary="An audit report (PDF)",
    response_class=Response,
    responses=PDF,
)
def audit_report(request: Request, bearer: Caller, audit_id: Id, revision: Id) -> Response:
    """An issued revision of an audit's report: the PDF frozen when it was issued."""
    app = services_of(request)
    with app.database.reading() as session:
        record_view.seen(session, "internal_audit", audit_id, bearer.handle, app.engine.today())
        stored = audits_report.stored(session, audit_id, revision)
        if stored is None:
            raise NotFound(f"the report of internal_audit #{audit_id} is not issued yet")
        document = stored.pdf
        if content_hash(document) != stored.pdf_sha256:
            raise TrailError(
                f"the stored PDF of revision {stored.revision} of internal_audit #{audit_id} "
                "does not match the hash it was issued with: it was altered"
            )
    return _pdf(document, f"audit-{audit_id}-report-{revision}.pdf")


@router.get(
    "/reviews/{kind}/{review_id}/pack.pdf",
    summary="A review pack (PDF)",
    response_class=Response,
    responses=PDF,
)
def review_pack(
    request: Request,
    bearer: Caller,
    kind: ReviewKind,
    review_id: Id,
    revision: Annotated[
        int | None, Query(ge=1, le=1000, description="Default: the latest.")
    ] = None,
) -> Response:
    """A management review's pack as it was frozen (at the hold, then with the decisions);
    a process review has no pack."""
    app = services_of(request)
    with app.database.reading() as session:
        record_view.seen(session, str(kind), review_id, bearer.handle, app.engine.today())
        if kind != ReviewKind.MANAGEMENT:
            raise NotFound("a process review has no frozen pack: its record is on its page")
        if reviews_frozen.stored(session, review_id, revision) is None:
            what = f"revision {revision} of the pack" if revision else "the pack"
            raise NotFound(
                f"{what} of management_review #{review_id} is not frozen: the review is not "
                "held yet"
            )
    found = reviews_pack.pack(app, review_id, revision)
    assert found.pdf is not None  # frozen: the stored bytes
    return _pdf(found.pdf, f"management-review-{review_id}-pack-{found.revision}.pdf")


@router.get(
    "/audits/calendar.ics",
    summary="The audit calendar (iCalendar)",
    response_class=Response,
    responses={
        200: {
            "description": "The programme's audits as iCalendar (RFC 5545)",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        },
        **documented(401, 404, 422),
    },
)
def audit_calendar(
    request: Request,
    bearer: Caller,
    cycle: Annotated[int, Query(ge=2000, le=2100, description="The programme's year.")],
) -> Response:
    """The cycle's audit programme and audits of the caller's processes, for a calendar."""
    app = services_of(request)
    with app.database.reading() as session:
        person = shared.person(session, bearer.handle, "actor")
        scope = visibility.scope(session, person, app.engine.today())
        seen = None
        if not scope.everything:
            seen = frozenset(
                pid for pid in session.scalars(select(Process.id)) if scope.sees_process(pid)
            )
        data = audits_calendar.calendar(
            session, cycle, app.engine.clock.now(), app.settings.base_url, seen
        )
    return Response(
        data,
        media_type="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="audits-{cycle}.ics"'},
    )
