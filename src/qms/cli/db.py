"""qms db upgrade | downgrade | check | current"""

from __future__ import annotations

import sys

import click

from qms import migrations
from qms.cli.app import App, pass_app


@click.group()
def db() -> None:
    """Create, migrate and check the database schema (Alembic)."""


@db.command()
@click.argument("revision", default="head")
@pass_app
def upgrade(app: App, revision: str) -> None:
    """Migrate the database up to REVISION (default: the latest)."""
    migrations.upgrade(app.database.engine, revision)
    click.echo(f"database at revision {migrations.current_revision(app.database.engine)}")


@db.command()
@click.argument("revision")
@pass_app
def downgrade(app: App, revision: str) -> None:
    """Migrate the database down to REVISION ('base' removes every table and its data)."""
    migrations.downgrade(app.database.engine, revision)
    click.echo(f"database at revision {migrations.current_revision(app.database.engine) or 'base'}")


@db.command()
@pass_app
def current(app: App) -> None:
    """Print the database's revision and the code's."""
    engine = app.database.engine
    click.echo(f"database: {migrations.current_revision(engine) or 'base'}")
    click.echo(f"code:     {migrations.head_revision(engine)}")


@db.command()
@pass_app
def check(app: App) -> None:
    """Exit non-zero unless the database is at the latest revision and matches the models."""
    problems = migrations.check(app.database.engine)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo("database schema matches the models")
