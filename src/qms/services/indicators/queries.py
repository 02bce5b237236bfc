"""Indicators (clause 9.1): look them up, who may record their values, a period's revisions.

Read only: nothing here changes the database.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from qms.errors import NotFound, ValidationError
from qms.models import Indicator, Measurement, MeasurementRevision, Process, Topic
from qms.workflow.permissions import ActorRoles


def get(session: Session, code: str, field: str = "indicator") -> Indicator:
    found = session.scalar(select(Indicator).where(Indicator.code == code))
    if found is None:
        raise ValidationError(field, f"unknown indicator '{code}'")
    return found


def in_force(session: Session) -> list[Indicator]:
    query = (
        select(Indicator)
        .join(Indicator.process)
        .options(contains_eager(Indicator.process))
        .where(Indicator.retired_on.is_(None))
        .order_by(Process.code, Indicator.position)
    )
    return list(session.scalars(query))


def about(indicator: Indicator, topic: Topic) -> bool:
    return topic.value in (indicator.topics or [])


def may_record(roles: ActorRoles, indicator: Indicator) -> bool:
    """The indicator's owner, a pilot or correspondent of its process, or a quality manager."""
    if indicator.owner_id == roles.actor.id and roles.active:
        return True
    held = roles.institution | roles.by_process.get(indicator.process_id, frozenset())
    return bool(held & {"pilot", "correspondent", "quality_manager"})


def refusal(roles: ActorRoles, indicator: Indicator) -> str:
    actor = roles.actor
    return (
        f"{actor.name} ({actor.handle}) may not record values of indicator '{indicator.code}': "
        "that is for its owner, a pilot or correspondent of its process, or a quality "
        "manager (clause 9.1.1)"
    )


def revisions(session: Session, code: str, period: str) -> list[MeasurementRevision]:
    """Every value one period of an indicator took, oldest first."""
    indicator = get(session, code)
    measurement = session.scalar(
        select(Measurement).filter_by(indicator_id=indicator.id, period=period.strip().upper())
    )
    if measurement is None:
        raise NotFound(f"no value of '{code}' for period {period}")
    return list(
        session.scalars(
            select(MeasurementRevision)
            .filter_by(measurement_id=measurement.id)
            .order_by(MeasurementRevision.id)
        )
    )
