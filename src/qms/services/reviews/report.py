"""The management review pack: cover, contents, a summary for directors, each 9.3.2 input,
the 9.3.3 outputs, in HTML or PDF.

Until the review is held the pack is a draft, assembled from the data each time it is
asked for.  Holding the review freezes revision 1, recording its outputs revision 2
(:mod:`qms.services.reviews.steps` says why); from then on the pack is the stored
revision, its PDF bytes as they were frozen (:mod:`qms.services.reviews.frozen`).

Every name, state and count in it is written for the reader (:mod:`qms.reporting.words`);
each indicator is listed in full once, in 9.3.2 c 5, the other sections giving a count by
status and the worst few (:mod:`qms.services.reviews.digest`), and at most
:data:`~qms.services.reviews.figures.CHARTS_MOST` charts are drawn, of the indicators the
directors must look at (:mod:`qms.services.reviews.figures`): the pack's size is bounded
by what a director reads, not by the size of the institution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from qms.bootstrap import Services
from qms.errors import ValidationError
from qms.models import ManagementReview, Organisation, ReviewKind
from qms.reporting import render
from qms.reporting.words import words_for
from qms.services import shared
from qms.services.reviews import figures as reviews_figures
from qms.services.reviews import frozen as reviews_frozen
from qms.services.reviews import outputs as reviews_outputs
from qms.services.reviews import queries as reviews_queries
from qms.services.reviews import service as reviews
from qms.services.reviews.data import Edition, Held, ReviewData
from qms.services.reviews.inputs import sections
from qms.services.reviews.summary import summary
from qms.services.reviews.tables import Section
from qms.workflow import seal as seals

__all__ = ["Edition", "Held", "Pack", "pack", "pdf_of", "render_html"]

TEMPLATE = "review/pack.html"
LONG_SECTION = 20  # table rows from which a section starts a page of its own
CHARTS_PER_PAGE = 3  # at the text's full width, three fill an A4 page
MANY_CHARTS = 2  # charts drawn in a section from which it starts a page of its own


@dataclass(frozen=True)
class Pack:
    html: str
    frozen: bool
    content_hash: str  # the PDF's sha256 once frozen with its PDF, else the HTML's
    frozen_at: datetime | None = None
    revision: int | None = None
    pdf: bytes | None = None


def load(app: Services, review_id: int) -> tuple[ManagementReview, ReviewData, str]:
    """The review, its data and the organisation's name: a fixed number of queries."""
    with app.database.reading() as session:
        review = shared.record(session, ReviewKind.MANAGEMENT.value, review_id)
        assert isinstance(review, ManagementReview)
        scope = reviews.scope_for(app, session, ReviewKind.MANAGEMENT, review)
        words = words_for(session, app.registry)
        data = reviews_queries.load(session, scope, words, app.settings.date_format)
        data.outputs = reviews_queries.outputs(
            session, ReviewKind.MANAGEMENT, review_id, app.engine.today()
        )
        organisation = session.scalar(select(Organisation.name)) or ""
        data.trail_seal = seals.in_force(session)
    return review, data, organisation


def render_html(
    app: Services, review_id: int, held: Held | None = None, edition: Edition | None = None
) -> str:
    context = context_of(app, review_id, held, edition)
    return render.render(
        app.settings.reports_dir, TEMPLATE, context, app.settings.timezone, app.settings.date_format
    )


def context_of(
    app: Services, review_id: int, held: Held | None = None, edition: Edition | None = None
) -> dict[str, Any]:
    """What the pack's template is rendered with (the web's pack page shows the same)."""
    review, data, organisation = load(app, review_id)
    built = sections(data)
    placed = reviews_figures.place(app.database, data, built)
    held = held or held_of(review)
    context = pack_context(review, data, built, organisation, held, app.engine.clock.now())
    context["figures"] = placed
    context["own_page"] = {
        s.key for s in built if s.rows >= LONG_SECTION or len(placed[s.key].shown) >= MANY_CHARTS
    }
    # A long table and many charts: the charts on pages of their own, CHARTS_PER_PAGE to a
    # page, each page a part the PDF may be laid out in at once with others
    # (qms.reporting.pdf).
    context["charts_apart"] = {
        s.key for s in built if s.rows >= LONG_SECTION and len(placed[s.key].shown) >= MANY_CHARTS
    }
    context["charts_per_page"] = CHARTS_PER_PAGE
    context.update(edition_context(review, data, edition or Edition(), app.engine.today()))
    context["outputs"] = reviews_outputs.section(review, data, built, held, edition or Edition())
    return context


def held_of(review: ManagementReview) -> Held | None:
    """The meeting as the review's trail recorded it, once held."""
    held_on = review.field_value("held_on")
    if not held_on:
        return None
    day = held_on if isinstance(held_on, date) else date.fromisoformat(str(held_on)[:10])
    return Held(day, review.field_value("attendees") or "", review.field_value("minutes") or "")


def pack_context(
    review: ManagementReview,
    data: ReviewData,
    built: list[Section],
    organisation: str,
    held: Held | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "organisation": organisation,
        "review": review,
        "scope": data.scope,
        "held": held,
        "attendees": attendees(data, held),
        "generated_at": now,
        "trail_seal": data.trail_seal,
        "sections": built,
        "summary": summary(data, built),
        "person": data.person,
    }


def attendees(data: ReviewData, held: Held | None) -> str:
    """The attendees as typed, a handle among them written as the person's name."""
    if held is None:
        return ""
    return ", ".join(data.person(a.strip()) for a in held.attendees.split(",") if a.strip())


def edition_context(
    review: ManagementReview, data: ReviewData, edition: Edition, today: date
) -> dict[str, Any]:
    """The document's reference (every page's footer) and what the cover says of it."""
    if edition.revision is None:
        written = f"draft of {data.day(today)}"
    else:
        written = f"revision {edition.revision}"
    return {
        "edition": edition,
        "doc_ref": f"Management review pack · {review.title} · {written}",
    }


def pack(app: Services, review_id: int, revision: int | None = None) -> Pack:
    """The frozen pack once the review is held (its hashes checked), else a fresh draft.

    ``revision`` asks for one revision (the latest by default); asking for one of a pack
    never frozen, or for one that does not exist, is refused.
    """
    with app.database.reading() as session:
        shared.record(session, ReviewKind.MANAGEMENT.value, review_id)  # the review exists
        stored = reviews_frozen.stored(session, review_id, revision)
        known = [p.revision for p in reviews_frozen.revisions(session, review_id)]
    if stored is None and revision is not None:
        have = ", ".join(map(str, known)) or "none: the review is not held yet"
        raise ValidationError(
            "revision",
            f"management_review #{review_id} has no pack revision {revision} "
            f"(frozen revisions: {have})",
        )
    if stored is None:
        html = render_html(app, review_id)
        return Pack(html, False, render.content_hash(html))
    reviews_frozen.check(stored)
    document = reviews_frozen.pdf_of(app.database, stored, lambda html: pdf(app, html))
    return Pack(
        stored.html,
        True,
        render.content_hash(document),
        stored.frozen_at,
        stored.revision,
        document,
    )


def pdf(app: Services, html: str) -> bytes:
    workers = app.settings.pdf_workers or None
    return render.html_to_pdf(html, app.settings.reports_dir, workers)


def pdf_of(app: Services, found: Pack) -> bytes:
    """The PDF of a pack: the stored bytes once frozen, else printed from the draft."""
    return found.pdf if found.pdf is not None else pdf(app, found.html)
