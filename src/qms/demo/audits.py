"""Demo step: the current cycle's audit programme and its audits in every state.

The programme is planned by a quality correspondent in December, approved by a director
and put in effect; the first six audits of the year are run (every checklist question
answered, findings, each nonconformity pointing at the question answered not conform and
raising a nonconformity and a corrective action), the first ones through an issued report
and a follow-up. The audits after them have slipped: their month passed and they have not
started, as `qms audit programme coverage` and the review pack (9.3.2 c 6) say; the next
ones are planned ahead.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from itertools import takewhile

from sqlalchemy import select

from qms.demo import DemoContext
from qms.errors import QmsError
from qms.models import AuditProgramme
from qms.services.audits import checklist as audits_checklist
from qms.services.audits import coverage as audits_coverage
from qms.services.audits import findings as audits_findings
from qms.services.audits import programme
from qms.services.audits import queries as audits_queries
from qms.services.audits import service as audits
from qms.services.audits.common import finding_types, programme_of

CORRESPONDENT, DIRECTOR, QUALITY_MANAGER = "cvidal", "hmarchal", "tbrunet"
RUN_AUDITS, ISSUED_REPORTS, FUTURE_AUDITS = 6, 3, 2
FINDINGS = [
    (
        "major_nonconformity",
        "Exam papers kept unlocked overnight",
        "ISO 9001 7.1.4 and the exam regulations art. 12",
        "Two of three exam rooms visited held papers in open cupboards",
    ),
    (
        "minor_nonconformity",
        "Indicator sheet not updated since March",
        "ISO 9001 9.1.1",
        "The dashboard shown on the day stopped at the March figures",
    ),
    (
        "observation",
        "Jury minutes signed late",
        "ISO 9001 7.5.3",
        "4 of 10 minutes sampled were signed more than a month after the jury",
    ),
    (
        "strength",
        "Onboarding booklet for new staff",
        "ISO 9001 7.3",
        "Every newcomer met had received and used it",
    ),
    (
        "opportunity_for_improvement",
        "Share the complaint log with the correspondents",
        "ISO 9001 10.3",
        "Correspondents learn of complaints only at the review",
    ),
]


def run(ctx: DemoContext) -> list[str]:
    cycle = ctx.today.year
    with ctx.app.database.reading() as session:
        if session.scalar(select(AuditProgramme.id).where(AuditProgramme.cycle == cycle)):
            return [f"internal audits: the {cycle} programme is already present, left as it is"]
    try:
        _programme(ctx, cycle)
    except QmsError as exc:  # e.g. a process map loaded today: nobody held a role in December
        return [f"internal audits: no {cycle} programme planned ({exc})"]
    with ctx.app.database.reading() as session:
        entries = audits_queries.entries(session, programme_of(session, cycle))
    past = [e for e in entries if e.planned_on + timedelta(days=20) <= ctx.today][:RUN_AUDITS]
    future = [e for e in entries if e.planned_on > ctx.today][:FUTURE_AUDITS]
    refusals: list[str] = []
    for index, entry in enumerate(past):
        refusals += _run_audit(ctx, cycle, index, entry)
    for entry in future:
        day = entry.planned_on - timedelta(days=30)
        refusals += _attempt(ctx, day, lambda e=entry: _plan(ctx, cycle, e))  # type: ignore[misc]
    lines = [
        f"internal audits: the {cycle} programme ({len(entries)} audits) in effect; "
        f"{len(past)} audits run, {min(len(past), ISSUED_REPORTS)} reports issued, "
        f"{len(future)} planned ahead",
    ]
    with ctx.app.database.reading() as session:
        standing = audits_coverage.status(session, cycle, ctx.today)
    lines.append(f"  {standing.summary()} (qms audit programme coverage --cycle {cycle})")
    lines += [f"  (refused: {r})" for r in refusals]
    return lines


def _programme(ctx: DemoContext, cycle: int) -> None:
    ctx.at(max(date(cycle - 1, 12, 1), ctx.start))
    programme.plan(ctx.app, CORRESPONDENT, cycle)
    ctx.at(max(date(cycle - 1, 12, 12), ctx.start), hour=11)
    programme.fire(
        ctx.app,
        cycle,
        "approve",
        DIRECTOR,
        {"approval_note": "Two audit days per auditor and term granted"},
    )
    programme.fire(ctx.app, cycle, "put_in_effect", QUALITY_MANAGER)


def _attempt(ctx: DemoContext, day: date, step: Callable[[], object]) -> list[str]:
    if day > ctx.today:
        return []
    ctx.at(max(day, ctx.start))
    try:
        step()
    except QmsError as exc:
        return [f"{day}: {exc}"]
    return []


def _plan(ctx: DemoContext, cycle: int, entry: audits_queries.EntryRow) -> int:
    spec = audits.AuditPlan(
        process=entry.process,
        cycle=cycle,
        details={
            "objectives": f"Check that {entry.process_name} meets its requirements and "
            "reaches its objectives",
            "scope": f"{entry.process} {entry.process_name}: activities of the last twelve months",
            "criteria": "ISO 9001:2015 clauses 4 to 10\nThe process sheet and its procedures",
            "location": "Main campus",
            "auditee": "The process pilot and correspondents",
            "audit_client": "Thomas Brunet, quality manager",
        },
    )
    return audits.plan(ctx.app, CORRESPONDENT, spec).id


def _run_audit(
    ctx: DemoContext, cycle: int, index: int, entry: audits_queries.EntryRow
) -> list[str]:
    day = entry.planned_on
    ctx.at(day - timedelta(days=21))
    try:
        audit_id = _plan(ctx, cycle, entry)
    except QmsError as exc:
        return [f"{day}: {exc}"]
    lead = entry.lead_auditor or ""
    app = ctx.app
    steps = [
        (day - timedelta(days=14), lambda: audits_checklist.create(app, CORRESPONDENT, audit_id)),
        (
            day - timedelta(days=7),
            lambda: audits.fire(
                app,
                audit_id,
                "issue_plan",
                lead,
                {"audit_plan": "9:00 opening meeting; interviews and records; 16:00 closing"},
            ),
        ),
        (day, lambda: audits.fire(app, audit_id, "start", lead, {"started_on": day})),
        (day, lambda: _checklist_and_findings(ctx, audit_id, lead, index)),
    ]
    if index < RUN_AUDITS - 1:
        steps.append(
            (
                day + timedelta(days=6),
                lambda: audits.fire(
                    app,
                    audit_id,
                    "draft_report",
                    lead,
                    {
                        "conclusions": "The process runs as planned; the findings below need work",
                        "criteria_fulfilment": "Met, except where a nonconformity is recorded",
                    },
                ),
            )
        )
    if index < ISSUED_REPORTS:
        steps.append(
            (
                day + timedelta(days=12),
                lambda: audits.fire(app, audit_id, "issue_report", QUALITY_MANAGER),
            )
        )
    if index == 0:
        steps.append(
            (
                day + timedelta(days=40),
                lambda: audits.fire(app, audit_id, "start_follow_up", QUALITY_MANAGER),
            )
        )
    refusals: list[str] = []
    for when, step in steps:
        refusals += _attempt(ctx, when, step)
    return refusals


def _checklist_and_findings(ctx: DemoContext, audit_id: int, lead: str, index: int) -> None:
    """Every question answered (a nonconformity's with its evidence, not conform), then the
    findings, each nonconformity pointing at the question it rests on."""
    chosen = [FINDINGS[index % len(FINDINGS)], FINDINGS[(index + 2) % len(FINDINGS)]]
    grades = finding_types(ctx.app.settings)
    with ctx.app.database.reading() as session:
        items = audits_queries.checklist_rows(session, audit_id)
    failed: dict[str, audits_queries.ItemRow] = {}
    for kind, _title, criterion, _evidence in chosen:
        if grades[kind].grade is not None:
            free = [i for i in items if i not in failed.values()]
            failed[kind] = max(
                free, key=lambda i: (_shared_parts(i.clause, criterion), -i.position)
            )
    _answers(ctx, audit_id, lead, items, {item.id: kind for kind, item in failed.items()})
    for kind, title, criterion, evidence in chosen:
        item = failed.get(kind)
        spec = audits_findings.NewFinding(
            audit_id, kind, title, criterion, evidence, checklist_item=item.id if item else None
        )
        audits_findings.add(ctx.app, lead, spec)


def _answers(
    ctx: DemoContext,
    audit_id: int,
    lead: str,
    items: list[audits_queries.ItemRow],
    failed: dict[int, str],
) -> None:
    # A generator of its own: drawing from ctx.rng would change what later steps generate.
    rng = random.Random(audit_id)  # noqa: S311 - demo data, not secrets
    evidence = {kind: seen for kind, _title, _criterion, seen in FINDINGS}
    for item in items:
        if item.id in failed:
            value, seen, reason = "not_conform", evidence[failed[item.id]], ""
        elif rng.random() < 0.15:
            value, seen, reason = "not_applicable", "", "Not in the scope of this audit"
        else:
            value, seen, reason = "conform", "Records sampled and found complete", ""
        audits_checklist.answer(ctx.app, lead, audit_id, item.position, value, seen, reason)


def _shared_parts(clause: str, criterion: str) -> int:
    """How many parts of a checklist clause ("9.1") a criterion ("ISO 9001 9.1.1") shares."""
    number = next((w for w in criterion.split() if w[:1].isdigit() and "." in w), "")
    pairs = zip(clause.split("."), number.split("."), strict=False)
    return len(list(takewhile(lambda pair: pair[0] == pair[1], pairs)))
