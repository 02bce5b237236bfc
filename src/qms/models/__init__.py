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
from qms.models.records import (
    RECORD_MODELS,
    AuditFinding,
    ImprovementAction,
    InternalAudit,
    ManagementReview,
    Nonconformity,
    ProcessReview,
    WorkflowRecord,
)
from qms.models.trail import (
    GENESIS_HASH,
    HistoryEntry,
    OutboxMessage,
    OutboxStatus,
    WorkflowVersion,
)

__all__ = [
    "GENESIS_HASH",
    "ORGANISATION_ROLES",
    "PROCESS_ROLES",
    "RECORD_MODELS",
    "AuditFinding",
    "Base",
    "HistoryEntry",
    "ImprovementAction",
    "InternalAudit",
    "MacroProcess",
    "ManagementReview",
    "Nonconformity",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "Person",
    "Process",
    "ProcessReview",
    "Role",
    "RoleAssignment",
    "UTCDateTime",
    "WorkflowRecord",
    "WorkflowVersion",
]
