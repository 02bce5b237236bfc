"""The ``schedules:`` part of ``workflows/reminders.yaml``: when the scheduler plans and
sends, and when the digest, the dashboards, the review pack, the measurement reminders and
the trail seal go out.  Read with the rules by :mod:`qms.scheduler.rules`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from pydantic import Field

from qms import yamldoc
from qms.yamldoc import Spec

HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
yamldoc.describe_pattern(HH_MM, "a time of day like 08:00")
# Ten years of days either way keeps every date the planner computes far inside what a
# date can hold, so that a file ``qms scheduler rules`` accepts can always be planned.
MAX_DAYS = 3660


class DashboardSpec(Spec):
    enabled: bool = True
    day_of_month: int = Field(1, ge=1, le=28)
    at: str = Field("08:00", pattern=HH_MM)


class ReviewPackSpec(Spec):
    enabled: bool = True
    days_before: int = Field(14, ge=1, le=MAX_DAYS)


class TrailSealSpec(Spec):
    enabled: bool = True
    at: str = Field("23:30", pattern=HH_MM)


class MeasurementsSpec(Spec):
    enabled: bool = True
    every_days: int = Field(7, ge=1, le=MAX_DAYS)
    escalate_after_days: int = Field(14, ge=1, le=MAX_DAYS)
    look_back_days: int = Field(120, ge=1, le=MAX_DAYS)


class SchedulesSpec(Spec):
    plan_every_minutes: int = Field(15, ge=1, le=24 * 60)  # at least once a day
    dispatch_every_seconds: int = Field(60, ge=1, le=24 * 3600)
    digest_at: str = Field("07:30", pattern=HH_MM)
    dashboard: DashboardSpec = DashboardSpec()
    review_pack: ReviewPackSpec = ReviewPackSpec()
    measurements: MeasurementsSpec = MeasurementsSpec()
    trail_seal: TrailSealSpec = TrailSealSpec()


@dataclass(frozen=True)
class Schedules:
    plan_every_minutes: int
    dispatch_every_seconds: int
    digest_at: time
    dashboard_enabled: bool
    dashboard_day: int
    dashboard_at: time
    review_pack_enabled: bool
    review_pack_days_before: int
    measurements: MeasurementsSpec
    trail_seal_enabled: bool = True
    trail_seal_at: time = time(23, 30)


def schedules_of(spec: SchedulesSpec) -> Schedules:
    return Schedules(
        plan_every_minutes=spec.plan_every_minutes,
        dispatch_every_seconds=spec.dispatch_every_seconds,
        digest_at=time.fromisoformat(spec.digest_at),
        dashboard_enabled=spec.dashboard.enabled,
        dashboard_day=spec.dashboard.day_of_month,
        dashboard_at=time.fromisoformat(spec.dashboard.at),
        review_pack_enabled=spec.review_pack.enabled,
        review_pack_days_before=spec.review_pack.days_before,
        measurements=spec.measurements,
        trail_seal_enabled=spec.trail_seal.enabled,
        trail_seal_at=time.fromisoformat(spec.trail_seal.at),
    )
