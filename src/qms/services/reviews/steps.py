"""The steps of a review after planning: gather, explain what is missing, hold, record
outputs, close (clause 9.3).

Each fills what its workflow transition asks for from the data, so the values are kept
in the trail with the transition.  The inputs are read as they stood when they were
gathered (:mod:`qms.services.reviews.asof`).

Where a management review's pack freezes, and why twice.  The pack is frozen (HTML and
PDF, :mod:`qms.services.reviews.frozen`) in the same transaction as two steps:

- ``hold``: revision 1, the inputs the directors had before them, with the meeting's
  date, attendees and minutes.  Its 9.3.3 section says that the decisions follow.
- ``record_outputs``: revision 2, the same inputs as gathered and the 9.3.3 section with
  every decision the directors took, each with its action, owner, due date and state.

The decisions are recorded after the meeting (``qms review decide``, in state held) and
the review's outputs close that list (state outputs_recorded).  A pack frozen only at
holding would be a record whose minutes say "each decision below was agreed" above an
empty 9.3.3 section; frozen only at the outputs, nothing would show what was presented
at the meeting.  So both are kept: revision 2 is the record of the review (what a
download returns by default), revision 1 stays retrievable (``--revision 1``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import ConflictError, ValidationError
from qms.models import HistoryEntry, ManagementReview, ProcessReview, ReviewKind, WorkflowRecord
from qms.reporting.words import words_for
from qms.services import shared
from qms.services.reviews import frozen as reviews_frozen
from qms.services.reviews import queries as reviews_queries
from qms.services.reviews import report as reviews_pack
from qms.services.reviews import service as reviews
from qms.services.reviews.data import Edition, Held
from qms.services.reviews.decisions import review_model
from qms.services.reviews.inputs import SECTION_KEYS, SECTIONS, sections
from qms.services.reviews.tables import Section
from qms.workflow.guards import as_date
from qms.workflow.guards.reviews import EXPLAIN, NOTHING_MISSING, REASON_PREFIX


def line(section: Section) -> str:
    text = f"MISSING: {section.missing_reason}" if section.missing else section.summary
    return f"{text}. Note: {section.note}" if section.note else text


def management_inputs(built: list[Section]) -> dict[str, str]:
    by = {s.key: s for s in built}
    return {
        "previous_actions_status": line(by["a"]),
        "context_changes": line(by["b"]),
        "performance_and_trends": "; ".join(
            f"{by[k].clause}: {line(by[k])}" for k in ("c1", "c2", "c3", "c4", "c5", "c6", "c7")
        ),
        "resource_adequacy": line(by["d"]),
        "risk_actions_effectiveness": line(by["e"]),
        "improvement_opportunities": line(by["f"]),
        "missing_inputs": "; ".join(words(s.key) for s in built if s.missing) or NOTHING_MISSING,
    }


def words(key: str) -> str:
    """An input of clause 9.3.2 by its code and title: "c6 audit results"."""
    title = next(t for k, _, t, _ in SECTIONS if k == key)
    return f"{key} {title[0].lower()}{title[1:]}"


def process_inputs(built: list[Section]) -> dict[str, str]:
    by = {s.key: s for s in built}
    return {
        "indicators_summary": line(by["c5"]),
        "nonconformities_summary": line(by["c4"]),
        "audit_results": line(by["c6"]),
        "customer_feedback": line(by["c1"]),
        "risks_summary": line(by["e"]),
    }


def assembled(app: Services, kind: ReviewKind, review_id: int) -> list[Section]:
    """The inputs of the review as they stood when gathered (until then: now)."""
    with app.database.reading() as session:
        review = shared.record(session, kind.value, review_id)
        scope = reviews.scope_for(app, session, kind, review)
        words = words_for(session, app.registry)
        data = reviews_queries.load(session, scope, words, app.settings.date_format)
    return sections(data)


def gather(app: Services, kind: ReviewKind, review_id: int, actor: str) -> HistoryEntry:
    built = assembled(app, kind, review_id)
    inputs = management_inputs(built) if kind == ReviewKind.MANAGEMENT else process_inputs(built)
    return shared.fire(app.database, app.engine, kind, review_id, "gather_inputs", actor, inputs)


def explain_missing(
    app: Services, review_id: int, key: str, reason: str, actor: str
) -> HistoryEntry:
    """Record why an input found missing at gathering has no data: a row of the trail."""
    if key not in SECTION_KEYS:
        raise ValidationError(
            "input", f"{key!r} is not an input of clause 9.3.2: one of {', '.join(SECTION_KEYS)}"
        )
    if not reason.strip():
        raise ValidationError("reason", f"say why input {words(key)} is missing")
    with app.database.reading() as session:
        review = shared.record(session, ReviewKind.MANAGEMENT.value, review_id)
        state, reference = review.state, review.reference
    if state == "planned":
        raise ValidationError(
            "review",
            f"{reference} is planned: gather its inputs first (`qms review gather "
            f"{review_id}`); a reason is recorded for an input found missing then",
        )
    inputs = {f"{REASON_PREFIX}{key}": reason}
    return shared.fire(
        app.database, app.engine, ReviewKind.MANAGEMENT, review_id, EXPLAIN, actor, inputs
    )


def cancel(app: Services, review_id: int, actor: str, reason: str) -> HistoryEntry:
    """Cancel a management review not yet held (a director, with the reason)."""
    inputs = {"cancellation_reason": reason}
    return shared.fire(
        app.database, app.engine, ReviewKind.MANAGEMENT, review_id, "cancel", actor, inputs
    )


def hold_management(
    app: Services, review_id: int, actor: str, held_on: date, attendees: str, minutes: str
) -> HistoryEntry:
    """Record the review as held and freeze its pack (revision 1), in the same transaction."""
    if held_on > app.engine.today():
        raise ValidationError("held_on", f"{held_on} is in the future")
    held = Held(held_on, attendees.strip(), minutes.strip())
    freeze = freezer(app, review_id, actor, "held", held, Edition())

    inputs = {"held_on": held_on, "attendees": attendees, "minutes": minutes}
    return shared.fire(
        app.database,
        app.engine,
        ReviewKind.MANAGEMENT,
        review_id,
        "hold",
        actor,
        inputs,
        after=freeze,
    )


@dataclass(frozen=True)
class ProcessHeld:
    held_on: date
    participants: str
    evaluation: str
    intended_results_met: str | None


def hold_process(app: Services, review_id: int, actor: str, held: ProcessHeld) -> HistoryEntry:
    """Record a process review as held, with the pilot's evaluation (clause 9.1.3)."""
    inputs = {
        "held_on": held.held_on,
        "participants": held.participants,
        "evaluation": held.evaluation,
        "intended_results_met": held.intended_results_met,
    }
    return shared.fire(
        app.database, app.engine, ReviewKind.PROCESS, review_id, "hold", actor, inputs
    )


