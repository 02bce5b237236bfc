"""An audit's plan edited as one form does it: its details (``service.edit``: scope,
criteria, objectives, place, auditee, client, title) and its dates, in one transaction and
one trail row, while the audit is planned (clause 9.2.2 b). The programme entry an audit
came from keeps its planned day: the programme says when the audit was meant to be, and
coverage counts it late once that month is over without it starting."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from qms.bootstrap import Services
from qms.errors import ValidationError
from qms.models import InternalAudit
from qms.services.audits.common import audit, check_not_retired, commit, coordinator
from qms.services.audits.service import DETAILS, EDITABLE_STATES
from qms.services.shared import text_for


def edit_plan(
    app: Services,
    actor: str,
    audit_id: int,
    details: Mapping[str, str],
    start: date | None = None,
    end: date | None = None,
) -> InternalAudit:
    """Set the audit's details and, when given, its first and last days (``end`` defaults
    to ``start``); refused, with nothing written, for a field that is wrong."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        person = coordinator(session, actor, app.engine.today(), "edit audits")
        record = audit(session, audit_id)
        if record.state not in EDITABLE_STATES:
            raise ValidationError(
                "audit", f"{record.reference} is {record.state}: its plan is issued and fixed"
            )
        inputs: dict[str, object] = {}
        for name, value in details.items():
            if name not in DETAILS:
                raise ValidationError(name, f"not an audit detail ({', '.join(DETAILS)})")
            checked = text_for(InternalAudit, name, value)
            if checked != getattr(record, name):
                setattr(record, name, checked)
                inputs[name] = checked
        if start is not None or end is not None:
            inputs.update(_dates(record, start, end))
        if inputs:
            app.engine.note(session, record, "edit_plan", person, inputs)
        commit(uow, record.reference)
        return record


def _dates(record: InternalAudit, start: date | None, end: date | None) -> dict[str, str]:
    first = start or record.planned_start
    if first is None:
        raise ValidationError("planned_start", "is required")
    last = end or first
    if last < first:
        raise ValidationError(
            "planned_end", f"{last.isoformat()} is before the first day {first.isoformat()}"
        )
    assert record.process is not None
    check_not_retired(record.process, first, "planned_start")
    changed = {}
    if first != record.planned_start:
        changed["planned_start"] = first.isoformat()
    if last != record.planned_end:
        changed["planned_end"] = last.isoformat()
    record.planned_start, record.planned_end = first, last
    return changed
