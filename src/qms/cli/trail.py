"""qms trail verify | show"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from qms.cli.app import App, pass_app
from qms.cli.output import print_trail

if TYPE_CHECKING:
    from qms.models import HistoryEntry


@click.group()
def trail() -> None:
    """Verify and read the audit trail (clause 7.5)."""


@trail.command()
@pass_app
def verify(app: App) -> None:
    """Recompute the hash chain of the whole trail; exit 1 naming the first tampered row."""
    from qms.workflow import trail as chain

    with app.ready_database().reading() as session:
        result = chain.verify(session)
    click.echo(
        f"trail verified: {result.rows} rows, chain intact (last hash {result.last_hash[:16]})"
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
        "trigger",
        "from_state",
        "to_state",
        "actor",
        "inputs",
        "comment",
        "workflow_name",
        "workflow_version",
        "prev_hash",
        "hash",
    )
    data: dict[str, object] = {name: getattr(row, name) for name in fields}
    data["at"] = row.at.isoformat()
    return data
