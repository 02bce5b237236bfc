"""Management reviews (clause 9.3) and process reviews (clauses 4.4, 9.1.3) on the web: the
list and planning (:mod:`qms.web.reviews_list`), a review's page with its steps
(:mod:`qms.web.reviews_page`, :mod:`qms.web.reviews_steps`) and its pack
(:mod:`qms.web.reviews_pack`). Addresses: ``/reviews``, ``/reviews/{kind}/new``,
``/reviews/{kind}/{id}`` (kind: ``management_review`` or ``process_review``)."""

from __future__ import annotations

from fastapi import APIRouter

from qms.web import reviews_list, reviews_pack, reviews_page, reviews_steps

router = APIRouter()
router.include_router(reviews_list.router)  # /reviews/{kind}/new before /reviews/{kind}/{id}
router.include_router(reviews_pack.router)
router.include_router(reviews_page.router)
router.include_router(reviews_steps.router)
