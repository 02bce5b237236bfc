"""What the API's record and process map endpoints send and take (pydantic models: the
OpenAPI document is made from them)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from qms.models import RECORD_MODELS, AuditType
from qms.services.capa.vocabulary import ActionKind, NcSource, Origin, Priority

Kind = enum.StrEnum("Kind", {name: name for name in sorted(RECORD_MODELS)})  # type: ignore[misc]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Code = Annotated[str, Field(max_length=64)]
Text = Annotated[str, Field(max_length=100_000)]
Line = Annotated[str, Field(max_length=1000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- the process map ------------------------------------------------------------------------


class PersonOut(BaseModel):
    handle: str
    name: str


class IndicatorRef(BaseModel):
    code: str
    name: str


class ProcessOut(BaseModel):
    code: str
    name: str
    pilots: list[PersonOut]
    correspondents: list[PersonOut]
    contributors: list[PersonOut]
    indicators: list[IndicatorRef] = Field(description="Those the caller may see.")


class MacroProcessOut(BaseModel):
    code: str
    name: str
    processes: list[ProcessOut]


class ProcessMap(BaseModel):
    organisation: str
    on: date
    directors: list[PersonOut]
    quality_managers: list[PersonOut]
    auditors: list[PersonOut]
    macro_processes: list[MacroProcessOut]


# --- records ----------------------------------------------------------------------------------


class RecordSummary(BaseModel):
    kind: str
    id: int
    title: str
    state: str
    state_label: str
    version: int
    process: str | None
    owner: str | None = Field(
        description="The action's owner, the nonconformity's detector, "
        "the audit's lead auditor (a handle)."
    )
    due_date: date | None = Field(
        description="An action's due date; a nonconformity's earliest open action's."
    )
    created_at: datetime
    updated_at: datetime


class RecordList(BaseModel):
    items: list[RecordSummary]
    total: int = Field(description="The records the filters match, all pages together.")
    limit: int
    offset: int | None
    next_cursor: str | None = Field(
        description="Give it as `cursor` for the next page; null on the last page."
    )


class Link(BaseModel):
    relation: str = Field(description="action, nonconformity, finding, audit, review, ...")
    kind: str
    id: int
    title: str
    state: str


class Record(BaseModel):
    kind: str
    id: int
    reference: str
    title: str
    state: str
    state_label: str
    version: int = Field(description="Give it as `expected_version` to fire a trigger.")
    process: str | None
    created_at: datetime
    updated_at: datetime
    fields: dict[str, Any] = Field(description="Its fields and what its steps recorded.")
    links: list[Link]


class InputOut(BaseModel):
    name: str
    label: str
    type: str = Field(description="text, date, int, bool, person or choice")
    required: bool
    choices: list[str]


class TriggerOut(BaseModel):
    trigger: str
    label: str
    dest: str
    dest_label: str
    inputs: list[InputOut]
    blocked: str | None = Field(
        description="Why it would be refused whatever is sent, in words; null when it may go ahead."
    )


class Triggers(BaseModel):
    kind: str
    id: int
    state: str
    version: int
    triggers: list[TriggerOut]


Scalar = str | int | float | bool | None


class Fire(Strict):
    expected_version: Id = Field(description="The version the caller saw (409 if it moved).")
    inputs: dict[Annotated[str, Field(max_length=64)], Scalar] = Field(default_factory=dict)
    comment: Text = ""


class Fired(BaseModel):
    kind: str
    id: int
    trigger: str
    from_state: str | None
    to_state: str
    version: int
    trail_id: int


class TrailRow(BaseModel):
    id: int
    seq: int
    at: datetime
    actor: str
    actor_name: str
    trigger: str
    label: str
    from_state: str | None
    to_state: str
    inputs: dict[str, Any]
    comment: str


# --- new records ------------------------------------------------------------------------------


class NewNonconformity(Strict):
    """As the web form /nonconformities/new."""

    title: Line
    process: Code
    description: Text = ""
    source: NcSource = NcSource.OTHER
    severity: Code | None = Field(
        None, description="A grade of QMS_NC_SEVERITIES; default the least severe."
    )
    detected_on: date | None = Field(None, description="Default: today.")
    detected_by: Code | None = Field(None, description="A handle; default: the caller.")
    reference: Line = ""


class NewAction(Strict):
    """As the web form /actions/new."""

    title: Line
    process: Code
    owner: Code
    due_date: date
    kind: ActionKind = ActionKind.IMPROVEMENT
    description: Text = ""
    priority: Priority = Priority.NORMAL
    origin: Origin = Origin.SUGGESTION
    origin_ref: Line = ""
    effectiveness_criteria: Text = ""
    effectiveness_check_date: date | None = None


class NewAudit(Strict):
    """As `qms audit plan`: an internal audit takes its slot in the cycle's programme."""

    process: Code
    cycle: Annotated[int, Field(ge=2000, le=2100)] | None = None
    audit_type: AuditType = AuditType.INTERNAL
    start: date | None = None
    end: date | None = None
    lead: Code | None = None
    title: Line = ""
    scope: Text = ""
    criteria: Text = ""
    objectives: Text = ""
    location: Text = ""
    auditee: Text = ""
    audit_client: Line = ""


class NewReview(Strict):
    """As `qms review plan`: the period defaults to the twelve months before it."""

    planned_on: date
    period_start: date | None = None
    period_end: date | None = None
    title: Line = ""


class NewProcessReview(NewReview):
    process: Code
