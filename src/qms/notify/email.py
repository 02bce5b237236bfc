"""E-mail: a message with a text and an HTML part, sent by SMTP or written as a .eml file.

The Message-ID derives from the outbox row's dedupe key, so a message sent twice
(a crash between the send and the bookkeeping) carries the same Message-ID both
times and mail clients show it once.  With no SMTP host configured, messages go to
``settings.mail_dir`` as ``<id>.eml``; writing the same message again replaces the
file, so a folder never holds duplicates.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Protocol

from qms.config import Settings
from qms.errors import QmsError


class DeliveryError(QmsError):
    """A message could not be handed over.

    ``temporary``: worth trying again later (server down, 4xx); otherwise the server
    refused it for good (5xx, e.g. unknown mailbox).  ``connection``: the server
    could not be reached at all, so the other messages waiting will fail the same way.
    """

    def __init__(self, message: str, *, temporary: bool, connection: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.connection = connection


@dataclass(frozen=True)
class Letter:
    """What to send, before it becomes a MIME message."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    key: str  # the outbox dedupe key: the Message-ID derives from it
    reference: str = ""
    cc: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "octet-stream"


def message_id(key: str, sender: str) -> str:
    """A stable Message-ID for a dedupe key, in the sender's domain."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    domain = sender.rsplit("@", 1)[-1].strip(">").strip() or "localhost"
    return f"<qms.{digest}@{domain}>"


def compose(letter: Letter, sender: str, sent_at: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(letter.to)
    if letter.cc:
        message["Cc"] = ", ".join(letter.cc)
    message["Subject"] = letter.subject
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id(letter.key, sender)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    if letter.reference:
        message["X-QMS-Reference"] = letter.reference
    for name, value in letter.headers.items():
        message[name] = value
    message.set_content(letter.text)
    message.add_alternative(letter.html, subtype="html")
    for attached in letter.attachments:
        message.add_attachment(
            attached.content,
            maintype=attached.maintype,
            subtype=attached.subtype,
            filename=attached.filename,
        )
    return message


def sender_address(settings: Settings) -> str:
    return (
        formataddr(("qms", settings.mail_from))
        if "<" not in settings.mail_from
        else settings.mail_from
    )


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand the message over; raise DeliveryError when that fails."""
        ...

    def close(self) -> None: ...


class FolderTransport:
    """Writes each message as ``<Message-ID hash>.eml`` (atomically) in a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        name = hashlib.sha256(str(message["Message-ID"]).encode()).hexdigest()[:32]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                out.write(message.as_bytes())
            os.replace(temporary, self.folder / f"{name}.eml")
        except OSError as exc:
            raise DeliveryError(f"cannot write to {self.folder}: {exc}", temporary=True) from exc

    def close(self) -> None:
        """Nothing is held open."""


class SmtpTransport:
    """One SMTP connection, opened on first use and kept for the batch."""

    def __init__(self, settings: Settings, timeout: float = 30.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        assert s.smtp_host is not None
        context = ssl.create_default_context()
        if s.smtp_ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
            if s.smtp_starttls:
                smtp.starttls(context=context)
        if s.smtp_user:
            password = s.smtp_password.get_secret_value() if s.smtp_password else ""
            smtp.login(s.smtp_user, password)
        return smtp

    def send(self, message: EmailMessage) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            self._smtp = None
            where = f"{self.settings.smtp_host}:{self.settings.smtp_port}"
            raise DeliveryError(
                f"SMTP server {where} unreachable: {exc}", temporary=True, connection=True
            ) from exc
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"recipients refused: {exc.recipients}", temporary=all(c < 500 for c in codes)
            ) from exc
        except smtplib.SMTPResponseException as exc:
            self._drop()
            raise DeliveryError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", temporary=exc.smtp_code < 500
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise DeliveryError(f"SMTP connection lost: {exc}", temporary=True) from exc

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def transport_for(settings: Settings) -> Transport:
    """SMTP when a host is configured, else .eml files in ``settings.mail_dir``."""
    if settings.smtp_host:
        return SmtpTransport(settings)
    return FolderTransport(settings.mail_dir)
