"""qms trail verify | seal | show | key"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from qms.cli.app import App, pass_app
from qms.cli.output import print_trail

if TYPE_CHECKING:
    from qms.models import HistoryEntry

SHOWN_PROBLEMS = 50


@click.group()
def trail() -> None:
    """Verify, seal and read the audit trail (clause 7.5.3); see docs/trail.md."""


@trail.command()
@pass_app
def verify(app: App) -> None:
    """Check every row's signature and chain, the trail against its latest seal, and every
    record against its trail; exit 1 naming each problem."""
    from qms.services import trail as service
    from qms.workflow.seal import describe

    app.ready_database()
    report = service.verify(app.services)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    for problem in report.problems[:SHOWN_PROBLEMS]:
        click.echo(problem, err=True)
    if len(report.problems) > SHOWN_PROBLEMS:
        click.echo(f"... and {len(report.problems) - SHOWN_PROBLEMS} more problems", err=True)
    sealed = "not sealed yet"
    if report.seal is not None:
        sealed = f"checked against {describe(report.seal)}"
    if report.problems:
        click.echo(
            f"trail NOT verified: {_n(len(report.problems), 'problem')} ({sealed})", err=True
        )
        sys.exit(1)
    click.echo(
        f"trail verified: {_n(report.rows, 'row')} in {_n(report.chains, 'record chain')}, "
        f"{_n(report.records, 'record')} matching their trail; {sealed}"
    )


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@trail.command()
@click.option(
    "--as", "actor", default="qms", show_default=True, help="Who seals (kept in the seal)."
)
@pass_app
def seal(app: App, actor: str) -> None:
    """Write a signed checkpoint of the trail: in the database, as a file in
    QMS_TRAIL_SEALS_DIR and by e-mail to the quality managers."""
    from qms.services import trail as service
    from qms.workflow.seal import describe

    app.ready_database()
    sealed = service.seal(app.services, actor)
    click.echo(f"{describe(sealed.seal)}; written to {sealed.file}")
    if sealed.recipients:
        click.echo(f"e-mailed to {', '.join(sealed.recipients)} (quality managers)")


@trail.group()
def key() -> None:
    """The trail's signing keys (QMS_TRAIL_KEY_FILE)."""


@key.command("list")
@pass_app
def key_list(app: App) -> None:
    """The key ids in the key file; the last one signs new rows."""
    from qms.workflow import keys

    ring = keys.load(app.settings.trail_key_file)
    for key_id in ring.keys:
        click.echo(f"{key_id}{'  (signs new rows)' if key_id == ring.active_id else ''}")


@key.command()
@pass_app
def rotate(app: App) -> None:
    """Add a new key that signs from now on; the old ones stay to verify older rows."""
    from qms.services import trail as service

    key_id = service.rotate_key(app.services)
    click.echo(
        f"new trail key {key_id} added to {app.settings.trail_key_file}; back the file up now "
        "(docs/trail.md)"
    )


@trail.command()
@click.argument("kind")
@click.argument("record_id", type=int)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_app
def show(app: App, kind: str, record_id: int, fmt: str) -> None:
    """Print the history of record KIND ID: who did what, when, with which inputs."""
    from qms.services import shared
    from qms.workflow import trail as chain

    with app.ready_database().reading() as session:
        record = shared.record(session, kind, record_id)
        rows = chain.history_of(session, kind, record_id)
        title, state = record.title, record.state
    if fmt == "json":
        click.echo(json.dumps([_as_json(r) for r in rows], indent=2, ensure_ascii=False))
        return
    click.echo(f"{kind} #{record_id} {title!r}: now {state}")
    print_trail(app, rows, heading=None)


def _as_json(row: HistoryEntry) -> dict[str, object]:
    fields = (
        "id",
        "seq",
        "trigger",
        "from_state",
        "to_state",
        "actor",
        "inputs",
        "comment",
        "workflow_name",
        "workflow_version",
        "prev_id",
        "prev_hash",
        "key_id",
        "hash",
    )
    data: dict[str, object] = {name: getattr(row, name) for name in fields}
    data["at"] = row.at.isoformat()
    return data
