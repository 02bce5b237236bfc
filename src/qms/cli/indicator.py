"""qms indicator check | load | list | show | record | import | history | chart | breaches |
accept | dismiss | missing: indicators and their measurements (clause 9.1)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import click

from qms.cli.app import App, pass_app
from qms.cli.output import emit, format_option, parse_date


@click.group()
def indicator() -> None:
    """Indicators per process, their values, breaches and trend charts (clause 9.1)."""


@indicator.command()
@click.argument("path", type=click.Path(path_type=Path))
def check(path: Path) -> None:
    """Validate an indicators file (against the process map beside it); nothing is stored.

    Without a process-map.yaml beside the file, the processes and owners it names are
    not checked, and the command says so.
    """
    from qms.services.indicators import files as indicators_file

    spec = indicators_file.read(path)
    beside = path.parent / "process-map.yaml"
    if beside.is_file():
        click.echo(
            f"{path}: {len(spec.indicators)} indicators, valid (processes and owners "
            f"checked against {beside})"
        )
    else:
        click.echo(
            f"{path}: {len(spec.indicators)} indicators, valid as a file; processes and owners "
            f"not checked: no process map beside it ({beside} not found; `qms indicator "
            "load` checks them against the database)"
        )


@indicator.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--as-of", help="Date retired indicators are retired on (default: today).")
@pass_app
def load(app: App, path: Path, as_of: str | None) -> None:
    """Validate the file against the database and load it (loading twice changes nothing)."""
    from qms.services.indicators import files as indicators_file
    from qms.services.indicators import service as indicators

    database = app.ready_database()
    with database.reading() as session:
        processes, people = indicators.known_codes(session)
    spec = indicators_file.read(path, processes, people)
    with database.unit_of_work() as uow:
        changes = indicators.load(uow.session, spec, parse_date(as_of, "as_of") or app.today())
        uow.commit()
    done = ", ".join(f"{n} {what}" for what, n in sorted(changes.items())) or "nothing changed"
    click.echo(f"{path}: {len(spec.indicators)} indicators; {done}")


@indicator.command("list")
@click.option("--process", help="Only the indicators of this process.")
@format_option
@pass_app
def list_(app: App, process: str | None, fmt: str) -> None:
    """Each indicator with its latest value, target, alert threshold, status and trend."""
    from qms.services.indicators import queries as indicators_queries
    from qms.services.indicators import series as indicators_series

    with app.ready_database().reading() as session:
        found = [
            i
            for i in indicators_queries.in_force(session)
            if process is None or i.process.code == process
        ]
        rows = []
        for s in indicators_series.series(session, found, app.today()):
            latest, ind = s.latest, s.indicator
            rows.append(
                {
                    "code": ind.code,
                    "process": ind.process.code,
                    "frequency": ind.frequency.value,
                    "latest": latest.period if latest else None,
                    "value": latest.value if latest else None,
                    "unit": ind.unit,
                    "target": ind.target,
                    "alert": ind.alert_threshold,
                    "status": s.status.value if s.status else "no value",
                    "trend": s.trend,
                    "name": ind.name,
                }
            )
    columns = ("code", "process", "frequency", "latest", "value", "unit", "target", "alert")
    emit(rows, (*columns, "status", "trend", "name"), fmt)


@indicator.command()
@click.argument("code")
@pass_app
def show(app: App, code: str) -> None:
    """One indicator: what it measures, its target, its values, its status and its trend."""
    from qms.services.indicators import queries as indicators_queries
    from qms.services.indicators import series as indicators_series

    with app.ready_database().reading() as session:
        s = indicators_series.series(session, [indicators_queries.get(session, code)], app.today())[
            0
        ]
        ind, process = s.indicator, s.indicator.process.code
    unit = f" {ind.unit}" if ind.unit else ""
    click.echo(f"{ind.code}: {ind.name} ({process}, {ind.frequency.value})")
    click.echo(
        f"  target {ind.target:g}{unit}, alert {ind.alert_threshold:g}{unit}, "
        f"{ind.direction.value} is better"
    )
    click.echo(f"  status {s.status.value if s.status else 'no value'}")
    click.echo(f"  trend  {s.trend_reading.explanation}")
    for p in s.points:
        click.echo(f"  {p.period:<8} {'—' if p.value is None else f'{p.value:g}{unit}'}")


@contextmanager
def _closing(app: App) -> Iterator[None]:
    """Close the database's connections when the command is done, whatever happened."""
    try:
        yield
    finally:
        if "database" in vars(app):  # built only if the command got that far
            app.database.dispose()


@indicator.command()
@click.argument("code")
@click.argument("period")
@click.argument("value")
@click.option("--as", "actor", required=True, help="Handle of the person recording it.")
@click.option("--comment", default="", help="A comment kept with the value.")
@click.option("--reason", default="", help="Why a stored value is corrected (needed then).")
@pass_app
def record(
    app: App, code: str, period: str, value: str, actor: str, comment: str, reason: str
) -> None:
    """Record VALUE of indicator CODE for PERIOD (2026-03, 2026-Q1, 2026-S1 or 2026)."""
    from qms.services.indicators import service as indicators

    with _closing(app):
        outcome = indicators.record(app.services, actor, code, period, value, comment, reason)
    click.echo(f"{code} {period.upper()}: {value} {outcome.value}")


