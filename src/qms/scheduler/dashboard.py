"""What the scheduled reports show: a pilot's process dashboard, a review's inputs at a glance.

Open and overdue actions and nonconformities always; indicators against their
targets when the indicators capability is installed (its tables are read through
``qms.models.indicators`` and ``qms.services.indicators.vocabulary``, imported on demand).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from qms.models import ImprovementAction, ManagementReview, Nonconformity, Process
from qms.reporting.words import Words
from qms.services.capa.vocabulary import ACTION_OPEN_WORK, NC_OPEN_WORK

Link = Callable[[str, int], str]


def month_name(month: str) -> str:
    """ "2026-02" as "February 2026"; anything else as given."""
    try:
        return date.fromisoformat(f"{month}-01").strftime("%B %Y")
    except ValueError:
        return month


def for_processes(
    session: Session, process_ids: Iterable[int], today: date, link: Link, words: Words
) -> list[dict[str, Any]]:
    boards = []
    for process in session.scalars(
        select(Process).where(Process.id.in_(list(process_ids))).order_by(Process.code)
    ):
        boards.append(
            {
                "code": process.code,
                "name": process.name,
                "actions": _actions(session, process.id, today, link, words),
                "nonconformities": _nonconformities(session, process.id, today, link, words),
                "indicators": indicators(session, process.id, words),
            }
        )
    return boards


def _actions(
    session: Session, process_id: int, today: date, link: Link, words: Words
) -> dict[str, Any]:
    model = ImprovementAction
    open_ = model.process_id == process_id, model.state.in_(ACTION_OPEN_WORK)
    late = session.scalars(
        select(model).where(*open_, model.due_date < today).order_by(model.due_date, model.id)
    ).all()
    return {
        "open": session.scalar(select(func.count()).select_from(model).where(*open_)) or 0,
        "overdue": [_late(a, a.due_date, today, link, words) for a in late],
    }


def _nonconformities(
    session: Session, process_id: int, today: date, link: Link, words: Words
) -> dict[str, Any]:
    model = Nonconformity
    open_ = model.process_id == process_id, model.state.in_(NC_OPEN_WORK)
    late = session.scalars(
        select(model)
        .where(*open_, model.action_due_date < today)
        .order_by(model.action_due_date, model.id)
    ).all()
    return {
        "open": session.scalar(select(func.count()).select_from(model).where(*open_)) or 0,
        "overdue": [_late(n, n.action_due_date, today, link, words) for n in late],
    }


def _late(
    record: ImprovementAction | Nonconformity,
    due: date | None,
    today: date,
    link: Link,
    words: Words,
) -> dict[str, Any]:
    kind = record.record_kind
    return {
        "reference": words.ref(kind, record.id),
        "title": record.title,
        "state": words.state(kind, record.state),
        "due": due,
        "days_late": (today - due).days if due else 0,
        "link": link(kind, record.id),
    }


def indicators(session: Session, process_id: int, words: Words) -> list[dict[str, Any]]:
    """Each indicator of the process with its latest value against target; [] without them."""
    try:
        from qms.models.indicators import Indicator, Measurement
        from qms.services.indicators.vocabulary import status
    except ImportError:  # the indicators capability is not installed
        return []
    rows = []
    for indicator in session.scalars(
        select(Indicator)
        .where(Indicator.process_id == process_id, Indicator.retired_on.is_(None))
        .order_by(Indicator.position, Indicator.code)
    ):
        latest = session.scalar(
            select(Measurement)
            .where(Measurement.indicator_id == indicator.id)
            .order_by(Measurement.period_end.desc())
            .limit(1)
        )
        rows.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "target": indicator.target,
                "period": latest.period if latest else "",
                "value": latest.value if latest else None,
                "status": words.term("status", str(status(indicator, latest.value)))
                if latest
                else "No measurement",
            }
        )
    return rows


def review_summary(
    session: Session, review_id: int, today: date, link: Link, words: Words
) -> dict[str, Any] | None:
    """A management review and the 9.3.2 inputs the engine can count on its own."""
    review = session.get(ManagementReview, review_id)
    if review is None:
        return None
    actions_open = ImprovementAction.state.in_(ACTION_OPEN_WORK)
    ncs_open = Nonconformity.state.in_(NC_OPEN_WORK)

    def count(model: type[Any], *where: ColumnElement[bool]) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    return {
        "key": review.reference,  # the X-QMS-Reference header: an identifier, not text
        "reference": words.ref(review.record_kind, review.id),
        "title": review.title,
        "state": review.state,
        "planned_on": review.planned_on,
        "link": link(ManagementReview.record_kind, review.id),
        "actions_open": count(ImprovementAction, actions_open),
        "actions_overdue": count(
            ImprovementAction, actions_open, ImprovementAction.due_date < today
        ),
        "ncs_open": count(Nonconformity, ncs_open),
        "ncs_overdue": count(Nonconformity, ncs_open, Nonconformity.action_due_date < today),
    }
