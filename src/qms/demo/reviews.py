"""Demo step: a year of indicator values, a process review and two management reviews.

Values are recorded month after month by each indicator's owner, near their targets,
with a few breaches (one accepted as an action, one dismissed, the others waiting for
their pilot), one correction, and one value never recorded.  TRN-04's pilot holds the
yearly review of her process.  The directors held a management review a year ago, the
first after qms was set up (its decisions became actions, one of them done and
verified), and hold this year's: the quality manager records why each input without
data is missing, the pack is frozen, the decisions are actions, and the next review is
planned.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from qms.demo import DemoContext
from qms.demo import reviews_story as story
from qms.models import Indicator, ManagementReview, Measurement, ReviewKind, RoleAssignment
from qms.services import shared
from qms.services.capa import actions as capa_actions
from qms.services.indicators import breaches as indicators_breaches
from qms.services.indicators import files as indicators_file
from qms.services.indicators import queries as indicators_queries
from qms.services.indicators import service as indicators
from qms.services.indicators.periods import Period, containing
from qms.services.reviews import decisions as reviews_decisions
from qms.services.reviews import service as reviews
from qms.services.reviews import steps as reviews_steps
from qms.services.reviews.decisions import Decision

QUALITY_MANAGER, DIRECTOR = "tbrunet", "hmarchal"
# (indicator, period) recorded worse than its alert threshold.
BREACHES = {("TRN-04-GRADES", 2), ("RSC-02-SUPPLIERS", 1), ("TRN-02-BREAKS", 0)}
NEVER_RECORDED = ("RSC-04-REQUESTS", 2)  # the third-latest month stays empty
CORRECTED = ("TRN-01-SATISFACTION", 0)  # the latest semester, first entered wrong


def run(ctx: DemoContext) -> list[str]:
    loaded = _load_indicators(ctx)
    with ctx.app.database.reading() as session:
        if session.scalar(select(func.count()).select_from(Measurement)):
            return ["indicators and reviews: already present, left as they are"]
    start = _roles_since(ctx)
    recorded = _measurements(ctx, start)
    decided = _breach_decisions(ctx, start)
    process_review = _process_review(ctx)
    previous = _previous_management_review(ctx, start)
    current = _management_review(ctx, previous)
    ctx.at(ctx.today, 9)
    return [
        f"indicators and reviews: {loaded} indicators, {recorded} values over the past "
        f"year, {decided}; process review #{process_review} of TRN-04 held; management "
        f"reviews #{previous} (a year ago) and #{current} held, the pack of #{current} "
        "frozen (qms review pack --review "
        f"{current} -o pack.pdf)",
    ]


def _roles_since(ctx: DemoContext) -> date:
    """The demo's first day: a year ago, or the day after the roles were loaded if later."""
    with ctx.app.database.reading() as session:
        loaded = session.scalar(select(func.min(RoleAssignment.valid_from)))
    return max(ctx.start, (loaded or ctx.start) + timedelta(days=1))


def _at(ctx: DemoContext, start: date, day: date) -> None:
    ctx.at(max(day, start))


def _load_indicators(ctx: DemoContext) -> int:
    path = ctx.app.settings.workflows_dir / "indicators.yaml"
    with ctx.app.database.unit_of_work() as uow:
        processes, people = indicators.known_codes(uow.session)
        spec = indicators_file.read(path, processes, people)
        indicators.load(uow.session, spec, ctx.start)
        uow.commit()
    return len(spec.indicators)


def _periods(ctx: DemoContext, indicator: Indicator) -> list[Period]:
    """The periods over in the past year whose value is due by today, latest first."""
    last = containing(ctx.today, indicator.frequency).previous()
    found = []
    while last.end >= ctx.start - timedelta(days=180):
        if last.end + timedelta(days=min(indicator.due_days, 20)) < ctx.today:
            found.append(last)
        last = last.previous()
    return found


def _value(ctx: DemoContext, indicator: Indicator, breach: bool) -> float:
    gap = indicator.alert_threshold - indicator.target  # negative when higher is better
    if breach:
        value = indicator.alert_threshold + gap * ctx.rng.uniform(0.3, 0.8)
    else:
        value = indicator.target + gap * ctx.rng.uniform(-0.8, 0.6)
    if indicator.minimum is not None:
        value = max(value, indicator.minimum)
    if indicator.maximum is not None:
        value = min(value, indicator.maximum)
    return round(value, 1 if abs(indicator.target) < 1000 else 0)


