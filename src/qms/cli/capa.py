"""What `qms action` and `qms nc` share: the list command, its filters, and fire."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import click

from qms.cli.app import App, pass_app
from qms.cli.output import emit, format_option, parse_date
from qms.cli.record import parse_pairs
from qms.errors import ValidationError
from qms.models import HistoryEntry
from qms.services.capa.queries import Filters


def filter_options(origin_help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    options = [
        click.option("--process", help="Only this process (code)."),
        click.option("--macro-process", help="Only this macro-process (code)."),
        click.option("--owner", help="Only records of this person (handle)."),
        click.option("--state", "states", multiple=True, help="Only in this state (repeatable)."),
        click.option("--overdue", is_flag=True, help="Only those past their due date."),
        click.option("--origin", help=origin_help),
        click.option("--since", help="From this date (YYYY-MM-DD)."),
        click.option("--until", help="Up to this date (YYYY-MM-DD)."),
    ]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def filters_from(params: dict[str, Any], states: Sequence[str] = ()) -> Filters:
    """The list filters; ``states`` are the workflow's states, to refuse a misspelt one."""
    for state in params.get("states") or ():
        if states and state not in states:
            raise ValidationError(
                "state", f"{state!r} is not a state of this workflow (states: {', '.join(states)})"
            )
    return Filters(
        process=params.get("process"),
        macro_process=params.get("macro_process"),
        owner=params.get("owner"),
        states=tuple(params.get("states") or ()),
        overdue=bool(params.get("overdue")),
        origin=params.get("origin"),
        since=parse_date(params.get("since"), "since"),
        until=parse_date(params.get("until"), "until"),
    )


def list_command(
    kind: str, rows: str, columns: Sequence[str], origin_help: str, help_text: str
) -> click.Command:
    """A `list` command over the register's ``rows`` function (``qms.services.capa.queries``)
    for the records of ``kind``, with the filters both registers take."""

    @pass_app
    def run(app: App, /, fmt: str, **params: Any) -> None:
        from qms.services.capa import queries

        states = list(app.services.registry.for_kind(kind).states)
        with app.ready_database().reading() as session:
            found = getattr(queries, rows)(session, filters_from(params, states), app.today())
        emit([r.as_dict() for r in found], columns, fmt)

    command: Callable[..., Any] = format_option(run)
    command = filter_options(origin_help)(command)
    return click.command("list", help=help_text)(command)


EXPECT_VERSION = click.option(
    "--expect-version",
    type=int,
    help="Refuse if the record changed since you looked at this version.",
)

fire_options = [
    click.argument("record_id", type=int),
    click.argument("trigger"),
    click.option("--as", "actor", required=True, help="Handle of the person firing."),
    click.option(
        "--input",
        "inputs",
        multiple=True,
        metavar="KEY=VALUE",
        help="A value the step asks for (repeatable).",
    ),
    click.option("--comment", default="", help="A comment kept in the trail."),
    EXPECT_VERSION,
]


def fire_command(
    kind: str, help_text: str, *, service: str | None = None, name: str | None = None
) -> click.Command:
    """A `fire` command for records of ``kind``, printed as ``name`` (default: the kind).

    A capability whose transitions carry a rule of their own passes its ``service``
    module, whose ``fire(services, record_id, trigger, actor, inputs, comment,
    expected_version)`` is called; the others fire through the engine's generic use case.
    """

    @pass_app
    def run(
        app: App,
        record_id: int,
        trigger: str,
        actor: str,
        inputs: tuple[str, ...],
        comment: str,
        expect_version: int | None,
    ) -> None:
        values = parse_pairs(inputs, "--input")
        entry: HistoryEntry
        if service is None:
            from qms.services import shared

            services = app.services
            entry = shared.fire(
                services.database, services.engine, kind, record_id, trigger, actor,
                values, comment, expect_version,
            )  # fmt: skip
        else:
            fire = importlib.import_module(service).fire
            entry = fire(app.services, record_id, trigger, actor, values, comment, expect_version)
        click.echo(
            f"{name or kind} #{record_id}: {entry.from_state} -> {entry.to_state} "
            f"('{trigger}' by {actor}, trail row {entry.id})"
        )

    command: Callable[..., Any] = run
    for option in reversed(fire_options):
        command = option(command)
    return click.command("fire", help=help_text)(command)


def edit_command(kind: str, service: str, help_text: str) -> click.Command:
    """An `edit` command: ``service.edit(services, record_id, actor, changes, comment,
    expected_version)`` changes what the record's state lets change, one trail row."""

    @click.argument("record_id", type=int)
    @click.option("--as", "actor", required=True, help="Handle of the person editing.")
    @click.option(
        "--set",
        "fields",
        multiple=True,
        metavar="FIELD=VALUE",
        help="A field to change (repeatable); people by handle, dates as YYYY-MM-DD.",
    )
    @click.option("--comment", default="", help="Why, kept in the trail.")
    @EXPECT_VERSION
    @pass_app
    def run(
        app: App,
        record_id: int,
        actor: str,
        fields: tuple[str, ...],
        comment: str,
        expect_version: int | None,
    ) -> None:
        edit = importlib.import_module(service).edit
        changes = parse_pairs(fields, "--set")
        entry = edit(app.services, record_id, actor, changes, comment, expect_version)
        said = ", ".join(f"{k} = {v}" for k, v in entry.inputs.items())
        click.echo(f"{kind} #{record_id} edited by {actor} (trail row {entry.id}): {said}")

    return click.command("edit", help=help_text)(run)
