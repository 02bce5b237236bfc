"""qms record new | triggers | fire | exception: any workflow record, by kind and id."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from qms.cli.app import App, pass_app
from qms.errors import ValidationError

if TYPE_CHECKING:
    from qms.models import HistoryEntry


@click.group()
def record() -> None:
    """Start workflow records and move them through their workflow."""


def parse_pairs(pairs: tuple[str, ...], option: str) -> dict[str, str]:
    """KEY=VALUE pairs from the command line; a pair without '=' is named in the error."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(option, f"{pair!r} is not KEY=VALUE")
        values[key.strip()] = value
    return values


@record.command()
@click.argument("kind")
@click.option("--as", "actor", required=True, help="Handle of the person starting it.")
@click.option("--process", help="Code of the process the record belongs to.")
@click.option("--title", default="", help="A short title.")
@click.option(
    "--set",
    "fields",
    multiple=True,
    metavar="FIELD=VALUE",
    help="A field of the record (repeatable).",
)
@pass_app
def new(
    app: App, kind: str, actor: str, process: str | None, title: str, fields: tuple[str, ...]
) -> None:
    """Start a record of KIND in its workflow's initial state."""
    from qms.services import shared

    services = app.services
    created = shared.start(
        services.database,
        services.engine,
        kind,
        actor,
        process=process,
        title=title,
        **parse_pairs(fields, "--set"),
    )
    click.echo(f"{created.reference} created, state {created.state}")


@record.command()
@click.argument("kind")
@click.argument("record_id", type=int)
@click.option("--as", "actor", required=True, help="Handle of the person asking.")
@pass_app
def triggers(app: App, kind: str, record_id: int, actor: str) -> None:
    """List what ACTOR may fire on record KIND ID now, and what each asks for."""
    from qms.services import shared

    found = shared.available(app.services.database, app.services.engine, kind, record_id, actor)
    if not found:
        click.echo(f"{actor} may fire nothing on {kind} #{record_id} now")
    for item in found:
        asked = ", ".join(f"{i.name}{'' if i.required else '?'}" for i in item.inputs)
        click.echo(f"{item.trigger:<22} -> {item.dest:<24} {item.label}")
        if asked:
            click.echo(f"{'':<25}inputs: {asked}")
        if item.blocked:
            click.echo(f"{'':<25}not now: {item.blocked}")


@record.command()
@click.argument("kind")
@click.argument("record_id", type=int)
@click.argument("trigger")
@click.option("--as", "actor", required=True, help="Handle of the person firing.")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="KEY=VALUE",
    help="A value the transition asks for (repeatable).",
)
@click.option("--comment", default="", help="A comment kept in the trail.")
@click.option(
    "--expect-version",
    type=int,
    help="Refuse if the record is no longer at this version (someone changed it since you looked).",
)
@pass_app
def fire(
    app: App,
    kind: str,
    record_id: int,
    trigger: str,
    actor: str,
    inputs: tuple[str, ...],
    comment: str,
    expect_version: int | None,
) -> None:
    """Fire TRIGGER on record KIND ID as ACTOR; everything is kept in the trail.

    Nonconformities and audits go through their own services (repeat detection; a
    report frozen and sent when issued); reviews are moved with `qms review`.
    """
    from qms.services import shared

    values = parse_pairs(inputs, "--input")
    if kind in ("management_review", "process_review"):
        raise ValidationError(
            "kind",
            f"{kind} records are moved with `qms review` (gather, hold, decide, close), "
            "which assemble and freeze their inputs",
        )
    services = app.services
    special = _capability_fire(kind)
    if special is not None:
        entry = special(services, record_id, trigger, actor, values, comment, expect_version)
    else:
        entry = shared.fire(
            services.database,
            services.engine,
            kind,
            record_id,
            trigger,
            actor,
            values,
            comment,
            expect_version,
        )
    click.echo(
        f"{kind} #{record_id}: {entry.from_state} -> {entry.to_state} "
        f"('{trigger}' by {actor}, trail row {entry.id})"
    )


@record.command()
@click.argument("kind")
@click.argument("record_id", type=int)
@click.argument("trigger")
@click.option("--for", "person", required=True, help="Handle of the person it lets fire TRIGGER.")
@click.option("--reason", required=True, help="Why no one else can (kept in the trail).")
@click.option("--as", "actor", required=True, help="Handle of the quality manager granting it.")
@pass_app
def exception(
    app: App, kind: str, record_id: int, trigger: str, person: str, reason: str, actor: str
) -> None:
    """Let PERSON fire TRIGGER once on record KIND ID although the record names them in a role
    its workflow keeps from it (not_by: an action's owner approving it; clause 5.3)."""
    from qms.services import duties

    granted = duties.grant(app.services, actor, kind, record_id, trigger, person, reason)
    click.echo(
        f"exception #{granted.id}: {person} may fire '{trigger}' once on {kind} #{record_id} "
        f"(granted by {actor})"
    )


def _capability_fire(kind: str) -> Callable[..., HistoryEntry] | None:
    """The service that adds its own rules to a fire of this kind of record, if any."""
    if kind == "nonconformity":
        from qms.services.capa import nonconformities

        return nonconformities.fire
    if kind == "internal_audit":
        from qms.services.audits import service as audits

        return audits.fire
    return None
