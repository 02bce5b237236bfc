"""qms audit programme plan | show | coverage | move | add | remove | fire (clause 9.2.2 a)."""

from __future__ import annotations

import click

from qms.cli.app import App, pass_app
from qms.cli.output import emit, format_option, parse_date
from qms.cli.record import parse_pairs

ENTRY_COLUMNS = (
    "id",
    "planned_on",
    "process",
    "lead_auditor",
    "audit_id",
    "audit_state",
    "state",
    "reason",
)
COVERAGE_COLUMNS = ("process", "name", "planned", "started", "done", "late", "status")
AUDIT_COLUMNS = (
    "entry",
    "planned_on",
    "process",
    "lead_auditor",
    "audit_id",
    "audit_state",
    "status",
)

cycle_option = click.option("--cycle", type=int, required=True, help="The year of the cycle.")
actor_option = click.option("--as", "actor", required=True, help="Handle of the person acting.")


@click.group()
def programme() -> None:
    """The audit programme of a cycle: plan, edit while a draft, approve, check coverage."""


@programme.command()
@cycle_option
@actor_option
@click.option("--replace", is_flag=True, help="Propose a draft programme again from scratch.")
@pass_app
def plan(app: App, cycle: int, actor: str, replace: bool) -> None:
    """Propose the cycle's programme (a draft): every process, spread over the months."""
    from qms.services.audits import programme as service
    from qms.services.audits import queries as audits_queries

    record = service.plan(app.services, actor, cycle, replace)
    with app.ready_database().reading() as session:
        rows = audits_queries.entries(session, record)
    click.echo(f"{record.reference}: {len(rows)} audits planned for {cycle}, state {record.state}")
    emit([r.as_dict() for r in rows], ENTRY_COLUMNS, "table")


@programme.command()
@cycle_option
@format_option
@pass_app
def show(app: App, cycle: int, fmt: str) -> None:
    """The programme's audits, in date order."""
    from qms.services.audits import queries as audits_queries
    from qms.services.audits.common import programme_of

    with app.ready_database().reading() as session:
        record = programme_of(session, cycle)
        rows = audits_queries.entries(session, record)
    if fmt == "table":
        click.echo(f"{record.reference}: {record.title}, state {record.state}")
    emit([r.as_dict() for r in rows], ENTRY_COLUMNS, fmt)


@programme.command()
@cycle_option
@format_option
@pass_app
def coverage(app: App, cycle: int, fmt: str) -> None:
    """Every process and every audit: planned, started, done, late (clause 9.2.2).

    Exits 1 when a process is not in the programme or an audit is late.
    """
    from qms.services.audits import coverage as audits_coverage

    with app.ready_database().reading() as session:
        found = audits_coverage.status(session, cycle, app.today())
    emit([p.as_dict() for p in found.processes], COVERAGE_COLUMNS, fmt)
    if fmt == "table":
        click.echo("")
        emit([a.as_dict() for a in found.audits], AUDIT_COLUMNS, fmt)
    problems = [found.late_sentence()] if found.late else []
    if found.not_covered:
        problems.append(f"not covered in {cycle}: {', '.join(found.not_covered)}")
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    if fmt == "table":
        click.echo(f"every process is in the {cycle} programme and no audit is late")


@programme.command()
@click.argument("entry_id", type=int)
@click.option("--on", "on", help="New date (YYYY-MM-DD).")
@click.option("--lead", help="New lead auditor (handle).")
@actor_option
@pass_app
def move(app: App, entry_id: int, on: str | None, lead: str | None, actor: str) -> None:
    """Move a draft programme's audit to another day, or give it another lead auditor."""
    from qms.services.audits import programme as service

    entry = service.edit_entry(app.services, actor, entry_id, parse_date(on, "on"), lead)
    click.echo(f"entry #{entry.id}: {entry.planned_on}")


@programme.command()
@cycle_option
@click.option("--process", required=True, help="Code of the process.")
@click.option("--on", "on", required=True, help="Date (YYYY-MM-DD).")
@click.option("--lead", help="Lead auditor (handle).")
@actor_option
@pass_app
def add(app: App, cycle: int, process: str, on: str, lead: str | None, actor: str) -> None:
    """Add an audit to a draft programme."""
    from qms.services.audits import programme as service

    day = parse_date(on, "on")
    assert day is not None
    entry = service.add_entry(app.services, actor, cycle, process, day, lead)
    click.echo(f"entry #{entry.id}: {process} on {entry.planned_on}")


@programme.command()
@click.argument("entry_id", type=int)
@actor_option
@pass_app
def remove(app: App, entry_id: int, actor: str) -> None:
    """Remove an audit from a draft programme."""
    from qms.services.audits import programme as service

    service.remove_entry(app.services, actor, entry_id)
    click.echo(f"entry #{entry_id} removed")


@programme.command()
@cycle_option
@click.argument("trigger")
@actor_option
@click.option("--input", "inputs", multiple=True, metavar="KEY=VALUE", help="Repeatable.")
@click.option("--comment", default="", help="A comment kept in the trail.")
@pass_app
def fire(
    app: App, cycle: int, trigger: str, actor: str, inputs: tuple[str, ...], comment: str
) -> None:
    """Fire TRIGGER (approve, put_in_effect, revise, close) on the cycle's programme."""
    from qms.services.audits import programme as service

    entry = service.fire(
        app.services, cycle, trigger, actor, parse_pairs(inputs, "--input"), comment
    )
    click.echo(
        f"programme {cycle}: {entry.from_state} -> {entry.to_state} ('{trigger}' by {actor})"
    )
