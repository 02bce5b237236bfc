"""A management review's pack: ``/reviews/management_review/{id}/pack`` shows its sections
in the page, from the context its PDF is rendered with (``report.context_of``);
``pack.pdf`` is the frozen PDF once the review is held, exactly the bytes stored then
(never printed again), or before that a draft printed on demand, named and marked draft
(``qms review pack``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from qms.errors import NotFound
from qms.models import ManagementReview, ReviewKind
from qms.services import record_view
from qms.services.reviews import pages
from qms.services.reviews import report as reviews_pack
from qms.web.auth import Me
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.security import services_of

router = APIRouter()


def _management(request: Request, kind: str, review_id: int, handle: str) -> ManagementReview:
    """The management review, if the person may see it; a process review has no pack."""
    if pages.kind_of(kind) != ReviewKind.MANAGEMENT:
        raise NotFound(_("A process review has no pack: its inputs are on its page."))
    app = services_of(request)
    with app.database.reading() as session:
        record, _scope = record_view.seen(session, kind, review_id, handle, app.engine.today())
        assert isinstance(record, ManagementReview)
        return record


@router.get("/reviews/{kind}/{review_id}/pack", response_class=HTMLResponse)
def pack_page(request: Request, kind: str, review_id: int, me: Me) -> HTMLResponse:
    app = services_of(request)
    review = _management(request, kind, review_id, me.handle)
    context = reviews_pack.context_of(app, review_id)
    with app.database.reading() as session:
        revisions = pages.revisions(session, review_id)
    latest = revisions[-1] if revisions else None
    return page(
        request,
        "reviews/pack.html",
        {
            "pack": context,
            "review": review,
            "kind": kind,
            "latest": latest,
            "frozen_by": context["person"](latest.frozen_by) if latest else "",
            "href": f"/reviews/{kind}/{review_id}",
            "clauses": {s.key: s.clause for s in context["sections"]},
        },
    )


@router.get("/reviews/{kind}/{review_id}/pack.pdf")
def pack_pdf(
    request: Request,
    kind: str,
    review_id: int,
    me: Me,
    revision: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The frozen PDF as stored (its hashes checked first), or a draft printed now."""
    app = services_of(request)
    _management(request, kind, review_id, me.handle)
    found = reviews_pack.pack(app, review_id, revision)
    document = reviews_pack.pdf_of(app, found)
    if found.frozen:
        name = f"management-review-{review_id}-revision-{found.revision}.pdf"
    else:
        name = f"management-review-{review_id}-draft-{app.engine.today().isoformat()}.pdf"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    }
    return Response(document, media_type="application/pdf", headers=headers)
