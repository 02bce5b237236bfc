"""What happens to a nonconformity once detected, on the demo's timeline (clause 10.2).

A :class:`Case` is one nonconformity: logged by a pilot (:mod:`qms.demo.capa`) or raised
by an audit finding (:mod:`qms.demo.audits`).  :func:`follow` plans its containment, its
analysis (which says what the engine's repeat check found), its corrective action
approved, carried out and checked no sooner than its criteria say, and what the check
finds: not effective when the problem came back in the window (a recurrence or a breach),
which sends the nonconformity back to analysis and a new action is planned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from qms.demo import DemoContext
from qms.demo.people import QUALITY_MANAGER, Inputs, People, exception, fire_action, people
from qms.demo.texts import records_of
from qms.demo.timeline import Occurrence
from qms.models import ImprovementAction, Nonconformity
from qms.services.capa import nonconformities, register

__all__ = ["QUALITY_MANAGER", "Case", "People", "fire_action", "follow", "people"]

RECENT_DAYS = 90  # a case left waiting at a step is one of the last three months
OPEN = ("detected", "contained", "analysed", "action_planned", "implemented")


@dataclass
class Case:
    """One nonconformity of the story and how far its age takes it."""

    index: int
    process: str
    title: str
    cause: str
    detected: datetime  # the moment it is logged or raised
    containment: str
    root_cause: str
    plans: list[str]  # action titles: the first plan, then the one after an ineffective check
    criteria: tuple[str, int]  # effectiveness criteria and the days they name
    owner: str
    raised_action: bool = False  # an audit finding raised its first action already
    not_before: date | None = None  # no check before (an audit's follow-up)
    waits_in: str = ""  # detected, contained or analysed: the latest wait for their next step
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def what(self) -> str:
        return f"nonconformity {self.title!r} ({self.process})"


def fire_nc(ctx: DemoContext, case: Case, trigger: str, actor: str, inputs: Inputs) -> None:
    given = inputs() if callable(inputs) else inputs
    nonconformities.fire(ctx.app, case.ids["nc"], trigger, actor, dict(given))


def current_action(ctx: DemoContext, case: Case) -> int:
    with ctx.app.database.reading() as session:
        return register.actions_of(session, case.ids["nc"])[-1].id


def similar_text(ctx: DemoContext, case: Case) -> str:
    """What the repeat check will find for this cause, written as the pilot reads it."""
    window = ctx.app.settings.repeat_window_months
    with ctx.app.database.reading() as session:
        nc = session.get(Nonconformity, case.ids["nc"])
        assert nc is not None
        probe = Nonconformity(
            id=nc.id,
            process_id=nc.process_id,
            cause_category=case.cause,
            detected_on=nc.detected_on,
        )
        alike = nonconformities.earlier_alike(session, probe, window)
    if not alike:
        return (
            f"Register searched for {case.process} ({case.cause}, {window} months): no earlier case"
        )
    first = alike[0]
    if first.state in OPEN:
        return (
            f"Repeat of nonconformity #{first.id} ({first.title}), still open: both are "
            "followed together"
        )
    return (
        f"Repeat of nonconformity #{first.id} ({first.title}), {first.state}: its action "
        "did not hold"
    )


def follow(ctx: DemoContext, case: Case, people: People) -> None:
    """Contain, analyse, plan; stop early for some records so that every state shows."""
    rng, line = ctx.rng, ctx.timeline
    pilot = people.pilots[case.process]
    if case.waits_in == "detected":
        return  # just logged: waiting for containment
    if case.index % 17 == 16 and not case.raised_action:
        line.add(
            case.detected.date() + timedelta(days=2),
            lambda: fire_nc(
                ctx,
                case,
                "cancel",
                QUALITY_MANAGER,
                {"cancellation_reason": "Logged twice: the same event is already in the register"},
            ),
            f"cancel {case.what}",
            after=case.detected,
        )
        return
    contained = line.add(
        case.detected.date() + timedelta(days=rng.randint(0, 2)),
        lambda: fire_nc(ctx, case, "contain", pilot, {"containment": case.containment}),
        f"contain {case.what}",
        after=case.detected,
    )
    if contained is None or case.waits_in == "contained":
        return
    analysis = lambda: {  # noqa: E731 - read when it runs: what the register holds then
        "root_cause": case.root_cause,
        "cause_category": case.cause,
        "similar_nonconformities": similar_text(ctx, case),
        "corrective_action_needed": "yes",
    }
    analysed = line.add(
        contained.date() + timedelta(days=rng.randint(4, 12)),
        lambda: fire_nc(ctx, case, "analyse", pilot, analysis),
        f"analyse {case.what}",
        after=contained,
    )
    if analysed is not None and case.waits_in != "analysed":
        plan_round(ctx, case, people, analysed, 0)


def plan_round(ctx: DemoContext, case: Case, people: People, since: datetime, round_: int) -> None:
    """One corrective action: planned, approved, started, done, checked."""
    rng, line = ctx.rng, ctx.timeline
    pilot, days = people.pilots[case.process], case.criteria[1]
    day = since.date() + timedelta(days=rng.randint(2, 7))
    due = day + timedelta(days=rng.randint(30, 70))
    check = due + timedelta(days=days + 25)
    if case.raised_action and round_ == 0:
        plan: Inputs = {}
    else:
        plan = {
            "action_plan": case.plans[round_],
            "action_owner": case.owner,
            "action_due_date": due.isoformat(),
            "effectiveness_criteria": case.criteria[0],
            "effectiveness_check_date": check.isoformat(),
        }
    planned = line.add(
        day,
        lambda: fire_nc(ctx, case, "plan_action", pilot, plan),
        f"plan an action on {case.what}",
        after=since,
    )
    if planned is None:
        return
    _carry_out(ctx, case, people, planned, round_)


def _action_facts(ctx: DemoContext, case: Case) -> tuple[int, str, date, date]:
    with ctx.app.database.reading() as session:
        action = session.get(ImprovementAction, current_action(ctx, case))
        assert action is not None and action.owner is not None
        assert action.due_date is not None and action.effectiveness_check_date is not None
        return action.id, action.owner.handle, action.due_date, action.effectiveness_check_date


def _carry_out(
    ctx: DemoContext, case: Case, people: People, planned: datetime, round_: int
) -> None:
    """The action's own steps are planned when it exists (its owner and dates known)."""

    def steps() -> None:
        action_id, owner, due, check = _action_facts(ctx, case)
        case.ids["action"] = action_id
        _action_steps(ctx, case, people, (owner, due, check), round_)

    ctx.timeline.add(planned.date(), steps, f"follow the action of {case.what}", after=planned)


