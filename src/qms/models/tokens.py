"""Personal access tokens of the JSON API: a person's account may hold several, each named,
with a scope (read, or read and write), an expiry, and revoked rather than deleted.

Only the token's sha256 is stored; the token itself (``qms_`` and 32 random bytes) is shown
once, when it is created.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.models.accounts import Account
from qms.models.base import Base, str_enum


class TokenScope(enum.StrEnum):
    READ = "read"
    READ_WRITE = "read-write"


class ApiToken(Base):
    """One personal access token of an account: its name, scope, expiry and last use."""

    __tablename__ = "api_token"
    __table_args__ = (Index("ix_api_token_account", "account_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[TokenScope] = mapped_column(str_enum(TokenScope))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    account: Mapped[Account] = relationship()
