"""qms review plan | list | show | inputs | note | gather | input-missing | hold | decide |
outputs | close | cancel | pack: management reviews (clause 9.3) and process reviews (4.4,
9.1.3)."""

from __future__ import annotations

from typing import Any

import click

from qms.cli.app import App, pass_app
from qms.cli.output import emit, format_option, parse_date, print_trail
from qms.cli.review_pack import pack
from qms.cli.review_steps import cancel, input_missing

KINDS = {"management": "management_review", "process": "process_review"}
kind_option = click.option(
    "--kind",
    type=click.Choice(sorted(KINDS)),
    default="management",
    show_default=True,
    help="A management review, or a process review.",
)


def _kind(kind: str) -> Any:
    from qms.models import ReviewKind

    return ReviewKind(KINDS[kind])


def _date(value: str, field: str) -> Any:
    day = parse_date(value, field)
    assert day is not None
    return day


@click.group()
def review() -> None:
    """Plan, gather, hold and close reviews; render the management review pack."""


review.add_command(input_missing)
review.add_command(cancel)
review.add_command(pack)


@review.command()
@kind_option
@click.option("--as", "actor", required=True, help="Handle of the person planning it.")
@click.option("--on", "planned_on", required=True, help="Date of the review (YYYY-MM-DD).")
@click.option("--process", help="The process reviewed (process reviews).")
@click.option("--from", "period_start", help="First day of the period reviewed.")
@click.option("--to", "period_end", help="Last day of the period reviewed.")
@click.option("--title", default="", help="Title (default: from the kind and year).")
@pass_app
def plan(
    app: App,
    kind: str,
    actor: str,
    planned_on: str,
    process: str | None,
    period_start: str | None,
    period_end: str | None,
    title: str,
) -> None:
    """Plan a review (the period defaults to the twelve months before it)."""
    from qms.services.reviews import service as reviews

    spec = reviews.Plan(
        planned_on=_date(planned_on, "planned_on"),
        process=process,
        period_start=parse_date(period_start, "period_start"),
        period_end=parse_date(period_end, "period_end"),
        title=title,
    )
    record = reviews.plan(app.services, _kind(kind), actor, spec)
    click.echo(f"{record.reference} planned on {spec.planned_on}: {record.title}")


@review.command("list")
@kind_option
@format_option
@pass_app
def list_(app: App, kind: str, fmt: str) -> None:
    """The reviews of that kind, newest first."""
    from sqlalchemy import select

    from qms.services.reviews.decisions import review_model

    model = review_model(_kind(kind))
    with app.ready_database().reading() as session:
        found: Any = session.scalars(
            select(model).order_by(model.planned_on.desc(), model.id.desc())
        )
        rows = [
            {
                "id": r.id,
                "state": r.state,
                "planned_on": r.planned_on,
                "process": r.process.code if r.process else "",
                "period_start": r.period_start,
                "period_end": r.period_end,
                "title": r.title,
            }
            for r in found
        ]
    emit(rows, ("id", "state", "planned_on", "process", "period_start", "period_end", "title"), fmt)


@review.command()
@click.argument("review_id", type=int)
@kind_option
@pass_app
def show(app: App, review_id: int, kind: str) -> None:
    """A review: its state, what was recorded at each step, and its decisions."""
    from qms.models import ReviewKind
    from qms.services import shared
    from qms.services.reviews import frozen as reviews_frozen
    from qms.services.reviews import service as reviews
    from qms.workflow import trail

    review_kind = _kind(kind)
    with app.ready_database().reading() as session:
        found: Any = shared.record(session, review_kind.value, review_id)
        taken = reviews.decisions(session, review_kind, review_id)
        packs = (
            reviews_frozen.revisions(session, review_id)
            if review_kind == ReviewKind.MANAGEMENT
            else []
        )
        actions = {d.id: d.action for d in taken}
        history = trail.history_of(session, review_kind.value, review_id)
        process = found.process.code if found.process else "-"
    click.echo(f"{found.reference}: {found.title}")
    for label, value in (
        ("state", found.state),
        ("process", process),
        ("planned on", found.planned_on),
        ("period", f"{found.period_start} to {found.period_end}"),
        ("previous", found.previous_review_id or "-"),
    ):
        click.echo(f"  {label:<12} {value}")
    for key, value in sorted(found.data.items()):
        click.echo(f"  {key:<12} {value}")
    click.echo("Decisions:" if taken else "Decisions: none yet")
    for d in taken:
        a = actions[d.id]
        click.echo(f"  [{d.category}] {d.title}: action #{a.id}, {a.state}, due {a.due_date}")
    _print_packs(packs)
    print_trail(app, history)


def _print_packs(packs: list[Any]) -> None:
    """The frozen revisions of a management review's pack, each with its PDF's hash."""
    if not packs:
        return
    click.echo("Pack revisions (qms review pack --review N --revision K):")
    for p in packs:
        digest = p.pdf_sha256 or f"{p.content_hash} (HTML; PDF printed at first download)"
        click.echo(
            f"  {p.revision}  {p.frozen_at:%Y-%m-%d %H:%M}  {p.frozen_by:<10} {p.reason}"
            f"  sha256 {digest}"
        )


@review.command()
@click.argument("review_id", type=int)
@kind_option
@pass_app
def inputs(app: App, review_id: int, kind: str) -> None:
    """The inputs, one line each (as gathered, or from the data now until they are);
    MISSING where there is none, with the reason recorded for it."""
    from qms.services.reviews import steps as reviews_steps

    for s in reviews_steps.assembled(app.services, _kind(kind), review_id):
        click.echo(f"{s.clause:<10} {s.title}")
        click.echo(f"{'':<10} {reviews_steps.line(s)}")
        if s.reason is not None:
            click.echo(f"{'':<10} reason recorded by {s.reason.by}: {s.reason.text}")


