"""qms config show"""

from __future__ import annotations

import click

from qms.cli.app import App, pass_app


@click.group()
def config() -> None:
    """Show the effective settings."""


@config.command("show")
@pass_app
def show(app: App) -> None:
    """Print every setting (from QMS_* variables, .env and defaults), secrets masked."""
    shown = app.settings.shown()
    width = max(len(name) for name in shown)
    for name, value in shown.items():
        click.echo(f"QMS_{name.upper():<{width}}  {value}")
