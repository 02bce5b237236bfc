"""Demo step: a year of indicator values, a process review and two management reviews.

Values are recorded a few days after each period by each indicator's owner, near their
targets, with a few breaches (one accepted as an action, one dismissed, one logged as a
nonconformity by :mod:`qms.demo.capa`), one correction, and one value never recorded.
The directors held a management review in January, the first after qms was set up, and
hold this year's in November: each gathers its inputs on its own day (the pack counts
what existed then), records why an input has no data, takes its decisions in the three
categories of clause 9.3.3, each an action that then progresses like any other.  TRN-04's
pilot holds the yearly review of her process in October.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from qms.demo import DemoContext
from qms.demo import reviews_story as story
from qms.demo.cases import People, people
from qms.demo.reviews_actions import LATE, progress
from qms.demo.timeline import Occurrence
from qms.models import Indicator, ManagementReview, Measurement, ReviewKind
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
NAME = "reviews"
# (indicator, period) recorded worse than its alert threshold.
BREACHES = {("TRN-04-GRADES", 2), ("RSC-02-SUPPLIERS", 1), ("TRN-02-BREAKS", 0)}
NEVER_RECORDED = ("RSC-04-REQUESTS", 2)  # the third-latest month stays empty
CORRECTED = ("TRN-01-SATISFACTION", 0)  # the latest semester, first entered wrong


def plan(ctx: DemoContext) -> None:
    ctx.notes[NAME] = f"{_load_indicators(ctx)} indicators"
    with ctx.app.database.reading() as session:
        if session.scalar(select(func.count()).select_from(Measurement)):
            ctx.skipped.add(NAME)
            return
    who = people(ctx)
    _measurements(ctx, who)
    _management_review(ctx, who, ctx.start + timedelta(days=46), story.FIRST)
    _process_review(ctx, who, ctx.today - timedelta(days=48))
    _management_review(ctx, who, ctx.today - timedelta(days=12), story.SECOND)


def report(ctx: DemoContext) -> list[str]:
    if NAME in ctx.skipped:
        return ["indicators and reviews: already present, left as they are"]
    with ctx.app.database.reading() as session:
        values = session.scalar(select(func.count()).select_from(Measurement)) or 0
        held = session.scalars(
            select(ManagementReview.id)
            .where(ManagementReview.state.not_in(("planned", "cancelled")))
            .order_by(ManagementReview.id)
        ).all()
        breaches = indicators_breaches.rows(session)
    decided = sum(1 for b in breaches if b.state != "open")
    listed = " and ".join(f"#{i}" for i in held)
    return [
        f"indicators and reviews: {ctx.notes[NAME]}, {values} values over the past year, "
        f"{len(breaches)} breaches ({decided} decided); process review of TRN-04 held; "
        f"management reviews {listed} held, the pack of #{held[-1]} frozen "
        f"(qms review pack --review {held[-1]} -o pack.pdf)",
    ]


def _load_indicators(ctx: DemoContext) -> int:
    """The indicators of workflows/indicators.yaml, declared when the year began."""
    at = ctx.timeline.moment(ctx.start)
    if at is not None:
        ctx.clock.at = at.astimezone(UTC)
    path = ctx.app.settings.workflows_dir / "indicators.yaml"
    with ctx.app.database.unit_of_work() as uow:
        processes, persons = indicators.known_codes(uow.session)
        spec = indicators_file.read(path, processes, persons)
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


# Units of measured quantities; any other unit counts things (actions, complaints, start-ups),
# whose values are whole numbers.
MEASURED_UNITS = frozenset({"%", "/5", "k€", "days", "hours", "months"})


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
    whole = indicator.unit not in MEASURED_UNITS or abs(indicator.target) >= 1000
    return float(round(value)) if whole else round(value, 1)


def _measurements(ctx: DemoContext, who: People) -> None:
    with ctx.app.database.reading() as session:
        found = indicators_queries.in_force(session)
        owners = {i.id: i.owner.handle if i.owner else QUALITY_MANAGER for i in found}
        processes = {i.id: i.process.code for i in found}
    for indicator in found:
        for age, period in enumerate(_periods(ctx, indicator)):
            if (indicator.code, age) == NEVER_RECORDED:
                continue
            breach = (indicator.code, age) in BREACHES
            value = _value(ctx, indicator, breach)
            owner = owners[indicator.id]
            at = _record(
                ctx, indicator.code, owner, period, value, (indicator.code, age) == CORRECTED
            )
            if breach and at is not None:
                ctx.breaches[indicator.code] = (at, period.label)
                what = f"{indicator.code} worse than its alert threshold for {period.label}"
                ctx.timeline.occurrences.append(
                    Occurrence(processes[indicator.id], None, at.date(), what)
                )
                _breach_decision(ctx, who, indicator.code, at)


def _record(
    ctx: DemoContext, code: str, owner: str, period: Period, value: float, corrected: bool
) -> datetime | None:
    line, app = ctx.timeline, ctx.app
    day = period.end + timedelta(days=ctx.rng.randint(3, 9))
    first = value + 0.4 if corrected else value
    at = line.add(
        day,
        lambda: indicators.record(app, owner, code, period.label, first),
        f"record {code} {period.label}",
    )
    if corrected and at is not None:
        why = "Survey export counted a cancelled module twice"
        line.add(
            at.date() + timedelta(days=3),
            lambda: indicators.record(app, owner, code, period.label, value, reason=why),
            f"correct {code}",
            after=at,
        )
    return at


def _breach_decision(ctx: DemoContext, who: People, code: str, at: datetime) -> None:
    """The pilot decides on the breach a few days later: an action, or a reason not to."""
    decision = story.BREACH_DECISIONS.get(code)
    if decision is None:
        return  # logged as a nonconformity (capa), or waiting for its pilot

    def open_breach() -> int:
        with ctx.app.database.reading() as session:
            found = [r for r in indicators_breaches.rows(session, ("open",)) if r.indicator == code]
        return found[-1].id

    ids: dict[str, int] = {}
    pilot, title = decision
    if title is None:
        why = story.DISMISSED
        ctx.timeline.add(
            at.date() + timedelta(days=6),
            lambda: indicators_breaches.dismiss(ctx.app, open_breach(), pilot, why),
            f"dismiss the breach of {code}",
            after=at,
        )
        return

    def accept() -> None:
        due = ctx.app.engine.today() + timedelta(days=45)
        action = indicators_breaches.accept(ctx.app, open_breach(), pilot, pilot, due, title)
        ids["action"] = action.id

    accepted = ctx.timeline.add(at.date() + timedelta(days=4), accept, f"accept {code}", after=at)
    if accepted is not None:
        progress(ctx, who, code.rsplit("-", 1)[0], ids, pilot, accepted, 45)


def _process_review(ctx: DemoContext, who: People, day: date) -> None:
    line, app, pilot, ids = ctx.timeline, ctx.app, "ebenoit", {}

    def planned() -> None:
        ids["review"] = reviews.plan(app, ReviewKind.PROCESS, pilot, reviews.Plan(day, "TRN-04")).id

    at = line.add(day - timedelta(days=20), planned, "plan the TRN-04 review")
    at = line.add(
        day - timedelta(days=2),
        lambda: reviews_steps.gather(app, ReviewKind.PROCESS, ids["review"], pilot),
        "gather the TRN-04 review",
        after=at,
    )
    held = reviews_steps.ProcessHeld(day, *story.PROCESS_REVIEW)
    at = line.add(
        day,
        lambda: reviews_steps.hold_process(app, ids["review"], pilot, held),
        "hold the TRN-04 review",
        after=at,
    )
    answer = Decision(story.PROCESS_DECISION, "grenaud", day + timedelta(days=60))
    decision: dict[str, int] = {}

    def decide() -> None:
        taken = reviews_decisions.decide(app, ReviewKind.PROCESS, ids["review"], pilot, answer)
        decision["action"] = taken.action_id

    decided = line.add(day, decide, "decide at the TRN-04 review", after=at)
    line.add(
        day + timedelta(days=1),
        lambda: reviews_steps.close(app, ReviewKind.PROCESS, ids["review"], pilot),
        "close the TRN-04 review",
        after=decided,
    )
    if decided is not None:
        progress(ctx, who, "TRN-04", decision, "grenaud", decided, 60)


def _management_review(ctx: DemoContext, who: People, day: date, told: story.Review) -> None:
    """Planned (this year's brought forward: the one planned when the first closed is
    cancelled), noted, gathered three days before, held, decided, recorded and closed."""
    line, app, ids = ctx.timeline, ctx.app, ctx.reviews
    day = line.open_day(day)

    def planned() -> None:
        period_start = None
        if "review" in ids:  # the first one closed: its successor is planned after the year
            with app.database.reading() as session:
                following = session.scalars(
                    select(ManagementReview).where(
                        ManagementReview.previous_review_id == ids["review"]
                    )
                ).one()
                period_start = following.period_start
            reviews_steps.cancel(app, following.id, DIRECTOR, story.BROUGHT_FORWARD.format(day=day))
        plan = reviews.Plan(day, period_start=period_start)
        ids["review"] = reviews.plan(app, ReviewKind.MANAGEMENT, QUALITY_MANAGER, plan).id

    at = line.add(day - timedelta(days=20), planned, "plan a management review")
    if told.resources_note:
        note = told.resources_note
        at = line.add(
            day - timedelta(days=5),
            lambda: reviews.note(app, ids["review"], "d", note, QUALITY_MANAGER),
            "note on resources",
            after=at,
        )
    at = line.add(
        day - timedelta(days=3),
        lambda: reviews_steps.gather(app, ReviewKind.MANAGEMENT, ids["review"], QUALITY_MANAGER),
        "gather the review's inputs",
        after=at,
    )
    at = line.add(
        day - timedelta(days=1),
        lambda: _explain(ctx, ids["review"], told.missing),
        "explain the missing inputs",
        after=at,
    )
    held = line.add(
        day,
        lambda: reviews_steps.hold_management(
            app, ids["review"], DIRECTOR, day, story.ATTENDEES, story.MINUTES
        ),
        "hold the review",
        after=at,
    )
    if held is not None:
        _decisions(ctx, who, held, told.decisions(day))


def _explain(ctx: DemoContext, review_id: int, why: dict[str, str]) -> None:
    for s in reviews_steps.assembled(ctx.app, ReviewKind.MANAGEMENT, review_id):
        if s.missing:
            text = why.get(s.key, why["others"])
            reviews_steps.explain_missing(ctx.app, review_id, s.key, text, QUALITY_MANAGER)


def _decisions(ctx: DemoContext, who: People, held: datetime, taken: list[Decision]) -> None:
    """Each decision an action (9.3.3 a-c), the outputs recorded, the review closed; then
    each action progresses like any other."""
    line, app, ids = ctx.timeline, ctx.app, ctx.reviews
    at: datetime | None = held
    for decision in taken:
        made: dict[str, int] = {}

        def decide(d: Decision = decision, made: dict[str, int] = made) -> None:
            review = ids["review"]
            made["action"] = reviews_decisions.decide(
                app, ReviewKind.MANAGEMENT, review, DIRECTOR, d
            ).action_id

        at = line.add(held.date(), decide, f"decide {decision.title!r}", after=at)
        if at is not None:
            ctx.unique_title(decision.process or "", decision.title)
            days = (decision.due_date - held.date()).days
            late = decision.title in LATE
            progress(ctx, who, decision.process or "", made, decision.owner, at, days, late)
    at = line.add(
        held.date() + timedelta(days=2),
        lambda: reviews_steps.record_outputs(app, ids["review"], DIRECTOR),
        "record the outputs",
        after=at,
    )
    line.add(
        held.date() + timedelta(days=7),
        lambda: reviews_steps.close(app, ReviewKind.MANAGEMENT, ids["review"], DIRECTOR),
        "close the review",
        after=at,
    )