def _measurements(ctx: DemoContext, start: date) -> int:
    with ctx.app.database.reading() as session:
        found = indicators_queries.in_force(session)
        owners = {i.id: i.owner.handle if i.owner else QUALITY_MANAGER for i in found}
    plan: list[tuple[date, Indicator, Period, float, int]] = []
    for indicator in found:
        for age, period in enumerate(_periods(ctx, indicator)):
            if (indicator.code, age) == NEVER_RECORDED:
                continue
            breach = (indicator.code, age) in BREACHES
            plan.append(
                (
                    period.end + timedelta(days=6),
                    indicator,
                    period,
                    _value(ctx, indicator, breach),
                    age,
                )
            )
    plan.sort(key=lambda item: (item[0], item[1].code))
    for day, indicator, period, value, age in plan:
        _at(ctx, start, day)
        owner = owners[indicator.id]
        if (indicator.code, age) == CORRECTED:
            indicators.record(ctx.app, owner, indicator.code, period.label, value + 0.4)
            _at(ctx, start, day + timedelta(days=3))
            indicators.record(
                ctx.app,
                owner,
                indicator.code,
                period.label,
                value,
                reason="Survey export counted a cancelled module twice",
            )
        else:
            indicators.record(ctx.app, owner, indicator.code, period.label, value)
    return len(plan)


def _breach_decisions(ctx: DemoContext, start: date) -> str:
    with ctx.app.database.reading() as session:
        rows = {r.indicator: r for r in indicators_breaches.rows(session, ("open",))}
    done = []
    grades = rows.get("TRN-04-GRADES")
    if grades is not None:
        _at(ctx, start, grades.raised_at.date() + timedelta(days=4))
        action = indicators_breaches.accept(
            ctx.app,
            grades.id,
            "ebenoit",
            "ebenoit",
            ctx.clock.now().date() + timedelta(days=45),
            "Publish exam grades within 15 days: reminder to examiners two days before",
        )
        done.append(f"breach of TRN-04-GRADES accepted as action #{action.id}")
    breaks = rows.get("TRN-02-BREAKS")
    if breaks is not None:
        _at(ctx, start, breaks.raised_at.date() + timedelta(days=6))
        indicators_breaches.dismiss(
            ctx.app,
            breaks.id,
            "mleclerc",
            "Two apprentices left for permanent jobs at their host company: not a failure",
        )
        done.append("breach of TRN-02-BREAKS dismissed with a reason")
    return "; ".join(done) or "no breach"


def _process_review(ctx: DemoContext) -> int:
    day = ctx.today - timedelta(days=40)
    ctx.at(day - timedelta(days=20))
    review = reviews.plan(ctx.app, ReviewKind.PROCESS, "ebenoit", reviews.Plan(day, "TRN-04"))
    ctx.at(day - timedelta(days=2))
    reviews_steps.gather(ctx.app, ReviewKind.PROCESS, review.id, "ebenoit")
    ctx.at(day, 14)
    inputs = {
        "held_on": day,
        "participants": "Émilie Benoit, Gaëlle Renaud, Camille Fontaine",
        "evaluation": "Admissions ran to plan; grades were published late in one month and "
        "student complaints rose after the exam period.",
        "intended_results_met": "partly",
    }
    shared.fire(
        ctx.app.database, ctx.app.engine, ReviewKind.PROCESS, review.id, "hold", "ebenoit", inputs
    )
    answer = Decision(
        "Answer every written complaint within 10 days", "grenaud", day + timedelta(days=60)
    )
    reviews_decisions.decide(ctx.app, ReviewKind.PROCESS, review.id, "ebenoit", answer)
    ctx.at(day + timedelta(days=1))
    reviews_steps.close(ctx.app, ReviewKind.PROCESS, review.id, "ebenoit")
    return review.id


