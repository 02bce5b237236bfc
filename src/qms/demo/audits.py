"""Demo step: the current cycle's audit programme, its audits run in their months.

The programme is planned by a quality correspondent in December, approved by a director
and put in effect (played at once: the audits are planned from its entries).  Each audit
whose month has come is planned three weeks ahead, its checklist drawn and its plan
issued, then run on its day: every checklist question answered, findings about that
process (a nonconformity finding raises its nonconformity and corrective action, which
:mod:`qms.demo.cases` then follows), the report drafted and issued, the follow-up started
and the audit closed, as far as its age allows.  One audit slipped three weeks; one is
postponed (its month is over, it has not started: `qms audit programme coverage` says it
is late).  Audits after today stay planned.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from itertools import takewhile

from sqlalchemy import func, select

from qms.demo import DemoContext
from qms.demo import cases as demo_cases
from qms.demo.audits_story import FOLLOW_UP_DAYS, audit_details, findings_for, root_cause
from qms.demo.cases import Case, People
from qms.demo.texts import BANKS, records_of
from qms.demo.timeline import MORNING, Occurrence
from qms.models import AuditProgramme, RoleAssignment
from qms.services.audits import checklist as audits_checklist
from qms.services.audits import coverage as audits_coverage
from qms.services.audits import findings as audits_findings
from qms.services.audits import programme
from qms.services.audits import queries as audits_queries
from qms.services.audits import service as audits
from qms.services.audits.common import finding_types, programme_of
from qms.services.audits.queries import EntryRow

CORRESPONDENT, DIRECTOR, QUALITY_MANAGER = "cvidal", "hmarchal", "tbrunet"
NAME = "audits"
SLIPPED_DAYS = 22


def plan(ctx: DemoContext) -> None:
    cycle = ctx.today.year
    with ctx.app.database.reading() as session:
        if session.scalar(select(AuditProgramme.id).where(AuditProgramme.cycle == cycle)):
            ctx.skipped.add(NAME)
            return
    begins = date(cycle - 1, 12, 1)
    with ctx.app.database.reading() as session:
        first = session.scalar(select(func.min(RoleAssignment.valid_from)))
    if first is None or first > begins:
        ctx.skipped.add(NAME)
        ctx.notes[NAME] = (
            f"internal audits: none, the {cycle} programme is planned on {begins} and the "
            f"process map's roles start on {first} (load it with an earlier --as-of)"
        )
        return
    _programme(ctx, cycle)
    ctx.timeline.play()  # the programme exists before anything else is planned from it
    with ctx.app.database.reading() as session:
        entries = audits_queries.entries(session, programme_of(session, cycle))
    people = demo_cases.people(ctx)
    past = [e for e in entries if e.planned_on <= ctx.today]
    over = [e for e in past if audits_coverage.month_end(e.planned_on) < ctx.today]
    postponed = over[-2].id if len(over) > 1 else None
    slipped = over[len(over) // 2].id if len(over) > 3 else None
    for index, entry in enumerate(past):
        delay = SLIPPED_DAYS if entry.id == slipped else 0
        _audit(ctx, cycle, index, entry, people, delay, entry.id == postponed)
    for entry in entries:
        if ctx.today < entry.planned_on <= ctx.today + timedelta(days=21):
            _plan_ahead(ctx, cycle, entry)


def _plan_ahead(ctx: DemoContext, cycle: int, entry: EntryRow) -> None:
    """An audit of next month: planned three weeks ahead, nothing more yet."""
    day, what = entry.planned_on - timedelta(days=21), f"plan the audit of {entry.process}"
    ctx.timeline.add(day, lambda: _plan(ctx, cycle, entry), what)


def report(ctx: DemoContext) -> list[str]:
    cycle = ctx.today.year
    if NAME in ctx.skipped:
        default = f"internal audits: the {cycle} programme is already present, left as it is"
        return [ctx.notes.get(NAME, default)]
    with ctx.app.database.reading() as session:
        standing = audits_coverage.status(session, cycle, ctx.today)
        reports = sum(1 for a in standing.audits if a.entry.state == "done")
    counts = standing.counts()
    return [
        f"internal audits: the {cycle} programme ({counts.get('planned', 0)} audits) in effect; "
        f"{reports} reports issued",
        f"  {standing.summary()} (qms audit programme coverage --cycle {cycle})",
    ]


def _programme(ctx: DemoContext, cycle: int) -> None:
    line = ctx.timeline
    planned = line.add(
        date(cycle - 1, 12, 1),
        lambda: programme.plan(ctx.app, CORRESPONDENT, cycle),
        "plan the audit programme",
    )
    note = {"approval_note": "Two audit days per auditor and term granted"}
    approved = line.add(
        date(cycle - 1, 12, 3),
        lambda: programme.fire(ctx.app, cycle, "approve", DIRECTOR, note),
        "approve the programme",
        after=planned,
    )
    line.add(
        date(cycle - 1, 12, 3),
        lambda: programme.fire(ctx.app, cycle, "put_in_effect", QUALITY_MANAGER),
        "put the programme in effect",
        after=approved,
    )


def _plan(ctx: DemoContext, cycle: int, entry: EntryRow) -> int:
    spec = audits.AuditPlan(process=entry.process, cycle=cycle, details=audit_details(entry))
    return audits.plan(ctx.app, CORRESPONDENT, spec).id


def _audit(
    ctx: DemoContext,
    cycle: int,
    index: int,
    entry: EntryRow,
    people: People,
    delay: int,
    postponed: bool,
) -> None:
    line, app = ctx.timeline, ctx.app
    ids: dict[str, int] = {}
    day, lead = entry.planned_on, entry.lead_auditor or ""

    def fire(trigger: str, actor: str, inputs: dict[str, object] | None = None) -> None:
        audits.fire(app, ids["audit"], trigger, actor, inputs or {})

    def planned() -> None:
        ids["audit"] = _plan(ctx, cycle, entry)

    what = f"the audit of {entry.process}"
    at = line.add(day - timedelta(days=21), planned, f"plan {what}")
    at = line.add(
        day - timedelta(days=14),
        lambda: audits_checklist.create(app, CORRESPONDENT, ids["audit"]),
        f"checklist of {what}",
        after=at,
    )
    agenda = (
        f"{_clock(ctx)} opening meeting with the pilot; interviews and records; closing meeting"
    )
    at = line.add(
        day - timedelta(days=7),
        lambda: fire("issue_plan", lead, {"audit_plan": agenda}),
        f"issue the plan of {what}",
        after=at,
    )
    if postponed or at is None:
        return
    started = line.add(
        day + timedelta(days=delay),
        lambda: fire("start", lead, {"started_on": app.engine.today()}),
        f"start {what}",
        after=at,
        window=MORNING,
    )
    if started is None:
        return
    raised: list[Case] = []
    found = line.add(
        started.date(),
        lambda: _checklist_and_findings(ctx, ids["audit"], lead, entry.process, index, raised),
        f"findings of {what}",
        after=started,
    )
    if found is not None:
        follow = _report(ctx, entry, found, fire)
        raised += _raised_cases(ctx, entry, index, found, people, follow)


def _clock(ctx: DemoContext) -> str:
    return f"{ctx.rng.choice((15, 16))}:{ctx.rng.choice((15, 30, 45))}"


def _report(
    ctx: DemoContext, entry: EntryRow, found: datetime, fire: Callable[..., None]
) -> datetime | None:
    """Drafted, issued, followed up and closed as its age allows; the follow-up's moment."""
    line = ctx.timeline
    draft = {
        "conclusions": f"{entry.process_name} runs as planned; the findings above need the "
        "pilot's attention",
        "criteria_fulfilment": "Met, except where a nonconformity is recorded",
        "closing_meeting_on": found.date().isoformat(),
    }
    drafted = line.add(
        found.date() + timedelta(days=ctx.rng.randint(3, 7)),
        lambda: fire("draft_report", entry.lead_auditor or "", draft),
        f"draft the report of the audit of {entry.process}",
        after=found,
    )
    if drafted is None:
        return None
    issued = line.add(
        drafted.date() + timedelta(days=ctx.rng.randint(3, 6)),
        lambda: fire("issue_report", QUALITY_MANAGER),
        "issue the report",
        after=drafted,
    )
    if issued is None:
        return None
    follow = line.add(
        found.date() + timedelta(days=FOLLOW_UP_DAYS),
        lambda: fire("start_follow_up", QUALITY_MANAGER),
        "start the follow-up",
        after=issued,
    )
    if follow is None:
        return None
    summary = {
        "follow_up_summary": f"Findings of {entry.process} followed up with the pilot; their "
        "actions are tracked in the register"
    }
    line.add(
        follow.date() + timedelta(days=ctx.rng.randint(20, 40)),
        lambda: fire("close", QUALITY_MANAGER, summary),
        "close the audit",
        after=follow,
    )
    return follow


