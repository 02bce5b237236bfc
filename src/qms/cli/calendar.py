"""qms calendar HANDLE: a person's due dates, audits and reviews as an ICS feed."""

from __future__ import annotations

from urllib.parse import urlsplit

import click

from qms.cli.app import App, pass_app


@click.command()
@click.argument("handle")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write to a file, not stdout."
)
@pass_app
def calendar(app: App, handle: str, output: str | None) -> None:
    """Print HANDLE's calendar (ICS): `qms calendar jdoe > jdoe.ics`."""
    from qms.notify import calendar as ics
    from qms.services import agenda
    from qms.services.shared import person as find_person

    base = app.settings.base_url.rstrip("/")

    def link(kind: str, record_id: int) -> str:
        return f"{base}/records/{kind}/{record_id}"

    with app.ready_database().reading() as session:
        person = find_person(session, handle)
        entries = agenda.entries(session, person, app.today())
        data = ics.feed(entries, person, link, app.clock.now(), urlsplit(base).hostname or "qms")
    if output:
        with open(output, "wb") as out:
            out.write(data)
        click.echo(f"{len(entries)} events written to {output}", err=True)
    else:
        click.echo(data.decode("utf-8"), nl=False)
