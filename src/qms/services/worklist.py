"""What needs one person now, on one day: the web application's home page, and the tests.

A pilot sees, for the processes they pilot, the actions and nonconformities waiting on the
people of the process, the indicator values past due and not recorded, the latest values
off target and the breach proposals to decide; a correspondent sees the same for the
processes they help on, and the audit findings of those processes whose nonconformity or
action is not closed; anyone sees the actions they own whose next step is theirs.
Roles are those held that day (:func:`qms.services.processmap.queries.holders`, as the
agenda reads them); which states wait on whom comes from the workflow definitions, and a
state the worklist has no words for reads as its label.  Each kind of item is read in one
query whatever the number of records; the indicators in
:mod:`qms.services.worklist_indicators`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.clock import local_today
from qms.models import AuditFinding, ImprovementAction, Nonconformity, Process, Role
from qms.reporting.words import Words, words_for
from qms.services import shared, worklist_indicators
from qms.services.capa.vocabulary import ACTION_OPEN_WORK, NC_OPEN_WORK
from qms.services.processmap.queries import holders
from qms.services.worklist_indicators import Item, Scope, days_late
from qms.workflow.definition import WorkflowDefinition
from qms.workflow.guards import as_date
from qms.workflow.registry import Registry

__all__ = ["KINDS", "Item", "Worklist", "for_person"]

KINDS = ("improvement_action", "nonconformity", "measurement", "breach", "finding", "off_target")

# The roles of the people of a process: a record in a state one of them may leave by a
# step is waiting on the process (a state only a quality manager or an auditor leaves is not).
PROCESS_PEOPLE = frozenset({Role.PILOT.value, Role.CORRESPONDENT.value, "owner"})

# The next step from each state, in a few words.
NEXT_STEP = {
    ("nonconformity", "detected"): "to contain",
    ("nonconformity", "contained"): "to analyse",
    ("nonconformity", "analysed"): "to plan its corrective action",
    ("nonconformity", "action_planned"): "to implement",
    ("nonconformity", "implemented"): "effectiveness to check",
    ("nonconformity", "effectiveness_verified"): "to close",
    ("improvement_action", "proposed"): "to approve",
    ("improvement_action", "approved"): "to start",
    ("improvement_action", "in_progress"): "to implement",
    ("improvement_action", "done"): "effectiveness to check",
    ("improvement_action", "effectiveness_check"): "effectiveness check to conclude",
}

# The guard of the step that waits for a record's effectiveness check date: from the
# states it leaves, the record is due on that date.
CHECK_DUE_GUARD = "effectiveness_check_due"

Followed = ImprovementAction | Nonconformity


class Listed(Protocol):
    """The columns of a record's row that make its item."""

    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def process_id(self) -> int | None: ...
    @property
    def state(self) -> str: ...


@dataclass(frozen=True)
class Worklist:
    processes: list[str]  # codes of the processes the person pilots or helps on that day
    items: list[Item]  # overdue first (most late first), then by due date (None last)
    names: dict[str, str] = field(default_factory=dict)  # process code: name, of every process

    def of_kind(self, kind: str) -> list[Item]:
        return [item for item in self.items if item.kind == kind]

    def counts(self) -> dict[str, int]:
        """How many items of each kind, every kind named (0 when there is none)."""
        found = Counter(item.kind for item in self.items)
        return {kind: found[kind] for kind in KINDS}


def for_person(app: Services, handle: str, today: date | None = None) -> Worklist:
    """What ``handle`` has to do or follow on ``today`` (by default, today in the institution).

    An unknown handle is a ValidationError; someone inactive that day has nothing to do.
    """
    today = today or local_today(app.engine.clock, app.settings.zone)
    with app.database.reading() as session:
        person = shared.person(session, handle)
        if not person.active_on(today):
            return Worklist([], [])
        scope = _scope(session, person.id, today)
        names = dict(session.execute(select(Process.code, Process.name)).all())
        words = words_for(session, app.registry)
        items = [
            *_actions(session, app.registry, scope, today, words),
            *_nonconformities(session, app.registry, scope, today, words),
            *_findings(session, app.registry, scope, today, words),
            *worklist_indicators.items(session, scope, today),
        ]
    return Worklist(scope.process_codes(), sorted(items, key=_order), names)


def _scope(session: Session, person_id: int, today: date) -> Scope:
    """The person's pilot and correspondent roles that day (a pilot's role wins), and the
    code of every process."""
    roles: dict[int, str] = {}
    mine = holders(session, today, person_id)
    for held in sorted(mine, key=lambda h: h.role == Role.PILOT):  # a pilot's role wins
        if held.process_id is not None and held.role in (Role.PILOT, Role.CORRESPONDENT):
            roles[held.process_id] = held.role.value
    codes = dict(session.execute(select(Process.id, Process.code)).all())
    return Scope(person_id, roles, codes)


def _order(item: Item) -> tuple[object, ...]:
    """Most late first, then by due date (none last), then kind and id."""
    due = item.due or date.max
    return (-item.days_late, item.due is None, due, KINDS.index(item.kind), item.record_id or 0)


