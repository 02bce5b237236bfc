"""Nonconformities (clause 10.2): log one, move it through its workflow, detect repeats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import ValidationError
from qms.models import HistoryEntry, Nonconformity, WorkflowRecord
from qms.services import editing, shared
from qms.services.capa import register, sources
from qms.services.capa.vocabulary import NcSource
from qms.services.shared import months_before, one_of, required_text, text_for

KIND = "nonconformity"


@dataclass(frozen=True)
class NewNonconformity:
    title: str
    process: str
    description: str = ""
    source: str = NcSource.OTHER
    severity: str | None = None  # default: the least severe grade
    detected_on: date | None = None  # default: today
    detected_by: str | None = None  # default: the person logging it
    reference: str = ""  # the audit finding, the complaint or its complainant it comes from


def new(app: Services, actor: str, spec: NewNonconformity) -> Nonconformity:
    """Log a nonconformity; every field is checked before anything is written."""
    today = app.engine.today()

    def prepare(session: Session) -> WorkflowRecord:
        grades = app.settings.severities
        detected_on = spec.detected_on or today
        if detected_on > today:
            raise ValidationError("detected_on", f"{detected_on} is in the future")
        detector = shared.active_person(session, spec.detected_by or actor, "detected_by", on=today)
        nc = Nonconformity(
            title=required_text("title", spec.title, (Nonconformity, "title")),
            description=text_for(Nonconformity, "description", spec.description),
            process_id=shared.process(session, spec.process, on=today).id,
            source=one_of("source", spec.source, NcSource),
            severity=one_of("severity", spec.severity or grades[-1], grades),
            detected_on=detected_on,
            detected_by_id=detector.id,
            data={},
        )
        reference = sources.reference(session, nc.source, spec.reference)  # after the rest
        if reference:
            nc.data = {"reference": reference}
        return nc

    record = shared.start_with(app.database, app.engine, actor, prepare)
    assert isinstance(record, Nonconformity)
    return record


def fire(
    app: Services,
    record_id: int,
    trigger: str,
    actor: str,
    inputs: Mapping[str, Any] | None = None,
    comment: str = "",
    expected_version: int | None = None,
) -> HistoryEntry:
    """Fire a trigger; when it records a cause category, repeats are looked for at once."""

    def after(session: Session, record: WorkflowRecord, entry: HistoryEntry) -> None:
        assert isinstance(record, Nonconformity)
        if "cause_category" in entry.inputs:
            flag_repeat(session, record, app.settings.repeat_window_months)
        planned = entry.trigger == "plan_action" and entry.inputs.get("action_owner")
        if planned:  # a full plan (a reason alone, when no action is needed, plans none)
            register.plan_from(app, session, record, entry)

    return shared.fire(
        app.database,
        app.engine,
        KIND,
        record_id,
        trigger,
        actor,
        inputs,
        comment,
        expected_version,
        after,
    )


def earlier_alike(session: Session, nc: Nonconformity, window_months: int) -> list[Nonconformity]:
    """Earlier nonconformities of the same process and cause category within the window."""
    if nc.cause_category is None or nc.detected_on is None:
        return []
    since = months_before(nc.detected_on, window_months)
    return list(
        session.scalars(
            select(Nonconformity)
            .where(Nonconformity.id != nc.id, Nonconformity.process_id == nc.process_id)
            .where(Nonconformity.cause_category == nc.cause_category)
            .where(Nonconformity.detected_on >= since)
            .where(  # earlier: a day before, or the same day and logged before it
                (Nonconformity.detected_on < nc.detected_on)
                | ((Nonconformity.detected_on == nc.detected_on) & (Nonconformity.id < nc.id))
            )
            .where(Nonconformity.state != "cancelled")
            .order_by(Nonconformity.detected_on.desc(), Nonconformity.id.desc())
        )
    )


def flag_repeat(session: Session, nc: Nonconformity, window_months: int) -> None:
    """Mark ``nc`` as a repeat of the latest earlier alike one, or clear the mark.

    Without autoflush: flushing the fire's own change here and the mark at commit would
    move the record's version by two for one fire (its trail has one row for it)."""
    with session.no_autoflush:
        alike = earlier_alike(session, nc, window_months)
    nc.is_repeat = bool(alike)
    nc.repeat_of_id = alike[0].id if alike else None


def edit(
    app: Services,
    record_id: int,
    actor: str,
    changes: Mapping[str, Any],
    comment: str = "",
    expected_version: int | None = None,
) -> HistoryEntry:
    """Change what the nonconformity's state lets change (``qms nc edit``); one trail row."""

    def check(
        session: Session, record: WorkflowRecord, values: dict[str, Any], today: date
    ) -> None:
        assert isinstance(record, Nonconformity)
        if "title" in values and not values["title"]:
            raise ValidationError("title", "the title cannot be empty")
        if "severity" in values:
            one_of("severity", values["severity"], app.settings.severities)
        if "reference" in values:  # in the edit's own transaction
            values["reference"] = sources.reference(session, record.source, values["reference"])

    return editing.edit(app, KIND, record_id, actor, changes, comment, expected_version, check)
