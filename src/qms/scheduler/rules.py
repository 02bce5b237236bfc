"""Reminder rules and schedules (``workflows/reminders.yaml``), read and checked.

Each rule watches one date of one kind of record (an action's due date, an audit's
start...) and says when to remind, whom, and whom to escalate to.  Every problem is
reported as ``file:line: message``, all at once, like the other YAML files.

Offsets are counted in days from the rule's *deadline* (the date, or the last day of its
month with ``deadline: end_of_month``, plus ``date_plus_days``): -7 is a week before, 0 the
day itself, 14 two weeks late.

A rule may watch a kind of record that has no workflow of its own but a state worked out
from other records (a programme entry's, from its audit): its model lists the values of
that ``state`` in ``states``, and the rule's ``states`` are checked against them.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlalchemy import ColumnElement, Date, inspect

from qms import yamldoc
from qms.errors import DefinitionError, Problem
from qms.models import Base
from qms.scheduler.schedules import MAX_DAYS, Schedules, SchedulesSpec, schedules_of
from qms.workflow.definition import WorkflowDefinition
from qms.yamldoc import Document, Spec

RecipientName = Literal["owner", "pilot", "correspondents", "directors", "quality_managers"]
yamldoc.describe_pattern(r"^[a-z][a-z0-9-]*$", "a name in lowercase like action-due")

# Bounds on every number of the file, so that a file ``qms scheduler rules`` accepts can
# always be planned: ten years of days either way keeps every date the planner computes
# (today, a record's date, plus or minus these) far inside what a date can hold.
MAX_STEPS = 50  # entries of ``before`` or ``escalate`` in one rule
Days = Annotated[int, Field(le=MAX_DAYS)]  # ``before``: 1 or more, checked with its own message


class EscalationSpec(Spec):
    after: int = Field(ge=1, le=MAX_DAYS, description="days past the deadline")
    to: list[RecipientName] = Field(min_length=1)


class RuleSpec(Spec):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=40)
    label: str = Field(min_length=1, max_length=200)  # the e-mail's subject
    record: str = Field(min_length=1)
    date: str = Field(min_length=1)
    date_plus_days: int = Field(0, ge=-MAX_DAYS, le=MAX_DAYS)
    deadline: Literal["date", "end_of_month"] = "date"
    states: list[str] | None = None
    to: list[RecipientName] = Field(min_length=1)
    before: list[Days] = Field([], max_length=MAX_STEPS)
    on_the_day: bool = True
    after: list[Days] = Field([], max_length=MAX_STEPS)
    overdue_every: int | None = Field(None, ge=1, le=MAX_DAYS)
    escalate: list[EscalationSpec] = Field([], max_length=MAX_STEPS)
    optional: bool = False


class RemindersSpec(Spec):
    schedules: SchedulesSpec = SchedulesSpec()
    rules: list[RuleSpec] = Field(min_length=1)


@dataclass(frozen=True)
class WorkflowStates:
    """The states of a record kind's workflow, and those still open (not terminal)."""

    all: tuple[str, ...]
    open: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    model: type[Base]
    date_field: str
    date_plus_days: int
    states: tuple[str, ...]  # empty: the record kind has no workflow state
    to: tuple[str, ...]
    before: tuple[int, ...]
    on_the_day: bool
    overdue_every: int | None
    escalate: tuple[tuple[int, tuple[str, ...]], ...]  # (after, to), by ``after``
    after: tuple[int, ...] = ()  # days late to remind on, besides ``overdue_every``
    end_of_month: bool = False  # the deadline is the last day of the date's month

    @property
    def kind(self) -> str:
        return str(self.model.__tablename__)

    def column(self, name: str) -> ColumnElement[Any]:
        """A column of the rule's table (its date, its state...)."""
        found: ColumnElement[Any] = inspect(self.model).columns[name]
        return found

    def fixed_offsets(self) -> list[int]:
        offsets = [-b for b in self.before] + list(self.after)
        offsets += [after for after, _ in self.escalate]
        return [*offsets, 0] if self.on_the_day else offsets

    def occurrence(self, days_late: int) -> int | None:
        """The latest offset at or before ``days_late`` (today minus the deadline), if any."""
        found = [o for o in self.fixed_offsets() if o <= days_late]
        if self.overdue_every and days_late >= self.overdue_every:
            found.append(days_late - days_late % self.overdue_every)
        return max(found, default=None)

    def recipients_at(self, offset: int) -> tuple[str, ...]:
        """Whom the reminder at ``offset`` goes to: ``to``, plus every escalation reached."""
        names = list(self.to)
        for after, to in self.escalate:
            if offset >= after:
                names.extend(n for n in to if n not in names)
        return tuple(names)

    def window(self, today: date) -> tuple[date | None, date]:
        """Bounds on the stored date of the records that may have a reminder due today."""
        first = min(self.fixed_offsets() + ([self.overdue_every] if self.overdue_every else []))
        high = today - timedelta(days=first + self.date_plus_days)
        if self.overdue_every:
            return None, high
        last = max(self.fixed_offsets())
        low = today - timedelta(days=last + self.date_plus_days)
        return (low.replace(day=1) if self.end_of_month else low), high

    def deadline(self, stored: date) -> date:
        if self.end_of_month:
            stored = stored.replace(day=calendar.monthrange(stored.year, stored.month)[1])
        return stored + timedelta(days=self.date_plus_days)


