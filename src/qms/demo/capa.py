"""Demo step: a year of nonconformities and improvement actions across the example processes.

The problems of :mod:`qms.demo.capa_story` are logged over the year, some of them twice
(the second time the engine flags a repeat); with the nonconformities the audit findings
raised they are followed by :mod:`qms.demo.cases` as far as their age allows.  The
staff's ideas become improvement actions, approved (or rejected), carried out and checked.
The year holds 40 nonconformities in all, whatever the audits raised.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from qms.demo import DemoContext
from qms.demo import cases as demo_cases
from qms.demo.capa_story import CRITERIA, IDEAS, PROBLEMS, QUALITY_MANAGER, STRONGER, Problem
from qms.demo.cases import Case, People, fire_action
from qms.demo.texts import records_of
from qms.demo.timeline import Occurrence
from qms.models import ImprovementAction, Nonconformity
from qms.services.capa import actions, nonconformities
from qms.services.capa.actions import NewAction
from qms.services.capa.nonconformities import NewNonconformity

NAME = "capa"
NONCONFORMITIES = 40  # in the year, those raised by audit findings included
BREACH_SOURCE = "RSC-02-SUPPLIERS"  # the indicator whose breach is logged as a nonconformity


def plan(ctx: DemoContext) -> None:
    with ctx.app.database.reading() as session:
        if session.scalar(select(func.count()).select_from(Nonconformity)):
            ctx.skipped.add(NAME)
            return
    people = demo_cases.people(ctx)
    logged = [_case(ctx, i, p, people) for i, p in enumerate(_problems(ctx))]
    latest = sorted(logged, key=lambda c: c.detected)
    for case, state in zip(latest[::-1], ("detected", "analysed", "contained"), strict=False):
        case.waits_in = state
    for case in [*logged, *ctx.audit_cases]:
        demo_cases.follow(ctx, case, people)
    for index, idea in enumerate(IDEAS):
        _idea(ctx, index, idea, people)


def report(ctx: DemoContext) -> list[str]:
    if NAME in ctx.skipped:
        return ["nonconformities and actions: already present, left as they are"]
    with ctx.app.database.reading() as session:
        ncs = session.scalar(select(func.count()).select_from(Nonconformity)) or 0
        acts = session.scalar(select(func.count()).select_from(ImprovementAction)) or 0
    return [
        f"nonconformities and actions: {ncs} nonconformities and {acts} actions over the "
        f"past year, {ctx.timeline.played} steps played in date order"
    ]


def _problems(ctx: DemoContext) -> list[tuple[Problem, int]]:
    """Each problem once, then again for the first ones, up to the year's count."""
    again = max(0, NONCONFORMITIES - len(ctx.audit_cases) - len(PROBLEMS))
    return [(p, 0) for p in PROBLEMS] + [(p, 1) for p in PROBLEMS[:again]]


def _case(ctx: DemoContext, index: int, chosen: tuple[Problem, int], people: People) -> Case:
    problem, occurrence = chosen
    rng = ctx.rng
    detected = _detected(ctx, problem, occurrence)
    title = problem.title if occurrence == 0 else f"{problem.title} ({detected:%B} case)"
    stronger = [s.format(plan=problem.plan) for s in STRONGER]
    first = [problem.plan, *stronger] if occurrence == 0 else [*stronger[1:], problem.plan]
    plans = [
        ctx.unique_title(problem.process, *first),
        ctx.unique_title(problem.process, *stronger),
    ]
    case = Case(
        index=index,
        process=problem.process,
        title=title,
        cause=problem.cause,
        detected=detected,
        containment=problem.containment,
        root_cause=problem.root_cause,
        plans=plans,
        criteria=CRITERIA[index % len(CRITERIA)],
        owner=rng.choice(people.helpers.get(problem.process, [people.pilots[problem.process]])),
    )
    ctx.timeline.occurrences.append(
        Occurrence(
            problem.process, problem.cause, detected.date(), f"nonconformity {title!r} logged"
        )
    )
    spec = _spec(ctx, case, problem, index)
    pilot = people.pilots[problem.process]

    def create() -> None:
        case.ids["nc"] = nonconformities.new(ctx.app, pilot, spec).id

    at = ctx.timeline.add(detected.date(), create, f"log {case.what}")
    case.detected = at or detected
    return case


def _detected(ctx: DemoContext, problem: Problem, occurrence: int) -> datetime:
    """When it happened: spread over the year; a breach's a few days after the breach."""
    breach = ctx.breaches.get(BREACH_SOURCE)
    if problem.source == "indicator_breach" and breach is not None:
        at = ctx.timeline.moment(breach[0].date() + timedelta(days=2), after=breach[0])
    else:
        low, high = (10, 200) if occurrence == 0 else (150, 340)
        at = ctx.timeline.moment(ctx.start + timedelta(days=ctx.rng.randint(low, high)))
    if at is None:  # after the year: on its last day
        at = ctx.timeline.moment(ctx.today - timedelta(days=3))
    assert at is not None
    return at


