"""What tells the two registers apart: their columns, filters, sorts and exports.

The register of improvement actions and that of nonconformities (clauses 10.3, 10.2) are
one page with two specs: the columns a person sorts by, the filter that names where a
record comes from (an action's origin, a nonconformity's source), the page query of
:mod:`qms.services.capa.register_pages` that fills them, and the rows of their exports (labels
and names, as the page shows them; dates and counts typed, for a spreadsheet).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from qms.reporting.words import Words
from qms.services.capa import register_pages as queries
from qms.services.capa.queries import Filters
from qms.services.capa.register_pages import ActionLine, Listing, NonconformityLine, Page
from qms.services.capa.vocabulary import NcSource, Origin
from qms.services.visibility import Scope
from qms.web.i18n import N_, _

PageQuery = Callable[[Session, Filters, date, Scope, Listing], Page[Any]]


@dataclass(frozen=True)
class Column:
    key: str  # the sort key (``sort=`` in the address)
    label: str  # marked with N_, translated where it is shown
    numeric: bool = False


@dataclass(frozen=True)
class Register:
    kind: str  # the workflow kind of its records
    path: str
    template: str
    title: str
    noun: str  # one of its records, counted ("3 actions")
    new_label: str
    file_name: str  # of its exports, before the date
    origin_param: str  # "origin" (actions) or "source" (nonconformities)
    origin_label: str
    origins: tuple[str, ...]
    origin_group: str  # how reporting.words names them
    since_label: str
    until_label: str
    has_owner: bool
    columns: tuple[Column, ...]
    default_sort: str
    default_descending: bool
    query: PageQuery
    export: Callable[[Any, Words], dict[str, object]]
    empty: str

    @property
    def sorts(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.columns)

    @property
    def new_path(self) -> str:
        return f"{self.path}/new"

    def link(self, record_id: int) -> str:
        return f"{self.path_of}{record_id}"

    @property
    def path_of(self) -> str:
        """The address of its records, before their id."""
        return f"/records/{self.kind}/"

    def export_columns(self) -> list[str]:
        return list(self.export(None, Words()))

    def field_label(self, name: str) -> str:
        """What the page calls the field ``name`` of its address."""
        labels = {
            **FIELDS,
            self.origin_param: self.origin_label,
            "since": self.since_label,
            "until": self.until_label,
        }
        return _(labels.get(name, name))


def _action_row(line: ActionLine | None, words: Words) -> dict[str, object]:
    """An action as its export shows it; with no line, the headings alone."""
    if line is None:
        return dict.fromkeys(_(label) for label in ACTION_EXPORT)
    values: Sequence[object] = (
        line.id,
        line.title,
        line.process,
        line.owner_name,
        words.state("improvement_action", line.state),
        line.due_date,
        line.days_overdue or None,
        words.term("priority", line.priority),
        words.term("origin", line.origin),
        words.term("action_kind", line.kind),
    )
    return dict(zip((_(label) for label in ACTION_EXPORT), values, strict=True))


def _nonconformity_row(line: NonconformityLine | None, words: Words) -> dict[str, object]:
    if line is None:
        return dict.fromkeys(_(label) for label in NC_EXPORT)
    values: Sequence[object] = (
        line.id,
        line.title,
        line.process,
        words.term("severity", line.severity),
        words.term("source", line.source),
        line.detected_on,
        words.state("nonconformity", line.state),
        line.days_overdue or None,
        line.actions,
    )
    return dict(zip((_(label) for label in NC_EXPORT), values, strict=True))


FIELDS = {
    "process": N_("Process"),
    "macro": N_("Macro-process"),
    "owner": N_("Owner"),
    "state": N_("State"),
    "overdue": N_("Overdue only"),
    "sort": N_("Sorted by"),
    "dir": N_("Order"),
    "page": N_("Page"),
    "format": N_("Download format"),
}

ACTION_EXPORT = (
    N_("Number"), N_("Title"), N_("Process"), N_("Owner"), N_("State"), N_("Due date"),
    N_("Days late"), N_("Priority"), N_("Origin"), N_("Kind"),
)  # fmt: skip
NC_EXPORT = (
    N_("Number"), N_("Title"), N_("Process"), N_("Severity"), N_("Source"), N_("Detected"),
    N_("State"), N_("Days late"), N_("Corrective actions"),
)  # fmt: skip

ACTIONS = Register(
    kind="improvement_action",
    path="/actions",
    template="registers/actions.html",
    title=N_("Improvement actions"),
    noun=N_("action"),
    new_label=N_("New action"),
    file_name="actions",
    origin_param="origin",
    origin_label=N_("Origin"),
    origins=tuple(Origin),
    origin_group="origin",
    since_label=N_("Created from"),
    until_label=N_("Created until"),
    has_owner=True,
    columns=(
        Column("id", N_("No.")),
        Column("title", N_("Title")),
        Column("process", N_("Process")),
        Column("owner", N_("Owner")),
        Column("state", N_("State")),
        Column("due", N_("Due")),
        Column("priority", N_("Priority")),
        Column("origin", N_("Origin")),
    ),
    default_sort="due",
    default_descending=False,
    query=queries.action_page,
    export=_action_row,
    empty=N_("No action matches these filters."),
)

NONCONFORMITIES = Register(
    kind="nonconformity",
    path="/nonconformities",
    template="registers/nonconformities.html",
    title=N_("Nonconformities"),
    noun=N_("nonconformity"),
    new_label=N_("New nonconformity"),
    file_name="nonconformities",
    origin_param="source",
    origin_label=N_("Source"),
    origins=tuple(NcSource),
    origin_group="source",
    since_label=N_("Detected from"),
    until_label=N_("Detected until"),
    has_owner=False,
    columns=(
        Column("id", N_("No.")),
        Column("title", N_("Title")),
        Column("process", N_("Process")),
        Column("severity", N_("Severity")),
        Column("source", N_("Source")),
        Column("detected", N_("Detected")),
        Column("state", N_("State")),
        Column("actions", N_("Actions"), numeric=True),
    ),
    default_sort="detected",
    default_descending=True,
    query=queries.nonconformity_page,
    export=_nonconformity_row,
    empty=N_("No nonconformity matches these filters."),
)


def labelled(codes: Sequence[str], label: Callable[[str], str]) -> list[tuple[str, str]]:
    return [(code, label(code)) for code in codes]


def state_labels(words: Words, kind: str, states: Sequence[str]) -> Mapping[str, str]:
    return {state: words.state(kind, state) for state in states}