def _raised_cases(
    ctx: DemoContext,
    entry: EntryRow,
    index: int,
    found: datetime,
    people: People,
    follow: datetime | None,
) -> list[Case]:
    """The nonconformity a finding raised, followed like any other (by :mod:`cases`)."""
    grades = finding_types(ctx.app.settings)
    raised = []
    for kind, _title, _clause, _evidence in findings_for(entry.process, index):
        if grades[kind].grade is None:
            continue
        gap = BANKS[entry.process].gap
        helpers = people.helpers.get(entry.process) or [people.pilots[entry.process]]
        case = Case(
            index=len(ctx.audit_cases) * 3 + 1,
            process=entry.process,
            title=gap.title,
            cause=gap.cause,
            detected=found,
            containment=gap.containment,
            root_cause=root_cause(gap),
            plans=[
                f"Corrective action: {gap.title}",
                gap.plan,
                f"{gap.plan}, checked by the pilot each month",
            ],
            criteria=(f"No recurrence at the follow-up of the audit of {entry.process}", 30),
            owner=ctx.rng.choice(helpers),
            raised_action=True,
            not_before=(follow.date() if follow else ctx.today) + timedelta(days=1),
        )
        raised.append(case)
        ctx.audit_cases.append(case)
        ctx.timeline.occurrences.append(
            Occurrence(
                entry.process,
                gap.cause,
                found.date(),
                f"audit of {entry.process} found {gap.title.lower()}",
            )
        )
    return raised


