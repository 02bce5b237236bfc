"""What a guard or the engine says when it refuses a fire, as values as well as words.

The command line prints the sentences as they are; a page builds its own from the values
(``qms.web.refusals``), in the person's words and language: labels, names, dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from qms.models import WorkflowRecord


class Refusal(str):
    """What a guard says when it refuses: ``str()`` is the command line's sentence; ``reason``
    names which refusal it is and ``values`` hold what it is about, as values (dates as
    ``date``, fields by name, clauses as cited), for a page to say it in its own words."""

    reason: str
    values: Mapping[str, Any]

    def __new__(cls, text: str, reason: str, **values: Any) -> Refusal:
        made = super().__new__(cls, text)
        made.reason = reason
        made.values = MappingProxyType(values)
        return made

    def __reduce__(self) -> tuple[Any, ...]:  # copied or pickled with its values
        return _refusal, (str(self), self.reason, dict(self.values))


def _refusal(text: str, reason: str, values: dict[str, Any]) -> Refusal:
    return Refusal(text, reason, **values)


def about(record: WorkflowRecord, trigger: str, **more: Any) -> dict[str, Any]:
    """The values the engine's refusal of ``trigger`` on ``record`` carries (the keywords of
    ``qms.errors.WorkflowError``), and ``more``."""
    code = record.process.code if record.process is not None else None
    cited = {"kind": record.record_kind, "record_id": record.id, "reference": record.reference}
    return {"trigger": trigger, "process": code, **cited, **more}
