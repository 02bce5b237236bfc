"""Demo step: a year of indicator values, a process review and two management reviews.

Values are recorded month after month by each indicator's owner, near their targets,
with a few breaches (one accepted as an action, one dismissed, the others waiting for
their pilot), one correction, and one value never recorded.  TRN-04's pilot holds the
yearly review of her process.  The directors held a management review a year ago
(its decisions became actions, one of them done and verified) and hold this year's:
its pack is frozen, its decisions are actions, and the next review is planned.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from qms.demo import DemoContext
from qms.models import Indicator, Measurement, ReviewKind, RoleAssignment
from qms.services import shared
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


def _hold(ctx: DemoContext, review_id: int, day: date, decisions: list[Decision]) -> None:
    ctx.at(day - timedelta(days=3))
    reviews_steps.gather(ctx.app, ReviewKind.MANAGEMENT, review_id, QUALITY_MANAGER)
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
    decisions = [
        Decision(
            "Measure every process with at least one indicator",
            QUALITY_MANAGER,
            day + timedelta(days=120),
            "STE-02",
            "qms_change",
        ),
        Decision(
            "Train four more internal auditors",
            "amoulin",
            day + timedelta(days=200),
            "RSC-01",
            "resources",
        ),
        Decision(
            "Survey employers of apprentices every semester",
            "mleclerc",
            day + timedelta(days=90),
            "TRN-02",
        ),
    ]
    _hold(ctx, review.id, day, decisions)
    _follow_first_decision(ctx, review.id, day + timedelta(days=30))
    return review.id


def _follow_first_decision(ctx: DemoContext, review_id: int, day: date) -> None:
    """The quality manager carries out and verifies the first decision of the review."""
    with ctx.app.database.reading() as session:
        first = reviews.decisions(session, ReviewKind.MANAGEMENT, review_id)[0]
    steps = [
        ("approve", {}),
        ("start", {}),
        ("complete", {"work_done": "30 indicators declared"}),
        ("check_effectiveness", {}),
        ("close", {"effectiveness_result": "effective"}),
    ]
    for offset, (trigger, inputs) in enumerate(steps):
        ctx.at(day + timedelta(days=offset * 7))
        shared.fire(
            ctx.app.database,
            ctx.app.engine,
            "improvement_action",
            first.action_id,
            trigger,
            QUALITY_MANAGER,
            inputs,
        )


def _management_review(ctx: DemoContext, previous: int) -> int:
    with ctx.app.database.reading() as session:
        review = session.scalars(
            select(reviews_decisions.review_model(ReviewKind.MANAGEMENT)).where(
                reviews_decisions.review_model(ReviewKind.MANAGEMENT).previous_review_id == previous
            )
        ).one()
    day = ctx.today - timedelta(days=12)
    ctx.at(day - timedelta(days=5))
    reviews.note(
        ctx.app,
        review.id,
        "d",
        "Two lecturer posts vacant since September; the learning platform needs a new "
        "hosting contract in 2027.",
        QUALITY_MANAGER,
    )
    decisions = [
        Decision(
            "Publish exam grades within 15 days in every programme",
            "ebenoit",
            day + timedelta(days=90),
            "TRN-04",
        ),
        Decision(
            "Add supplier delivery performance to the purchasing procedure",
            "sboyer",
            day + timedelta(days=120),
            "RSC-02",
            "qms_change",
        ),
        Decision(
            "Recruit the two vacant lecturers",
            "amoulin",
            day + timedelta(days=150),
            "RSC-01",
            "resources",
        ),
    ]
    _hold(ctx, review.id, day, decisions)
    return review.id
