"""Indicators and their measurements (clause 9.1), breach proposals, and what reviews keep.

An indicator belongs to a process and is declared in ``workflows/indicators.yaml``.
A measurement is one value for one period; correcting it keeps the previous value as a
``MeasurementRevision``.  A value worse than the alert threshold raises a
``BreachProposal`` that the pilot accepts (an improvement action is created) or
dismisses with a reason.  Reviews keep their section notes, their decisions (each one an
improvement action) and, once held, their frozen pack with its hash.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.models.base import Base, str_enum
from qms.models.processmap import Person, Process
from qms.models.records import ImprovementAction


class Frequency(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMESTER = "semester"
    YEARLY = "yearly"


class Direction(enum.StrEnum):
    HIGHER = "higher"  # higher is better
    LOWER = "lower"  # lower is better


class Topic(enum.StrEnum):
    """What an indicator tells a management review about, beside its process (clause 9.3.2)."""

    CUSTOMER_SATISFACTION = "customer_satisfaction"  # c.1
    QUALITY_OBJECTIVE = "quality_objective"  # c.2
    EXTERNAL_PROVIDERS = "external_providers"  # c.7
    RESOURCES = "resources"  # d
    RISKS = "risks"  # e


class BreachState(enum.StrEnum):
    OPEN = "open"  # waiting for the pilot
    ACCEPTED = "accepted"  # an improvement action was created
    DISMISSED = "dismissed"  # the pilot gave a reason
    WITHDRAWN = "withdrawn"  # a corrected value is no longer a breach


class ReviewKind(enum.StrEnum):
    MANAGEMENT = "management_review"
    PROCESS = "process_review"


class Indicator(Base):
    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    measures: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(20), default="")
    direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    target: Mapped[float] = mapped_column(Float)
    alert_threshold: Mapped[float] = mapped_column(Float)
    frequency: Mapped[Frequency] = mapped_column(str_enum(Frequency))
    data_source: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    topics: Mapped[list[Any]] = mapped_column(default=list)
    minimum: Mapped[float | None] = mapped_column(Float)
    maximum: Mapped[float | None] = mapped_column(Float)
    due_days: Mapped[int] = mapped_column(default=30)
    since_period: Mapped[str | None] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(default=0)
    retired_on: Mapped[date | None] = mapped_column(default=None)

    process: Mapped[Process] = relationship()
    owner: Mapped[Person | None] = relationship()


class Measurement(Base):
    __tablename__ = "indicator_measurement"
    __table_args__ = (UniqueConstraint("indicator_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    period: Mapped[str] = mapped_column(String(10))
    period_end: Mapped[date] = mapped_column(index=True)
    value: Mapped[float] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(200), default="")
    revision: Mapped[int] = mapped_column(default=1)

    indicator: Mapped[Indicator] = relationship()


class MeasurementRevision(Base):
    """Every value a measurement took, in order: the first entry and each correction (7.5)."""

    __tablename__ = "indicator_measurement_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    measurement_id: Mapped[int] = mapped_column(ForeignKey("indicator_measurement.id"), index=True)
    previous_value: Mapped[float | None] = mapped_column(Float)
    value: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")


class BreachProposal(Base):
    """A value worse than the alert threshold, proposing an improvement action to the pilot."""

    __tablename__ = "indicator_breach"
    __table_args__ = (UniqueConstraint("indicator_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    period: Mapped[str] = mapped_column(String(10))
    value: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    state: Mapped[BreachState] = mapped_column(str_enum(BreachState), index=True)
    raised_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    action_id: Mapped[int | None] = mapped_column(ForeignKey("improvement_action.id"))

    indicator: Mapped[Indicator] = relationship()
    action: Mapped[ImprovementAction | None] = relationship()


class ReviewNote(Base):
    """What a person wrote for one input section of a review; the latest one counts."""

    __tablename__ = "review_note"
    __table_args__ = (Index("ix_review_note_review", "review_kind", "review_id", "section"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_kind: Mapped[ReviewKind] = mapped_column(str_enum(ReviewKind))
    review_id: Mapped[int]
    section: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class ReviewDecision(Base):
    """One output of a review (clause 9.3.3), followed as an improvement action."""

    __tablename__ = "review_decision"
    __table_args__ = (Index("ix_review_decision_review", "review_kind", "review_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_kind: Mapped[ReviewKind] = mapped_column(str_enum(ReviewKind))
    review_id: Mapped[int]
    category: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    action_id: Mapped[int] = mapped_column(ForeignKey("improvement_action.id"))
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime]

    action: Mapped[ImprovementAction] = relationship()


class ReviewPack(Base):
    """One revision of a review pack as it was frozen: its HTML and PDF, with their hashes (7.5).

    Revision 1 is frozen when the review is held, the next when its outputs are recorded
    (clause 9.3.3); a revision never replaces the one before.  ``pdf`` is empty only for
    packs frozen before PDFs were kept (migration 0009): their PDF is printed from the
    stored HTML once, at the first download, and kept from then on.
    """

    __tablename__ = "review_pack"
    __table_args__ = (UniqueConstraint("review_kind", "review_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_kind: Mapped[ReviewKind] = mapped_column(str_enum(ReviewKind))
    review_id: Mapped[int]
    revision: Mapped[int] = mapped_column(default=1)
    reason: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the HTML
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    frozen_at: Mapped[datetime]
    frozen_by: Mapped[str] = mapped_column(String(64))


class IndicatorChart(Base):
    """A drawn trend chart, kept while the data it shows does not change."""

    __tablename__ = "indicator_chart"

    data_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    svg: Mapped[str] = mapped_column(Text)
