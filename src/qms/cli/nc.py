"""qms nc new | list | show | fire: nonconformities (clause 10.2)."""

from __future__ import annotations

import click

from qms.cli.app import App, pass_app
from qms.cli.capa import edit_command, fire_command, list_command
from qms.cli.output import ask, parse_date, print_trail, required_date

LIST_COLUMNS = (
    "id",
    "process",
    "state",
    "severity",
    "source",
    "detected_on",
    "cause_category",
    "is_repeat",
    "action_due_date",
    "days_overdue",
    "title",
)


@click.group()
def nc() -> None:
    """Log nonconformities and follow them to a verified closure (clause 10.2)."""


@nc.command()
@click.option("--as", "actor", required=True, help="Handle of the person logging it.")
@click.option("--process", help="Code of the process concerned.")
@click.option("--title", help="What went wrong, in a line.")
@click.option("--description", default="", help="The facts, in full.")
@click.option(
    "--source",
    default="other",
    show_default=True,
    help="internal_audit, external_audit, complaint, indicator_breach, incident, other.",
)
@click.option("--severity", help="A grade from QMS_NC_SEVERITIES (default: the least severe).")
@click.option("--detected-on", help="When it was detected (YYYY-MM-DD; default: today).")
@click.option("--detected-by", help="Who detected it (handle; default: --as).")
@click.option(
    "--reference",
    default="",
    help="Where it comes from: the audit finding ('audit_finding #N', required for "
    "internal_audit), the complainant or complaint reference (required for complaint).",
)
@pass_app
def new(
    app: App,
    actor: str,
    process: str | None,
    title: str | None,
    description: str,
    source: str,
    severity: str | None,
    detected_on: str | None,
    detected_by: str | None,
    reference: str,
) -> None:
    """Log a nonconformity; asks for what is missing when run in a terminal."""
    from qms.services.capa import nonconformities

    spec = nonconformities.NewNonconformity(
        title=ask(title, "title", "Title", "--title"),
        process=ask(process, "process", "Process code", "--process"),
        description=description,
        source=source,
        severity=severity,
        detected_on=parse_date(detected_on, "detected_on"),
        detected_by=detected_by,
        reference=reference,
    )
    record = nonconformities.new(app.services, actor, spec)
    click.echo(f"nonconformity #{record.id} logged on {record.detected_on}, state {record.state}")


nc.add_command(
    list_command(
        "nonconformity",
        "nonconformities",
        LIST_COLUMNS,
        "Only from this source (complaint, internal_audit, ...).",
        "List nonconformities, newest first; --owner filters on who detected them.",
    )
)


@nc.command()
@click.argument("record_id", type=int)
@pass_app
def show(app: App, record_id: int) -> None:
    """Print one nonconformity with its repeats, its actions and its history."""
    from qms.models import Nonconformity
    from qms.services import shared
    from qms.services.capa import nonconformities, register
    from qms.workflow import trail

    window = app.settings.repeat_window_months
    with app.ready_database().reading() as session:
        found = shared.record(session, "nonconformity", record_id)
        assert isinstance(found, Nonconformity)
        alike = nonconformities.earlier_alike(session, found, window)
        actions = [
            (a, a.owner.name if a.owner else "-") for a in register.actions_of(session, record_id)
        ]
        history = trail.history_of(session, "nonconformity", record_id)
        process = found.process.code if found.process else "-"
        detector = found.detected_by.name if found.detected_by else "-"
    click.echo(f"nonconformity #{found.id}: {found.title}")
    for label, value in (
        ("state", found.state),
        ("process", process),
        ("severity", found.severity),
        ("source", found.source),
        ("detected", f"{found.detected_on} by {detector}"),
        ("cause category", found.cause_category or "-"),
        ("action due", found.action_due_date or "-"),  # the earliest of its open actions
        ("version", found.version),
    ):
        click.echo(f"  {label:<15} {value}")
    if found.description:
        click.echo(f"  {'description':<15} {found.description}")
    for key, value in sorted(found.data.items()):
        click.echo(f"  {key:<15} {value}")
    if alike:
        click.echo(
            f"Repeat: same process and cause category within {window} months of "
            + ", ".join(f"#{n.id} ({n.detected_on})" for n in alike)
        )
    click.echo(f"Corrective actions ({len(actions)}):" if actions else "Corrective actions: none")
    for action, owner in actions:
        click.echo(
            f"  action #{action.id} ({action.kind}, {action.state}, owner {owner}, "
            f"due {action.due_date}): {action.title}"
        )
    print_trail(app, history)


nc.add_command(
    fire_command(
        "nonconformity",
        "Fire TRIGGER on nonconformity RECORD_ID (see `qms record triggers nonconformity ID`).",
        service="qms.services.capa.nonconformities",
    )
)


nc.add_command(
    edit_command(
        "nonconformity",
        "qms.services.capa.nonconformities",
        "Change fields of nonconformity RECORD_ID that its state lets change (title, "
        "description, severity, reference: see `editable:` in its workflow); kept in the trail.",
    )
)


@nc.command("add-action")
@click.argument("record_id", type=int)
@click.option("--as", "actor", required=True, help="Handle of the person adding it.")
@click.option("--title", required=True, help="The action, in a line.")
@click.option("--owner", required=True, help="Who carries it out (handle).")
@click.option("--due", "due", required=True, help="Due date (YYYY-MM-DD).")
@click.option("--criteria", required=True, help="How its effectiveness will be judged.")
@click.option("--check-date", required=True, help="When its effectiveness is checked (YYYY-MM-DD).")
@click.option("--description", default="", help="The action in full.")
@click.option(
    "--kind",
    default="corrective",
    show_default=True,
    type=click.Choice(["corrective", "correction"]),
    help="A corrective action (on the cause) or a correction (on the effect).",
)
@pass_app
def add_action(
    app: App,
    record_id: int,
    actor: str,
    title: str,
    owner: str,
    due: str,
    criteria: str,
    check_date: str,
    description: str,
    kind: str,
) -> None:
    """Add a corrective action to nonconformity RECORD_ID: an action record of its own, in
    the register, linked to it (clause 10.2.1 c)."""
    from qms.services.capa import register

    spec = register.NewCorrectiveAction(
        title=title,
        owner=owner,
        due_date=required_date(due, "due"),
        effectiveness_criteria=criteria,
        effectiveness_check_date=required_date(check_date, "check_date"),
        description=description,
        kind=kind,
    )
    created = register.add_action(app.services, actor, record_id, spec)
    click.echo(
        f"improvement_action #{created.id} ({created.kind}) added to nonconformity #{record_id}, "
        f"owner {owner}, due {created.due_date}, state {created.state}"
    )
