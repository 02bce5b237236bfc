"""What the API's indicator endpoints send and take."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from qms.models import BreachState
from qms.web.api.schemas import Code, Line, Strict, Text

Number = Annotated[float, Field(allow_inf_nan=False)]
Written = Annotated[str, Field(max_length=60)]
ValueIn = Annotated[
    Number | Written,
    Field(description="A number, or as people write one: `92,5`, `1 234`, `12,5 %`."),
]


class IndicatorOut(BaseModel):
    code: str
    name: str
    process: str
    frequency: str
    unit: str
    direction: str = Field(description="higher or lower: which is better")
    target: float
    alert_threshold: float
    latest_period: str | None
    latest_value: float | None
    status: str | None = Field(description="on_target, off_target, alert; null: no value")
    trend: str


class ValueOut(BaseModel):
    period: str
    value: float
    comment: str
    recorded_by: str
    recorded_at: datetime
    source: str
    revision: int


class IndicatorDetail(IndicatorOut):
    measures: str
    method: str
    owner: str | None
    values: list[ValueOut] = Field(description="Every period recorded, the oldest first.")


class NewValue(Strict):
    period: Annotated[str, Field(max_length=20, description="2026-03, 2026-Q1, 2026-S1, 2026")]
    value: ValueIn
    comment: Text = ""
    reason: Text = Field("", description="Why a stored value is corrected (needed then).")


class RecordedValue(BaseModel):
    indicator: str
    period: str
    value: float | str
    outcome: str = Field(description="created, corrected or unchanged")


class BulkValue(NewValue):
    indicator: Code


class BulkValues(Strict):
    values: list[BulkValue] = Field(max_length=5000)


class BulkRecorded(BaseModel):
    recorded: list[RecordedValue]
    created: int
    corrected: int
    unchanged: int


class BreachOut(BaseModel):
    id: int
    indicator: str
    process: str
    period: str
    value: float
    threshold: float
    unit: str
    state: BreachState
    raised_at: datetime
    decided_by: str | None
    reason: str
    action_id: int | None


class Accept(Strict):
    owner: Code = Field(description="Who carries the action out (a handle).")
    due_date: date
    title: Line = Field("", description="Default: from the indicator.")


class Dismiss(Strict):
    reason: Text


class Accepted(BaseModel):
    breach: BreachOut
    action_id: int
