"""The demo year tells one consistent story: what an auditor checks, walked in its database.

The demo is built once for the module (on SQLite, with the example institution's
settings), then each test reads the records back: when each step happened, where each
nonconformity came from, its texts, its effectiveness check, the audit programme, the
review packs and what `qms demo` printed.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import DateTime, select, text
from sqlalchemy.orm import Session

from qms.audit_policy import is_closed, parse_closed_periods
from qms.cli import main
from qms.config import Settings, get_settings
from qms.db import Database
from qms.models import (
    AuditFinding,
    BreachProposal,
    HistoryEntry,
    ImprovementAction,
    Indicator,
    InternalAudit,
    ManagementReview,
    Nonconformity,
)
from qms.models.base import Base
from qms.services.audits import coverage

# The year issues about twenty audit reports and freezes two review packs, each rendered
# to PDF: the module takes about two minutes, so it runs with `make test-slow`.
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ENV = ROOT / "workflows" / "example.env"
OPENS, CLOSES = time(8, 30), time(18, 0)
# Columns that say when something is due or was sent, not when a step of the story happened.
NOT_STEPS = {("outbox", "available_at"), ("outbox", "leased_until"), ("outbox", "sent_at")}
# Tables of the running installation, not of the story: the web accounts `qms demo` makes
# when it runs (now), their sessions and sign-in attempts.
NOT_STEP_TABLES = {"outbox_attempt", "trail_seal", "account", "web_session", "sign_in_attempt"}
# The periods effectiveness criteria name, in days.
PERIODS = {"three months": 90, "two months": 60, "following term": 90}


@dataclass
class Built:
    database: Database
    settings: Settings
    out: str
    second: str
    coverage_out: str
    now: datetime

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone


def _example_settings() -> dict[str, str]:
    found = {}
    for line in EXAMPLE_ENV.read_text().splitlines():
        if re.match(r"^QMS_[A-Z0-9_]+=\S+$", line):
            key, value = line.split("=", 1)
            found[key] = value
    return found


def _qms(*args: str) -> tuple[int, str]:
    get_settings.cache_clear()
    out = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    get_settings.cache_clear()
    return code, out.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'qms.sqlite3'}"
    env = {
        **_example_settings(),
        "QMS_DATABASE_URL": url,
        "QMS_TRAIL_KEY_FILE": str(folder / "trail.key"),
        "QMS_TRAIL_SEALS_DIR": str(folder / "seals"),
        "QMS_WORKFLOWS_DIR": str(ROOT / "workflows"),
        "QMS_REPORTS_DIR": str(ROOT / "reports"),
    }
    since = (datetime.now(UTC).date() - timedelta(days=400)).isoformat()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        assert _qms("db", "upgrade")[0] == 0
        process_map = str(ROOT / "workflows" / "process-map.yaml")
        assert _qms("processmap", "load", process_map, "--as-of", since)[0] == 0
        code, out = _qms("demo")
        assert code == 0, out
        now = datetime.now(UTC)
        cycle = str(_today(Settings()).year)
        second = _qms("demo")[1]
        coverage_out = _qms("audit", "programme", "coverage", "--cycle", cycle)[1]
        settings = Settings()
    database = Database(url=url)
    yield Built(database, settings, out, second, coverage_out, now)
    database.dispose()


def _today(settings: Settings) -> date:
    return datetime.now(settings.zone).date() - timedelta(days=1)


@pytest.fixture
def session(built: Built) -> Iterator[Session]:
    with built.database.reading() as found:
        yield found


def _local(built: Built, at: datetime) -> datetime:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(built.zone)


def _is_moment(column: Any) -> bool:
    return isinstance(getattr(column.type, "impl", column.type), DateTime)


def _dated_rows(session: Session) -> Iterator[tuple[str, Any, datetime]]:
    """Every timestamp the demo wrote: (table.column, row id, moment)."""
    skipped = {"person", "organisation", "process", "macro_process", "role_assignment"}
    for table in Base.metadata.sorted_tables:
        if table.name in NOT_STEP_TABLES or table.name in skipped:
            continue
        for column in table.columns:
            if not _is_moment(column) or (table.name, column.name) in NOT_STEPS:
                continue
            key = next(iter(table.primary_key.columns))
            rows = session.execute(select(key, column).where(column.is_not(None)))
            for row_id, at in rows:
                yield f"{table.name}.{column.name}", row_id, at


def test_the_demo_ran_without_a_refusal_and_once(built: Built) -> None:
    assert "refused" not in built.out, built.out
    assert "already present, left as they are" in built.second
    assert "already present" in built.second and "steps played" not in built.second


def test_every_step_is_on_a_working_day_in_office_hours_and_not_in_the_future(
    built: Built, session: Session
) -> None:
    closed = parse_closed_periods(built.settings.audit_closed_periods)
    wrong, on_the_hour, total = [], 0, 0
    for where, row_id, at in _dated_rows(session):
        local, total = _local(built, at), total + 1
        on_the_hour += local.minute == 0
        if is_closed(local.date(), closed) or not OPENS <= local.time() <= CLOSES:
            wrong.append(f"{where} #{row_id} at {local:%a %Y-%m-%d %H:%M}")
        if _local(built, at) > built.now.astimezone(built.zone):
            wrong.append(f"{where} #{row_id} at {local:%Y-%m-%d %H:%M} is in the future")
    assert not wrong, f"{len(wrong)} of {total} steps: {wrong[:10]}"
    assert total > 1000 and on_the_hour < total / 30, f"{on_the_hour} of {total} on the hour"


def test_the_trail_reads_in_time_order(session: Session) -> None:
    rows = session.execute(select(HistoryEntry.id, HistoryEntry.at).order_by(HistoryEntry.id))
    previous: tuple[int, datetime] | None = None
    for row_id, at in rows:
        if previous is not None:
            assert at >= previous[1], f"trail row #{row_id} at {at} before #{previous[0]}"
        previous = (row_id, at)


def _first_row(session: Session, kind: str, record_id: int, trigger: str | None = None) -> Any:
    query = select(HistoryEntry).where(
        HistoryEntry.record_kind == kind, HistoryEntry.record_id == record_id
    )
    if trigger is not None:
        query = query.where(HistoryEntry.trigger == trigger)
    return session.scalars(query.order_by(HistoryEntry.id)).first()


def test_every_audit_nonconformity_comes_from_a_finding_of_an_audit_run_before(
    session: Session,
) -> None:
    found = session.scalars(select(Nonconformity).where(Nonconformity.source == "internal_audit"))
    audited = list(found)
    assert audited, "the demo has no nonconformity from an internal audit"
    for nc in audited:
        finding = session.scalars(
            select(AuditFinding).where(AuditFinding.nonconformity_id == nc.id)
        ).first()
        assert finding is not None, f"{nc.reference} names no finding"
        assert (nc.data or {}).get("reference") == finding.reference, nc.reference
        audit = session.get(InternalAudit, finding.audit_id)
        assert audit is not None and audit.process_id == nc.process_id, nc.reference
        started = _first_row(session, "internal_audit", audit.id, "start")
        logged = _first_row(session, "nonconformity", nc.id)
        assert started is not None and started.at <= logged.at, (
            f"{nc.reference} logged before {audit.reference} started"
        )


def test_complaints_and_breaches_name_their_source(session: Session) -> None:
    for nc in session.scalars(select(Nonconformity)):
        reference = (nc.data or {}).get("reference", "")
        if nc.source == "complaint":
            assert reference.startswith("Complaint CPL-"), nc.reference
        if nc.source == "indicator_breach":
            code = re.search(r"Breach of (\S+) for (\S+)", reference)
            assert code is not None, f"{nc.reference}: {reference!r}"
            breach = session.scalars(
                select(BreachProposal)
                .join(Indicator)
                .where(Indicator.code == code[1], BreachProposal.period == code[2])
            ).first()
            assert breach is not None, f"{nc.reference}: no breach {code[0]}"
            logged = _first_row(session, "nonconformity", nc.id)
            assert breach.raised_at <= logged.at, f"{nc.reference} before its breach"


def test_no_finding_or_nonconformity_text_is_shared_by_two_processes(session: Session) -> None:
    texts: dict[str, set[int | None]] = defaultdict(set)
    for f in session.scalars(select(AuditFinding)):
        texts[f.title].add(f.process_id)
        texts[f.evidence].add(f.process_id)
    for nc in session.scalars(select(Nonconformity)):
        texts[nc.title].add(nc.process_id)
        texts[nc.description].add(nc.process_id)
    shared = {t: p for t, p in texts.items() if len(p) > 1}
    assert not shared, shared


def _inputs(session: Session, kind: str, record_id: int, trigger: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.record_kind == kind, HistoryEntry.record_id == record_id)
        .where(HistoryEntry.trigger == trigger)
        .order_by(HistoryEntry.id)
    )
    return [r.inputs for r in rows]


def test_containment_is_a_correction_not_the_action(session: Session) -> None:
    for nc in session.scalars(select(Nonconformity)):
        contained = _inputs(session, "nonconformity", nc.id, "contain")
        actions = {a.title.lower() for a in nc.actions} | {
            a.description.lower() for a in nc.actions
        }
        for given in contained:
            said = given["containment"].lower()
            copied = [a for a in actions if a and (said in a or a in said)]
            assert not copied, f"{nc.reference}: containment {said!r} copies {copied}"


def test_no_action_twice_on_a_process_and_evidence_written_per_record(session: Session) -> None:
    seen: dict[tuple[int | None, str], int] = {}
    for action in session.scalars(select(ImprovementAction)):
        key = (action.process_id, action.title)
        assert key not in seen, f"{action.reference} repeats improvement_action #{seen[key]}"
        seen[key] = action.id
    evidence = session.scalars(
        select(HistoryEntry).where(HistoryEntry.trigger.in_(("close", "check_effectiveness")))
    )
    texts: dict[str, str] = {}
    for row in evidence:
        said = (row.inputs or {}).get("effectiveness_evidence")
        if said:
            where = f"{row.record_kind} #{row.record_id}"
            assert said not in texts, f"{where} repeats the evidence of {texts[said]}"
            texts[said] = where


def _earliest_check(session: Session, nc: Nonconformity, implemented: HistoryEntry) -> date:
    """The first day the criteria of its actions allow a check: the period they name after
    implementation, or the follow-up of the audit that raised it."""
    criteria = " ".join(a.effectiveness_criteria for a in nc.actions).lower()
    days = max((d for words, d in PERIODS.items() if words in criteria), default=0)
    earliest = implemented.at.date() + timedelta(days=days)
    if "follow-up" in criteria:
        finding = session.scalars(
            select(AuditFinding).where(AuditFinding.nonconformity_id == nc.id)
        ).first()
        assert finding is not None and finding.audit_id is not None, nc.reference
        follow = _first_row(session, "internal_audit", finding.audit_id, "start_follow_up")
        assert follow is not None, f"{nc.reference} checked before its audit's follow-up"
        return max(earliest, follow.at.date())
    assert days > 0, f"{nc.reference}: its criteria name no period: {criteria!r}"
    return earliest


def _recurrence(session: Session, nc: Nonconformity, start: date, end: date) -> str | None:
    later = session.scalars(
        select(Nonconformity).where(
            Nonconformity.process_id == nc.process_id,
            Nonconformity.cause_category == nc.cause_category,
            Nonconformity.id != nc.id,
            Nonconformity.state != "cancelled",
            Nonconformity.detected_on > start,
            Nonconformity.detected_on <= end,
        )
    ).first()
    if later is not None:
        return later.reference
    breach = session.scalars(
        select(BreachProposal).join(Indicator).where(Indicator.process_id == nc.process_id)
    ).all()
    hits = [b for b in breach if start < b.raised_at.date() <= end]
    return f"breach #{hits[0].id}" if hits else None


def test_effectiveness_checks_wait_their_period_and_see_recurrences(session: Session) -> None:
    checked = 0
    for nc in session.scalars(select(Nonconformity)):
        rows = list(
            session.scalars(
                select(HistoryEntry)
                .where(HistoryEntry.record_kind == "nonconformity", HistoryEntry.record_id == nc.id)
                .order_by(HistoryEntry.id)
            )
        )
        implemented = None
        for row in rows:
            if row.trigger == "implement":
                implemented = row
            if row.trigger != "check_effectiveness":
                continue
            assert implemented is not None, nc.reference
            checked += 1
            earliest = _earliest_check(session, nc, implemented)
            assert row.at.date() >= earliest, (
                f"{nc.reference} checked on {row.at.date()}, its criteria allow {earliest}"
            )
            came_back = _recurrence(session, nc, implemented.at.date(), row.at.date())
            result = row.inputs["effectiveness_result"]
            assert result == "ineffective" if came_back else True, (
                f"{nc.reference} checked effective although {came_back} recurred"
            )
    assert checked >= 5, f"only {checked} effectiveness checks"


def test_the_repeat_check_says_what_the_engine_found(session: Session) -> None:
    for nc in session.scalars(
        select(Nonconformity).where(Nonconformity.cause_category.is_not(None))
    ):
        said = _inputs(session, "nonconformity", nc.id, "analyse")[-1]["similar_nonconformities"]
        if nc.repeat_of_id is not None:
            assert f"#{nc.repeat_of_id}" in said, f"{nc.reference}: {said!r}"
        else:
            assert "Repeat of" not in said, f"{nc.reference}: {said!r}"


def test_the_programme_runs_in_its_months_with_one_or_two_late(
    built: Built, session: Session
) -> None:
    today = _today(built.settings)
    standing = coverage.status(session, today.year, today)
    past = [a for a in standing.audits if coverage.month_end(a.entry.planned_on) < today]
    left = [a.entry.process for a in past if a.entry.state == "planned"]
    assert 1 <= len(left) <= 2, f"past audits left planned: {left}"
    ahead = [a for a in standing.audits if a.entry.planned_on > today]
    assert all(a.entry.state == "planned" for a in ahead), [a.describe() for a in ahead]
    assert standing.summary() in built.out, built.out
    table = re.findall(r"^[A-Z]{3}-\d\d .*?\s(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+$",
                       built.coverage_out, re.M)  # fmt: skip
    totals = [sum(int(row[i]) for row in table) for i in range(4)]
    printed = re.search(r"(\d+) planned, (\d+) started, (\d+) done, (\d+) late", built.out)
    assert printed is not None and [int(n) for n in printed.groups()] == totals, (
        f"printed {printed and printed[0]!r}, `qms audit programme coverage` counts {totals}"
    )


def test_the_review_packs_count_only_what_existed_when_gathered(session: Session) -> None:
    total = session.scalar(text("SELECT count(*) FROM nonconformity"))
    gathered = session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.record_kind == "management_review")
        .where(HistoryEntry.trigger == "gather_inputs")
        .order_by(HistoryEntry.id)
    ).all()
    assert len(gathered) == 2, [g.record_id for g in gathered]
    for row in gathered:
        said = re.search(r"c 4: (\d+) nonconformit", row.inputs["performance_and_trends"])
        assert said is not None, row.inputs
        existing = session.scalar(
            text("SELECT count(DISTINCT record_id) FROM workflow_history WHERE record_kind = "
                 "'nonconformity' AND at <= :at"),
            {"at": row.at},
        )  # fmt: skip
        assert int(said[1]) <= existing, (
            f"management_review #{row.record_id} gathered {said[0]!r} on {row.at}: "
            f"{existing} nonconformities existed then"
        )
    first = gathered[0]
    existed = session.scalar(
        text("SELECT count(DISTINCT record_id) FROM workflow_history WHERE at <= :at"),
        {"at": first.at},
    )
    later = session.scalar(text("SELECT count(DISTINCT record_id) FROM workflow_history"))
    assert existed < later and total > 0, "the first review was gathered after the year"


def test_each_held_review_decided_in_the_three_categories_and_acted(
    built: Built, session: Session
) -> None:
    today = _today(built.settings)
    held = session.scalars(
        select(ManagementReview).where(ManagementReview.state.not_in(("planned", "cancelled")))
    ).all()
    assert len(held) == 2, [r.reference for r in held]
    rows = session.execute(
        text("SELECT review_id, category, action_id FROM review_decision WHERE review_kind = "
             "'management_review'")
    ).all()  # fmt: skip
    for review in held:
        mine = [r for r in rows if r.review_id == review.id]
        assert {r.category for r in mine} == {"improvement", "qms_change", "resources"}, (
            review.reference
        )
        for r in mine:
            action = session.get(ImprovementAction, r.action_id)
            assert action is not None and action.owner_id and action.due_date, review.reference
            if action.state == "proposed":
                created = _first_row(session, "improvement_action", action.id)
                assert created.at.date() > today - timedelta(days=30), action.reference
    late = [
        a.reference
        for a in session.scalars(
            select(ImprovementAction).where(ImprovementAction.origin == "management_review")
        )
        if a.state in ("proposed", "approved", "in_progress") and a.due_date and a.due_date < today
    ]
    assert len(late) <= 1, late


def test_printed_counts_are_the_stored_ones(built: Built, session: Session) -> None:
    printed = re.search(r"(\d+) nonconformities and (\d+) actions", built.out)
    assert printed is not None, built.out
    stored = session.scalar(text("SELECT count(*) FROM nonconformity"))
    actions = session.scalar(text("SELECT count(*) FROM improvement_action"))
    assert (int(printed[1]), int(printed[2])) == (stored, actions), built.out
    values = re.search(r"(\d+) values over the past year", built.out)
    assert values is not None
    assert int(values[1]) == session.scalar(text("SELECT count(*) FROM indicator_measurement"))