@indicator.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--as", "actor", required=True, help="Handle of the person importing.")
@click.option("--reason", default="", help="Why stored values are corrected, if any are.")
@click.option("--dry-run", is_flag=True, help="Check the whole file and say what would change.")
@pass_app
def import_(app: App, path: Path, actor: str, reason: str, dry_run: bool) -> None:
    """Import a CSV or XLSX file (columns indicator, period, value[, comment]): all or nothing.

    CSV in UTF-8 (with or without BOM) or Windows-1252, separated by commas or semicolons;
    the first sheet of an XLSX workbook.  Every bad row is named; the first 50 problems
    are shown, then how many more there are.
    """
    from qms.errors import DefinitionError
    from qms.services.indicators import imports as indicators_import

    try:
        with _closing(app):
            report = indicators_import.import_file(
                app.services,
                actor,
                path,
                reason,
                dry_run,
                notice=lambda t: click.echo(f"{path}: {t}"),
            )
    except DefinitionError as exc:
        for line in indicators_import.shown_lines(exc.problems):
            click.echo(line, err=True)
        sys.exit(1)
    counts = ", ".join(f"{n} {what}" for what, n in sorted(report.outcomes.items()))
    verb = "would import" if dry_run else "imported"
    click.echo(f"{path}: {report.rows} rows checked, {verb}: {counts or 'nothing'}")


@indicator.command()
@click.argument("code")
@click.argument("period")
@pass_app
def history(app: App, code: str, period: str) -> None:
    """Every value one period took: the first entry and each correction, with who and why."""
    from qms.services.indicators import queries as indicators_queries

    with app.ready_database().reading() as session:
        rows = indicators_queries.revisions(session, code, period)
    for r in rows:
        when = r.at.astimezone(app.settings.zone).strftime("%Y-%m-%d %H:%M")
        before = "(new)" if r.previous_value is None else f"{r.previous_value:g}"
        why = f"  reason: {r.reason}" if r.reason else ""
        click.echo(f"{when}  {r.actor:<12} {before} -> {r.value:g}  [{r.source}]{why}")


@indicator.command()
@click.argument("code")
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path))
@click.option("--until", help="Last day shown (default: today); 24 periods up to it.")
@pass_app
def chart(app: App, code: str, output: Path, until: str | None) -> None:
    """Draw the trend chart of CODE as SVG: values, target and alert threshold, 24 periods."""
    from qms.services.indicators import charts as indicators_charts
    from qms.services.indicators import queries as indicators_queries
    from qms.services.indicators import series as indicators_series

    with app.ready_database().reading() as session:
        found = indicators_queries.get(session, code)
        series = indicators_series.series(
            session, [found], parse_date(until, "until") or app.today()
        )
    svg = indicators_charts.svgs(app.database, series)[code]
    output.write_text(svg, encoding="utf-8")
    reading = series[0].trend_reading.explanation
    click.echo(f"{output}: trend of {code}, {len(series[0].values)} values; {reading}")


@indicator.command()
@click.option("--state", "states", multiple=True, help="open, accepted, dismissed, withdrawn.")
@click.option("--process", help="Only this process.")
@format_option
@pass_app
def breaches(app: App, states: tuple[str, ...], process: str | None, fmt: str) -> None:
    """Values worse than their alert threshold, and what the pilot decided."""
    from dataclasses import asdict

    from qms.services.indicators import breaches as indicators_breaches

    with app.ready_database().reading() as session:
        rows = indicators_breaches.rows(session, states, process)
    columns = ("id", "indicator", "process", "period", "value", "threshold", "state")
    emit([asdict(r) for r in rows], (*columns, "action_id", "reason"), fmt)


@indicator.command()
@click.argument("breach_id", type=int)
@click.option("--as", "actor", required=True, help="Handle of the pilot.")
@click.option("--owner", required=True, help="Who carries the action out.")
@click.option("--due", required=True, help="Due date of the action (YYYY-MM-DD).")
@click.option("--title", default="", help="Title of the action (default from the indicator).")
@pass_app
def accept(app: App, breach_id: int, actor: str, owner: str, due: str, title: str) -> None:
    """Accept a breach proposal: an improvement action (origin indicator_breach) is proposed."""
    from qms.services.indicators import breaches as indicators_breaches

    due_date = parse_date(due, "due_date")
    assert due_date is not None
    action = indicators_breaches.accept(app.services, breach_id, actor, owner, due_date, title)
    click.echo(f"breach #{breach_id} accepted: action #{action.id} proposed, due {due_date}")


@indicator.command()
@click.argument("breach_id", type=int)
@click.option("--as", "actor", required=True, help="Handle of the pilot.")
@click.option("--reason", required=True, help="Why no action is needed.")
@pass_app
def dismiss(app: App, breach_id: int, actor: str, reason: str) -> None:
    """Dismiss a breach proposal, saying why."""
    from qms.services.indicators import breaches as indicators_breaches

    indicators_breaches.dismiss(app.services, breach_id, actor, reason)
    click.echo(f"breach #{breach_id} dismissed")


@indicator.command()
@click.option("--since", help="Periods ended on or after this date (default: a year ago).")
@format_option
@pass_app
def missing(app: App, since: str | None, fmt: str) -> None:
    """Measurements past their due date that nobody recorded."""
    from dataclasses import asdict

    from qms.services.indicators import series as indicators_series

    first = parse_date(since, "since") or app.today() - timedelta(days=365)
    with app.ready_database().reading() as session:
        rows = indicators_series.missing(session, app.today(), first)
    emit(
        [asdict(r) for r in rows],
        ("indicator", "process", "period", "due_on", "days_late", "owner"),
        fmt,
    )
