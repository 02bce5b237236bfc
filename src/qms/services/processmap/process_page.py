"""One process as its page shows it (clause 4.4): what it is for, what goes in and out,
who runs it, and, for a reader whose roles let them see its records, its open work, its
indicators with their latest status, its last audits and reviews.

Read only, in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from qms.bootstrap import Services
from qms.errors import NotFound
from qms.models import (
    ImprovementAction,
    Indicator,
    InternalAudit,
    Nonconformity,
    Person,
    Process,
    ProcessReview,
    Role,
    WorkflowRecord,
)
from qms.reporting.words import Words, words_for
from qms.services import shared
from qms.services.capa.vocabulary import ACTION_OPEN_WORK
from qms.services.indicators import series
from qms.services.processmap.pages import Named, OpenWork, open_states, today_of
from qms.services.processmap.queries import holders
from qms.services.visibility import scope

LAST = 5  # audits and reviews shown: the latest ones
OPEN_SHOWN = 10  # open records listed (the register lists them all)


@dataclass(frozen=True)
class Flow:
    """An input with who provides it, or an output with who receives it."""

    item: str
    party: str
    process: bool = False  # the party is a process of the map (its code)


@dataclass(frozen=True)
class Interface:
    code: str
    name: str | None  # None: not a process of the map (an outside party)


@dataclass(frozen=True)
class IndicatorLine:
    code: str
    name: str
    unit: str
    period: str | None  # the latest period with a value
    value: float | None
    status: str | None  # on_target, off_target, alert
    status_label: str
    trend: str


@dataclass(frozen=True)
class RecordLine:
    kind: str
    id: int
    title: str
    state_label: str
    closed: bool
    day: date | None  # due date, planned start, planned date
    who: str | None
    days_late: int = 0


@dataclass(frozen=True)
class ProcessPage:
    code: str
    name: str
    macro_code: str
    macro_name: str
    purpose: str
    inputs: list[Flow]
    outputs: list[Flow]
    interfaces: list[Interface]
    resources: list[str]
    risks: list[str]
    retired_on: date | None
    on: date
    people: dict[Role, list[Named]]
    visible: bool  # whether the reader may see the process's records
    work: OpenWork | None = None
    open_states: dict[str, tuple[str, ...]] = field(default_factory=dict)
    nonconformities: list[RecordLine] = field(default_factory=list)
    actions: list[RecordLine] = field(default_factory=list)
    indicators: list[IndicatorLine] = field(default_factory=list)
    audits: list[RecordLine] = field(default_factory=list)
    reviews: list[RecordLine] = field(default_factory=list)


def process_page(app: Services, reader: str, code: str, today: date | None = None) -> ProcessPage:
    """The process ``code`` on ``today`` as ``reader`` may see it; NotFound if unknown."""
    today = today_of(app, today)
    with app.database.reading() as session:
        process = session.scalar(select(Process).where(Process.code == code))
        if process is None:
            raise NotFound(f"no process '{code}' in the process map")
        visible = scope(session, shared.person(session, reader), today).sees_process(process.id)
        page = _described(session, process, today, visible)
        if not visible:
            return page
        words = words_for(session, app.registry)
        states = {k: open_states(app.registry, k) for k in ("nonconformity", "improvement_action")}
        ncs = _open(session, Nonconformity, process, states["nonconformity"], today, words)
        actions = _open(
            session, ImprovementAction, process, states["improvement_action"], today, words
        )
        overdue = sum(1 for a in actions if a.days_late)
        return replace(
            page,
            work=OpenWork(len(ncs), len(actions), overdue),
            open_states=states,
            nonconformities=ncs[:OPEN_SHOWN],
            actions=actions[:OPEN_SHOWN],
            indicators=_indicators(session, process, today),
            audits=_audits(session, process, words, _ends(app, "internal_audit")),
            reviews=_reviews(session, process, words, _ends(app, "process_review")),
        )


def _described(session: Session, process: Process, today: date, visible: bool) -> ProcessPage:
    names = dict(session.execute(select(Process.code, Process.name)).all())
    people: dict[Role, list[Named]] = {}
    for held in sorted(holders(session, today), key=lambda a: a.person.name):
        if held.process_id == process.id:
            people.setdefault(held.role, []).append(Named(held.person.handle, held.person.name))
    return ProcessPage(
        process.code,
        process.name,
        process.macro_process.code,
        process.macro_process.name,
        process.purpose or "",
        _flows(process.inputs, "provider", names),
        _flows(process.outputs, "receiver", names),
        [Interface(str(c), names.get(str(c))) for c in process.interfaces or []],
        [str(r) for r in process.resources or []],
        [str(r) for r in process.risks or []],
        process.retired_on,
        today,
        people,
        visible,
    )


def _flows(entries: Sequence[Any] | None, party: str, names: dict[str, str]) -> list[Flow]:
    """The map's inputs or outputs: ``{item, provider}`` / ``{item, receiver}``, or text."""
    found = []
    for entry in entries or []:
        if isinstance(entry, dict):
            who = str(entry.get(party) or "")
            found.append(Flow(str(entry.get("item", "")), who, who in names))
        else:
            found.append(Flow(str(entry), ""))
    return found


