"""qms outbox list | retry: what waits to be sent, what was sent, what failed."""

from __future__ import annotations

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
    "attempts",
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
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@format_option
@pass_app
def list_(app: App, status: str | None, topic: str | None, limit: int, fmt: str) -> None:
    """The newest messages first, with why the failed ones failed."""
    from qms.scheduler import outbox as service

    filters = service.Filters(status=status, topic=topic, limit=limit)
    with app.ready_database().reading() as session:
        rows = [_row(m, app) for m in service.listing(session, filters)]
        totals = service.counts(session)
    emit(rows, COLUMNS, fmt)
    if fmt == "table":
        click.echo(
            ", ".join(f"{n} {s}" for s, n in sorted(totals.items())) or "the outbox is empty"
        )


def _row(message: Any, app: App) -> dict[str, Any]:
    zone = app.settings.zone

    def local(moment: datetime | None) -> str | None:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else None

    return {
        "id": message.id,
        "topic": message.topic,
        "status": message.status.value,
        "recipient": message.recipient,
        "attempts": message.attempts,
        "available_at": local(message.available_at),
        "sent_at": local(message.sent_at),
        "leased_by": message.leased_by,
        "last_error": message.last_error,
        "dedupe_key": message.dedupe_key,
    }


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
