"""Where a nonconformity comes from, named so that an auditor can follow it back (10.2.2 a).

A nonconformity raised by an internal audit names its finding; one from a complaint names
the complainant or the complaint's reference. Other sources may name a reference too.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from qms.errors import ValidationError
from qms.models import AuditFinding, Nonconformity
from qms.services.capa.vocabulary import NcSource
from qms.services.shared import text_for

FINDING = re.compile(r"^\s*(?:audit_finding\s*)?#?\s*(\d+)\s*$")


def reference(session: Session, source: str, given: str) -> str:
    """The reference a nonconformity of ``source`` keeps, checked; '' when none is needed."""
    text = text_for(Nonconformity, "title", given, "reference").strip()
    if source == NcSource.INTERNAL_AUDIT:
        return finding_reference(session, text)
    if source == NcSource.COMPLAINT and not text:
        raise ValidationError(
            "reference",
            "a nonconformity from a complaint names the complainant or the complaint's "
            "reference (clause 10.2.2 a: the nature of the nonconformity and where it came "
            "from are kept); give --reference",
        )
    return text


def finding_reference(session: Session, text: str) -> str:
    found = FINDING.match(text)
    if not text or found is None:
        raise ValidationError(
            "reference",
            "a nonconformity from an internal audit names its finding (clause 9.2.2 f, "
            "10.2.2 a): give --reference 'audit_finding #N' (the finding's id)"
            + (f"; got {text!r}" if text else ""),
        )
    finding = session.get(AuditFinding, int(found[1]))
    if finding is None:
        raise ValidationError("reference", f"no audit_finding #{found[1]}")
    return finding.reference