def _open(
    session: Session,
    model: type[Nonconformity] | type[ImprovementAction],
    process: Process,
    states: tuple[str, ...],
    today: date,
    words: Words,
) -> list[RecordLine]:
    """The process's records of that kind not in an end state: actions by due date,
    nonconformities newest first."""
    query = select(model).where(model.process_id == process.id, model.state.in_(states))
    if model is ImprovementAction:
        a = ImprovementAction
        query = query.order_by(a.due_date.is_(None), a.due_date, a.id)
        query = query.options(selectinload(a.owner))
    else:
        query = query.order_by(Nonconformity.detected_on.desc(), Nonconformity.id.desc())
    return [_line(record, today, words) for record in session.scalars(query)]


def _line(record: WorkflowRecord, today: date, words: Words) -> RecordLine:
    if isinstance(record, ImprovementAction):
        due, who = record.due_date, record.owner.name if record.owner else None
        late = due is not None and record.state in ACTION_OPEN_WORK and due < today
        days = (today - due).days if late and due else 0
    else:
        assert isinstance(record, Nonconformity)
        due, who, days = record.detected_on, None, 0
    return RecordLine(
        record.record_kind,
        record.id,
        record.title,
        words.state(record.record_kind, record.state),
        False,
        due,
        who,
        days,
    )


def _ends(app: Services, kind: str) -> frozenset[str]:
    return frozenset(set(app.registry.for_kind(kind).states) - set(open_states(app.registry, kind)))


def _audits(
    session: Session, process: Process, words: Words, ends: frozenset[str]
) -> list[RecordLine]:
    """The process's last audits, by planned start."""
    a = InternalAudit
    query = select(a).where(a.process_id == process.id)
    query = query.order_by(a.planned_start.is_(None), a.planned_start.desc(), a.id.desc())
    query = query.options(selectinload(a.lead_auditor))
    return [
        _dated(audit, audit.planned_start, audit.lead_auditor, words, ends)
        for audit in session.scalars(query.limit(LAST))
    ]


def _reviews(
    session: Session, process: Process, words: Words, ends: frozenset[str]
) -> list[RecordLine]:
    """The process's last reviews, by planned date."""
    r = ProcessReview
    query = select(r).where(r.process_id == process.id)
    query = query.order_by(r.planned_on.is_(None), r.planned_on.desc(), r.id.desc())
    return [
        _dated(review, review.planned_on, None, words, ends)
        for review in session.scalars(query.limit(LAST))
    ]


def _dated(
    record: WorkflowRecord,
    day: date | None,
    who: Person | None,
    words: Words,
    ends: frozenset[str],
) -> RecordLine:
    return RecordLine(
        record.record_kind,
        record.id,
        record.title,
        words.state(record.record_kind, record.state),
        record.state in ends,
        day,
        who.name if who else None,
    )


def _indicators(session: Session, process: Process, today: date) -> list[IndicatorLine]:
    """The process's indicators in force, each with its latest value and status."""
    indicators = list(
        session.scalars(
            select(Indicator)
            .where(Indicator.process_id == process.id, Indicator.retired_on.is_(None))
            .order_by(Indicator.position, Indicator.code)
        )
    )
    words = Words()
    lines = []
    for found in series.series(session, indicators, today):
        latest, status = found.latest, found.status
        lines.append(
            IndicatorLine(
                found.indicator.code,
                found.indicator.name,
                found.indicator.unit,
                latest.period if latest else None,
                latest.value if latest else None,
                status.value if status else None,
                words.term("status", status.value) if status else "—",
                found.trend,
            )
        )
    return lines
