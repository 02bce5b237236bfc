"""qms person notify: how a person gets their reminders."""

from __future__ import annotations

import click

from qms.cli.app import App, pass_app


@click.group()
def person() -> None:
    """People's own settings."""


@person.command()
@click.argument("handle")
@click.option(
    "--digest",
    type=click.Choice(["immediate", "daily"]),
    help="immediate: each reminder as it falls due; daily: one e-mail a day.",
)
@pass_app
def notify(app: App, handle: str, digest: str | None) -> None:
    """Show or set how HANDLE gets reminders."""
    from qms.scheduler import preferences
    from qms.services.shared import person as find_person

    with app.ready_database().unit_of_work() as uow:
        if digest is None:
            found = find_person(uow.session, handle)
        else:
            found = preferences.set_notification(uow.session, handle, digest)
            uow.commit()
        mode = found.notification.value
    what = "each reminder as it falls due" if mode == "immediate" else "one digest a day"
    click.echo(f"{found.name} ({found.handle}): {mode} ({what})")
