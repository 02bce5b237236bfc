"""Accounts, sign-in and server-side sessions of the web application.

An account belongs to a person of the process map; its password is hashed with argon2id
(argon2-cffi's defaults: 64 MiB and 3 passes, so at most ``HASHING_AT_ONCE`` hashes run
at a time in a process). A session is a random token in the browser's cookie and the
token's sha256 in ``web_session``: revoked at sign-out, after ``session_idle_minutes``
without a request, and as soon as the person or the account is disabled. Sign-in attempts
are rows, so that the limit per account and per address holds across web workers.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.clock import local_today
from qms.errors import NotFound, QmsError, ValidationError
from qms.models import Account, Person, SignInAttempt, WebSession
from qms.services.shared import person as person_named

PASSWORD_MIN = 12
PASSWORD_MAX = 256
HASHING_AT_ONCE = 2
SEEN_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often
_hasher = PasswordHasher()
_hashing = threading.BoundedSemaphore(HASHING_AT_ONCE)
_NO_ACCOUNT = _hasher.hash(secrets.token_urlsafe(16))  # verified against when none exists


class SignInRefused(QmsError):
    """The handle and password do not match an enabled account (said without telling
    which, so that the form does not reveal who has an account)."""


class TooManyAttempts(QmsError):
    """The sign-in limit for this account or this address is reached for a while."""

    def __init__(self, minutes: int) -> None:
        self.minutes = minutes
        super().__init__(
            f"too many failed sign-ins; try again in {minutes} minute{'s' if minutes != 1 else ''}"
        )


@dataclass(frozen=True)
class Signed:
    token: str  # for the cookie; only its sha256 is stored
    csrf_token: str
    handle: str


@dataclass(frozen=True)
class Current:
    """The signed-in person of a request."""

    handle: str
    name: str
    person_id: int
    account_id: int
    csrf_token: str
    token_sha256: str


@dataclass(frozen=True)
class AccountRow:
    handle: str
    name: str
    created_at: datetime
    password_changed_at: datetime
    disabled_at: datetime | None
    open_sessions: int


def hashed(password: str) -> str:
    with _hashing:
        return _hasher.hash(password)


def _verified(stored: str, password: str) -> bool:
    with _hashing:
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False


def checked_password(password: str, handle: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise ValidationError("password", f"at least {PASSWORD_MIN} characters, please")
    if len(password) > PASSWORD_MAX:
        raise ValidationError("password", f"at most {PASSWORD_MAX} characters")
    if password.strip().lower() == handle.lower():
        raise ValidationError("password", "not the handle itself")
    return password


def create(app: Services, handle: str, password: str) -> Account:
    """An account for the person ``handle`` of the process map."""
    now = app.engine.clock.now()
    with app.database.unit_of_work() as uow:
        person = person_named(uow.session, handle, "handle")
        if not person.active_on(local_today(app.engine.clock, app.settings.zone)):
            raise ValidationError("handle", f"{handle} is no longer active in the process map")
        if _account_of(uow.session, person) is not None:
            raise ValidationError(
                "handle", f"{handle} has an account already: `qms user set-password {handle}`"
            )
        account = Account(
            person_id=person.id,
            password_hash=hashed(checked_password(password, handle)),
            created_at=now,
            password_changed_at=now,
        )
        uow.session.add(account)
        uow.commit()
        return account


def set_password(app: Services, handle: str, password: str) -> None:
    """A new password; every open session of the account is signed out, and a disabled
    account is enabled again."""
    now = app.engine.clock.now()
    with app.database.unit_of_work() as uow:
        account = _required(uow.session, handle)
        account.password_hash = hashed(checked_password(password, handle))
        account.password_changed_at = now
        account.disabled_at = None
        _revoke_all(uow.session, account.id, now)
        uow.commit()


def disable(app: Services, handle: str) -> int:
    """Disable the account and sign it out everywhere at once; returns the sessions
    closed."""
    now = app.engine.clock.now()
    with app.database.unit_of_work() as uow:
        account = _required(uow.session, handle)
        if account.disabled_at is None:
            account.disabled_at = now
        closed = _revoke_all(uow.session, account.id, now)
        uow.commit()
        return closed


def rows(app: Services) -> list[AccountRow]:
    with app.database.reading() as session:
        open_count = (
            select(WebSession.account_id, func.count().label("n"))
            .where(WebSession.revoked_at.is_(None))
            .group_by(WebSession.account_id)
            .subquery()
        )
        found = session.execute(
            select(Account, Person, func.coalesce(open_count.c.n, 0))
            .join(Person, Account.person_id == Person.id)
            .outerjoin(open_count, open_count.c.account_id == Account.id)
            .order_by(Person.handle)
        )
        return [
            AccountRow(
                person.handle,
                person.name,
                account.created_at,
                account.password_changed_at,
                account.disabled_at,
                int(sessions),
            )
            for account, person, sessions in found
        ]


def sign_in(
    app: Services, handle: str, password: str, address: str, user_agent: str = ""
) -> Signed:
    """A new session for ``handle`` if the password is right, the account and person are
    enabled and neither the account nor the address is over its limit of failures."""
    settings = app.settings
    now = app.engine.clock.now()
    handle = handle.strip()[:64]
    address = address[:64]
    since = now - timedelta(minutes=settings.sign_in_window_minutes)
    with app.database.unit_of_work() as uow:
        session = uow.session
        for column, value, most in (
            (SignInAttempt.handle, handle, settings.sign_in_limit_account),
            (SignInAttempt.address, address, settings.sign_in_limit_address),
        ):
            failed = session.scalars(
                select(SignInAttempt.at)
                .where(column == value, SignInAttempt.at >= since, ~SignInAttempt.succeeded)
                .order_by(SignInAttempt.at)
            ).all()
            if len(failed) >= most:
                wait = failed[-most] + timedelta(minutes=settings.sign_in_window_minutes) - now
                raise TooManyAttempts(max(1, -(-int(wait.total_seconds()) // 60)))
        person = session.scalar(select(Person).where(Person.handle == handle))
        account = _account_of(session, person) if person is not None else None
        today = local_today(app.engine.clock, settings.zone)
        good = _verified(account.password_hash if account else _NO_ACCOUNT, password)
        good = good and account is not None and account.disabled_at is None
        good = good and person is not None and person.active_on(today)
        session.add(SignInAttempt(handle=handle, address=address, at=now, succeeded=good))
        if not good or account is None:
            uow.commit()  # the failure counts, whatever the caller does next
            raise SignInRefused("wrong account or password")
        if _hasher.check_needs_rehash(account.password_hash):
            account.password_hash = hashed(password)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        session.add(
            WebSession(
                token_sha256=_digest(token),
                account_id=account.id,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
                address=address,
                user_agent=user_agent[:300],
            )
        )
        uow.commit()
        return Signed(token, csrf, handle)


def current(app: Services, token: str | None) -> Current | None:
    """The person signed in with ``token``, or None when the session is unknown, revoked,
    idle too long, or its account or person is disabled (the session is then revoked).

    Read in a reading session (on SQLite, no write lock per page view); written only to
    revoke the session or to move ``last_seen_at`` on, at most every SEEN_EVERY."""
    if not token:
        return None
    now = app.engine.clock.now()
    idle = timedelta(minutes=app.settings.session_idle_minutes)
    today = local_today(app.engine.clock, app.settings.zone)
    digest = _digest(token)
    with app.database.reading() as session:
        found = session.execute(  # columns, not entities: read on every page
            select(
                WebSession.last_seen_at,
                WebSession.csrf_token,
                Account.id,
                Account.disabled_at,
                Person.id,
                Person.handle,
                Person.name,
                Person.active_on(today),
            )
            .join(Account, WebSession.account_id == Account.id)
            .join(Person, Account.person_id == Person.id)
            .where(WebSession.token_sha256 == digest, WebSession.revoked_at.is_(None))
        ).one_or_none()
        if found is None:
            return None
        seen, csrf, account_id, disabled_at, person_id, handle, name, active = found
        ended = now - seen > idle or disabled_at or not active
        signed = Current(handle, name, person_id, account_id, csrf, digest)
    if ended:
        _touch(app, digest, revoked_at=now)
        return None
    if now - seen >= SEEN_EVERY:
        _touch(app, digest, last_seen_at=now)
    return signed


def _touch(app: Services, digest: str, **values: datetime) -> None:
    with app.database.unit_of_work() as uow:
        uow.session.execute(
            update(WebSession)
            .where(WebSession.token_sha256 == digest, WebSession.revoked_at.is_(None))
            .values(**values)
        )
        uow.commit()


def sign_out(app: Services, token: str | None) -> None:
    if not token:
        return
    with app.database.unit_of_work() as uow:
        uow.session.execute(
            update(WebSession)
            .where(WebSession.token_sha256 == _digest(token), WebSession.revoked_at.is_(None))
            .values(revoked_at=app.engine.clock.now())
        )
        uow.commit()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account_of(session: Session, person: Person) -> Account | None:
    return session.scalar(select(Account).where(Account.person_id == person.id))


def _required(session: Session, handle: str) -> Account:
    person = person_named(session, handle, "handle")
    account = _account_of(session, person)
    if account is None:
        raise NotFound(f"{handle} has no account: `qms user create {handle}`")
    return account


def _revoke_all(session: Session, account_id: int, now: datetime) -> int:
    done = session.execute(
        update(WebSession)
        .where(WebSession.account_id == account_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(done.rowcount or 0)  # type: ignore[attr-defined]
