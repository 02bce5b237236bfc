"""The management review pack for a year of a 1,000-staff institution, against bare Jinja2,
then as PDF against WeasyPrint on the same pages without charts (bench/review_pdf.py).

Data (inserted in bulk, not timed): 25 processes, 100 monthly indicators with 12 values
each (some past their alert threshold), 5,000 improvement actions in every state (some
overdue), 300 nonconformities, 30 audits with 300 findings, and a previous review whose
20 decisions are input (a).  Each record gets one signed trail row and each value its
revision: a pack counts records and values as they stood when its inputs were gathered.

``measured``: ``reviews_pack.render_html`` — every query (a fixed number, whatever the
counts), the assembly of the twelve 9.3.2 inputs and the summary, the chart look-up
(charts are drawn once before timing; the cold first render is printed as a note) and
the full template.  ``baseline``: the least any pack costs: the same rows read with
SQLAlchemy Core (one SELECT per table, no ORM) and rendered by a bare Jinja2 template
(autoescape on) with the same tables and chart SVGs, already assembled in memory.
The PDF times (cold, warm, and their 3 s target) are printed as further targets.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from jinja2 import Environment, select_autoescape
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bench import Result, Sizes, best_rates, settings_note
from bench.review_pdf import pack_pdf_times
from qms.bootstrap import Services
from qms.models import (
    GENESIS_HASH,
    AuditFinding,
    Direction,
    Frequency,
    HistoryEntry,
    ImprovementAction,
    Indicator,
    InternalAudit,
    MacroProcess,
    ManagementReview,
    Measurement,
    MeasurementRevision,
    Nonconformity,
    Person,
    Process,
    ReviewDecision,
    ReviewKind,
    WorkflowRecord,
)
from qms.services.indicators.periods import containing
from qms.services.reviews import figures as reviews_figures
from qms.services.reviews import report as reviews_pack
from qms.services.reviews.inputs import sections
from qms.workflow import trail
from qms.workflow.engine import CREATE_TRIGGER

PROCESSES, INDICATORS, ACTIONS, FINDINGS, NONCONFORMITIES = 25, 100, 5_000, 300, 300
ACTION_STATES = ("proposed", "approved", "in_progress", "done", "closed", "closed", "rejected")

BARE = """<html><body>
{% for s in sections %}<h2>{{ s.clause }} {{ s.title }}</h2><p>{{ s.summary }}</p>
{% for t in s.tables %}<h3>{{ t.title }}</h3><table>
<tr>{% for c in t.columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in t.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
</table>{% endfor %}
{% for svg in charts[s.key] %}<div>{{ svg }}</div>{% endfor %}
{% endfor %}</body></html>"""


def _records(app: Services, session: Session, model: type[WorkflowRecord]) -> dict[str, Any]:
    defn = app.registry.for_kind(model.record_kind)
    app.registry.remember(session, defn, app.engine.clock)
    now = app.engine.clock.now()
    return {
        "workflow_name": defn.name,
        "workflow_hash": defn.content_hash,
        "created_at": now - timedelta(days=200),
        "updated_at": now,
        "data": {},
    }


def _processes(session: Session) -> list[int]:
    macro = session.scalars(select(MacroProcess.id).order_by(MacroProcess.id)).first()
    have = session.scalar(select(func.count()).select_from(Process)) or 0
    rows: list[dict[str, Any]] = [
        {
            "macro_process_id": macro,
            "code": f"BEN-{n:02d}",
            "name": f"Bench process {n}",
            "purpose": "",
            "inputs": [],
            "outputs": [],
            "interfaces": [],
            "resources": [],
            "risks": [],
            "position": 100 + n,
        }
        for n in range(PROCESSES - have)
    ]
    if rows:
        session.execute(insert(Process), rows)
    return list(session.scalars(select(Process.id).order_by(Process.id)))


def _indicators(session: Session, processes: list[int], people: list[int], today: date) -> None:
    rows = [
        {
            "code": f"BEN-K{n:03d}",
            "process_id": processes[n % len(processes)],
            "name": f"Indicator {n}",
            "measures": "A share",
            "method": "",
            "unit": "%",
            "direction": Direction.HIGHER if n % 3 else Direction.LOWER,
            "target": 90.0 if n % 3 else 10.0,
            "alert_threshold": 80.0 if n % 3 else 20.0,
            "frequency": Frequency.MONTHLY,
            "data_source": "bench",
            "owner_id": people[n % len(people)],
            "topics": [
                ["customer_satisfaction"],
                ["quality_objective"],
                ["external_providers"],
                ["resources"],
                ["risks"],
                [],
            ][n % 6],
            "minimum": 0.0,
            "maximum": 100.0,
            "due_days": 30,
            "position": n,
        }
        for n in range(INDICATORS)
    ]
    session.execute(insert(Indicator), rows)
    ids = list(session.scalars(select(Indicator.id).order_by(Indicator.id)))
    last = containing(today, Frequency.MONTHLY).previous()
    periods = [last]
    for _ in range(11):
        periods.append(periods[-1].previous())
    now = datetime.now(UTC) - timedelta(hours=1)  # before the pack's "inputs as of"
    values = [
        {
            "indicator_id": i,
            "period": p.label,
            "period_end": p.end,
            "value": 50.0 + (i * 7 + k * 13) % 50,
            "comment": "",
            "recorded_by": "bench",
            "recorded_at": now,
            "source": "bench",
            "revision": 1,
        }
        for i in ids
        for k, p in enumerate(periods)
    ]
    written = session.scalars(
        insert(Measurement).returning(Measurement.id, sort_by_parameter_order=True), values
    ).all()
    # A pack reads values as they stood when its inputs were gathered: from their revisions.
    revisions = [
        {"measurement_id": m, "value": v["value"], "actor": "bench", "at": now, "source": "bench"}
        for m, v in zip(written, values, strict=True)
    ]
    session.execute(insert(MeasurementRevision), revisions)


def _actions(
    app: Services, session: Session, processes: list[int], people: list[int], today: date
) -> list[int]:
    base = _records(app, session, ImprovementAction)
    kinds = itertools.cycle(("corrective", "improvement", "preventive", "correction"))
    origins = itertools.cycle(("nonconformity", "suggestion", "audit_finding", "indicator_breach"))
    rows = [
        {
            **base,
            "state": ACTION_STATES[n % len(ACTION_STATES)],
            "title": f"Action {n}",
            "process_id": processes[n % len(processes)],
            "owner_id": people[n % len(people)],
            "due_date": today + timedelta(days=n % 365 - 200),
            "kind": next(kinds),
            "origin": next(origins),
            "description": "",
            "data": {"effectiveness_result": "effective"} if n % 11 == 0 else {},
        }
        for n in range(ACTIONS)
    ]
    session.execute(insert(ImprovementAction), rows)
    return list(session.scalars(select(ImprovementAction.id).order_by(ImprovementAction.id)))


def _audits_and_ncs(app: Services, session: Session, processes: list[int], today: date) -> None:
    base = _records(app, session, InternalAudit)
    audits = [
        {
            **base,
            "state": "closed",
            "title": f"Audit {n}",
            "process_id": processes[n % len(processes)],
            "planned_start": today - timedelta(days=30 + n * 9),
        }
        for n in range(FINDINGS // 10)
    ]
    session.execute(insert(InternalAudit), audits)
    audit_ids = list(session.scalars(select(InternalAudit.id)))
    base = _records(app, session, AuditFinding)
    types = ("nonconformity", "observation", "opportunity for improvement", "strength")
    session.execute(
        insert(AuditFinding),
        [
            {
                **base,
                "state": "closed",
                "title": f"Finding {n}",
                "audit_id": audit_ids[n % len(audit_ids)],
                "process_id": processes[n % len(processes)],
                "finding_type": types[n % len(types)],
            }
            for n in range(FINDINGS)
        ],
    )
    base = _records(app, session, Nonconformity)
    session.execute(
        insert(Nonconformity),
        [
            {
                **base,
                "state": ("detected", "analysed", "closed")[n % 3],
                "title": f"NC {n}",
                "process_id": processes[n % len(processes)],
                "severity": ("major", "minor")[n % 2],
                "source": ("complaint", "internal_audit", "incident")[n % 3],
                "detected_on": today - timedelta(days=n % 360),
                "is_repeat": n % 9 == 0,
                "action_due_date": today + timedelta(days=n % 90 - 45),
            }
            for n in range(NONCONFORMITIES)
        ],
    )


def _reviews(app: Services, session: Session, actions: list[int], today: date) -> int:
    base = _records(app, session, ManagementReview)
    previous = session.execute(
        insert(ManagementReview).returning(ManagementReview.id),
        [
            {
                **base,
                "state": "closed",
                "title": "Previous review",
                "planned_on": today - timedelta(days=360),
                "period_start": today - timedelta(days=730),
                "period_end": today - timedelta(days=365),
            }
        ],
    ).scalar_one()
    now = app.engine.clock.now()
    session.execute(
        insert(ReviewDecision),
        [
            {
                "review_kind": ReviewKind.MANAGEMENT,
                "review_id": previous,
                "category": "improvement",
                "title": f"Decision {n}",
                "action_id": actions[n * 7],
                "decided_by": "hmarchal",
                "decided_at": now,
            }
            for n in range(20)
        ],
    )
    return session.execute(
        insert(ManagementReview).returning(ManagementReview.id),
        [
            {
                **base,
                "state": "planned",
                "title": "Management review",
                "planned_on": today + timedelta(days=5),
                "period_start": today - timedelta(days=365),
                "period_end": today - timedelta(days=1),
                "previous_review_id": previous,
            }
        ],
    ).scalar_one()


TRAILED = (ImprovementAction, Nonconformity, InternalAudit, AuditFinding)


def _trail(app: Services, session: Session, model: type[WorkflowRecord]) -> None:
    """One signed trail row per record, straight into its state: a pack counts a record
    in the state its trail had reached when the inputs were gathered (services.reviews.asof)."""
    defn, keys = app.registry.for_kind(model.record_kind), app.engine.keys
    rows = session.execute(select(model.id, model.state, model.created_at)).all()
    entries = []
    for record_id, state, created_at in rows:
        entry: dict[str, Any] = {
            "record_kind": model.record_kind,
            "record_id": record_id,
            "trigger": CREATE_TRIGGER,
            "from_state": None,
            "to_state": state,
            "actor": "bench",
            "at": created_at,
            "inputs": {},
            "comment": "",
            "workflow_name": defn.name,
            "workflow_version": defn.version,
            "workflow_hash": defn.content_hash,
            "seq": 1,
            "prev_id": None,
            "prev_hash": GENESIS_HASH,
            "key_id": keys.active_id,
        }
        entry["hash"] = keys.sign(trail.signed_content(entry))
        entries.append(entry)
    session.execute(insert(HistoryEntry), entries)


def institution_year(app: Services) -> int:
    """The bench year (not timed); returns the id of the review to render."""
    today = app.engine.today()
    with app.database.unit_of_work() as uow:
        session = uow.session
        processes = _processes(session)
        people = list(session.scalars(select(Person.id).order_by(Person.id)))
        _indicators(session, processes, people, today)
        actions = _actions(app, session, processes, people, today)
        _audits_and_ncs(app, session, processes, today)
        review_id = _reviews(app, session, actions, today)
        for model in TRAILED:
            _trail(app, session, model)
        uow.commit()
    return review_id


def raw_reads(app: Services) -> Callable[[], int]:
    """The rows a pack is built from, read with Core: one SELECT per table."""
    tables = [
        select(
            ImprovementAction.id,
            ImprovementAction.title,
            ImprovementAction.state,
            ImprovementAction.kind,
            ImprovementAction.due_date,
            ImprovementAction.origin,
            ImprovementAction.process_id,
            ImprovementAction.owner_id,
        ),
        select(
            Nonconformity.id,
            Nonconformity.title,
            Nonconformity.state,
            Nonconformity.severity,
            Nonconformity.detected_on,
            Nonconformity.process_id,
        ),
        select(
            AuditFinding.id,
            AuditFinding.audit_id,
            AuditFinding.finding_type,
            AuditFinding.process_id,
            AuditFinding.title,
        ),
        select(
            InternalAudit.id, InternalAudit.title, InternalAudit.state, InternalAudit.process_id
        ),
        select(
            Indicator.id,
            Indicator.code,
            Indicator.name,
            Indicator.target,
            Indicator.alert_threshold,
            Indicator.process_id,
        ),
        select(Measurement.indicator_id, Measurement.period, Measurement.value),
        select(ReviewDecision.id, ReviewDecision.title, ReviewDecision.action_id),
        select(Process.id, Process.code),
    ]

    def read() -> int:
        with app.database.engine.connect() as connection:
            return sum(len(connection.execute(query).all()) for query in tables)

    return read


def bare(app: Services, review_id: int) -> tuple[Callable[[int], None], int]:
    """The same rows read with Core, and rendered from memory by a bare Jinja2 template."""
    _, data, _ = reviews_pack.load(app, review_id)
    built = sections(data)
    placed = reviews_figures.place(app.database, data, built)  # the charts the pack draws
    charts = {key: [shown.svg for shown in p.shown] for key, p in placed.items()}
    context = {"sections": built, "charts": charts}
    template = Environment(autoescape=select_autoescape(default=True)).from_string(BARE)
    rows = sum(len(t.rows) for s in built for t in s.tables)
    read = raw_reads(app)

    def work(n: int) -> None:
        for _ in range(n):
            read()
            template.render(context)

    return work, rows


def bench_review(app: Services, sizes: Sizes) -> tuple[Result, Callable[[int], None]]:
    review_id = institution_year(app)
    started = time.perf_counter()
    reviews_pack.render_html(app, review_id)  # draws and keeps the charts
    cold = time.perf_counter() - started
    baseline, rows = bare(app, review_id)

    def measured(n: int) -> None:
        for _ in range(n):
            reviews_pack.render_html(app, review_id)

    rounds = 2 if sizes.load_rounds < 9 else 5
    base_rate, meas_rate = best_rates(baseline, measured, 1, rounds)
    pdf = pack_pdf_times(app, review_id, 1 if sizes.load_rounds < 9 else 2)
    result = Result(
        name="",
        title="management review pack (HTML, then PDF), a year of a 1,000-staff institution",
        unit="packs",
        baseline="Core reads of the rows + bare Jinja2 of the same tables",
        baseline_rate=base_rate,
        measured="reviews_pack.render_html (queries, assembly, template)",
        measured_rate=meas_rate,
        target=1 / 3,
        notes=(
            settings_note(app),
            f"{PROCESSES} processes, {INDICATORS} indicators x 12 values, {ACTIONS:,} actions, "
            f"{NONCONFORMITIES} nonconformities, {FINDINGS} findings; {rows:,} table rows, "
            f"{pdf.charts} charts (at most {reviews_figures.CHARTS_MOST}) in the pack",
            f"one pack in {1 / meas_rate:.3f} s (target < 1 s); the first render, drawing "
            f"its charts, took {cold:.2f} s",
            pdf.note,
        ),
        checks=pdf.checks(),
    )
    return result, measured
