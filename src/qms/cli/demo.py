"""qms demo: what the example institution holds, told as a short story."""

from __future__ import annotations

import click

from qms.cli.app import App, pass_app
from qms.models import Role


@click.command()
@pass_app
def demo(app: App) -> None:
    """Tell what the database holds and what to try next.

    `make run` migrates the embedded SQLite database and loads the example
    process map before calling this command.
    """
    from qms import demo as demo_data
    from qms.demo import accounts as demo_accounts
    from qms.services.processmap import queries as processmap

    today = app.today()
    loaded = demo_data.run(app.settings, app.ready_database(), today)
    with app.ready_database().reading() as session:
        summary = processmap.overview(session, today)
        if summary.organisation is None:
            raise click.ClickException(
                "the database holds no process map yet: run "
                "`qms processmap load workflows/process-map.yaml`"
            )
        tree = processmap.tree(session)
        holders = processmap.holders(session, today)
    pilots = {a.process_id: a.person.name for a in holders if a.role == Role.PILOT}
    directors = sorted(a.person.name for a in holders if a.role == Role.DIRECTOR)
    auditors = sum(1 for a in holders if a.role == Role.AUDITOR)
    click.echo(f"{summary.organisation}: the quality management system on {today.isoformat()}")
    click.echo(
        f"  {summary.macro_processes} macro-processes, {summary.processes} processes, "
        f"{summary.people} people; {summary.assignments_in_force} role assignments in "
        f"force, {summary.assignments_in_history} in history."
    )
    click.echo(f"  Directors (management review, clause 9.3): {', '.join(directors)}")
    click.echo(f"  Internal auditors (clause 9.2): {auditors}")
    click.echo("")
    for macro in tree:
        live = [p for p in macro.processes if p.retired_on is None]
        click.echo(f"{macro.name} ({macro.code}): {len(live)} processes")
        for process in live:
            click.echo(
                f"  {process.code:<7} {process.name:<62} pilot: {pilots.get(process.id, '(none)')}"
            )
    click.echo("")
    click.echo("Demo records (a year of the quality system, with invented people):")
    for line in loaded:
        click.echo(f"  {line}")
    signed = demo_accounts.ensure(app.services, today)
    click.echo("")
    click.echo(f"Web accounts (password for each: {signed.password}):")
    for person in signed.people:
        where = f" ({', '.join(person.processes)})" if person.processes else ""
        click.echo(f"  {person.handle:<12} {person.name}, {person.kind}{where}")
    click.echo("")
    click.echo("Try next:")
    click.echo("  .venv/bin/qms action list --overdue            late improvement actions")
    click.echo(
        "  .venv/bin/qms nc list --state analysed         nonconformities waiting for a plan"
    )
    click.echo("  .venv/bin/qms action stats                     cycle times per process")
    click.echo("  .venv/bin/qms audit list                       the audits of the programme")
    click.echo("  .venv/bin/qms indicator list                   indicators against their targets")
    click.echo("  .venv/bin/qms review list                      process and management reviews")
    click.echo("  .venv/bin/qms scheduler tick                   reminders due now, to var/mail")
    click.echo("  .venv/bin/qms trail seal                       a signed checkpoint of the trail")
    click.echo("  .venv/bin/qms trail verify                     rows, seal and records checked")
    click.echo("  .venv/bin/qms processmap show --format json   the map with every role holder")
    click.echo("  .venv/bin/qms config show                     the effective settings")
    click.echo("  .venv/bin/qms db check                        schema matches the code")
