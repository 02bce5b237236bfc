"""Reviews at each of their steps, made through the services (the pages under test take the
next step), and the people of the web tests of reviews.

On RSC-01 amoulin is the pilot and ymasson a correspondent (he corresponds for TRN-03
too); ebenoit pilots TRN-04 only; jcarre is an internal auditor (and pilots ECO-02);
tbrunet is the quality manager, hmarchal a director (and pilots STE-01).
"""

from __future__ import annotations

from datetime import date

import pytest

from qms.bootstrap import Services
from qms.models import ReviewKind
from qms.services import accounts
from qms.services.reviews import decisions as reviews_decisions
from qms.services.reviews import report as reviews_pack
from qms.services.reviews import service as reviews
from qms.services.reviews import steps as reviews_steps
from tests.web.conftest import PASSWORD, Browser

MR, PR = ReviewKind.MANAGEMENT, ReviewKind.PROCESS
TODAY = date(2026, 11, 25)  # the web tests' clock
PILOT, CORRESPONDENT, OTHER = "amoulin", "ymasson", "ebenoit"
AUDITOR, QUALITY_MANAGER, DIRECTOR = "jcarre", "tbrunet", "hmarchal"
PEOPLE = (PILOT, CORRESPONDENT, OTHER, AUDITOR, QUALITY_MANAGER, DIRECTOR)
PROCESS = "RSC-01"
FAKE_PDF = b"%PDF-1.4 a test pack\n%%EOF\n"


def accounts_for_reviews(app: Services) -> None:
    """The accounts the conftest does not make."""
    for handle in (PILOT, OTHER):
        accounts.create(app, handle, PASSWORD)


def quick_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Freezing a pack stores this PDF instead of printing one (2 s each)."""
    monkeypatch.setattr(reviews_pack, "pdf", lambda app, html: FAKE_PDF)


def signed(browser: Browser, handle: str) -> Browser:
    assert browser.sign_in(handle).status_code == 303  # type: ignore[attr-defined]
    browser.get("/reviews")  # the session's token, as a page holds it
    return browser


# --- a management review at each step --------------------------------------------------


def planned(app: Services) -> int:
    """Planned today: its period (to the end of October) is over."""
    return reviews.plan(app, MR, QUALITY_MANAGER, reviews.Plan(TODAY)).id


def gathered(app: Services) -> int:
    review_id = planned(app)
    reviews_steps.gather(app, MR, review_id, QUALITY_MANAGER)
    return review_id


def missing(app: Services, review_id: int) -> list[str]:
    return [s.key for s in reviews_steps.assembled(app, MR, review_id) if s.missing]


def explained(app: Services) -> int:
    review_id = gathered(app)
    for key in missing(app, review_id):
        reviews_steps.explain_missing(app, review_id, key, "No record of it", QUALITY_MANAGER)
    return review_id


def held(app: Services) -> int:
    review_id = explained(app)
    reviews_steps.hold_management(app, review_id, DIRECTOR, TODAY, "The directors", "Agreed.")
    return review_id


def decided(app: Services) -> int:
    review_id = held(app)
    spec = reviews_decisions.Decision(
        "Recruit two lecturers", PILOT, date(2027, 3, 1), PROCESS, "resources"
    )
    reviews_decisions.decide(app, MR, review_id, DIRECTOR, spec)
    return review_id


def recorded(app: Services) -> int:
    review_id = decided(app)
    reviews_steps.record_outputs(app, review_id, DIRECTOR)
    return review_id


# --- a process review of RSC-01 ----------------------------------------------------------


def process_planned(app: Services) -> int:
    return reviews.plan(app, PR, PILOT, reviews.Plan(TODAY, PROCESS)).id


def process_gathered(app: Services) -> int:
    review_id = process_planned(app)
    reviews_steps.gather(app, PR, review_id, PILOT)
    return review_id


def process_held(app: Services) -> int:
    review_id = process_gathered(app)
    held = reviews_steps.ProcessHeld(TODAY, "", "On track", "yes")
    reviews_steps.hold_process(app, review_id, PILOT, held)
    return review_id
