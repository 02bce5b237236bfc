"""The frozen revisions of a management review pack: HTML and PDF bytes, checked at each read.

A revision is stored once and never changed: its HTML and its PDF, each with its sha256.
Every download of a frozen pack returns the stored PDF bytes, and both hashes are
checked first (clause 7.5.3: an altered record raises :class:`~qms.errors.TrailError`).
Where the pack freezes and why is said in :mod:`qms.services.reviews.steps`.

Packs frozen before PDFs were kept (migration 0009) have HTML only: their PDF is printed
from the stored, checked HTML at the first download and stored with its hash then, so
that every later download returns those same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qms.db import Database
from qms.errors import TrailError
from qms.models import ReviewKind, ReviewPack
from qms.reporting.render import content_hash

MR = ReviewKind.MANAGEMENT


def store(
    session: Session, review_id: int, html: str, pdf: bytes, actor: str, now: datetime, reason: str
) -> ReviewPack:
    """Freeze a new revision of the pack, after the ones already stored."""
    pack = ReviewPack(
        review_kind=MR,
        review_id=review_id,
        revision=next_revision(session, review_id),
        reason=reason,
        html=html,
        content_hash=content_hash(html),
        pdf=pdf,
        pdf_sha256=content_hash(pdf),
        frozen_at=now,
        frozen_by=actor,
    )
    session.add(pack)
    session.flush()
    return pack


def next_revision(session: Session, review_id: int) -> int:
    latest = session.scalar(
        select(func.max(ReviewPack.revision)).where(
            ReviewPack.review_kind == MR, ReviewPack.review_id == review_id
        )
    )
    return (latest or 0) + 1


def revisions(session: Session, review_id: int) -> list[ReviewPack]:
    """Every frozen revision of the review's pack, the first first."""
    return list(
        session.scalars(
            select(ReviewPack)
            .where(ReviewPack.review_kind == MR, ReviewPack.review_id == review_id)
            .order_by(ReviewPack.revision)
        )
    )


def stored(session: Session, review_id: int, revision: int | None = None) -> ReviewPack | None:
    """Revision ``revision`` of the pack, or the latest; None when none is frozen."""
    query = select(ReviewPack).where(
        ReviewPack.review_kind == MR, ReviewPack.review_id == review_id
    )
    if revision is not None:
        return session.scalar(query.where(ReviewPack.revision == revision))
    return session.scalar(query.order_by(ReviewPack.revision.desc()).limit(1))


def check(pack: ReviewPack) -> None:
    """Refuse a revision whose HTML or PDF no longer matches the hash stored with it."""
    altered = content_hash(pack.html) != pack.content_hash or (
        pack.pdf is not None and content_hash(pack.pdf) != pack.pdf_sha256
    )
    if altered:
        raise TrailError(
            f"the frozen pack of management_review #{pack.review_id} (revision "
            f"{pack.revision}) does not match the hash stored when it was frozen "
            f"({(pack.pdf_sha256 or pack.content_hash)[:12]}…): it was altered"
        )


def pdf_of(database: Database, pack: ReviewPack, print_pdf: Callable[[str], bytes]) -> bytes:
    """The stored PDF; for a pack frozen before PDFs were kept, printed once and stored."""
    if pack.pdf is not None:
        return pack.pdf
    printed = print_pdf(pack.html)
    with database.unit_of_work() as uow:
        row = uow.session.get(ReviewPack, pack.id)
        assert row is not None
        if row.pdf is None:  # another download may have stored it meanwhile: keep that one
            row.pdf, row.pdf_sha256 = printed, content_hash(printed)
            uow.commit()
        printed = row.pdf or printed
    pack.pdf, pack.pdf_sha256 = printed, content_hash(printed)
    return printed
