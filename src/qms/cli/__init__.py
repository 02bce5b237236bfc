"""The ``qms`` command: one lazily imported module per command group.

Commands only parse input, call a service and print the result; any QmsError
becomes one clear message on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from qms.errors import DefinitionError, QmsError

COMMANDS = {
    "config": ("qms.cli.config", "config", "Show the effective settings."),
    "db": ("qms.cli.db", "db", "Create, migrate and check the database schema."),
    "processmap": ("qms.cli.processmap", "processmap", "Load and show the process map."),
    "demo": ("qms.cli.demo", "demo", "Set up the example institution and tell what it holds."),
    "workflow": (
        "qms.cli.workflow",
        "workflow",
        "Check, draw, document and compare the workflow definitions.",
    ),
    "action": ("qms.cli.action", "action", "Improvement actions: the register (clause 10.3)."),
    "nc": ("qms.cli.nc", "nc", "Nonconformities, from detection to verified closure (10.2)."),
    "record": ("qms.cli.record", "record", "Start records and fire their workflow triggers."),
    "trail": ("qms.cli.trail", "trail", "Verify and read the audit trail (clause 7.5)."),
    "indicator": (
        "qms.cli.indicator",
        "indicator",
        "Indicators, measurements, breaches and trend charts (clause 9.1).",
    ),
    "review": (
        "qms.cli.review",
        "review",
        "Process and management reviews, and the review pack (clauses 9.1.3, 9.3).",
    ),
    "scheduler": (
        "qms.cli.scheduler",
        "scheduler",
        "Reminders, digests and scheduled reports: run the timer or one pass.",
    ),
    "outbox": ("qms.cli.outbox", "outbox", "E-mails waiting, sent or failed; retry one."),
    "person": ("qms.cli.person", "person", "How a person gets reminders (immediate or digest)."),
    "calendar": ("qms.cli.calendar", "calendar", "A person's due dates and meetings as ICS."),
    "user": ("qms.cli.user", "user", "Web accounts: create, set a password, disable, list."),
    "token": ("qms.cli.token", "token", "API tokens: create (shown once), list, revoke."),
    "web": ("qms.cli.web", "web", "Serve the web application (uvicorn)."),
    "audit": (
        "qms.cli.audit",
        "audit",
        "Internal audits: programme, impartial teams, findings, reports (9.2).",
    ),
}


class LazyGroup(click.Group):
    """Imports a command group's module only when that group is used (start-up is a budget)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(package_name="qms")
def cli() -> None:
    """qms: the process map, workflows, reminders and reports of an ISO 9001 system.

    Settings come from QMS_* environment variables (see `qms config show`).
    """
    from qms.cli.app import App  # lazily, like every command: start-up time is a budget

    context = click.get_current_context()
    context.call_on_close(context.ensure_object(App).close)


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv, prog_name="qms", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DefinitionError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    except QmsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
