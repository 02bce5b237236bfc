"""Demo step: a year of nonconformities and improvement actions across the example processes.

Records are spread over the past year and taken as far through their workflow as
their age allows, so every state shows up: some closed as effective, some found
ineffective and analysed again, some cancelled or rejected, some overdue.  The
problems and ideas themselves are in :mod:`qms.demo.capa_story`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from qms.demo import DemoContext
from qms.demo.capa_story import IDEAS, PROBLEMS, QUALITY_MANAGER, Problem
from qms.errors import QmsError
from qms.models import Nonconformity, Role
from qms.services import duties, shared
from qms.services.capa import actions, nonconformities, register
from qms.services.capa.actions import NewAction
from qms.services.capa.nonconformities import NewNonconformity
from qms.services.processmap import queries as processmap


@dataclass
class Timeline:
    """Events of the year, run in date order so the trail reads like the year it was."""

    ctx: DemoContext
    events: list[tuple[date, int, Callable[[], None]]]

    def add(self, day: date, event: Callable[[], None]) -> bool:
        if day > self.ctx.today:
            return False
        self.events.append((day, len(self.events), event))
        return True

    def play(self) -> list[str]:
        """Run the events; return why each one that did not apply was refused."""
        refusals = []
        for day, seq, event in sorted(self.events, key=lambda e: (e[0], e[1])):
            self.ctx.at(day, hour=9 + seq % 8)
            try:
                event()
            except QmsError as exc:
                refusals.append(f"{day}: {exc}")
        return refusals


def run(ctx: DemoContext) -> list[str]:
    with ctx.app.database.reading() as session:
        if session.scalar(select(func.count()).select_from(Nonconformity)):
            return ["nonconformities and actions: already present, left as they are"]
        holders = processmap.holders(session, ctx.today)
        tree = processmap.tree(session)
    codes = {p.id: p.code for m in tree for p in m.processes}
    pilots = {
        codes[a.process_id]: a.person.handle
        for a in holders
        if a.role == Role.PILOT and a.process_id in codes
    }
    helpers: dict[str, list[str]] = {}
    for a in holders:
        if a.role in (Role.CORRESPONDENT, Role.CONTRIBUTOR) and a.process_id in codes:
            helpers.setdefault(codes[a.process_id], []).append(a.person.handle)
    timeline = Timeline(ctx, [])
    for index, problem in enumerate(PROBLEMS * 2):
        _nonconformity(timeline, index, problem, pilots, helpers)
    for index, idea in enumerate(IDEAS * 2):
        _idea(timeline, index, idea, pilots, helpers)
    refusals = timeline.play()
    with ctx.app.database.reading() as session:
        count = session.scalar(select(func.count()).select_from(Nonconformity)) or 0
    lines = [
        f"nonconformities and actions: {count} nonconformities and "
        f"{len(timeline.events)} workflow steps over the past year"
    ]
    if refusals:
        lines.append(f"  {len(refusals)} steps were refused, the first: {refusals[0]}")
    return lines


def _nonconformity(
    timeline: Timeline,
    index: int,
    problem: Problem,
    pilots: dict[str, str],
    helpers: dict[str, list[str]],
) -> None:
    ctx, rng = timeline.ctx, timeline.ctx.rng
    pilot = pilots[problem.process]
    owner = rng.choice(helpers.get(problem.process, [pilot]))
    detected = ctx.start + timedelta(days=rng.randint(5, 350))
    ids: dict[str, int] = {}
    spec = NewNonconformity(
        title=problem.title,
        process=problem.process,
        source=problem.source,
        severity=problem.severity,
        description=problem.title + ".",
        reference=_reference(problem, index, detected),
    )

    def create() -> None:
        ids["nc"] = nonconformities.new(ctx.app, pilot, spec).id

    def fire(trigger: str, actor: str, **inputs: str) -> Callable[[], None]:
        return lambda: None if "nc" not in ids else _fire_nc(ctx, ids["nc"], trigger, actor, inputs)

    def act(trigger: str, actor: str, **inputs: str) -> Callable[[], None]:
        """A step of the corrective action the nonconformity planned."""
        return lambda: (
            None if "nc" not in ids else _fire_nc_action(ctx, ids["nc"], trigger, actor, inputs)
        )

    timeline.add(detected, create)
    if index % 11 == 10:
        return  # just logged: waiting for containment
    if index % 17 == 16:
        timeline.add(
            detected + timedelta(days=2),
            fire("cancel", QUALITY_MANAGER, cancellation_reason="Recorded twice"),
        )
        return
    day = detected + timedelta(days=rng.randint(0, 3))
    containment = f"Immediate fix while the cause is analysed: {problem.plan.lower()}"
    if not timeline.add(day, fire("contain", pilot, containment=containment)) or index % 13 == 12:
        return
    day += timedelta(days=rng.randint(4, 15))
    analysis = {
        "root_cause": problem.root_cause,
        "cause_category": problem.cause,
        "similar_nonconformities": "Searched the register: none open",
        "corrective_action_needed": "yes",
    }
    if not timeline.add(day, fire("analyse", pilot, **analysis)):
        return
    _plan_and_check(timeline, index, problem, day, pilot, owner, fire, act)


def _reference(problem: Problem, index: int, detected: date) -> str:
    """Where the nonconformity came from (clause 10.2.2 a): a complaint's number, the
    certification body's report."""
    if problem.source == "complaint":
        return f"Complaint CPL-{detected.year}-{index + 1:03d}"
    if problem.source == "external_audit":
        return f"Certification body's surveillance audit report {detected.year}"
    return ""


