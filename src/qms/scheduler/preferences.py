"""Per-person notification setting: each reminder as it falls due, or one digest a day."""

from __future__ import annotations

from sqlalchemy.orm import Session

from qms.models import Notification, Person
from qms.services.shared import one_of
from qms.services.shared import person as find_person


def set_notification(session: Session, handle: str, mode: str) -> Person:
    """Set how ``handle`` gets reminders; the caller commits."""
    person = find_person(session, handle)
    person.notification = Notification(one_of("digest", mode, Notification))
    return person
