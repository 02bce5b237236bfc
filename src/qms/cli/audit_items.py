"""qms audit checklist | finding | report | calendar."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from qms.cli.app import App, pass_app
from qms.cli.capa import fire_command
from qms.cli.output import emit, format_option

CHECKLIST_COLUMNS = (
    "id",
    "position",
    "clause",
    "question",
    "answer",
    "evidence",
    "reason",
    "answered_by",
)
FINDING_COLUMNS = (
    "id",
    "finding_type",
    "state",
    "title",
    "criterion",
    "checklist_item_id",
    "nonconformity_id",
    "action_id",
    "action_due_date",
)
REVISION_COLUMNS = ("revision", "issued_at", "issued_by", "reason", "pdf_sha256")
actor_option = click.option("--as", "actor", required=True, help="Handle of the person acting.")


@click.group()
def checklist() -> None:
    """The audit's checklist: from the process's template or the previous audit."""


@checklist.command()
@click.argument("audit_id", type=int)
@click.option("--copy-previous", is_flag=True, help="Copy the previous audit's questions.")
@actor_option
@pass_app
def create(app: App, audit_id: int, copy_previous: bool, actor: str) -> None:
    """Fill the audit's checklist from workflows/checklists/<PROCESS>.yaml (or default.yaml)."""
    from qms.services.audits import checklist as audits_checklist

    count = audits_checklist.create(app.services, actor, audit_id, copy_previous)
    click.echo(f"internal_audit #{audit_id}: checklist of {count} questions")


@checklist.command("add")
@click.argument("audit_id", type=int)
@click.option("--clause", required=True, help="ISO 9001 clause or internal requirement.")
@click.option("--question", required=True, help="The question.")
@actor_option
@pass_app
def add_question(app: App, audit_id: int, clause: str, question: str, actor: str) -> None:
    """Add a question to the audit's checklist."""
    from qms.services.audits import checklist as audits_checklist

    number = audits_checklist.add_question(app.services, actor, audit_id, clause, question)
    click.echo(f"internal_audit #{audit_id}: question {number} added")


@checklist.command()
@click.argument("audit_id", type=int)
@click.argument("item", type=int)
@click.option("--answer", "value", required=True, help="conform, not_conform or not_applicable.")
@click.option("--evidence", default="", help="What was seen, heard or read.")
@click.option("--reason", default="", help="Why the question does not apply (not_applicable).")
@actor_option
@pass_app
def answer(
    app: App, audit_id: int, item: int, value: str, evidence: str, reason: str, actor: str
) -> None:
    """Answer question ITEM of the audit's checklist: with its evidence, or, when it does not
    apply, with the reason why."""
    from qms.services.audits import checklist as audits_checklist

    found = audits_checklist.answer(app.services, actor, audit_id, item, value, evidence, reason)
    assert found.answer is not None
    click.echo(f"internal_audit #{audit_id}: question {item} answered {found.answer.value}")


@checklist.command("show")
@click.argument("audit_id", type=int)
@format_option
@pass_app
def show_checklist(app: App, audit_id: int, fmt: str) -> None:
    """The audit's checklist and its answers."""
    from qms.services.audits import queries as audits_queries

    with app.ready_database().reading() as session:
        rows = audits_queries.checklist_rows(session, audit_id)
    emit([r.as_dict() for r in rows], CHECKLIST_COLUMNS, fmt)


@click.group()
def finding() -> None:
    """Audit findings; a nonconformity finding raises a nonconformity and an action."""


@finding.command("add")
@click.argument("audit_id", type=int)
@click.option("--type", "finding_type", required=True, help="A type of QMS_AUDIT_FINDING_TYPES.")
@click.option("--title", required=True, help="The finding in a line.")
@click.option("--criterion", required=True, help="The requirement it is judged against.")
@click.option("--evidence", required=True, help="What was seen, heard or read.")
@click.option("--description", default="", help="More detail.")
@click.option(
    "--item",
    "checklist_item",
    type=int,
    help="The checklist item it rests on (its id in `qms audit checklist show`).",
)
@click.option(
    "--outside-checklist",
    "outside_checklist",
    default="",
    help="Or why the finding lies outside the checklist.",
)
@actor_option
@pass_app
def add_finding(app: App, /, audit_id: int, actor: str, **params: Any) -> None:
    """Record a finding of audit AUDIT_ID; a nonconformity names the checklist item answered
    not_conform it rests on (--item), or why it is outside the checklist."""
    from qms.services.audits import findings as audits_findings

    spec = audits_findings.NewFinding(audit_id=audit_id, **params)
    found = audits_findings.add(app.services, actor, spec)
    click.echo(
        f"audit_finding #{found.id} ({found.finding_type}) recorded on "
        f"internal_audit #{found.audit_id}"
    )
    if found.nonconformity_id is not None:
        due = found.data.get("action_due_date")
        click.echo(
            f"  raised nonconformity #{found.nonconformity_id} ({found.grade}) and corrective "
            f"action #{found.action_id} due {due}"
        )


