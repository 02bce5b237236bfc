"""qms scheduler run | tick | rules: reminders, digests and scheduled reports."""

from __future__ import annotations

import logging
import sys

import click

from qms.cli.app import App, pass_app

EXIT_MAIL_SERVER_DOWN = 75  # EX_TEMPFAIL (sysexits.h): try again later; cron mails it


@click.group()
def scheduler() -> None:
    """Plan reminders and send the outbox: for ever (run), or one pass (tick)."""


@scheduler.command()
@pass_app
def run(app: App) -> None:
    """Plan and send on the schedules of the rules file, until SIGTERM or Ctrl-C.

    Any number of schedulers may run against one PostgreSQL database: each message
    is sent once. Point QMS_SMTP_HOST at a mail server, or messages are written to
    QMS_MAIL_DIR as .eml files.
    """
    from qms.scheduler import service

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # one line per pass is ours
    service.run(service.build(app.services, app.clock))


@scheduler.command()
@click.option("--plan-only", is_flag=True, help="Plan what is due; send nothing.")
@click.option("--dispatch-only", is_flag=True, help="Send what waits; plan nothing.")
@pass_app
def tick(app: App, plan_only: bool, dispatch_only: bool) -> None:
    """One planning pass and one dispatch pass, then exit (for cron).

    Exits 75 (EX_TEMPFAIL) when the mail server could not be reached, naming it: what
    was planned is kept, and the e-mails wait for their retry.
    """
    from qms.scheduler import service

    scheduler_ = service.build(app.services, app.clock)
    if not dispatch_only:
        planned = scheduler_.plan()
        click.echo(
            f"planned: {planned.reminders} reminders, {planned.digests} digests, "
            f"{planned.reports} reports"
        )
    if plan_only:
        return
    dispatched = scheduler_.dispatch()
    click.echo(f"dispatched: {dispatched}")
    trouble = dispatched.trouble(app.settings.zone)
    if trouble:
        click.echo(f"error: {trouble}", err=True)
        sys.exit(EXIT_MAIL_SERVER_DOWN)


@scheduler.command()
@pass_app
def rules(app: App) -> None:
    """Check the rules file and show the rules and schedules in force."""
    from qms.scheduler import service

    reminders = service.load_rules(app.services)
    s = reminders.schedules
    click.echo(f"{reminders.source}: {len(reminders.rules)} rules")
    for rule in reminders.rules:
        before = ", ".join(f"{b} d before" for b in rule.before)
        steps = [before] if before else []
        steps += ["on the day"] if rule.on_the_day else []
        steps += [f"{a} d late" for a in rule.after]
        steps += [f"every {rule.overdue_every} d while late"] if rule.overdue_every else []
        steps += [f"after {a} d: +{', '.join(to)}" for a, to in rule.escalate]
        month = " (end of its month)" if rule.end_of_month else ""
        click.echo(f"  {rule.id:<28} {rule.kind}.{rule.date_field}{month} -> {', '.join(rule.to)}")
        click.echo(f"  {'':<28} {'; '.join(steps)}")
    for rule_id, why in reminders.inactive:
        click.echo(f"  {rule_id:<28} inactive (optional): {why}")
    click.echo(
        f"schedules: plan every {s.plan_every_minutes} min, dispatch every "
        f"{s.dispatch_every_seconds} s, digest at {s.digest_at:%H:%M}; dashboards "
        + (f"on day {s.dashboard_day} at {s.dashboard_at:%H:%M}" if s.dashboard_enabled else "off")
        + "; review pack "
        + (f"{s.review_pack_days_before} d before" if s.review_pack_enabled else "off")
        + "; trail seal "
        + (f"daily at {s.trail_seal_at:%H:%M}" if s.trail_seal_enabled else "off")
    )
