"""A person's dated work across the capabilities: the due dates of their actions (a
nonconformity's corrective actions among them), effectiveness checks, the audits they
lead, the reviews they prepare.  `qms calendar` (and later the web) turn it into an
iCalendar feed with :mod:`qms.notify.calendar`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.models import (
    ImprovementAction,
    InternalAudit,
    ManagementReview,
    Nonconformity,
    Person,
    ProcessReview,
    Role,
)
from qms.notify.calendar import Entry
from qms.services.capa.vocabulary import ACTION_OPEN_WORK
from qms.services.processmap.queries import holders
from qms.workflow.guards import as_date

PAST_DAYS = 90  # overdue items stay in the feed this long


def entries(session: Session, person: Person, today: date) -> list[Entry]:
    """Open items with a date, from ``PAST_DAYS`` ago on, that concern ``person``."""
    since = today - timedelta(days=PAST_DAYS)
    found = [e for e in _gather(session, person, today) if e.day >= since]
    return sorted(found, key=lambda e: (e.day, e.kind, e.record_id))


def _gather(session: Session, person: Person, today: date) -> Iterator[Entry]:
    roles = holders(session, today, person.id)
    piloted = {h.process_id for h in roles if h.role == Role.PILOT}
    top = any(h.role in (Role.DIRECTOR, Role.QUALITY_MANAGER) for h in roles)
    yield from _actions(session, person, piloted)
    yield from _nonconformities(session, person, piloted)
    for audit in session.scalars(
        select(InternalAudit).where(
            InternalAudit.lead_auditor_id == person.id,
            InternalAudit.state.in_(("planned", "in_progress")),
        )
    ):
        if audit.planned_start:
            yield Entry(audit.record_kind, audit.id, "planned_start", audit.planned_start,
                        f"Audit: {audit.title}")  # fmt: skip
    if top:
        for review in session.scalars(
            select(ManagementReview).where(ManagementReview.state == "planned")
        ):
            if review.planned_on:
                yield Entry(review.record_kind, review.id, "planned_on", review.planned_on,
                            f"Management review: {review.title}")  # fmt: skip
    for p_review in session.scalars(
        select(ProcessReview).where(
            ProcessReview.process_id.in_(piloted),
            ProcessReview.state.in_(("planned", "inputs_gathered")),
        )
    ):
        if p_review.planned_on:
            yield Entry(p_review.record_kind, p_review.id, "planned_on", p_review.planned_on,
                        f"Process review: {p_review.title}")  # fmt: skip


def _actions(session: Session, person: Person, piloted: set[int | None]) -> Iterator[Entry]:
    for action in session.scalars(
        select(ImprovementAction).where(
            ImprovementAction.owner_id == person.id,
            ImprovementAction.state.in_(ACTION_OPEN_WORK),
        )
    ):
        if action.due_date:
            yield Entry(action.record_kind, action.id, "due_date", action.due_date,
                        f"Action due: {action.title}")  # fmt: skip
    for action in session.scalars(
        select(ImprovementAction).where(
            ImprovementAction.process_id.in_(piloted),
            ImprovementAction.state.in_(("done", "effectiveness_check")),
        )
    ):
        if action.effectiveness_check_date:
            yield Entry(action.record_kind, action.id, "effectiveness_check_date",
                        action.effectiveness_check_date,
                        f"Effectiveness check: {action.title}")  # fmt: skip


def _nonconformities(session: Session, person: Person, piloted: set[int | None]) -> Iterator[Entry]:
    """A pilot's effectiveness checks of nonconformities (their corrective actions are in the
    feed as actions, once, for their owners)."""
    for nc in session.scalars(
        select(Nonconformity).where(
            Nonconformity.state == "implemented", Nonconformity.process_id.in_(piloted)
        )
    ):
        check = as_date((nc.data or {}).get("effectiveness_check_date"))
        if check is not None:
            yield Entry(nc.record_kind, nc.id, "effectiveness_check_date", check,
                        f"Effectiveness check: {nc.title}")  # fmt: skip
