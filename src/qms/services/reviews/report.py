"""The management review pack: cover, a summary for directors, each 9.3.2 input, in HTML or PDF.

Until the review is held the pack is a draft, assembled from the data each time it is
asked for.  Holding the review freezes it: the HTML is stored with its sha256, and from
then on the pack is that stored HTML (the PDF is printed from it), checked against its
hash each time it is read (clause 7.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import TrailError
from qms.models import ManagementReview, Organisation, ReviewKind, ReviewPack
from qms.reporting import render
from qms.services import shared
from qms.services.indicators import charts as indicators_charts
from qms.services.indicators.vocabulary import Status
from qms.services.reviews import queries as reviews_queries
from qms.services.reviews import service as reviews
from qms.services.reviews.data import ReviewData
from qms.services.reviews.inputs import sections
from qms.services.reviews.tables import Section, indicator_table
from qms.workflow import seal as seals

TEMPLATE = "review/pack.html"
SUMMARY_ROWS = 10


@dataclass(frozen=True)
class Held:
    held_on: date
    attendees: str
    minutes: str


@dataclass(frozen=True)
class Pack:
    html: str
    frozen: bool
    content_hash: str
    frozen_at: datetime | None = None


def load(app: Services, review_id: int) -> tuple[ManagementReview, ReviewData, str]:
    """The review, its data and the organisation's name: a fixed number of queries."""
    with app.database.reading() as session:
        review = shared.record(session, ReviewKind.MANAGEMENT.value, review_id)
        assert isinstance(review, ManagementReview)
        data = reviews_queries.load(
            session, reviews.scope_for(app, session, ReviewKind.MANAGEMENT, review)
        )
        organisation = session.scalar(select(Organisation.name)) or ""
        data.trail_seal = seals.in_force(session)
    return review, data, organisation


def render_html(app: Services, review_id: int, held: Held | None = None) -> str:
    review, data, organisation = load(app, review_id)
    built = sections(data)
    wanted = {code for s in built for code in s.charts}
    charts = indicators_charts.svgs(
        app.database, [s for s in data.series if s.indicator.code in wanted]
    )
    context = pack_context(review, data, built, charts, organisation, held, app.engine.clock.now())
    return render.render(app.settings.reports_dir, TEMPLATE, context, app.settings.timezone)


def pack_context(
    review: ManagementReview,
    data: ReviewData,
    built: list[Section],
    charts: dict[str, str],
    organisation: str,
    held: Held | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "organisation": organisation,
        "review": review,
        "scope": data.scope,
        "held": held,
        "generated_at": now,
        "trail_seal": data.trail_seal,
        "sections": built,
        "summary": summary(data, built),
        "charts": {code: Markup(svg) for code, svg in charts.items()},  # noqa: S704 - drawn by matplotlib, not typed by a user
        "trends": {s.indicator.code: s.trend_reading.explanation for s in data.series},
    }


def summary(data: ReviewData, built: list[Section]) -> dict[str, Any]:
    """What the directors read first: off target, overdue, what needs a decision."""
    off = [s for s in data.series if s.status in (Status.WATCH, Status.BREACH)]
    late = sorted((a for a in data.actions if a.days_overdue), key=lambda a: -a.days_overdue)
    previous_open = [d for d in data.previous_decisions if d.action.state != "closed"]
    return {
        "off_target": indicator_table("Indicators off target", off, data),
        "breaches": sum(1 for s in off if s.status == Status.BREACH),
        "overdue_count": len(late),
        "overdue": late[:SUMMARY_ROWS],
        "open_breaches": [b for b in data.breaches if b.state == "open"],
        "missing_sections": [s for s in built if s.missing],
        "missing_measurements": len(data.missing),
        "previous_open": previous_open,
    }


def freeze(session: Session, review_id: int, html: str, actor: str, now: datetime) -> ReviewPack:
    pack = ReviewPack(
        review_kind=ReviewKind.MANAGEMENT,
        review_id=review_id,
        html=html,
        content_hash=render.content_hash(html),
        frozen_at=now,
        frozen_by=actor,
    )
    session.add(pack)
    session.flush()
    return pack


def frozen(session: Session, review_id: int) -> ReviewPack | None:
    return session.scalar(
        select(ReviewPack).where(
            ReviewPack.review_kind == ReviewKind.MANAGEMENT, ReviewPack.review_id == review_id
        )
    )


def pack(app: Services, review_id: int) -> Pack:
    """The frozen pack once the review is held (its hash checked), else a fresh draft."""
    with app.database.reading() as session:
        stored = frozen(session, review_id)
    if stored is None:
        html = render_html(app, review_id)
        return Pack(html, False, render.content_hash(html))
    if render.content_hash(stored.html) != stored.content_hash:
        raise TrailError(
            f"the frozen pack of management_review #{review_id} does not match the hash "
            f"stored when it was frozen ({stored.content_hash[:12]}…): it was altered"
        )
    return Pack(stored.html, True, stored.content_hash, stored.frozen_at)


def pdf(app: Services, html: str) -> bytes:
    return render.html_to_pdf(html, base_url=app.settings.reports_dir)
