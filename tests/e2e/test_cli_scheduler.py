"""The scheduler from the command line: tick, outbox, notification setting, calendar, rules."""

from __future__ import annotations

import email
import email.policy
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from qms.db import Database
from qms.scheduler import outbox
from tests.cli import Result, run
from tests.factories import PROCESS_MAP
from tests.reminders import free_port, seed_actions


@pytest.fixture
def db_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("QMS_DATABASE_URL", url)
    monkeypatch.setenv("QMS_MAIL_DIR", str(tmp_path / "mail"))
    monkeypatch.setenv("QMS_BASE_URL", "https://qms.valbrune.example")
    monkeypatch.delenv("QMS_SMTP_HOST", raising=False)
    assert run(capsys, "db", "upgrade").code == 0
    assert run(capsys, "processmap", "load", str(PROCESS_MAP), "--as-of", "2026-01-05").code == 0
    return url


def today() -> datetime:
    return datetime.now(ZoneInfo("Europe/Paris"))


def qms(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    return run(capsys, *args)


def test_tick_writes_reminders_as_eml_files_and_the_outbox_tells(
    db_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seed_actions(Database(url=db_url), 2, (today() + timedelta(days=7)).date(), owners=["sroux"])
    ticked = qms(capsys, "scheduler", "tick")
    assert ticked.code == 0, ticked.err
    assert ticked.out.startswith("planned: 2 reminders, 0 digests,")
    assert "sent" in ticked.out.splitlines()[1]
    files = sorted((tmp_path / "mail").glob("*.eml"))
    letters = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    reminders = [m for m in letters if "Improvement action due" in str(m["Subject"])]
    assert [m["To"] for m in reminders] == ["sophie.roux@valbrune.example"] * 2
    listed = qms(capsys, "outbox", "list", "--topic", "email.reminder", "--format", "csv")
    assert listed.out.count(",email.reminder,sent,sroux,0,") == 2  # no failed try
    again = qms(capsys, "scheduler", "tick")
    assert again.out.startswith("planned: 0 reminders")
    assert len(list((tmp_path / "mail").glob("*.eml"))) == len(files)
    refused = qms(capsys, "outbox", "retry", "1")
    assert refused.code == 1 and "is sent: nothing to retry" in refused.err


def test_a_person_chooses_a_daily_digest(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    shown = qms(capsys, "person", "notify", "sroux")
    assert shown.out.strip() == "Sophie Roux (sroux): immediate (each reminder as it falls due)"
    changed = qms(capsys, "person", "notify", "sroux", "--digest", "daily")
    assert changed.out.strip() == "Sophie Roux (sroux): daily (one digest a day)"
    unknown = qms(capsys, "person", "notify", "nobody", "--digest", "daily")
    assert unknown.code == 1 and unknown.err.strip() == "error: person: unknown person 'nobody'"


def test_a_calendar_feed_lists_a_persons_due_dates(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    due = (today() + timedelta(days=20)).date()
    (action_id,) = seed_actions(Database(url=db_url), 1, due, owners=["ofaure"])
    feed = qms(capsys, "calendar", "ofaure")
    assert feed.code == 0, feed.err
    events = Calendar.from_ical(feed.out).walk("VEVENT")
    assert [(str(e["SUMMARY"]), e.decoded("DTSTART")) for e in events] == [
        ("Action due: Action 0", due)
    ]
    assert str(events[0]["URL"]).endswith(f"/records/improvement_action/{action_id}")
    assert Calendar.from_ical(qms(capsys, "calendar", "sroux").out).walk("VEVENT") == []


def test_a_broken_rules_file_is_reported_with_its_line(
    db_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "reminders.yaml"
    rules.write_text(
        "rules:\n  - id: x\n    label: X\n    record: improvement_action\n"
        "    date: due_on\n    to: [owner]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("QMS_REMINDERS_FILE", str(rules))
    checked = qms(capsys, "scheduler", "tick")
    assert checked.code == 1
    assert checked.err.startswith(f"{rules}:5: rule 'x': 'improvement_action' has no date 'due_on'")
    monkeypatch.delenv("QMS_REMINDERS_FILE")
    shown = qms(capsys, "scheduler", "rules")
    assert shown.code == 0 and "action-due" in shown.out and "digest at 07:30" in shown.out


def test_tick_exits_75_naming_the_mail_server_when_it_is_down(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("QMS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("QMS_SMTP_PORT", str(port))
    monkeypatch.setenv("QMS_SMTP_STARTTLS", "false")
    seed_actions(Database(url=db_url), 2, (today() + timedelta(days=7)).date(), owners=["sroux"])
    ticked = qms(capsys, "scheduler", "tick")
    assert ticked.code == 75
    assert ticked.out.startswith("planned: 2 reminders")  # the planning was done and kept
    assert ticked.err.startswith(f"error: SMTP server 127.0.0.1:{port} unreachable: ")
    waiting = re.search(r"; (\d+) messages waiting for a retry, the next at ", ticked.err)
    assert waiting is not None, ticked.err
    pending = json.loads(
        qms(capsys, "outbox", "list", "--status", "pending", "--format", "json").out
    )
    assert int(waiting.group(1)) == pending["total"] >= 2
    assert {r["failures"] for r in pending["rows"]} == {1}
    first = pending["rows"][-1]["id"]
    assert qms(capsys, "outbox", "retry", str(first)).code == 0
    assert qms(capsys, "scheduler", "tick", "--dispatch-only").code == 75
    shown = qms(capsys, "outbox", "show", str(first))
    assert shown.code == 0, shown.err
    assert "  failures      2" in shown.out and "tries (2):" in shown.out
    tried = [line for line in shown.out.splitlines() if "  retry   " in line]
    assert len(tried) == 2 and all(f"127.0.0.1:{port} unreachable" in line for line in tried)
    assert qms(capsys, "scheduler", "tick", "--plan-only").code == 0  # planning needs no mail


def test_outbox_list_says_when_rows_are_left_out_and_unknown_topics_fail(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    database = Database(url=db_url)
    now = datetime.now(ZoneInfo("UTC"))
    with database.unit_of_work() as uow:
        rows = [outbox.row("workflow.transition", f"t:{n}", {}, now) for n in range(59)]
        outbox.write_new(uow.session, [*rows, outbox.row("audit.slipped", "s:1", {}, now)])
        uow.commit()
    shown = qms(capsys, "outbox", "list")
    assert shown.out.splitlines()[-1] == "showing 50 of 60; --limit 0 for all"
    listed = json.loads(qms(capsys, "outbox", "list", "--format", "json").out)
    assert (len(listed["rows"]), listed["shown"], listed["total"]) == (50, 50, 60)
    assert listed["truncated"] is True
    every = json.loads(qms(capsys, "outbox", "list", "--limit", "0", "--format", "json").out)
    assert (len(every["rows"]), every["truncated"]) == (60, False)
    csv = qms(capsys, "outbox", "list", "--limit", "10", "--format", "csv")
    assert len(csv.out.splitlines()) == 11 and csv.err == "showing 10 of 60; --limit 0 for all\n"
    assert qms(capsys, "scheduler", "tick", "--dispatch-only").code == 0
    failed = qms(capsys, "outbox", "list", "--status", "failed", "--format", "csv")
    assert ",audit.slipped,failed,," in failed.out
    assert "no dispatcher handles topic 'audit.slipped'" in failed.out and failed.err == ""