@review.command()
@click.argument("review_id", type=int)
@click.argument("section")
@click.argument("text")
@click.option("--as", "actor", required=True, help="Handle of the person writing it.")
@pass_app
def note(app: App, review_id: int, section: str, text: str, actor: str) -> None:
    """Write the note of one input (a, b, c1..c7, d, e, f) of a management review."""
    from qms.services.reviews import service as reviews

    reviews.note(app.services, review_id, section, text, actor)
    click.echo(f"management_review #{review_id}: note on input {section} written")


@review.command()
@click.argument("review_id", type=int)
@kind_option
@click.option("--as", "actor", required=True, help="Handle of the person gathering.")
@pass_app
def gather(app: App, review_id: int, kind: str, actor: str) -> None:
    """Assemble the inputs from the data and confirm them (they are kept in the trail)."""
    from qms.services.reviews import steps as reviews_steps

    entry = reviews_steps.gather(app.services, _kind(kind), review_id, actor)
    click.echo(f"{KINDS[kind]} #{review_id}: {entry.from_state} -> {entry.to_state}")
    for key, value in entry.inputs.items():
        click.echo(f"  {key}: {value}")


@review.command()
@click.argument("review_id", type=int)
@kind_option
@click.option("--as", "actor", required=True, help="Handle of the person recording it.")
@click.option("--held-on", required=True, help="Date the review was held (YYYY-MM-DD).")
@click.option("--attendees", default="", help="Who attended (management reviews).")
@click.option("--minutes", default="", help="Minutes of the discussion (management reviews).")
@click.option("--evaluation", default="", help="Evaluation of the process (process reviews).")
@click.option(
    "--results-met",
    type=click.Choice(["yes", "partly", "no"]),
    help="Did the process reach its intended results? (process reviews)",
)
@pass_app
def hold(
    app: App,
    review_id: int,
    kind: str,
    actor: str,
    held_on: str,
    attendees: str,
    minutes: str,
    evaluation: str,
    results_met: str | None,
) -> None:
    """Record that the review was held; a management review's pack is frozen with its hash."""
    from qms.models import ReviewKind
    from qms.services.reviews import steps as reviews_steps

    day = _date(held_on, "held_on")
    if _kind(kind) == ReviewKind.MANAGEMENT:
        reviews_steps.hold_management(app.services, review_id, actor, day, attendees, minutes)
        click.echo(
            f"management_review #{review_id} held on {day}; its pack is frozen (revision 1); "
            "record the decisions, then the outputs (the pack's next revision)"
        )
        return
    held = reviews_steps.ProcessHeld(day, attendees, evaluation, results_met)
    entry = reviews_steps.hold_process(app.services, review_id, actor, held)
    click.echo(f"process_review #{review_id}: {entry.from_state} -> {entry.to_state}")


@review.command()
@click.argument("review_id", type=int)
@kind_option
@click.option("--as", "actor", required=True, help="Handle of the person deciding.")
@click.option("--title", required=True, help="The decision, as the action to carry out.")
@click.option("--owner", required=True, help="Who carries it out.")
@click.option("--due", required=True, help="Due date (YYYY-MM-DD).")
@click.option("--process", help="Process that carries it (default: the reviewed process).")
@click.option(
    "--category",
    default="improvement",
    show_default=True,
    help="improvement, qms_change or resources (clause 9.3.3 a-c).",
)
@click.option("--description", default="", help="The decision in full.")
@pass_app
def decide(
    app: App,
    review_id: int,
    kind: str,
    actor: str,
    title: str,
    owner: str,
    due: str,
    process: str | None,
    category: str,
    description: str,
) -> None:
    """Record a decision of a held review: it becomes a tracked improvement action."""
    from qms.services.reviews import decisions as reviews_decisions

    spec = reviews_decisions.Decision(
        title, owner, _date(due, "due_date"), process, category, description
    )
    decision = reviews_decisions.decide(app.services, _kind(kind), review_id, actor, spec)
    click.echo(f"decision recorded: action #{decision.action_id} for {owner}, due {due}")


@review.command()
@click.argument("review_id", type=int)
@click.option("--as", "actor", required=True, help="Handle of the person recording them.")
@click.option("--qms-changes", default="", help="Changes needed to the quality system.")
@click.option("--resource-needs", default="", help="Resource needs.")
@pass_app
def outputs(app: App, review_id: int, actor: str, qms_changes: str, resource_needs: str) -> None:
    """Record the outputs of a management review (clause 9.3.3) from its decisions."""
    from qms.services.reviews import steps as reviews_steps

    entry = reviews_steps.record_outputs(
        app.services, review_id, actor, qms_changes, resource_needs
    )
    click.echo(
        f"management_review #{review_id}: {entry.from_state} -> {entry.to_state}; "
        "its pack is frozen again with the decisions (qms review show lists the revisions)"
    )


@review.command()
@click.argument("review_id", type=int)
@kind_option
@click.option("--as", "actor", required=True, help="Handle of the person closing it.")
@pass_app
def close(app: App, review_id: int, kind: str, actor: str) -> None:
    """Close the review; the next one is planned (QMS_REVIEW_INTERVAL_MONTHS later)."""
    from qms.services.reviews import steps as reviews_steps

    reviews_steps.close(app.services, _kind(kind), review_id, actor)
    click.echo(f"{KINDS[kind]} #{review_id} closed; the next one is planned (qms review list)")