@finding.command("list")
@click.argument("audit_id", type=int)
@format_option
@pass_app
def list_findings(app: App, audit_id: int, fmt: str) -> None:
    """The findings of an audit."""
    from qms.services.audits import queries as audits_queries

    with app.ready_database().reading() as session:
        rows = audits_queries.finding_rows(session, audit_id)
    emit([r.as_dict() for r in rows], FINDING_COLUMNS, fmt)


finding.add_command(
    fire_command(
        "audit_finding",
        "Fire TRIGGER on finding RECORD_ID (acknowledge, dispute, plan_action, verify, ...).",
    )
)


@click.group()
def report() -> None:
    """The audit report: draft, issued revisions (frozen), new revisions."""


@report.command()
@click.argument("audit_id", type=int)
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write the HTML here.")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False), help="Write the PDF here.")
@click.option("--revision", type=int, help="An issued revision (default: the latest).")
@click.option("--draft", is_flag=True, help="Render the current state, even once issued.")
@pass_app
def render(
    app: App,
    audit_id: int,
    html_path: str | None,
    pdf_path: str | None,
    revision: int | None,
    draft: bool,
) -> None:
    """Write the report: the issued revision as frozen, else a draft of the current state."""
    from qms.reporting.render import content_hash
    from qms.services.audits import report as audits_report
    from qms.services.audits.common import audit

    if not html_path and not pdf_path:
        raise click.UsageError("give --html FILE, --pdf FILE or both")
    with app.ready_database().reading() as session:
        stored = None if draft else audits_report.stored(session, audit_id, revision)
        if stored is not None:  # an issued revision: the bytes frozen when it was issued
            text, document, label = stored.html, stored.pdf, f"revision {stored.revision}"
            if content_hash(document) != stored.pdf_sha256:
                raise click.ClickException(
                    f"the stored PDF of revision {stored.revision} does not match its "
                    f"sha256 {stored.pdf_sha256}: the stored report was altered"
                )
        else:
            record = audit(session, audit_id)
            if pdf_path:
                text, document = audits_report.document(app.services, session, record, None)
            else:
                text, document = audits_report.html(app.services, session, record, None), b""
            label = "draft"
    if html_path:
        Path(html_path).write_text(text, encoding="utf-8")
        click.echo(f"{html_path}: {label}, sha256 {content_hash(text)}")
    if pdf_path:
        Path(pdf_path).write_bytes(document)
        click.echo(f"{pdf_path}: {label}, sha256 {content_hash(document)}")


@report.command()
@click.argument("audit_id", type=int)
@click.option("--reason", required=True, help="What changed since the last revision.")
@actor_option
@pass_app
def revise(app: App, audit_id: int, reason: str, actor: str) -> None:
    """Issue a new revision of an issued report (its e-mail is queued again)."""
    from qms.services.audits import report as audits_report

    found = audits_report.revise(app.services, actor, audit_id, reason)
    click.echo(
        f"internal_audit #{audit_id}: report revision {found.revision} issued, "
        f"sha256 {found.pdf_sha256}"
    )


@report.command()
@click.argument("audit_id", type=int)
@format_option
@pass_app
def revisions(app: App, audit_id: int, fmt: str) -> None:
    """The issued revisions of the report, with their hashes."""
    from qms.services.audits import report as audits_report

    with app.ready_database().reading() as session:
        rows = [
            {
                "revision": r.revision,
                "issued_at": r.issued_at.astimezone(app.settings.zone).strftime("%Y-%m-%d %H:%M"),
                "issued_by": r.issued_by,
                "reason": r.reason,
                "pdf_sha256": r.pdf_sha256,
                "html_sha256": r.html_sha256,
            }
            for r in audits_report.revisions(session, audit_id)
        ]
    emit(rows, REVISION_COLUMNS, fmt)


@click.command()
@click.option("--cycle", type=int, required=True, help="The year of the cycle.")
@pass_app
def calendar(app: App, cycle: int) -> None:
    """The cycle's programme and audits as iCalendar on stdout (> audits.ics)."""
    from qms.services.audits import calendar as audits_calendar

    with app.ready_database().reading() as session:
        data = audits_calendar.calendar(session, cycle, app.clock.now(), app.settings.base_url)
    sys.stdout.flush()
    click.echo(data.decode("utf-8"), nl=False)
