"""qms audit: the programme, audits, impartial teams, checklists, findings, reports (9.2)."""

from __future__ import annotations

from typing import Any

import click

from qms.cli.app import App, pass_app
from qms.cli.audit_items import calendar, checklist, finding, report
from qms.cli.audit_programme import programme
from qms.cli.capa import fire_command
from qms.cli.output import emit, format_option, parse_date, print_trail

LIST_COLUMNS = ("id", "process", "audit_type", "state", "planned_start", "lead_auditor", "title")
DETAIL_OPTIONS = ("scope", "criteria", "objectives", "location", "auditee", "audit_client", "title")
actor_option = click.option("--as", "actor", required=True, help="Handle of the person acting.")


def detail_options(command: Any) -> Any:
    helps = {
        "scope": "What is audited: sites, activities, period.",
        "criteria": "ISO 9001 clauses and internal requirements, one per line.",
        "objectives": "What the audit is to establish.",
        "location": "Where the audit takes place.",
        "auditee": "Representatives of the audited process.",
        "audit_client": "Who asked for the audit (default: the quality manager).",
        "title": "A title.",
    }
    for name in reversed(DETAIL_OPTIONS):
        command = click.option(f"--{name.replace('_', '-')}", name, help=helps[name])(command)
    return command


def _details(params: dict[str, Any]) -> dict[str, str]:
    return {k: params[k] for k in DETAIL_OPTIONS if params.get(k) is not None}


@click.group()
def audit() -> None:
    """Internal audits (clause 9.2, ISO 19011): programme, plan, team, findings, report."""


audit.add_command(programme)
audit.add_command(checklist)
audit.add_command(finding)
audit.add_command(report)
audit.add_command(calendar)


@audit.command("plan")
@click.option("--process", required=True, help="Code of the audited process.")
@click.option("--cycle", type=int, help="The programme's year (internal audits).")
@click.option(
    "--type",
    "audit_type",
    default="internal",
    show_default=True,
    help="internal, external or follow_up.",
)
@click.option("--start", help="First day (YYYY-MM-DD; default: the programme's date).")
@click.option("--end", help="Last day (YYYY-MM-DD; default: the first).")
@click.option("--lead", help="Lead auditor (default: the programme's proposal).")
@detail_options
@actor_option
@pass_app
def plan_(
    app: App,
    /,
    process: str,
    cycle: int | None,
    audit_type: str,
    start: str | None,
    end: str | None,
    lead: str | None,
    actor: str,
    **params: Any,
) -> None:
    """Schedule an audit of a process; an internal one takes its slot in the programme."""
    from qms.services.audits import service as audits

    spec = audits.AuditPlan(
        process=process,
        cycle=cycle,
        audit_type=audit_type,
        start=parse_date(start, "start"),
        end=parse_date(end, "end"),
        lead=lead,
        details=_details(params),
    )
    record = audits.plan(app.services, actor, spec)
    lead_text = record.lead_auditor.handle if record.lead_auditor else "none yet"
    click.echo(
        f"internal_audit #{record.id}: {record.title}, {record.planned_start}, "
        f"lead auditor {lead_text}, state {record.state}"
    )


@audit.command()
@click.argument("audit_id", type=int)
@detail_options
@actor_option
@pass_app
def edit(app: App, /, audit_id: int, actor: str, **params: Any) -> None:
    """Set the scope, criteria, objectives, place, auditee or client of a planned audit."""
    from qms.services.audits import service as audits

    record = audits.edit(app.services, actor, audit_id, _details(params))
    click.echo(f"{record.reference} updated")


@audit.command("list")
@click.option("--cycle", type=int, help="Only audits planned in this year.")
@click.option("--process", help="Only audits of this process.")
@format_option
@pass_app
def list_(app: App, cycle: int | None, process: str | None, fmt: str) -> None:
    """List audits in date order."""
    from qms.services.audits import queries as audits_queries

    with app.ready_database().reading() as session:
        rows = audits_queries.audit_rows(session, cycle, process)
    emit([r.as_dict() for r in rows], LIST_COLUMNS, fmt)


@audit.command()
@click.argument("audit_id", type=int)
@pass_app
def show(app: App, audit_id: int) -> None:
    """One audit: its plan, team, exceptions, findings and history."""
    from qms.services.audits import queries as audits_queries
    from qms.services.audits import report as audits_report
    from qms.services.audits.common import audit as find
    from qms.services.audits.common import team
    from qms.workflow import trail

    with app.ready_database().reading() as session:
        record = find(session, audit_id)
        members = [(m.person.handle, m.role.value) for m in team(session, record)]
        exceptions = [
            (e.person.handle, e.conflicting_roles, e.approved_by.handle, e.justification)
            for e in audits_report.exceptions(session, record)
        ]
        findings = audits_queries.finding_rows(session, audit_id)
        history = trail.history_of(session, "internal_audit", audit_id)
        process = f"{record.process.code} {record.process.name}" if record.process else "-"
    click.echo(f"{record.reference}: {record.title}")
    for label, value in (
        ("state", record.state),
        ("process", process),
        ("type", record.audit_type),
        ("dates", f"{record.planned_start} to {record.planned_end}"),
        ("objectives", record.objectives or "-"),
        ("scope", record.scope or "-"),
        ("criteria", record.criteria or "-"),
        ("location", record.location or "-"),
        ("auditee", record.auditee or "-"),
        ("previous", record.previous_audit_id or "-"),
        ("version", record.version),
    ):
        click.echo(f"  {label:<12} {value}")
    for handle, role in members:
        click.echo(f"  team         {handle} ({role})")
    for handle, roles, approver, text in exceptions:
        click.echo(f"  exception    {handle} is {roles}; approved by {approver}: {text}")
    for f in findings:
        click.echo(f"Finding #{f.id} ({f.finding_type}, {f.state}): {f.title}")
    print_trail(app, history)


@audit.command()
@click.argument("audit_id", type=int)
@click.argument("handle")
@click.option(
    "--role",
    default="auditor",
    show_default=True,
    help="lead_auditor, auditor, observer or technical_expert.",
)
@actor_option
@pass_app
def assign(app: App, audit_id: int, handle: str, role: str, actor: str) -> None:
    """Put HANDLE on the audit team; refused if they have a role on the process (9.2.2 c)."""
    from qms.services.audits import team as audits_team

    member = audits_team.assign(app.services, actor, audit_id, handle, role)
    click.echo(f"internal_audit #{audit_id}: {handle} assigned as {member.role.value}")


@audit.command()
@click.argument("audit_id", type=int)
@click.argument("handle")
@click.option("--justification", required=True, help="Why no impartial auditor can do it.")
@actor_option
@pass_app
def exception(app: App, audit_id: int, handle: str, justification: str, actor: str) -> None:
    """Approve (as quality manager) that HANDLE audits a process they have a role on."""
    from qms.services.audits import team as audits_team

    found = audits_team.approve_exception(app.services, actor, audit_id, handle, justification)
    click.echo(
        f"internal_audit #{audit_id}: impartiality exception #{found.id} for {handle} "
        f"({found.conflicting_roles}) approved by {actor}"
    )


audit.add_command(
    fire_command(
        "internal_audit",
        "Fire TRIGGER on audit RECORD_ID (issue_plan, start, draft_report, issue_report, ...).",
        service="qms.services.audits.service",
    )
)