def _action_steps(
    ctx: DemoContext, case: Case, people: People, facts: tuple[str, date, date], round_: int
) -> None:
    rng, line, now = ctx.rng, ctx.timeline, ctx.timeline.now
    assert now is not None
    owner, due, check = facts
    action_id = case.ids["action"]
    approver = people.approver(case.process, owner)
    if approver is None:
        approver = owner
        line.add(now.date(), lambda: exception(ctx, action_id, owner, case.process), "exception")
    approved = line.add(
        now.date() + timedelta(days=1),
        lambda: fire_action(ctx, action_id, "approve", approver),
        "approve",
    )
    if approved is None:
        return
    started = line.add(
        approved.date() + timedelta(days=rng.randint(1, 4)),
        lambda: fire_action(ctx, action_id, "start", owner),
        "start",
        after=approved,
    )
    if started is None or (case.index % 5 == 3 and due > ctx.today - timedelta(days=RECENT_DAYS)):
        return  # still in progress: overdue once its due date passes
    done_day = max(due + timedelta(days=rng.randint(-15, 12)), started.date() + timedelta(days=5))
    done = line.add(
        done_day,
        lambda: fire_action(
            ctx, action_id, "complete", owner, {"work_done": _work_done(case, round_)}
        ),
        "complete",
        after=started,
    )
    if done is None:
        return
    pilot = people.pilots[case.process]
    notes = f"Action #{action_id} done on {done:%d %B %Y}: {case.plans[round_]}"
    implemented = line.add(
        done.date(),
        lambda: fire_nc(ctx, case, "implement", pilot, {"implementation_notes": notes}),
        f"implement {case.what}",
        after=done,
    )
    if implemented is not None:
        _check(ctx, case, people, implemented, (owner, check), round_)