def _spec(ctx: DemoContext, case: Case, problem: Problem, index: int) -> NewNonconformity:
    day = case.detected.date()
    return NewNonconformity(
        title=case.title,
        process=problem.process,
        source=_source(ctx, problem),
        severity=problem.severity,
        description=f"{case.title}: found on {day:%d %B %Y} in the {records_of(problem.process)}.",
        reference=_reference(ctx, problem, index, day),
    )


def _source(ctx: DemoContext, problem: Problem) -> str:
    if problem.source == "indicator_breach" and BREACH_SOURCE not in ctx.breaches:
        return "incident"
    return problem.source


def _reference(ctx: DemoContext, problem: Problem, index: int, detected: date) -> str:
    """Where the nonconformity came from (clause 10.2.2 a): a complaint's number, the
    certification body's report, the indicator breach."""
    if problem.source == "complaint":
        return f"Complaint CPL-{detected.year}-{index + 1:03d}"
    if problem.source == "external_audit":
        return f"Certification body's surveillance audit report {detected.year}"
    if problem.source == "indicator_breach" and BREACH_SOURCE in ctx.breaches:
        return f"Breach of {BREACH_SOURCE} for {ctx.breaches[BREACH_SOURCE][1]}"
    return ""


def _idea(ctx: DemoContext, index: int, idea: tuple[str, str, str], people: People) -> None:
    """A staff suggestion taken through its workflow; the latest ones are still waiting."""
    rng, line = ctx.rng, ctx.timeline
    process, title, kind = idea
    ctx.unique_title(process, title)
    pilot = people.pilots[process]
    owner = rng.choice(people.helpers.get(process, [pilot]))
    recent = index % 10 == 9 or index % 11 == 7
    created_day = (
        ctx.today - timedelta(days=12)
        if recent
        else ctx.start + timedelta(days=rng.randint(20, 300))
    )
    due = created_day + timedelta(days=rng.randint(40, 110))
    check = due + timedelta(days=60)
    spec = NewAction(
        title=title,
        process=process,
        owner=owner,
        due_date=due,
        kind=kind,
        priority=rng.choice(["low", "normal", "normal", "high"]),
        origin="suggestion",
        effectiveness_criteria="Benefit seen by the pilot over the two months after it is done",
        effectiveness_check_date=check,
    )
    ids: dict[str, int] = {}

    def create() -> None:
        ids["a"] = actions.new(ctx.app, owner, spec).id

    def fire(trigger: str, actor: str, **inputs: str) -> Callable[[], None]:
        return lambda: fire_action(ctx, ids["a"], trigger, actor, inputs)

    at = line.add(created_day, create, f"propose {title!r}")
    if at is None or index % 10 == 9:
        return  # proposed: waiting for the pilot
    approver = people.approver(process, owner) or pilot
    if index % 9 == 4:
        line.add(
            at.date() + timedelta(days=3),
            fire(
                "reject",
                approver,
                rejection_reason=f"{title}: not a priority for {process} this year",
            ),
            "reject",
            after=at,
        )
        return
    at = line.add(
        at.date() + timedelta(days=rng.randint(1, 5)),
        fire("approve", approver),
        "approve",
        after=at,
    )
    if at is None or index % 11 == 7:
        return
    at = line.add(
        at.date() + timedelta(days=rng.randint(1, 10)), fire("start", owner), "start", after=at
    )
    if at is None or (index % 4 == 1 and due > ctx.today - timedelta(days=60)):
        return  # in progress: overdue once its due date passes
    done_day = max(due + timedelta(days=rng.randint(-20, 8)), at.date() + timedelta(days=5))
    work = f"{title}: in place in {records_of(process)} since {done_day:%B}"
    at = line.add(done_day, fire("complete", owner, work_done=work), "complete", after=at)
    if at is None or index % 8 == 6:
        return  # done, effectiveness not yet checked
    checker = people.approver(process, owner) or QUALITY_MANAGER
    check_day = max(check, at.date() + timedelta(days=60))
    at = line.add(check_day, fire("check_effectiveness", checker), "check", after=at)
    if at is None or index % 12 == 3:
        return
    closing = at.date() + timedelta(days=rng.randint(1, 7))
    if index % 7 == 5:
        line.add(
            closing,
            fire(
                "reopen",
                checker,
                reopen_reason=f"{title}: not used by the teams yet",
                effectiveness_result="ineffective",
            ),
            "reopen",
            after=at,
        )
        return
    seen = f"{title}: used in {rng.randint(5, 30)} {records_of(process)} since {at:%B}"
    line.add(
        closing,
        fire("close", checker, effectiveness_result="effective", effectiveness_evidence=seen),
        "close",
        after=at,
    )