@dataclass(frozen=True)
class Reminders:
    """The rules in force, the optional rules left out (with why), and the schedules."""

    source: str
    rules: tuple[Rule, ...]
    inactive: tuple[tuple[str, str], ...]
    schedules: Schedules

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def read(path: Path | str, workflows: Mapping[str, WorkflowStates]) -> Reminders:
    """Parse and check the rules file; DefinitionError lists every problem with its line."""
    doc = yamldoc.load(path)
    spec = yamldoc.parse_checked(doc, RemindersSpec, lambda d, s: _meaning(d, s, workflows))
    rules: list[Rule] = []
    inactive: list[tuple[str, str]] = []
    problems = list(_duplicates(doc, spec))
    for i, rule_spec in enumerate(spec.rules):
        rule, found = _compile(doc, i, rule_spec, workflows)
        if rule is not None:
            rules.append(rule)
        elif rule_spec.optional and found:
            inactive.append((rule_spec.id, found[0].message))
        else:
            problems.extend(found)
    if problems:
        raise DefinitionError(problems)
    return Reminders(str(path), tuple(rules), tuple(inactive), schedules_of(spec.schedules))


def _meaning(
    doc: Document, spec: RemindersSpec, workflows: Mapping[str, WorkflowStates]
) -> Iterable[Problem]:
    """Every problem in the meaning of the rules (an optional rule's are not problems)."""
    yield from _duplicates(doc, spec)
    for i, rule_spec in enumerate(spec.rules):
        rule, found = _compile(doc, i, rule_spec, workflows)
        if rule is None and not (rule_spec.optional and found):
            yield from found


def _duplicates(doc: Document, spec: RemindersSpec) -> Iterable[Problem]:
    first: dict[str, int] = {}
    for i, rule in enumerate(spec.rules):
        if rule.id in first:
            line = doc.line(("rules", first[rule.id], "id"))
            yield doc.problem(
                ("rules", i, "id"), f"duplicate rule '{rule.id}' (first at line {line})"
            )
        else:
            first[rule.id] = i


def models_by_kind() -> dict[str, type[Base]]:
    """Every mapped class by table name (a workflow record's kind is its table name)."""
    return {
        str(m.class_.__tablename__): m.class_
        for m in Base.registry.mappers
        if hasattr(m.class_, "__tablename__")
    }


