"""From an outbox row to a letter: who gets it, and the text and HTML rendered from reports/email/.

Rendering happens at send time, from the record as it is then: a reminder for a
record that has since been closed, or whose date has moved, is not sent (the row is
marked handled and says why).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.config import Settings
from qms.models import (
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Person,
)
from qms.notify.email import Attachment, Letter
from qms.reporting.render import render
from qms.reporting.words import Words, plural, words_for
from qms.scheduler import breaches, dashboard, outbox
from qms.scheduler.attachments import AUDIT_REPORT, report_pdf
from qms.scheduler.failures import Skip, Undeliverable
from qms.scheduler.rules import Reminders, models_by_kind
from qms.workflow.registry import Registry


@dataclass(frozen=True)
class Claimed:
    """An outbox row as a dispatcher claimed it."""

    id: int
    topic: str
    key: str
    payload: dict[str, Any]
    recipient: str | None
    attempts: int
    available_at: datetime
    leased_until: datetime

    @classmethod
    def of(cls, row: OutboxMessage) -> Claimed:
        assert row.leased_until is not None
        return cls(
            row.id,
            row.topic,
            row.dedupe_key,
            dict(row.payload),
            row.recipient,
            row.attempts,
            row.available_at,
            row.leased_until,
        )


@dataclass(frozen=True)
class Composed:
    letter: Letter
    also_done: tuple[int, ...] = ()  # digest items this letter delivers
    skipped: tuple[tuple[int, str], ...] = ()  # digest items not worth sending, and why


PackRenderer = Callable[[int], str]


class Composer:
    def __init__(
        self,
        settings: Settings,
        reminders: Reminders,
        pack: PackRenderer | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.settings = settings
        self.reminders = reminders
        self.institution = "qms"
        self.pack = pack  # renders a management review's pack as HTML, when reviews exist
        self._registry = registry

    @property
    def registry(self) -> Registry:
        """The workflow files, read once: their labels name kinds and states in letters."""
        if self._registry is None:
            self._registry = Registry.from_folder(self.settings.workflows_dir)
        return self._registry

    def words(self, session: Session) -> Words:
        return words_for(session, self.registry)

    def compose(self, session: Session, row: Claimed, today: date) -> Composed:
        if row.topic == outbox.REMINDER:
            return Composed(self._reminder(session, row, today))
        if row.topic == outbox.DIGEST:
            return self._digest(session, row, today)
        if row.topic == outbox.DASHBOARD:
            return Composed(self._dashboard(session, row, today))
        if row.topic == outbox.REVIEW_PACK:
            return Composed(self._review_pack(session, row, today))
        if row.topic == outbox.BREACH:
            return Composed(self._breach(session, row, today))
        return Composed(self._generic(session, row, today))  # email.* and trail.seal

    # --- shared -----------------------------------------------------------------------

    def link(self, kind: str, record_id: int) -> str:
        return f"{self.settings.base_url.rstrip('/')}/records/{kind}/{record_id}"

    def render(self, name: str, context: dict[str, Any]) -> tuple[str, str]:
        full = {"institution": self.institution, "base_url": self.settings.base_url, **context}
        folder, zone = self.settings.reports_dir, self.settings.timezone
        try:
            day = self.settings.date_format
            text = render(folder, f"email/{name}.txt", full, zone, day)
            html = render(folder, f"email/{name}.html", full, zone, day)
        except Exception as exc:  # a template mistake: keep the row, tell the operator
            raise Undeliverable(f"template email/{name}: {type(exc).__name__}: {exc}") from exc
        return text, html

    def _person(self, session: Session, handle: str | None, today: date) -> Person:
        person = session.scalar(select(Person).where(Person.handle == (handle or "")))
        if person is None or not person.active_on(today):
            raise Skip(f"{handle} is not an active person any more")
        return person

    def load_institution(self, session: Session) -> None:
        name = session.scalar(select(Organisation.name).limit(1))
        self.institution = name or "qms"

    # --- reminders and digests ------------------------------------------------------------

    def reminder_item(
        self, session: Session, payload: dict[str, Any], today: date, words: Words
    ) -> dict[str, Any]:
        """What one reminder says, checked against the record as it is now."""
        rule = self.reminders.rule(payload["rule"])
        if rule is None:
            raise Skip(f"rule '{payload['rule']}' is no longer in the rules file")
        model = models_by_kind()[payload["record_kind"]]
        record = session.get(model, payload["record_id"])
        reference = f"{payload['record_kind']} #{payload['record_id']}"
        if record is None:
            raise Skip(f"{reference} no longer exists")
        state = getattr(record, "state", None)
        if rule.states and state not in rule.states:
            raise Skip(f"{reference} is now {state}: no reminder needed")
        stored = getattr(record, rule.date_field)
        deadline = date.fromisoformat(payload["deadline"])
        if stored is None or rule.deadline(stored) != deadline:
            raise Skip(f"{reference}: the {rule.date_field} changed since it was planned")
        kind = payload["record_kind"]
        return {
            "label": rule.label,
            "key": reference,  # the X-QMS-Reference header: an identifier, not text
            "reference": words.ref(kind, payload["record_id"]),
            "title": getattr(record, "title", "") or "",
            "state": words.state(kind, state),
            "deadline": deadline,
            "days_late": (today - deadline).days,
            "as": payload.get("as", ""),
            "link": self.link(payload["record_kind"], payload["record_id"]),
        }

    def _reminder(self, session: Session, row: Claimed, today: date) -> Letter:
        person = self._person(session, row.payload.get("handle"), today)
        item = self.reminder_item(session, row.payload, today, self.words(session))
        text, html = self.render("reminder", {"person": person.name, "item": item})
        when = _when(item["days_late"])
        about = f"{item['reference']} {item['title']}".strip()
        subject = f"[{self.institution}] {when}: {item['label']} — {about}"
        return Letter((person.email,), subject, text, html, row.key, item["key"])

    def _digest(self, session: Session, row: Claimed, today: date) -> Composed:
        person = self._person(session, row.recipient, today)
        items, done, skipped = [], [], []
        words = self.words(session)
        for waiting in _digest_items(session, row):
            try:
                items.append(self.reminder_item(session, waiting.payload, today, words))
                done.append(waiting.id)
            except Skip as why:
                skipped.append((waiting.id, str(why)))
        if not items:
            raise _SkipAll("no reminder left for this digest", tuple(skipped))
        items.sort(key=lambda i: (-i["days_late"], i["deadline"], i["reference"]))
        text, html = self.render("digest", {"person": person.name, "items": items, "day": today})
        day = today.strftime(self.settings.date_format)
        subject = f"[{self.institution}] Your reminders of {day} ({len(items)})"
        letter = Letter((person.email,), subject, text, html, row.key)
        return Composed(letter, tuple(done), tuple(skipped))

    # --- scheduled reports ----------------------------------------------------------------

    def _dashboard(self, session: Session, row: Claimed, today: date) -> Letter:
        person = self._person(session, row.payload.get("handle"), today)
        boards = dashboard.for_processes(
            session, row.payload.get("process_ids", []), today, self.link, self.words(session)
        )
        month = dashboard.month_name(row.payload["month"])
        context = {"person": person.name, "month": month, "boards": boards}
        text, html = self.render("dashboard", context)
        subject = f"[{self.institution}] Process dashboard, {month}"
        return Letter((person.email,), subject, text, html, row.key)

    def _review_pack(self, session: Session, row: Claimed, today: date) -> Letter:
        person = self._person(session, row.payload.get("handle"), today)
        review = dashboard.review_summary(
            session, row.payload["review_id"], today, self.link, self.words(session)
        )
        if review is None or review["state"] != "planned":
            raise Skip(f"management review #{row.payload['review_id']} is no longer planned")
        text, html = self.render("review_pack", {"person": person.name, "review": review})
        planned = _day(review["planned_on"], self.settings.date_format)
        subject = f"[{self.institution}] Management review on {planned}: the inputs"
        attachments: tuple[Attachment, ...] = ()
        if self.pack is not None:
            pack = self.pack(int(row.payload["review_id"])).encode("utf-8")
            name = f"management-review-{row.payload['review_id']}-pack-draft.html"
            attachments = (Attachment(name, pack, "text", "html"),)
        return Letter(
            (person.email,),
            subject,
            text,
            html,
            row.key,
            review["key"],
            attachments=attachments,
        )

    def _breach(self, session: Session, row: Claimed, today: date) -> Letter:
        try:
            notice = breaches.notice(session, row.payload, today)
        except breaches.Gone as why:
            raise Skip(str(why)) from None
        if not notice.to:
            raise Undeliverable(f"{notice.reference}: no pilot, owner or quality manager to tell")
        text, html = self.render("breach", {**notice.context, "reference": notice.reference})
        to = tuple(p.email for p in notice.to)
        subject = f"[{self.institution}] {notice.subject}"
        return Letter(to, subject, text, html, row.key, notice.reference)

    # --- anything else other capabilities write ------------------------------------------

    def _generic(self, session: Session, row: Claimed, today: date) -> Letter:
        payload = row.payload
        to = self._addresses(session, payload.get("recipients") or payload.get("to") or [], today)
        cc = self._addresses(session, payload.get("cc") or [], today)
        if not to:
            raise Undeliverable(f"{row.topic}: the payload names no recipient")
        link = payload.get("link", "")
        if not link and payload.get("record_kind") and payload.get("record_id"):
            link = self.link(str(payload["record_kind"]), int(payload["record_id"]))
        reference = str(payload.get("reference", ""))  # the X-QMS-Reference header
        subject = str(payload.get("subject") or reference or row.topic)
        attachments = report_pdf(session, payload) if row.topic == AUDIT_REPORT else ()
        context = {
            "subject": subject,
            "reference": self._cited(session, payload),
            "body": str(payload.get("body", "")),
            "link": link,
            "context": payload.get("context") or {},
            "attachments": [a.filename for a in attachments],
        }
        template = str(payload.get("template") or "generic").removeprefix("email/")
        text, html = self.render(template, context)
        return Letter(
            tuple(to),
            f"[{self.institution}] {subject}",
            text,
            html,
            row.key,
            reference,
            tuple(cc),
            attachments=attachments,
        )

    def _cited(self, session: Session, payload: dict[str, Any]) -> str:
        """The record a letter is about as a reader cites it ("Internal audit #1")."""
        kind, record_id = payload.get("record_kind"), payload.get("record_id")
        if kind and record_id:
            return self.words(session).ref(str(kind), int(record_id))
        return str(payload.get("reference", ""))

    def _addresses(self, session: Session, names: Any, today: date) -> list[str]:
        found: list[str] = []
        for given in [names] if isinstance(names, str) else list(names):
            if isinstance(given, dict):  # {"handle": ..., "name": ..., "email": ...}
                given = given.get("handle") or given.get("email") or ""
            name = str(given).strip()
            if "@" in name:
                found.append(name)
                continue
            person = session.scalar(select(Person).where(Person.handle == name))
            if person is None:
                raise Undeliverable(f"unknown recipient '{name}'")
            if person.active_on(today):
                found.append(person.email)
        return found


class _SkipAll(Skip):
    def __init__(self, message: str, skipped: tuple[tuple[int, str], ...]) -> None:
        super().__init__(message)
        self.skipped = skipped


def _digest_items(session: Session, row: Claimed) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.recipient == row.recipient,
                OutboxMessage.topic == outbox.DIGEST_ITEM,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.available_at <= row.available_at,
            )
            .order_by(OutboxMessage.id)
        )
    )


def _day(value: date | None, date_format: str) -> str:
    return value.strftime(date_format) if value else "—"


def _when(days_late: int) -> str:
    if days_late < 0:
        return f"Due in {plural(-days_late, 'day')}"
    if days_late == 0:
        return "Due today"
    return f"Overdue by {plural(days_late, 'day')}"