def record_outputs(
    app: Services, review_id: int, actor: str, qms_changes: str = "", resource_needs: str = ""
) -> HistoryEntry:
    """Record the outputs (clause 9.3.3): the decisions already taken, each an action."""
    with app.database.reading() as session:
        taken = reviews.decisions(session, ReviewKind.MANAGEMENT, review_id)
    if not taken:
        raise ValidationError(
            "decisions",
            f"management_review #{review_id} has no decision: record each with "
            "`qms review decide` first (clause 9.3.3)",
        )
    text = "; ".join(f"{d.category}: {d.title} (action #{d.action_id})" for d in taken)
    inputs = {"decisions": text, "qms_changes": qms_changes, "resource_needs": resource_needs}
    edition = Edition(None, True, qms_changes.strip(), resource_needs.strip())
    reason = "outputs recorded (clause 9.3.3)"
    freeze = freezer(app, review_id, actor, reason, None, edition, [d.id for d in taken])
    return shared.fire(
        app.database,
        app.engine,
        ReviewKind.MANAGEMENT,
        review_id,
        "record_outputs",
        actor,
        inputs,
        after=freeze,
    )


def freezer(
    app: Services,
    review_id: int,
    actor: str,
    reason: str,
    held: Held | None,
    edition: Edition,
    decided: list[int] | None = None,
) -> reviews.AfterFire:
    """Render the next revision of the pack (HTML and PDF) now, store it with the step.

    Rendering takes a second or two, so it happens before the step's transaction; the
    step then refuses if a decision was recorded in between (its pack would lack it).
    """
    with app.database.reading() as session:
        number = reviews_frozen.next_revision(session, review_id)
    edition = replace(edition, revision=number)
    html = reviews_pack.render_html(app, review_id, held, edition)
    pdf = reviews_pack.pdf(app, html)

    def freeze(session: Session, record: WorkflowRecord, entry: HistoryEntry) -> None:
        now_decided = [d.id for d in reviews.decisions(session, ReviewKind.MANAGEMENT, review_id)]
        if decided is not None and now_decided != decided:
            raise ConflictError(
                f"{record.reference}: a decision was recorded while its outputs were; "
                "record the outputs again (the pack must show every decision)"
            )
        if reviews_frozen.next_revision(session, review_id) != number:
            raise ConflictError(f"{record.reference}: its pack was frozen meanwhile; try again")
        reviews_frozen.store(session, review_id, html, pdf, actor, app.engine.clock.now(), reason)

    return freeze


def close(app: Services, kind: ReviewKind, review_id: int, actor: str) -> HistoryEntry:
    """Close the review and plan the next one (interval from the settings)."""
    months = (
        app.settings.review_interval_months
        if kind == ReviewKind.MANAGEMENT
        else app.settings.process_review_interval_months
    )
    inputs: dict[str, str] = {}
    if kind == ReviewKind.PROCESS:
        with app.database.reading() as session:
            taken = reviews.decisions(session, kind, review_id)
        text = "; ".join(f"{d.title} (action #{d.action_id})" for d in taken)
        inputs = {"actions_decided": text} if text else {}

    def plan_next(session: Session, record: WorkflowRecord, entry: HistoryEntry) -> None:
        assert isinstance(record, ManagementReview | ProcessReview)
        schedule_next(app, session, kind, record, actor, months)

    return shared.fire(
        app.database, app.engine, kind, review_id, "close", actor, inputs, after=plan_next
    )


def schedule_next(
    app: Services,
    session: Session,
    kind: ReviewKind,
    review: ManagementReview | ProcessReview,
    actor: str,
    months: int,
) -> WorkflowRecord:
    held_on = as_date(review.field_value("held_on")) or review.planned_on or app.engine.today()
    planned_on = reviews.months_after(held_on, months)
    end = planned_on.replace(day=1) - timedelta(days=1)
    start = (review.period_end + timedelta(days=1)) if review.period_end else None
    start = start if start is not None and start < end else reviews.default_period(planned_on)[0]
    model = review_model(kind)
    title = (
        f"Management review {planned_on.year} (period ending {end.isoformat()})"
        if kind == ReviewKind.MANAGEMENT
        else f"Review of {review.process.code if review.process else ''} {planned_on.year}"
    )
    following = model(
        title=title,
        planned_on=planned_on,
        period_start=start,
        period_end=end,
        previous_review_id=review.id,
        process_id=review.process_id,
        data={"period": f"{start.isoformat()} to {end.isoformat()}"},
    )
    app.engine.start(session, following, shared.person(session, actor, "actor"))
    return following
