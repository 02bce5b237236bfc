"""qms token: personal access tokens of the JSON API (/api/v1)."""

from __future__ import annotations

from datetime import datetime

import click

from qms.cli.app import App, pass_app


@click.group()
def token() -> None:
    """Personal access tokens: they act as their person in the API, read or read-write."""


@token.command()
@click.argument("handle")
@click.option("--name", required=True, help="What the token is for (a script, a tool).")
@click.option(
    "--scope",
    type=click.Choice(["read", "read-write"]),
    default="read",
    show_default=True,
    help="read: GET requests only; read-write: every request the person may make.",
)
@click.option("--days", type=int, default=90, show_default=True, help="Days until it expires.")
@pass_app
def create(app: App, handle: str, name: str, scope: str, days: int) -> None:
    """A new token for HANDLE's account, printed once (only its hash is kept)."""
    from qms.services import tokens

    created = tokens.create(app.services, handle, name, scope, days)
    row = created.row
    expires = row.expires_at.astimezone(app.settings.zone).strftime("%Y-%m-%d %H:%M")
    click.echo(created.token)
    click.echo(
        f"token #{row.id} '{row.name}' for {handle}, {row.scope}, expires {expires}: "
        "copy it now, it is not shown again",
        err=True,
    )


@token.command("list")
@click.argument("handle")
@pass_app
def list_tokens(app: App, handle: str) -> None:
    """HANDLE's tokens, newest first: name, scope, status, expiry and last use."""
    from qms.services import tokens

    rows = tokens.rows(app.services, handle)
    if not rows:
        click.echo(f"{handle} has no API token: `qms token create {handle} --name NAME`")
        return
    now = app.clock.now()

    def when(moment: datetime | None) -> str:
        return moment.astimezone(app.settings.zone).strftime("%Y-%m-%d %H:%M") if moment else "-"

    click.echo(f"{'ID':>5}  {'NAME':<28} {'SCOPE':<10} {'STATUS':<8} {'EXPIRES':<16}  LAST USED")
    for row in rows:
        click.echo(
            f"{row.id:>5}  {row.name[:28]:<28} {row.scope:<10} {row.status(now):<8} "
            f"{when(row.expires_at):<16}  {when(row.last_used_at)}"
        )


@token.command()
@click.argument("token_id", type=int)
@pass_app
def revoke(app: App, token_id: int) -> None:
    """Revoke token ID at once (`qms token list HANDLE` shows the ids)."""
    from qms.services import tokens

    row = tokens.revoke(app.services, token_id)
    click.echo(f"token #{row.id} '{row.name}' of {row.handle} revoked")
