"""Printing lists for people (a table), for programs (JSON, CSV) and spreadsheets (XLSX)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from qms.errors import ValidationError
from qms.reporting import exports

if TYPE_CHECKING:
    from qms.cli.app import App
    from qms.models import HistoryEntry

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json", "csv", "xlsx")
TO_FILE = ("csv", "xlsx")  # the formats -o/--output writes
_FORMAT, _OUTPUT = "qms.output.format", "qms.output.file"


def format_option(command: F) -> F:
    """``--format table|json|csv|xlsx`` (the command's ``fmt``) and ``-o/--output FILE``,
    which :func:`emit` writes csv or xlsx to (and xlsx needs, being binary)."""
    command = click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        expose_value=False,
        callback=_remember(_OUTPUT),
        help="Write the csv or xlsx to FILE (xlsx needs it).",
    )(command)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        callback=_remember(_FORMAT),
        help="table for people, json or csv for other programs, xlsx for a spreadsheet (-o).",
    )(command)


def _remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """Keep an option's value in the context; once both are known, check they agree,
    before the command reads anything."""

    def keep(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        ctx.meta[key] = value
        if _FORMAT in ctx.meta and _OUTPUT in ctx.meta:
            fmt, output = ctx.meta[_FORMAT], ctx.meta[_OUTPUT]
            if fmt == "xlsx" and output is None:
                raise click.UsageError(
                    "--format xlsx writes a binary file: give it with -o/--output FILE", ctx
                )
            if output is not None and fmt not in TO_FILE:
                raise click.UsageError(f"-o/--output writes --format csv or xlsx, not {fmt}", ctx)
        return value

    return keep


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str) -> None:
    """Print ``rows`` (only ``columns``, in order) as ``fmt``; csv and xlsx go to the
    ``-o/--output`` file of :func:`format_option` when given. Text cells of csv and
    xlsx are neutralised (:mod:`qms.reporting.exports`): a spreadsheet runs none."""
    if fmt == "json":
        click.echo(json.dumps(list(rows), indent=2, ensure_ascii=False, default=_text))
        return
    if fmt not in TO_FILE:
        table(rows, columns)
        return
    ctx = click.get_current_context(silent=True)
    output: Path | None = ctx.meta.get(_OUTPUT) if ctx is not None else None
    if fmt == "csv" and output is None:
        click.echo(exports.to_csv(columns, rows), nl=False)
        return
    if output is None:
        raise click.UsageError("--format xlsx writes a binary file: give it with -o/--output FILE")
    if fmt == "csv":
        content = exports.to_csv(columns, rows).encode("utf-8")
    else:
        content = exports.to_xlsx(columns, rows, sheet=_sheet_name(ctx))
    try:
        output.write_bytes(content)
    except OSError as exc:
        raise click.FileError(str(output), hint=exc.strerror or str(exc)) from None
    click.echo(f"{output}: {len(rows):,} row{'' if len(rows) == 1 else 's'} ({fmt})")


def _sheet_name(ctx: click.Context | None) -> str:
    """The command without the program's name: ``action list``."""
    if ctx is None:
        return "export"
    return " ".join(ctx.command_path.split()[1:]) or "export"


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