def _plan_and_check(
    timeline: Timeline,
    index: int,
    problem: Problem,
    day: date,
    pilot: str,
    owner: str,
    fire: Callable[..., Callable[[], None]],
    act: Callable[..., Callable[[], None]],
) -> None:
    """The corrective action planned on the nonconformity is an action record: approved by
    someone other than its owner, carried out, its effectiveness checked against its
    criteria; then the nonconformity is implemented, checked and closed (clause 10.2.1)."""
    rng = timeline.ctx.rng
    day += timedelta(days=rng.randint(3, 10))
    due = day + timedelta(days=rng.randint(30, 75))
    check = due + timedelta(days=rng.randint(30, 60))
    plan = {
        "action_plan": problem.plan,
        "action_owner": owner,
        "action_due_date": due.isoformat(),
        "effectiveness_criteria": "No new occurrence over the following term",
        "effectiveness_check_date": check.isoformat(),
    }
    if not timeline.add(day, fire("plan_action", pilot, **plan)):
        return
    _approve(timeline, day + timedelta(days=1), pilot, owner, act)
    if not timeline.add(day + timedelta(days=2), act("start", owner)) or index % 5 == 3:
        return  # still waiting for its action: overdue once the due date passes
    done = max(due + timedelta(days=rng.randint(-15, 20)), day + timedelta(days=3))
    if not timeline.add(done, act("complete", owner, work_done=problem.plan + ": done")):
        return
    notes = f"{problem.plan}: done by the action's owner"
    if not timeline.add(done, fire("implement", pilot, implementation_notes=notes)):
        return
    ineffective = index % 6 == 2
    checked = max(check, done)
    checker = pilot if owner != pilot else QUALITY_MANAGER
    result = "ineffective" if ineffective else "effective"
    evidence = (
        "The problem happened again" if ineffective else "No recurrence observed since the change"
    )
    timeline.add(checked, act("check_effectiveness", checker))
    closing = "close_ineffective" if ineffective else "close"
    timeline.add(checked, act(closing, checker, effectiveness_result=result,
                              effectiveness_evidence=evidence))  # fmt: skip
    if not timeline.add(
        checked,
        fire(
            "check_effectiveness",
            pilot,
            effectiveness_result=result,
            effectiveness_evidence=f"{evidence}; its corrective action was checked and closed",
        ),
    ):
        return
    later = checked + timedelta(days=rng.randint(1, 10))
    if index % 14 == 13:
        return  # checked, waiting for the quality manager to close it
    if ineffective:
        timeline.add(
            later,
            fire(
                "reanalyse",
                QUALITY_MANAGER,
                reanalysis_reason="The same failure recurred after the change",
            ),
        )
    else:
        timeline.add(later, fire("close", QUALITY_MANAGER))


def _approve(
    timeline: Timeline, day: date, pilot: str, owner: str, act: Callable[..., Callable[[], None]]
) -> None:
    """The pilot approves; when the pilot is the action's owner too, the quality manager
    first records an exception to the segregation of duties (clause 5.3), with its reason."""
    if owner == pilot:
        timeline.add(day, act("exception", owner))
    timeline.add(day, act("approve", pilot))