def _work_done(case: Case, round_: int) -> str:
    return f"{case.plans[round_]}: in place from the next {records_of(case.process)} on"


def _check(
    ctx: DemoContext,
    case: Case,
    people: People,
    implemented: datetime,
    facts: tuple[str, date],
    round_: int,
) -> None:
    """Checked no sooner than the criteria's period after implementation; not effective
    when the problem came back (a later case of the same cause, or a breach) by then."""
    line, owner = ctx.timeline, facts[0]
    earliest = implemented.date() + timedelta(days=case.criteria[1])
    day = max(facts[1], earliest, case.not_before or earliest)
    at = line.moment(day, after=implemented)
    if at is None:
        return  # implemented, waiting for its check
    came_back = line.recurred(case.process, case.cause, implemented.date(), at.date())
    pilot, action_id = people.pilots[case.process], case.ids["action"]
    checker = pilot if pilot != owner else QUALITY_MANAGER
    records = records_of(case.process)
    if came_back is None:
        seen = ctx.rng.randint(6, 40)
        result, trigger = "effective", "close"
        evidence = f"{seen} {records} from {implemented:%d %B} to {at:%d %B} examined: no new case"
    else:
        result, trigger = "ineffective", "close_ineffective"
        what = came_back.what[:1].upper() + came_back.what[1:]
        evidence = f"{what} on {came_back.day:%d %B}, within the check period"
    checked = line.add(
        day,
        lambda: fire_action(ctx, action_id, "check_effectiveness", checker),
        "check",
        after=implemented,
    )
    if checked is None:
        return  # the check falls after the demo's last day: implemented, waiting for it
    closing = {"effectiveness_result": result, "effectiveness_evidence": evidence}
    closed = line.add(
        day, lambda: fire_action(ctx, action_id, trigger, checker, closing), "close", after=checked
    )
    if closed is None:
        return
    nc_check = {
        "effectiveness_result": result,
        "effectiveness_evidence": f"Action #{action_id} checked {result}. {evidence}",
    }
    verified = line.add(
        day,
        lambda: fire_nc(ctx, case, "check_effectiveness", pilot, nc_check),
        f"check {case.what}",
        after=closed,
    )
    if verified is not None:
        _after_check(ctx, case, people, verified, came_back, round_)


def _after_check(
    ctx: DemoContext,
    case: Case,
    people: People,
    verified: datetime,
    came_back: Occurrence | None,
    round_: int,
) -> None:
    later = verified.date() + timedelta(days=ctx.rng.randint(1, 8))
    if came_back is None:
        if case.index % 14 != 13:  # else: checked, waiting for the quality manager
            ctx.timeline.add(
                later,
                lambda: fire_nc(ctx, case, "close", QUALITY_MANAGER, {}),
                f"close {case.what}",
                after=verified,
            )
        return
    reason = f"The problem came back ({came_back.what}): the cause was not removed"
    again = ctx.timeline.add(
        later,
        lambda: fire_nc(ctx, case, "reanalyse", QUALITY_MANAGER, {"reanalysis_reason": reason}),
        f"reanalyse {case.what}",
        after=verified,
    )
    if again is not None and round_ + 1 < len(case.plans):
        plan_round(ctx, case, people, again, round_ + 1)
