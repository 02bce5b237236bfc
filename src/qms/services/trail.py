"""The trail's use cases (clause 7.5.3): seal it, verify it, rotate its key.

A seal is written in the database, as a JSON file in ``QMS_TRAIL_SEALS_DIR`` and in an
e-mail to the quality managers, so that a copy stays out of reach of whoever can write
to the database.  The CLI (`qms trail seal`) and the scheduler (daily) call :func:`seal`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from qms.bootstrap import Services
from qms.errors import ConfigError
from qms.models import OutboxMessage, Role, TrailSeal
from qms.services.processmap.queries import holders
from qms.workflow import keys as trail_keys
from qms.workflow import seal as seals
from qms.workflow.verify import Report
from qms.workflow.verify import verify as verify_trail

SEAL_TOPIC = "trail.seal"


@dataclass(frozen=True)
class Sealed:
    seal: TrailSeal
    file: Path
    recipients: tuple[str, ...]


def seal(app: Services, actor: str = "qms") -> Sealed:
    """Seal the trail as it is now; the seal is committed, written out and mailed."""
    now = app.engine.clock.now()
    with app.database.unit_of_work() as uow:
        session = uow.session
        record = seals.seal(session, app.engine.keys_for(session), actor, now)
        managers = sorted(
            {h.person.handle for h in holders(session, app.engine.today())
             if h.role == Role.QUALITY_MANAGER}  # holders() lists active people only
        )  # fmt: skip
        if managers:
            session.add(_email(record, managers))
        uow.commit()
        session.expunge(record)
    path = seals.write_file(app.settings.trail_seals_dir, record)
    return Sealed(record, path, tuple(managers))


def sealed_on(app: Services, day: date) -> bool:
    """Whether the latest seal was written on ``day`` (the institution's local date)."""
    with app.database.reading() as session:
        record = seals.latest(session)
        return record is not None and record.sealed_at.astimezone(app.settings.zone).date() == day


def _email(record: TrailSeal, recipients: list[str]) -> OutboxMessage:
    document = json.dumps(seals.as_document(record), indent=2)
    return OutboxMessage(
        topic=SEAL_TOPIC,
        dedupe_key=f"trail-seal:{record.id}",
        payload={
            "recipients": recipients,
            "subject": f"Trail seal #{record.id}: keep this e-mail",
            "reference": f"trail seal #{record.id}",
            "body": (
                f"{seals.describe(record)}.\n\nThis seal lets `qms trail verify` prove that "
                "no trail row sealed so far was changed, removed or cut off (ISO 9001 clause "
                "7.5.3). Keep this e-mail where the database's administrators cannot change "
                f"it; it holds the seal as written:\n\n{document}"
            ),
        },
        created_at=record.sealed_at,
        available_at=record.sealed_at,
    )


def verify(app: Services) -> Report:
    """The trail checked against its key, its latest seal and its records."""
    try:
        keys: trail_keys.Keyring | None = trail_keys.load(app.settings.trail_key_file, create=False)
    except ConfigError as exc:
        keys, problem = None, str(exc)
    else:
        problem = ""
    with app.database.reading() as session:
        report = verify_trail(session, keys, app.engine.clock.now(), app.settings.trail_seals_dir)
        if report.seal is not None:
            session.expunge(report.seal)
    if report.unchecked:
        report.problems.insert(
            0, f"{problem}: the signatures of {report.unchecked} trail rows cannot be checked"
        )
    return report


def rotate_key(app: Services) -> str:
    """A new signing key; the old ones stay in the file to verify the rows they signed."""
    return trail_keys.rotate(app.settings.trail_key_file)
