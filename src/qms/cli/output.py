"""Printing lists for people (a table) and for programs (JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import click

from qms.errors import ValidationError

if TYPE_CHECKING:
    from qms.cli.app import App
    from qms.models import HistoryEntry

F = TypeVar("F", bound=Callable[..., Any])

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table for people, json or csv for other programs.",
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(list(rows), indent=2, ensure_ascii=False, default=_text))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows({k: _text(row.get(k)) for k in columns} for row in rows)
        click.echo(buffer.getvalue(), nl=False)
    else:
        table(rows, columns)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    cells = [[_text(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    widths = [min(w, 48) for w in widths]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(_fit(v, w) for v, w in zip(row, widths, strict=True)).rstrip())


def _fit(value: str, width: int) -> str:
    return value.ljust(width) if len(value) <= width else value[: width - 1] + "…"


def ask(value: Any, field: str, label: str, option: str, value_type: Any = str) -> Any:
    """The option's value; when missing, a prompt in a terminal, else an error naming it."""
    if value is not None and value != "":
        return value
    if sys.stdin.isatty():
        return click.prompt(label, type=value_type)
    raise ValidationError(field, f"is required (give {option})")


def parse_date(value: str | None, field: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(field, f"{value!r} is not a date (YYYY-MM-DD)") from None


def required_date(value: str, field: str) -> date:
    found = parse_date(value, field)
    if found is None:
        raise ValidationError(field, "is required (YYYY-MM-DD)")
    return found


def print_trail(app: App, rows: Sequence[HistoryEntry], heading: str | None = "History:") -> None:
    """A record's history, one line per step with its inputs and comment, local times."""
    if heading:
        click.echo(heading)
    for row in rows:
        when = row.at.astimezone(app.settings.zone).strftime("%Y-%m-%d %H:%M")
        click.echo(
            f"  {when}  {row.actor:<12} {row.trigger:<20} "
            f"{row.from_state or '(new)'} -> {row.to_state}"
        )
        for key, value in row.inputs.items():
            click.echo(f"{'':<20}{key}: {value}")
        if row.comment:
            click.echo(f"{'':<20}comment: {row.comment}")
