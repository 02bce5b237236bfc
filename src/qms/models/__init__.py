"""SQLAlchemy models; importing this package registers every table on ``Base.metadata``."""

from qms.models.base import Base, UTCDateTime
from qms.models.processmap import (
    ORGANISATION_ROLES,
    PROCESS_ROLES,
    MacroProcess,
    Organisation,
    Person,
    Process,
    Role,
    RoleAssignment,
)

__all__ = [
    "ORGANISATION_ROLES",
    "PROCESS_ROLES",
    "Base",
    "MacroProcess",
    "Organisation",
    "Person",
    "Process",
    "Role",
    "RoleAssignment",
    "UTCDateTime",
]
