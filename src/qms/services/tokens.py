"""Personal access tokens of the JSON API (``qms token``, the /tokens page).

A token belongs to a person's web account and acts as that person: the engine's
permissions are theirs. It is ``qms_`` followed by 32 random bytes (URL-safe base64),
shown once when it is created; only its sha256 is stored. Each has a name (what it is
for), a scope (``read``, or ``read-write`` for the requests that change something), an
expiry (``DEFAULT_DAYS`` by default, at most ``MAX_DAYS``) and is revoked rather than
deleted. A token stops working at once when it expires or is revoked, and whenever its
account is disabled or its person leaves the process map. ``last_used_at`` is written at
most every ``USED_EVERY``, so that a script's burst of requests does not write a row each.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.clock import local_today
from qms.errors import NotFound, PermissionDenied, ValidationError
from qms.models import Account, ApiToken, Person, TokenScope
from qms.services.shared import one_of, person, required_text

PREFIX = "qms_"
DEFAULT_DAYS = 90
MAX_DAYS = 366
USED_EVERY = timedelta(seconds=60)  # last_used_at is written at most this often
LONGEST = 200  # longer than any token qms makes: not even hashed


@dataclass(frozen=True)
class TokenRow:
    """A token as its owner sees it (never the token itself)."""

    id: int
    handle: str
    name: str
    scope: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


@dataclass(frozen=True)
class Created:
    token: str  # shown once: only its sha256 is kept
    row: TokenRow


@dataclass(frozen=True)
class Bearer:
    """The person a valid token acts as, and what the token lets them do."""

    handle: str
    name: str
    person_id: int
    account_id: int
    token_id: int
    scope: str

    @property
    def writes(self) -> bool:
        return self.scope == TokenScope.READ_WRITE


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    app: Services, handle: str, name: str, scope: str = "read", days: int = DEFAULT_DAYS
) -> Created:
    """A new token for ``handle``'s account; the token is in the answer, and nowhere else."""
    name = required_text("name", name, (ApiToken, "name"))
    scope = one_of("scope", scope, TokenScope)
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError("days", f"{days}: a token lasts from 1 to {MAX_DAYS} days")
    now = app.engine.clock.now()
    token = PREFIX + secrets.token_urlsafe(32)
    with app.database.unit_of_work() as uow:
        account = _enabled_account(app, uow.session, handle)
        row = ApiToken(
            account_id=account.id,
            name=name,
            token_sha256=digest(token),
            scope=TokenScope(scope),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        uow.session.add(row)
        uow.session.flush()
        created = Created(token, _row(row, handle))
        uow.commit()
    return created


def rows(app: Services, handle: str) -> list[TokenRow]:
    """Every token of ``handle``'s account, newest first (revoked and expired ones too)."""
    with app.database.reading() as session:
        account = _account(session, handle)
        found = session.scalars(
            select(ApiToken)
            .where(ApiToken.account_id == account.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
        return [_row(token, handle) for token in found]


def revoke(app: Services, token_id: int, owner: str | None = None) -> TokenRow:
    """Revoke token ``token_id`` (at once: its next request is refused). With ``owner``,
    only a token of that person's (the /tokens page); revoking twice changes nothing."""
    now = app.engine.clock.now()
    with app.database.unit_of_work() as uow:
        session = uow.session
        token = session.get(ApiToken, token_id)
        if token is None:
            raise NotFound(f"no API token #{token_id}")
        handle = token.account.person.handle
        if owner is not None and owner != handle:
            raise PermissionDenied(f"API token #{token_id} is not one of yours")
        if token.revoked_at is None:
            token.revoked_at = now
        row = _row(token, handle)
        uow.commit()
    return row


def authenticate(app: Services, token: str | None) -> Bearer | None:
    """The person ``token`` acts as, or None when it is unknown, revoked or expired, or
    its account is disabled or its person no longer active.

    Read in a reading session; written only to move ``last_used_at`` on, at most every
    USED_EVERY."""
    if not token or not token.startswith(PREFIX) or len(token) > LONGEST:
        return None
    now = app.engine.clock.now()
    today = local_today(app.engine.clock, app.settings.zone)
    with app.database.reading() as session:
        found = session.execute(  # columns, not entities: read on every request
            select(
                ApiToken.id,
                ApiToken.scope,
                ApiToken.expires_at,
                ApiToken.last_used_at,
                Account.id,
                Account.disabled_at,
                Person.id,
                Person.handle,
                Person.name,
                Person.active_on(today),
            )
            .join(Account, ApiToken.account_id == Account.id)
            .join(Person, Account.person_id == Person.id)
            .where(ApiToken.token_sha256 == digest(token), ApiToken.revoked_at.is_(None))
        ).one_or_none()
    if found is None:
        return None
    token_id, scope, expires, used, account_id, disabled, person_id, handle, name, active = found
    if expires <= now or disabled is not None or not active:
        return None
    if used is None or now - used >= USED_EVERY:
        with app.database.unit_of_work() as uow:
            uow.session.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
            )
            uow.commit()
    return Bearer(handle, name, person_id, account_id, token_id, str(scope))


def _account(session: Session, handle: str) -> Account:
    found = person(session, handle, "handle")
    account = session.scalar(select(Account).where(Account.person_id == found.id))
    if account is None:
        raise NotFound(f"{handle} has no account: `qms user create {handle}`")
    return account


def _enabled_account(app: Services, session: Session, handle: str) -> Account:
    account = _account(session, handle)
    if account.disabled_at is not None:
        raise ValidationError("handle", f"the account of {handle} is disabled")
    if not account.person.active_on(local_today(app.engine.clock, app.settings.zone)):
        raise ValidationError("handle", f"{handle} is no longer active in the process map")
    return account


def _row(token: ApiToken, handle: str) -> TokenRow:
    return TokenRow(
        token.id,
        handle,
        token.name,
        str(token.scope),
        token.created_at,
        token.expires_at,
        token.last_used_at,
        token.revoked_at,
    )