def _hold(
    ctx: DemoContext, review_id: int, day: date, decisions: list[Decision], why: dict[str, str]
) -> None:
    """Gather, record why each input found missing has no data, hold, decide, close."""
    ctx.at(day - timedelta(days=3))
    reviews_steps.gather(ctx.app, ReviewKind.MANAGEMENT, review_id, QUALITY_MANAGER)
    ctx.at(day - timedelta(days=1))
    for s in reviews_steps.assembled(ctx.app, ReviewKind.MANAGEMENT, review_id):
        if s.missing:
            text = why.get(s.key, why["others"])
            reviews_steps.explain_missing(ctx.app, review_id, s.key, text, QUALITY_MANAGER)
    ctx.at(day, 14)
    reviews_steps.hold_management(
        ctx.app,
        review_id,
        DIRECTOR,
        day,
        "Hélène Marchal, Pascal Delorme, Nadia Garnier, Thomas Brunet",
        "Inputs presented by the quality manager; each decision below was agreed.",
    )
    for decision in decisions:
        reviews_decisions.decide(ctx.app, ReviewKind.MANAGEMENT, review_id, DIRECTOR, decision)
    ctx.at(day + timedelta(days=2))
    reviews_steps.record_outputs(ctx.app, review_id, DIRECTOR)
    ctx.at(day + timedelta(days=7))
    reviews_steps.close(ctx.app, ReviewKind.MANAGEMENT, review_id, DIRECTOR)


def _previous_management_review(ctx: DemoContext, start: date) -> int:
    day = start + timedelta(days=25)
    ctx.at(day - timedelta(days=20))
    review = reviews.plan(ctx.app, ReviewKind.MANAGEMENT, QUALITY_MANAGER, reviews.Plan(day))
    _hold(ctx, review.id, day, story.first_decisions(day), story.FIRST_REVIEW)
    _follow_first_decision(ctx, review.id, day + timedelta(days=30))
    return review.id


def _follow_first_decision(ctx: DemoContext, review_id: int, day: date) -> None:
    """The quality office carries out the first decision of the review; the quality
    manager, who pilots STE-02, approves it and verifies it (clause 5.3: not their own)."""
    with ctx.app.database.reading() as session:
        first = reviews.decisions(session, ReviewKind.MANAGEMENT, review_id)[0]
    ctx.at(day - timedelta(days=1))
    criteria = {"effectiveness_criteria": "Every process has an indicator with a value"}
    capa_actions.edit(ctx.app, first.action_id, QUALITY_MANAGER, criteria)
    closing = {
        "effectiveness_result": "effective",
        "effectiveness_evidence": "indicators.yaml: 30 indicators, every process measured",
    }
    steps = [
        ("approve", QUALITY_MANAGER, {}),
        ("start", story.QUALITY_OFFICE, {}),
        ("complete", story.QUALITY_OFFICE, {"work_done": "30 indicators declared"}),
        ("check_effectiveness", QUALITY_MANAGER, {}),
        ("close", QUALITY_MANAGER, closing),
    ]
    for offset, (trigger, actor, inputs) in enumerate(steps):
        ctx.at(day + timedelta(days=offset * 7))
        shared.fire(
            ctx.app.database,
            ctx.app.engine,
            "improvement_action",
            first.action_id,
            trigger,
            actor,
            inputs,
        )


def _management_review(ctx: DemoContext, previous: int) -> int:
    """This year's review, brought forward from the date planned when the last one closed
    (after the demo's year) so that the period it reviews is over when held (9.3.2)."""
    with ctx.app.database.reading() as session:
        planned = session.scalars(
            select(ManagementReview).where(ManagementReview.previous_review_id == previous)
        ).one()
        period_start = planned.period_start
    day = ctx.today - timedelta(days=12)
    ctx.at(day - timedelta(days=20))
    why = story.BROUGHT_FORWARD.format(day=day.isoformat())
    reviews_steps.cancel(ctx.app, planned.id, DIRECTOR, why)
    plan = reviews.Plan(day, period_start=period_start)
    review = reviews.plan(ctx.app, ReviewKind.MANAGEMENT, QUALITY_MANAGER, plan)
    ctx.at(day - timedelta(days=5))
    reviews.note(ctx.app, review.id, "d", story.RESOURCES_NOTE, QUALITY_MANAGER)
    _hold(ctx, review.id, day, story.this_years_decisions(day), story.THIS_YEAR)
    return review.id