def _fire_nc(
    ctx: DemoContext, nc_id: int, trigger: str, actor: str, inputs: dict[str, str]
) -> None:
    nonconformities.fire(ctx.app, nc_id, trigger, actor, inputs)


def _fire_nc_action(
    ctx: DemoContext, nc_id: int, trigger: str, actor: str, inputs: dict[str, str]
) -> None:
    with ctx.app.database.reading() as session:
        planned = register.actions_of(session, nc_id)
    if not planned:
        return  # its plan was refused (the timeline reports why)
    action_id = planned[-1].id
    if trigger == "exception":
        _exception(ctx, action_id, actor)
        return
    _fire_action(ctx, action_id, trigger, actor, inputs)


def _exception(ctx: DemoContext, action_id: int, owner: str) -> None:
    """The quality manager lets a pilot who owns the action approve it (clause 5.3)."""
    reason = "The pilot is the only person working on this process"
    duties.grant(
        ctx.app, QUALITY_MANAGER, "improvement_action", action_id, "approve", owner, reason
    )


def _idea(
    timeline: Timeline,
    index: int,
    idea: tuple[str, str, str],
    pilots: dict[str, str],
    helpers: dict[str, list[str]],
) -> None:
    ctx, rng = timeline.ctx, timeline.ctx.rng
    process, title, kind = idea
    pilot = pilots[process]
    owner = rng.choice(helpers.get(process, [pilot]))
    created = ctx.start + timedelta(days=rng.randint(5, 355))
    due = created + timedelta(days=rng.randint(30, 120))
    check = due + timedelta(days=45)
    ids: dict[str, int] = {}
    spec = NewAction(
        title=title,
        process=process,
        owner=owner,
        due_date=due,
        kind=kind,
        priority=rng.choice(["low", "normal", "normal", "high"]),
        origin="suggestion",
        effectiveness_criteria="Benefit observed by the pilot",
        effectiveness_check_date=check,
    )

    def create() -> None:
        ids["a"] = actions.new(ctx.app, owner, spec).id

    def fire(trigger: str, actor: str, **inputs: str) -> Callable[[], None]:
        return lambda: (
            None if "a" not in ids else _fire_action(ctx, ids["a"], trigger, actor, inputs)
        )

    timeline.add(created, create)
    if index % 10 == 9:
        return  # proposed: waiting for the pilot
    day = created + timedelta(days=rng.randint(1, 7))
    if index % 9 == 4:
        timeline.add(day, fire("reject", pilot, rejection_reason="Not a priority this year"))
        return
    if owner == pilot:  # the owner may not approve their own action (clause 5.3)
        timeline.add(day, lambda: None if "a" not in ids else _exception(ctx, ids["a"], owner))
    if not timeline.add(day, fire("approve", pilot)) or index % 11 == 7:
        return
    checker = pilot if owner != pilot else QUALITY_MANAGER
    day += timedelta(days=rng.randint(1, 10))
    if not timeline.add(day, fire("start", owner)) or index % 4 == 1:
        return  # in progress: overdue once its due date passes
    done = due + timedelta(days=rng.randint(-20, 10))
    if not timeline.add(done, fire("complete", owner, work_done=f"{title}: in place")):
        return
    if index % 8 == 6:
        return  # done, effectiveness not yet checked
    if not timeline.add(max(done, check), fire("check_effectiveness", checker)) or index % 12 == 3:
        return
    closing = max(done, check) + timedelta(days=rng.randint(1, 7))
    if index % 7 == 5:
        timeline.add(
            closing,
            fire(
                "reopen",
                checker,
                reopen_reason="Not used yet by the teams",
                effectiveness_result="ineffective",
            ),
        )
    else:
        timeline.add(
            closing,
            fire(
                "close",
                checker,
                effectiveness_result="effective",
                effectiveness_evidence="Confirmed at the process review",
            ),
        )


def _fire_action(
    ctx: DemoContext, action_id: int, trigger: str, actor: str, inputs: dict[str, str]
) -> None:
    shared.fire(
        ctx.app.database, ctx.app.engine, "improvement_action", action_id, trigger, actor, inputs
    )
