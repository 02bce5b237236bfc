"""qms processmap load | check | show"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qms.cli.app import App, pass_app
from qms.models import MacroProcess, Person, Role, RoleAssignment
from qms.workflow.permissions import label

if TYPE_CHECKING:
    from qms.services.processmap.queries import Departures

FAR_AHEAD_DAYS = 366  # an --as-of later than this after today asks for --force


@click.group()
def processmap() -> None:
    """Load, check and show the process map (clause 4.4)."""


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date, no time
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc


@processmap.command()
@click.argument("file", type=click.Path(path_type=Path))
def check(file: Path) -> None:
    """Check FILE without touching the database; one line per problem."""
    from qms.services.processmap import files as processmap_file

    spec = processmap_file.read(file)
    count = sum(len(m.processes) for m in spec.macro_processes)
    click.echo(
        f"{file}: valid ({len(spec.macro_processes)} macro-processes, {count} processes, "
        f"{len(spec.people)} people)"
    )


@processmap.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--as-of", callback=_date, help="Date the changes take effect (default: today).")
@click.option(
    "--force",
    is_flag=True,
    help=f"Accept an --as-of date more than {FAR_AHEAD_DAYS} days ahead of today (the "
    "roles it opens and closes cannot be undone by loading again with an earlier date).",
)
@pass_app
def load(app: App, file: Path, as_of: date | None, force: bool) -> None:
    """Validate FILE and upsert it; loading the same file twice changes nothing.

    A changed pilot, correspondent or role closes the old assignment on the
    --as-of date and opens a new one, so history shows who was responsible when.
    A date in the future changes nothing before it: a person left out (or marked
    inactive) acts until then, a role given starts on it (clause 5.3).
    """
    from qms.services.processmap import files as processmap_file
    from qms.services.processmap import service as processmap

    today = app.today()
    if as_of is not None and as_of > today + timedelta(days=FAR_AHEAD_DAYS) and not force:
        raise click.BadParameter(
            f"{as_of} is more than a year after today ({today}): the roles it opens and "
            "closes could not be undone by loading with an earlier date; give --force "
            "if this is what you mean",
            param_hint="'--as-of'",
        )
    spec = processmap_file.read(file)
    database = app.ready_database()
    with database.unit_of_work() as uow:
        report = processmap.load(uow.session, spec, as_of or today)
        uow.commit()
    if not report.changed:
        click.echo(f"{file}: loaded, nothing changed")
        return
    details = ", ".join(f"{what}: {n}" for what, n in sorted(report.changes.items()))
    click.echo(f"{file}: loaded: {details}")


@processmap.command()
@click.option("--on", "on", callback=_date, help="Show role holders on this date (default: today).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_app
def show(app: App, on: date | None, fmt: str) -> None:
    """Print the macro-process -> process tree with each process's pilot.

    The roles are those held on --on (the roles a permission check that day finds), and
    the people who leave the map after that day or have left it by then are listed.
    """
    from qms.services.processmap import queries as processmap

    day = on or app.today()
    with app.ready_database().reading() as session:
        tree = processmap.tree(session)
        holders = processmap.holders(session, day)
        gone = processmap.departures(session, day)
        if fmt == "json":
            shown = _as_json(tree, holders, day) | _departures_json(gone)
            click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        else:
            _print_tree(tree, holders, day, gone)


def _people_by(
    holders: list[RoleAssignment], day: date
) -> dict[tuple[int | None, Role], list[str]]:
    found: dict[tuple[int | None, Role], list[str]] = {}
    for a in sorted(holders, key=lambda a: a.person.name):
        found.setdefault((a.process_id, a.role), []).append(label(a.person, day))
    return found


def _print_tree(
    tree: list[MacroProcess], holders: list[RoleAssignment], day: date, gone: Departures
) -> None:
    by = _people_by(holders, day)
    if not tree:
        click.echo("the process map is empty: load one with `qms processmap load FILE`")
        return
    click.echo(f"{tree[0].organisation.name} — process map on {day.isoformat()}")
    for role, heading in (
        (Role.DIRECTOR, "Directors"),
        (Role.QUALITY_MANAGER, "Quality manager"),
        (Role.AUDITOR, "Internal auditors"),
    ):
        click.echo(f"  {heading}: {', '.join(by.get((None, role), [])) or '-'}")
    if gone.leaving:
        leaving = (f"{label(p, day)} on {p.inactive_from}" for p in gone.leaving)
        click.echo(f"  Leaving the map: {', '.join(leaving)}")
    if gone.inactive:
        click.echo(f"  No longer active: {', '.join(label(p, day) for p in gone.inactive)}")
    for macro in tree:
        click.echo(f"{macro.code}  {macro.name}")
        for process in macro.processes:
            if process.retired_on is not None and process.retired_on <= day:
                continue
            pilots = by.get((process.id, Role.PILOT), ["(no pilot)"])
            click.echo(f"  {process.code:<8} {process.name}")
            click.echo(f"           pilot: {', '.join(pilots)}")
            correspondents = by.get((process.id, Role.CORRESPONDENT))
            if correspondents:
                click.echo(f"           correspondents: {', '.join(correspondents)}")


def _as_json(
    tree: list[MacroProcess], holders: list[RoleAssignment], day: date
) -> dict[str, object]:
    by = _people_by(holders, day)
    return {
        "on": day.isoformat(),
        "macro_processes": [
            {
                "code": m.code,
                "name": m.name,
                "processes": [
                    {
                        "code": p.code,
                        "name": p.name,
                        "purpose": p.purpose,
                        "pilot": by.get((p.id, Role.PILOT), []),
                        "correspondents": by.get((p.id, Role.CORRESPONDENT), []),
                        "contributors": by.get((p.id, Role.CONTRIBUTOR), []),
                        "interfaces": p.interfaces,
                    }
                    for p in m.processes
                    if p.retired_on is None or p.retired_on > day
                ],
            }
            for m in tree
        ],
        "directors": by.get((None, Role.DIRECTOR), []),
        "quality_managers": by.get((None, Role.QUALITY_MANAGER), []),
        "auditors": by.get((None, Role.AUDITOR), []),
    }


def _departures_json(gone: Departures) -> dict[str, object]:
    def person(p: Person) -> dict[str, str | None]:
        inactive_from = p.inactive_from.isoformat() if p.inactive_from else None
        return {"person": f"{p.name} ({p.handle})", "inactive_from": inactive_from}

    return {
        "leaving": [person(p) for p in gone.leaving],
        "inactive": [person(p) for p in gone.inactive],
    }
