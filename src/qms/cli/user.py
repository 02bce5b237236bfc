"""qms user: the accounts people sign in to the web application with."""

from __future__ import annotations

import sys

import click

from qms.cli.app import App, pass_app


@click.group()
def user() -> None:
    """Web accounts: one per person of the process map, disabled rather than deleted."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@user.command()
@click.argument("handle")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def create(app: App, handle: str, password_stdin: bool) -> None:
    """Give HANDLE (a person of the process map) an account (password: 12 characters or more)."""
    from qms.services import accounts

    accounts.create(app.services, handle, _password(password_stdin))
    click.echo(f"account created for {handle}")


@user.command("set-password")
@click.argument("handle")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def set_password(app: App, handle: str, password_stdin: bool) -> None:
    """Set HANDLE's password (and enable the account); signs out their open sessions."""
    from qms.services import accounts

    accounts.set_password(app.services, handle, _password(password_stdin))
    click.echo(f"password set for {handle}; their open sessions are signed out")


@user.command()
@click.argument("handle")
@pass_app
def disable(app: App, handle: str) -> None:
    """Disable HANDLE's account and sign it out everywhere at once."""
    from qms.services import accounts

    closed = accounts.disable(app.services, handle)
    click.echo(f"account of {handle} disabled; {closed} open session(s) signed out")


@user.command("list")
@pass_app
def list_accounts(app: App) -> None:
    """Every account, with its state and open sessions."""
    from qms.services import accounts

    rows = accounts.rows(app.services)
    if not rows:
        click.echo("no account yet: `qms user create HANDLE`")
        return
    click.echo(f"{'HANDLE':<14} {'NAME':<26} {'STATE':<9} {'SESSIONS':>8}  PASSWORD SET")
    for row in rows:
        state = "disabled" if row.disabled_at else "enabled"
        changed = row.password_changed_at.strftime("%Y-%m-%d %H:%M")
        click.echo(
            f"{row.handle:<14} {row.name[:26]:<26} {state:<9} {row.open_sessions:>8}  {changed}"
        )
