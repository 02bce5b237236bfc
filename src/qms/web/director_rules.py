"""Which reminder rules escalate to the directors: read from the scheduler's rules file
(``workflows/reminders.yaml``, or ``QMS_REMINDERS_FILE``), so that the director's view
calls escalated what the reminders escalate.

The file is read and checked once, then again only when it changes (its modification
time): a page does not parse YAML. A file the scheduler would refuse gives no escalation
(``qms scheduler rules`` names its problems).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import inspect

from qms.bootstrap import Services
from qms.errors import DefinitionError
from qms.models import WorkflowRecord
from qms.scheduler.rules import Reminders
from qms.scheduler.service import load_rules, rules_path
from qms.services.director_waiting import Escalation

log = logging.getLogger("qms.web")
DIRECTORS = "directors"

_lock = threading.Lock()
_read: dict[str, tuple[float, tuple[Escalation, ...]]] = {}


def escalations(services: Services) -> tuple[Escalation, ...]:
    """The rules' escalations to the directors, from the rules file as it is now."""
    path = rules_path(services)
    try:
        changed = path.stat().st_mtime
    except OSError:
        return ()
    key = str(path)
    kept = _read.get(key)
    if kept is not None and kept[0] == changed:
        return kept[1]
    with _lock:
        try:
            found = to_directors(load_rules(services))
        except DefinitionError as exc:
            log.warning("%s: no escalation shown on the director's view: %s", path, exc)
            found = ()
        _read[key] = (changed, found)
    return found


def to_directors(reminders: Reminders) -> tuple[Escalation, ...]:
    """Each rule's first escalation step that reaches the directors."""
    found = []
    for rule in reminders.rules:
        model = rule.model
        if not issubclass(model, WorkflowRecord) or "state" not in inspect(model).columns:
            continue
        step = next((after for after, to in rule.escalate if DIRECTORS in to), None)
        if step is None:
            continue
        found.append(
            Escalation(
                rule=rule.id,
                label=rule.label,
                model=model,
                date_field=rule.date_field,
                states=rule.states,
                after_days=step,
                date_plus_days=rule.date_plus_days,
                end_of_month=rule.end_of_month,
            )
        )
    return tuple(found)
