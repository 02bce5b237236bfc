"""qms workflow check | diagram | docs | versions | diff"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from qms.cli.app import App, pass_app
from qms.errors import ValidationError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from qms.models import WorkflowVersion
    from qms.workflow.definition import WorkflowDefinition


@click.group()
def workflow() -> None:
    """Check, draw and document the workflow definitions (workflows/*.workflow.yaml)."""


@workflow.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@pass_app
def check(app: App, paths: tuple[Path, ...]) -> None:
    """Check workflow files and folders (default: the workflows folder).

    Prints every problem as file:line: message and exits 1, or one line per valid workflow.
    """
    from qms.workflow.definition import load_paths

    definitions = load_paths(paths or (app.settings.workflows_dir,))
    for name in sorted(definitions):
        defn = definitions[name]
        click.echo(
            f"{defn.source}: {name} version {defn.version}: valid "
            f"({len(defn.states)} states, {len(defn.transitions)} transitions)"
        )


@workflow.command()
@click.argument("name")
@pass_app
def diagram(app: App, name: str) -> None:
    """Print the Mermaid state diagram of workflow NAME."""
    from qms.errors import NotFound
    from qms.workflow.definition import load_all
    from qms.workflow.diagram import mermaid

    definitions = load_all(app.settings.workflows_dir)
    if name not in definitions:
        known = ", ".join(sorted(definitions)) or "none"
        raise NotFound(
            f"no workflow named '{name}' in {app.settings.workflows_dir} (known: {known})"
        )
    click.echo(mermaid(definitions[name]), nl=False)


@workflow.command()
@pass_app
def docs(app: App) -> None:
    """Print docs/workflows.md: how to read the workflow files, then every workflow."""
    from qms.workflow.definition import load_all
    from qms.workflow.diagram import docs_markdown

    click.echo(docs_markdown(load_all(app.settings.workflows_dir)), nl=False)


@workflow.command()
@click.argument("name")
@pass_app
def versions(app: App, name: str) -> None:
    """List the stored versions of workflow NAME (each version records started under)."""
    registry = app.services.registry
    current = registry.current(name)
    with app.services.database.reading() as session:
        stored = registry.stored_versions(session, name)
    for row in stored:
        mark = "  (the file now)" if row.hash == current.content_hash else ""
        click.echo(
            f"{row.hash[:12]}  version {row.version}  first used "
            f"{row.first_used_at.astimezone(app.settings.zone):%Y-%m-%d %H:%M}{mark}"
        )
    if all(row.hash != current.content_hash for row in stored):
        click.echo(
            f"{current.content_hash[:12]}  version {current.version}  "
            "(the file now; no record uses it yet)"
        )


@workflow.command()
@click.argument("name")
@click.option(
    "--from",
    "old",
    help="A stored version: its number or hash prefix (default: the newest stored one).",
)
@click.option(
    "--to",
    "new",
    default="file",
    show_default=True,
    help="A stored version, or 'file' for the definition file as it is now.",
)
@pass_app
def diff(app: App, name: str, old: str | None, new: str) -> None:
    """Show what changed in workflow NAME between two versions.

    Records keep the version they started under; this tells what the rules are
    for records started before and after a change of the file.
    """
    from qms.workflow.diff import diff as compare

    registry = app.services.registry
    with app.services.database.reading() as session:
        stored = registry.stored_versions(session, name)
        before = _pick(app, session, name, stored, old) if stored or old else None
        after = _pick(app, session, name, stored, new)
    if before is None:
        click.echo(f"no record has used workflow '{name}' yet: nothing to compare")
        return
    lines = compare(before, after)
    click.echo(
        f"{name}: {before.content_hash[:12]} (version {before.version}) -> "
        f"{after.content_hash[:12]} (version {after.version})"
    )
    for line in lines or ["no change"]:
        click.echo(f"  {line}")


def _pick(
    app: App, session: Session, name: str, stored: list[WorkflowVersion], which: str | None
) -> WorkflowDefinition:
    registry = app.services.registry
    if which == "file":
        return registry.current(name)
    if which is None:
        return registry.by_hash(session, stored[-1].hash)
    matches = [v for v in stored if v.hash.startswith(which) or str(v.version) == which]
    if len(matches) != 1:
        known = ", ".join(f"{v.version} ({v.hash[:12]})" for v in stored) or "none"
        raise ValidationError(
            "version",
            f"'{which}' names {len(matches)} stored versions of '{name}' (stored: {known})",
        )
    return registry.by_hash(session, matches[0].hash)
