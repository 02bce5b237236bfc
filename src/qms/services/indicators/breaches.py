"""Breaches (clauses 9.1.3, 10.2): a value worse than the alert threshold proposes an action.

Nothing is created silently: the breach waits, open, for the pilot of the indicator's
process, who accepts it (an improvement action with origin ``indicator_breach`` is
created in the same transaction) or dismisses it with a reason.  An outbox message tells
the pilot.  A corrected value that is no longer a breach withdraws an open proposal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import NotFound, PermissionDenied, ValidationError
from qms.models import (
    BreachProposal,
    BreachState,
    Direction,
    ImprovementAction,
    Indicator,
    Measurement,
    OutboxMessage,
    Person,
    Process,
    Role,
    RoleAssignment,
)
from qms.services.capa.vocabulary import Origin
from qms.services.reviews import decisions as reviews_decisions
from qms.workflow.permissions import ActorRoles

_OUTBOX = insert(cast(Table, OutboxMessage.__table__))


def is_breach(indicator: Indicator, value: float) -> bool:
    bound = indicator.alert_threshold
    return value < bound if indicator.direction == Direction.HIGHER else value > bound


def check(session: Session, indicator: Indicator, measurement: Measurement, now: datetime) -> None:
    """Raise, re-open or withdraw the breach proposal of this measurement's period."""
    found = session.scalar(
        select(BreachProposal).filter_by(indicator_id=indicator.id, period=measurement.period)
    )
    breach = is_breach(indicator, measurement.value)
    if found is None and breach:
        found = BreachProposal(
            indicator_id=indicator.id,
            period=measurement.period,
            value=measurement.value,
            threshold=indicator.alert_threshold,
            state=BreachState.OPEN,
            raised_at=now,
            reason="",
        )
        session.add(found)
        session.flush()
        _tell_pilot(session, indicator, found, measurement.revision, now)
    elif found is not None and found.state in (BreachState.OPEN, BreachState.WITHDRAWN):
        found.value = measurement.value
        found.state = BreachState.OPEN if breach else BreachState.WITHDRAWN
        if breach:
            _tell_pilot(session, indicator, found, measurement.revision, now)


def pilot_of(session: Session, process_id: int, on: date) -> Person | None:
    return session.scalar(
        select(Person)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.process_id == process_id, RoleAssignment.role == Role.PILOT)
        .where(RoleAssignment.valid_from <= on)
        .where((RoleAssignment.valid_to.is_(None)) | (RoleAssignment.valid_to > on))
    )


def _tell_pilot(
    session: Session, indicator: Indicator, breach: BreachProposal, revision: int, now: datetime
) -> None:
    pilot = pilot_of(session, indicator.process_id, now.date())
    session.connection().execute(
        _OUTBOX,
        {
            "topic": "indicator.breach",
            "dedupe_key": f"indicator.breach:{indicator.code}:{breach.period}:{revision}",
            "payload": {
                "breach_id": breach.id,
                "indicator": indicator.code,
                "period": breach.period,
                "value": breach.value,
                "threshold": breach.threshold,
                "to": pilot.handle if pilot else None,
            },
            "created_at": now,
            "available_at": now,
        },
    )


@dataclass(frozen=True)
class BreachRow:
    id: int
    indicator: str
    process: str
    period: str
    value: float
    threshold: float
    unit: str
    state: str
    raised_at: datetime
    decided_by: str | None
    reason: str
    action_id: int | None


def rows(
    session: Session, states: tuple[str, ...] = (), process: str | None = None
) -> list[BreachRow]:
    query = (
        select(BreachProposal, Indicator.code, Indicator.unit, Process.code)
        .join(Indicator, BreachProposal.indicator_id == Indicator.id)
        .join(Process, Indicator.process_id == Process.id)
        .order_by(BreachProposal.raised_at, BreachProposal.id)
    )
    if states:
        query = query.where(BreachProposal.state.in_(states))
    if process:
        query = query.where(Process.code == process)
    return [
        BreachRow(
            b.id,
            code,
            pcode,
            b.period,
            b.value,
            b.threshold,
            unit,
            b.state.value,
            b.raised_at,
            b.decided_by,
            b.reason,
            b.action_id,
        )
        for b, code, unit, pcode in session.execute(query)
    ]


def _open_breach(session: Session, breach_id: int, actor: str, today: date) -> BreachProposal:
    breach = session.get(BreachProposal, breach_id)
    if breach is None:
        raise NotFound(f"no indicator breach #{breach_id}")
    if breach.state != BreachState.OPEN:
        raise ValidationError(
            "breach", f"breach #{breach_id} is {breach.state.value}, not open: nothing to decide"
        )
    roles = ActorRoles.for_handle(session, actor, today)
    if "pilot" not in roles.by_process.get(breach.indicator.process_id, frozenset()):
        process = breach.indicator.process.code
        raise PermissionDenied(
            f"{roles.actor.name} ({actor}) may not decide on breach #{breach_id}: that is for "
            f"the pilot of process {process} (clause 9.1.3)"
        )
    return breach


def accept(
    app: Services,
    breach_id: int,
    actor: str,
    owner: str,
    due_date: date,
    title: str = "",
) -> ImprovementAction:
    """The pilot accepts: an improvement action is proposed, linked to the breach."""
    today, now = app.engine.today(), app.engine.clock.now()

    def prepare(
        session: Session,
    ) -> tuple[ImprovementAction, reviews_decisions.Link]:
        breach = _open_breach(session, breach_id, actor, today)
        indicator = breach.indicator
        action = reviews_decisions.build(
            session,
            reviews_decisions.ActionSpec(
                title=title.strip() or f"{indicator.name}: back within the alert threshold",
                process_id=indicator.process_id,
                owner=owner,
                due_date=due_date,
                origin=Origin.INDICATOR_BREACH,
                origin_ref=f"{indicator.code} {breach.period}",
                description=(
                    f"{indicator.code} was {breach.value:g} {indicator.unit} in {breach.period}, "
                    f"worse than its alert threshold {breach.threshold:g} "
                    f"(target {indicator.target:g})."
                ),
            ),
            today,
        )

        def link(session: Session, action: ImprovementAction) -> None:
            breach.state, breach.action_id = BreachState.ACCEPTED, action.id
            breach.decided_by, breach.decided_at = actor, now

        return action, link

    return reviews_decisions.start(app, actor, prepare)


def dismiss(app: Services, breach_id: int, actor: str, reason: str) -> BreachProposal:
    """The pilot dismisses the proposal, saying why (kept with the breach)."""
    if not reason.strip():
        raise ValidationError("reason", "say why no action is needed")
    today = app.engine.today()
    with app.database.unit_of_work() as uow:
        breach = _open_breach(uow.session, breach_id, actor, today)
        breach.state, breach.reason = BreachState.DISMISSED, reason.strip()
        breach.decided_by, breach.decided_at = actor, app.engine.clock.now()
        uow.commit()
        return breach
