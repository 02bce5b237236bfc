"""qms workflow check | diagram | docs"""

from __future__ import annotations

from pathlib import Path

import click

from qms.cli.app import App, pass_app


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
