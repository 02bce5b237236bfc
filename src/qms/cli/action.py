"""qms action new | list | show | fire | stats: the improvement register (clauses 10.2, 10.3)."""

from __future__ import annotations

from typing import Any

import click

from qms.cli.app import App, pass_app
from qms.cli.capa import edit_command, fire_command, list_command
from qms.cli.output import ask, emit, parse_date, print_trail

LIST_COLUMNS = (
    "id",
    "process",
    "kind",
    "state",
    "owner",
    "due_date",
    "days_overdue",
    "priority",
    "origin",
    "title",
)


@click.group()
def action() -> None:
    """Propose improvement actions and follow them to a verified result."""


@action.command()
@click.option("--as", "actor", required=True, help="Handle of the person proposing it.")
@click.option("--process", help="Code of the process concerned.")
@click.option("--title", help="What is to be done, in a line.")
@click.option("--owner", help="Handle of the person who carries it out.")
@click.option("--due", "due", help="Due date (YYYY-MM-DD, not in the past).")
@click.option(
    "--kind",
    default="improvement",
    show_default=True,
    help="correction, corrective, preventive or improvement.",
)
@click.option("--description", default="", help="The action, in full.")
@click.option("--priority", default="normal", show_default=True, help="low, normal or high.")
@click.option(
    "--origin",
    default="suggestion",
    show_default=True,
    help="nonconformity, audit_finding, indicator_breach, management_review, suggestion.",
)
@click.option("--origin-ref", default="", help="What it comes from, e.g. the nonconformity's id.")
@click.option(
    "--effectiveness-criteria",
    default="",
    help="How effectiveness will be judged (needed before a corrective action starts).",
)
@click.option("--effectiveness-check", help="When effectiveness will be checked (YYYY-MM-DD).")
@pass_app
def new(
    app: App,
    actor: str,
    process: str | None,
    title: str | None,
    owner: str | None,
    due: str | None,
    kind: str,
    description: str,
    priority: str,
    origin: str,
    origin_ref: str,
    effectiveness_criteria: str,
    effectiveness_check: str | None,
) -> None:
    """Propose an action; asks for what is missing when run in a terminal."""
    from qms.services.capa import actions

    spec = actions.NewAction(
        title=ask(title, "title", "Title", "--title"),
        process=ask(process, "process", "Process code", "--process"),
        owner=ask(owner, "owner", "Owner (handle)", "--owner"),
        due_date=parse_date(ask(due, "due_date", "Due date (YYYY-MM-DD)", "--due"), "due_date")
        or app.today(),
        kind=kind,
        description=description,
        priority=priority,
        origin=origin,
        origin_ref=origin_ref,
        effectiveness_criteria=effectiveness_criteria,
        effectiveness_check_date=parse_date(effectiveness_check, "effectiveness_check_date"),
    )
    record = actions.new(app.services, actor, spec)
    click.echo(f"action #{record.id} proposed, due {record.due_date}, owner {spec.owner}")


action.add_command(
    list_command(
        "improvement_action",
        "actions",
        LIST_COLUMNS,
        "Only from this origin (nonconformity, audit_finding, ...).",
        "List actions by due date; --overdue for those late.",
    )
)


@action.command()
@click.argument("record_id", type=int)
@pass_app
def show(app: App, record_id: int) -> None:
    """Print one action with where it comes from and its history."""
    from qms.models import ImprovementAction
    from qms.services import shared
    from qms.workflow import trail

    with app.ready_database().reading() as session:
        found = shared.record(session, "improvement_action", record_id)
        assert isinstance(found, ImprovementAction)
        history = trail.history_of(session, "improvement_action", record_id)
        process = found.process.code if found.process else "-"
        owner = found.owner.name if found.owner else "-"
        origin = found.origin + (f" {found.origin_ref}" if found.origin_ref else "")
        if found.nonconformity is not None:
            origin += f" (nonconformity #{found.nonconformity.id}: {found.nonconformity.title})"
    click.echo(f"action #{found.id}: {found.title}")
    for label, value in (
        ("state", found.state),
        ("kind", found.kind),
        ("process", process),
        ("owner", owner),
        ("due", found.due_date),
        ("priority", found.priority),
        ("origin", origin),
        ("effectiveness", found.effectiveness_criteria or "-"),
        ("check on", found.effectiveness_check_date or "-"),
        ("version", found.version),
    ):
        click.echo(f"  {label:<15} {value}")
    if found.description:
        click.echo(f"  {'description':<15} {found.description}")
    for key, value in sorted(found.data.items()):
        click.echo(f"  {key:<15} {value}")
    print_trail(app, history)


action.add_command(
    fire_command(
        "improvement_action",
        "Fire TRIGGER on action RECORD_ID (see `qms record triggers improvement_action ID`).",
        name="action",
    )
)


@action.command()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_app
def stats(app: App, fmt: str) -> None:
    """Cycle times per process: open, overdue, median days to each step and to closure."""
    import json

    from qms.services.capa import stats as figures

    with app.ready_database().reading() as session:
        actions_by = figures.action_figures(session, app.today())
        ncs_by = figures.nonconformity_figures(session, app.today())
    blocks = (
        ("Improvement actions", actions_by, ("approve", "start", "complete", "verify")),
        ("Nonconformities", ncs_by, ("contain", "analyse", "implement", "verify")),
    )
    if fmt == "json":
        data = {title: [_figure_dict(f, steps) for f in rows] for title, rows, steps in blocks}
        click.echo(json.dumps(data, indent=2))
        return
    for title, rows, steps in blocks:
        click.echo(f"{title} (median days from creation)")
        emit(
            [_figure_dict(f, steps) for f in rows],
            ("process", "open", "overdue", "closed", *(f"to_{s}" for s in steps), "to_close"),
            "table",
        )
        click.echo("")


def _figure_dict(figures: Any, steps: tuple[str, ...]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "process": figures.process,
        "open": figures.open,
        "overdue": figures.overdue,
        "closed": figures.closed,
        "to_close": _round(figures.median_days_to_close),
    }
    row.update({f"to_{s}": _round(figures.median_step(s)) for s in steps})
    return row


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


action.add_command(
    edit_command(
        "improvement_action",
        "qms.services.capa.actions",
        "Change fields of action RECORD_ID that its state lets change (owner, due_date, "
        "effectiveness_criteria, ...: see `editable:` in its workflow); kept in the trail.",
    )
)