def _compile(
    doc: Document, i: int, spec: RuleSpec, workflows: Mapping[str, WorkflowStates]
) -> tuple[Rule | None, list[Problem]]:
    loc = ("rules", i)
    what = f"rule '{spec.id}'"
    model = models_by_kind().get(spec.record)
    if model is None:
        known = ", ".join(sorted(workflows))
        return None, [
            doc.problem((*loc, "record"), f"{what}: unknown record kind '{spec.record}' ({known})")
        ]
    dates = _date_columns(model)
    if spec.date not in dates:
        listed = ", ".join(dates) or "none"
        message = f"{what}: '{spec.record}' has no date '{spec.date}' (its dates: {listed})"
        return None, [doc.problem((*loc, "date"), message)]
    problems = list(_check_timing(doc, loc, what, spec))
    states, state_problems = _states(doc, loc, what, spec, workflows.get(spec.record), model)
    problems.extend(state_problems)
    if problems:
        return None, problems
    return _rule(spec, model, states), []


def _date_columns(model: type[Base]) -> list[str]:
    return [c.key for c in inspect(model).columns if isinstance(c.type, Date)]


def _states(
    doc: Document,
    loc: yamldoc.Loc,
    what: str,
    spec: RuleSpec,
    workflow: WorkflowStates | None,
    model: type[Base],
) -> tuple[tuple[str, ...], list[Problem]]:
    if "state" not in inspect(model).columns:
        if spec.states is not None:
            message = f"{what}: '{spec.record}' records have no workflow state"
            return (), [doc.problem((*loc, "states"), message)]
        return (), []
    computed: tuple[str, ...] | None = getattr(model, "states", None)
    if workflow is None and computed is not None:  # a state worked out from other records
        workflow = WorkflowStates(computed, computed)
    if workflow is None:
        message = f"{what}: no workflow definition for '{spec.record}'"
        return (), [doc.problem((*loc, "record"), message)]
    if spec.states is None:
        return workflow.open, []
    problems = [
        doc.problem(
            (*loc, "states", j),
            f"{what}: '{state}' is not a state of {spec.record} ({', '.join(workflow.all)})",
        )
        for j, state in enumerate(spec.states)
        if state not in workflow.all
    ]
    return tuple(spec.states), problems


def _check_timing(doc: Document, loc: yamldoc.Loc, what: str, spec: RuleSpec) -> Iterable[Problem]:
    for j, days in enumerate(spec.before):
        if days < 1:
            yield doc.problem(
                (*loc, "before", j), f"{what}: 'before' counts days ahead, 1 or more (got {days})"
            )
    for j, days in enumerate(spec.after):
        if days < 1:
            yield doc.problem(
                (*loc, "after", j), f"{what}: 'after' counts days late, 1 or more (got {days})"
            )
    if not (spec.before or spec.on_the_day or spec.after or spec.overdue_every or spec.escalate):
        yield doc.problem(
            (*loc, "id"),
            f"{what} never reminds: give 'before', 'on_the_day', 'overdue_every' or 'escalate'",
        )
    afters = [e.after for e in spec.escalate]
    if afters != sorted(set(afters)):
        yield doc.problem(
            (*loc, "escalate"), f"{what}: escalation steps must come in increasing 'after' order"
        )


def _rule(spec: RuleSpec, model: type[Base], states: tuple[str, ...]) -> Rule:
    return Rule(
        id=spec.id,
        label=spec.label,
        model=model,
        date_field=spec.date,
        date_plus_days=spec.date_plus_days,
        states=states,
        to=tuple(spec.to),
        before=tuple(sorted(set(spec.before), reverse=True)),
        on_the_day=spec.on_the_day,
        overdue_every=spec.overdue_every,
        escalate=tuple((e.after, tuple(e.to)) for e in spec.escalate),
        after=tuple(sorted(set(spec.after))),
        end_of_month=spec.deadline == "end_of_month",
    )


def workflow_states(definitions: Iterable[WorkflowDefinition]) -> dict[str, WorkflowStates]:
    """States per record kind, from the workflow definitions."""
    return {
        d.record_kind: WorkflowStates(
            tuple(d.states), tuple(n for n, s in d.states.items() if not s.terminal)
        )
        for d in definitions
    }