def _waiting_on(definition: WorkflowDefinition, roles: Iterable[str]) -> list[str]:
    """The states a record leaves by a step that someone holding one of ``roles`` may fire."""
    wanted = frozenset(roles)
    return [
        name
        for name, state in definition.states.items()
        if not state.terminal
        and any(name in t.sources and t.roles & wanted for t in definition.transitions)
    ]


def _checked_from(definition: WorkflowDefinition) -> set[str]:
    """The states left by the step that waits for the effectiveness check date."""
    return {
        source
        for transition in definition.transitions
        if CHECK_DUE_GUARD in transition.guards
        for source in transition.sources
    }


def _actions(
    session: Session, registry: Registry, scope: Scope, today: date, words: Words
) -> list[Item]:
    """Actions of the person's processes waiting on their people, and the person's own where
    the next step is the owner's; due on their due date while the work is open (the
    vocabulary's ``ACTION_OPEN_WORK``), then on their effectiveness check date until the
    check starts."""
    model = ImprovementAction
    definition = registry.for_kind(model.record_kind)
    query = select(  # columns, not entities: a pilot may have hundreds of open actions
        model.id,
        model.title,
        model.process_id,
        model.state,
        model.due_date,
        model.effectiveness_check_date,
    ).where(
        or_(
            and_(
                model.process_id.in_(list(scope.roles)),
                model.state.in_(_waiting_on(definition, PROCESS_PEOPLE)),
            ),
            and_(
                model.owner_id == scope.person_id,
                model.state.in_(_waiting_on(definition, ["owner"])),
            ),
        )
    )
    checked_from = _checked_from(definition)
    found = []
    for row in session.execute(query):
        due = row.due_date if row.state in ACTION_OPEN_WORK else None
        if row.state in checked_from:
            due = row.effectiveness_check_date
        found.append(_record_item(scope, model.record_kind, row, due, today, words))
    return found


def _nonconformities(
    session: Session, registry: Registry, scope: Scope, today: date, words: Words
) -> list[Item]:
    """Nonconformities of the person's processes waiting on their people; due on the earliest
    due date of their open corrective actions while being worked on (``NC_OPEN_WORK``), then
    on their effectiveness check date until it is checked."""
    model = Nonconformity
    definition = registry.for_kind(model.record_kind)
    query = select(
        model.id,
        model.title,
        model.process_id,
        model.state,
        model.action_due_date,
        model.data["effectiveness_check_date"].as_string().label("check_date"),
    ).where(
        model.process_id.in_(list(scope.roles)),
        model.state.in_(_waiting_on(definition, PROCESS_PEOPLE)),
    )
    checked_from = _checked_from(definition)
    found = []
    for row in session.execute(query):
        due = row.action_due_date if row.state in NC_OPEN_WORK else None
        if row.state in checked_from:
            due = as_date(row.check_date)
        found.append(_record_item(scope, model.record_kind, row, due, today, words))
    return found


def _record_item(
    scope: Scope, kind: str, row: Listed, due: date | None, today: date, words: Words
) -> Item:
    """An action's or a nonconformity's item, from its row (id, title, process_id, state)."""
    return Item(
        kind=kind,
        record_id=row.id,
        title=row.title,
        process=scope.code(row.process_id),
        why=NEXT_STEP.get((kind, row.state)) or words.state(kind, row.state),
        state=row.state,
        due=due,
        days_late=days_late(due, today),
        link=f"/records/{kind}/{row.id}",
    )


def _findings(
    session: Session, registry: Registry, scope: Scope, today: date, words: Words
) -> list[Item]:
    """Findings of the processes the person helps on whose nonconformity or action is not
    closed, followed to closure by the correspondent; due when that record is."""
    helped = [pid for pid, role in scope.roles.items() if role == Role.CORRESPONDENT]
    nc_closed = _terminal(registry, Nonconformity.record_kind)
    action_closed = _terminal(registry, ImprovementAction.record_kind)
    query = (
        select(AuditFinding, Nonconformity, ImprovementAction)
        .outerjoin(Nonconformity, AuditFinding.nonconformity_id == Nonconformity.id)
        .outerjoin(ImprovementAction, AuditFinding.action_id == ImprovementAction.id)
        .where(
            AuditFinding.process_id.in_(helped),
            or_(
                Nonconformity.state.not_in(nc_closed),
                ImprovementAction.state.not_in(action_closed),
            ),
        )
    )
    found = []
    for finding, nc, action in session.execute(query):
        followed: Followed = nc if nc is not None and nc.state not in nc_closed else action
        due = followed.action_due_date if isinstance(followed, Nonconformity) else followed.due_date
        name = words.kind(followed.record_kind).lower()
        found.append(
            Item(
                kind="finding",
                record_id=finding.id,
                title=finding.title,
                process=scope.code(finding.process_id),
                why=f"finding to follow: {name} #{followed.id} not closed",
                state=finding.state,
                due=due,
                days_late=days_late(due, today),
                link=f"/records/{finding.record_kind}/{finding.id}",
            )
        )
    return found


def _terminal(registry: Registry, kind: str) -> list[str]:
    return [s.name for s in registry.for_kind(kind).states.values() if s.terminal]