def _checklist_and_findings(
    ctx: DemoContext, audit_id: int, lead: str, process: str, index: int, raised: list[Case]
) -> None:
    """Every question answered (a nonconformity's with its evidence, not conform), then the
    findings, each nonconformity pointing at the question it rests on."""
    chosen = findings_for(process, index)
    grades = finding_types(ctx.app.settings)
    with ctx.app.database.reading() as session:
        items = audits_queries.checklist_rows(session, audit_id)
    failed: dict[int, str] = {}
    for kind, _title, clause, evidence in chosen:
        if grades[kind].grade is not None:
            item = max(items, key=lambda i: (_shared_parts(i.clause, clause), -i.position))
            failed[item.id] = evidence
    _answers(ctx, audit_id, lead, process, items, failed)
    by_evidence = {evidence: item for item, evidence in failed.items()}
    for kind, title, clause, evidence in chosen:
        spec = audits_findings.NewFinding(
            audit_id,
            kind,
            title,
            f"ISO 9001 {clause}",
            evidence,
            checklist_item=by_evidence.get(evidence),
        )
        finding = audits_findings.add(ctx.app, lead, spec)
        if finding.nonconformity_id is not None:
            raised.pop(0).ids["nc"] = finding.nonconformity_id


def _answers(
    ctx: DemoContext,
    audit_id: int,
    lead: str,
    process: str,
    items: list[audits_queries.ItemRow],
    failed: dict[int, str],
) -> None:
    # A generator of its own: answers do not change what later steps of the story draw.
    rng = random.Random(audit_id)  # noqa: S311 - demo data, not secrets
    records = records_of(process)
    for item in items:
        if item.id in failed:
            value, seen, reason = "not_conform", failed[item.id], ""
        elif rng.random() < 0.12:
            value, seen, reason = (
                "not_applicable",
                "",
                f"Clause {item.clause} is outside {process}'s scope",
            )
        else:
            sample = rng.randint(4, 15)
            value, seen, reason = (
                "conform",
                f"{sample} {records} sampled for {item.clause}: complete",
                "",
            )
        audits_checklist.answer(ctx.app, lead, audit_id, item.position, value, seen, reason)


def _shared_parts(clause: str, criterion: str) -> int:
    """How many parts of a checklist clause ("9.1") a criterion's clause ("9.1.1") shares."""
    pairs = zip(clause.split("."), criterion.split("."), strict=False)
    return len(list(takewhile(lambda pair: pair[0] == pair[1], pairs)))
