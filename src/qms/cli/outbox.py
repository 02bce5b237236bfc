"""qms outbox list | show | retry: what waits to be sent, what was sent, what failed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from qms.cli.app import App, pass_app
from qms.cli.output import emit, format_option

COLUMNS = (
    "id",
    "topic",
    "status",
    "recipient",
    "failures",
    "available_at",
    "sent_at",
    "leased_by",
    "last_error",
    "dedupe_key",
)


@click.group()
def outbox() -> None:
    """The outbox: e-mails and events waiting, sent, or failed."""


@outbox.command("list")
@click.option("--status", help="pending, sent, failed or handled.")
@click.option("--topic", help="Topic, or its beginning (e.g. email.).")
@click.option(
    "--limit", type=click.IntRange(0), default=50, show_default=True, help="0 lists every row."
)
@format_option
@pass_app
def list_(app: App, status: str | None, topic: str | None, limit: int, fmt: str) -> None:
    """The newest messages first, with why the failed ones failed.

    --format json prints {"rows": [...], "total": N, "shown": n, "truncated": true|false};
    csv prints the rows, and says on stderr when some were left out.
    """
    from qms.scheduler import outbox as service

    filters = service.Filters(status=status, topic=topic, limit=limit)
    with app.ready_database().reading() as session:
        found = service.listing(session, filters)
        rows = [_row(m, app) for m in found.rows]
        totals = service.counts(session)
    left_out = f"showing {len(rows):,} of {found.total:,}; --limit 0 for all"
    if fmt == "json":
        listing: dict[str, Any] = {"rows": rows, "total": found.total, "shown": len(rows)}
        listing["truncated"] = found.truncated
        click.echo(json.dumps(listing, indent=2, ensure_ascii=False, default=str))
        return
    emit(rows, COLUMNS, fmt)
    if fmt == "csv":
        if found.truncated:
            click.echo(left_out, err=True)
        return
    click.echo(", ".join(f"{n} {s}" for s, n in sorted(totals.items())) or "the outbox is empty")
    if found.truncated:
        click.echo(left_out)


def _local(app: App, moment: datetime | None) -> str | None:
    return moment.astimezone(app.settings.zone).strftime("%Y-%m-%d %H:%M:%S") if moment else None


def _row(message: Any, app: App) -> dict[str, Any]:
    return {
        "id": message.id,
        "topic": message.topic,
        "status": message.status.value,
        "recipient": message.recipient,
        "failures": message.attempts,
        "available_at": _local(app, message.available_at),
        "sent_at": _local(app, message.sent_at),
        "leased_by": message.leased_by,
        "last_error": message.last_error,
        "dedupe_key": message.dedupe_key,
    }


@outbox.command()
@click.argument("message_id", type=int)
@pass_app
def show(app: App, message_id: int) -> None:
    """One message: what it carries, and every try at sending it with its error."""
    from qms.scheduler import outbox as service

    with app.ready_database().reading() as session:
        message, tries = service.one(session, message_id)
        row = _row(message, app)
        created = _local(app, message.created_at)
        payload = json.dumps(message.payload, indent=2, ensure_ascii=False, default=str)
        attempts = [
            (_local(app, t.attempted_at), t.outcome.value, t.worker, t.error) for t in tries
        ]
    click.echo(f"outbox #{row['id']}: {row['topic']}, {row['status']}")
    for label in ("recipient", "dedupe_key", "available_at", "sent_at", "leased_by", "failures"):
        click.echo(f"  {label:<13} {row[label] if row[label] is not None else '-'}")
    click.echo(f"  {'created_at':<13} {created}")
    if row["last_error"]:
        click.echo(f"  {'last_error':<13} {row['last_error']}")
    click.echo(f"tries ({len(attempts)}):" if attempts else "tries: none yet")
    for when, outcome, worker, error in attempts:
        click.echo(f"  {when}  {outcome:<6}  {worker}" + (f"  {error}" if error else ""))
    click.echo("payload:")
    click.echo("\n".join(f"  {line}" for line in payload.splitlines()))


@outbox.command()
@click.argument("message_id", type=int)
@pass_app
def retry(app: App, message_id: int) -> None:
    """Send a failed (or waiting) message again at the next dispatch."""
    from qms.scheduler import outbox as service

    with app.ready_database().unit_of_work() as uow:
        message = service.retry(uow.session, message_id, app.clock.now())
        uow.commit()
    click.echo(f"outbox #{message.id} ({message.topic}) will be sent at the next dispatch")
