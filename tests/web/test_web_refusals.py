"""The engine's refusals said in words on the step forms: a guard with a date, a field the
next state requires, a step the person may not take (403), a step the state does not allow;
each with labels, names and dates as the pages write them, never the command line's codes,
ISO dates or quote marks, and nothing written. The command line's sentences are unchanged
(the engine's exceptions carry the same refusal as values)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from qms.bootstrap import Services
from qms.errors import GuardFailed, InvalidTransition, PermissionDenied
from qms.services import shared
from qms.services.audits import findings, programme
from qms.services.audits import service as audits
from qms.services.capa import actions, nonconformities
from qms.services.capa.actions import NewAction
from qms.services.capa.nonconformities import NewNonconformity
from qms.web import records_form, refusals
from qms.workflow.guards import Refusal
from tests.factories import snapshot
from tests.web.conftest import Browser

CHECK_DAY = date(2026, 12, 15)  # after the tests' today, 25 Nov 2026


def _signed(browser: Browser, handle: str) -> Browser:
    assert browser.sign_in(handle).status_code == 303  # type: ignore[attr-defined]
    return browser


def _version(browser: Browser, url: str) -> str:
    form = browser.get(url)
    assert form.status_code == 200, form.text  # type: ignore[attr-defined]
    found = re.search(r'name="version" value="(\d+)"', form.text)  # type: ignore[attr-defined]
    assert found is not None
    return found.group(1)


def _form_error(html: str) -> str:
    found = re.search(r'<div class="form-error" role="alert">(.*?)</div>', html, re.S)
    assert found is not None, html
    return " ".join(found.group(1).split())


def _done_action(app: Services) -> int:
    """An action of ECO-02 (piloted by jcarre), owned by dlacroix, done; its effectiveness
    is to be checked on CHECK_DAY."""
    spec = NewAction(
        title="Check every rate against the contract",
        process="ECO-02",
        owner="dlacroix",
        due_date=date(2026, 12, 1),
        effectiveness_criteria="No wrong rate over three months",
        effectiveness_check_date=CHECK_DAY,
    )
    action_id = actions.new(app, "jcarre", spec).id
    for trigger, who, inputs in (
        ("approve", "jcarre", {}),
        ("start", "dlacroix", {}),
        ("complete", "dlacroix", {"work_done": "Rates checked"}),
    ):
        shared.fire(app.database, app.engine, "improvement_action", action_id, trigger, who, inputs)
    return action_id


def _nc(app: Services) -> int:
    spec = NewNonconformity(title="Partner invoiced at the wrong rate", process="ECO-02")
    return nonconformities.new(app, "jcarre", spec).id


def test_a_guard_with_a_date_says_the_day_as_pages_write_it(
    app: Services, browser: Browser
) -> None:
    action_id = _done_action(app)
    url = f"/records/improvement_action/{action_id}/fire/check_effectiveness"
    _signed(browser, "jcarre")
    said = (
        "This step cannot be taken yet: the effectiveness check is planned for 15 Dec 2026 "
        "(ISO 9001, 10.2.1 d)."
    )
    shown = browser.get(url)
    assert shown.status_code == 200  # type: ignore[attr-defined]
    assert said in _form_error(shown.text)  # type: ignore[attr-defined]
    before = snapshot(app.database)
    refused = browser.post(url, {"version": "4"})  # created, approved, started, done
    assert refused.status_code == 400  # type: ignore[attr-defined]
    text = refused.text  # type: ignore[attr-defined]
    assert said in _form_error(text)
    assert "2026-12-15" not in text and "effectiveness_check_due" not in text
    assert "check_effectiveness" not in _form_error(text) and "&#39;" not in _form_error(text)
    assert snapshot(app.database) == before


def test_the_command_line_keeps_its_sentence_and_gets_the_values_too(app: Services) -> None:
    action_id = _done_action(app)
    with pytest.raises(GuardFailed) as caught:
        shared.fire(
            app.database,
            app.engine,
            "improvement_action",
            action_id,
            "check_effectiveness",
            "jcarre",
        )
    refused = caught.value
    assert str(refused) == (
        f"'check_effectiveness' on improvement_action #{action_id} refused by guard "
        "'effectiveness_check_due': the effectiveness check is planned for 2026-12-15 "
        "(clause 10.2.1 d)"
    )
    assert (refused.trigger, refused.kind, refused.record_id) == (
        "check_effectiveness",
        "improvement_action",
        action_id,
    )
    assert refused.guard == "effectiveness_check_due" and refused.process == "ECO-02"
    assert isinstance(refused.refusal, Refusal) and refused.refusal.reason == "check_not_due"
    assert refused.refusal.values["day"] == CHECK_DAY
    with pytest.raises(PermissionDenied) as denied:
        shared.fire(app.database, app.engine, "improvement_action", action_id, "reopen", "ymasson")
    assert str(denied.value).startswith("Yann Masson (ymasson) may not fire 'reopen' on ")
    assert str(denied.value).endswith(
        "it needs the role pilot or quality_manager of process ECO-02; on 2026-11-25 they "
        "hold no role there"
    )
    assert denied.value.roles == ("pilot", "quality_manager") and denied.value.held == ()
    assert denied.value.day == date(2026, 11, 25) and denied.value.actor == "ymasson"


def _finding(app: Services) -> int:
    """An observation of an audit of ECO-02 (piloted by jcarre), led by cfontaine."""
    programme.plan(app, "cvidal", 2027)
    programme.fire(app, 2027, "approve", "hmarchal", {"approval_note": "granted"})
    programme.fire(app, 2027, "put_in_effect", "tbrunet")
    details = {"scope": "Invoicing", "criteria": "ISO 9001 8.2", "objectives": "Check"}
    spec = audits.AuditPlan(process="ECO-02", cycle=2027, lead="cfontaine", details=details)
    audit_id = audits.plan(app, "cvidal", spec).id
    audits.fire(app, audit_id, "issue_plan", "cfontaine", {"audit_plan": "one day"})
    audits.fire(app, audit_id, "start", "cfontaine", {"started_on": "2027-03-03"})
    seen = findings.NewFinding(audit_id, "observation", "Rates read by hand", "8.2", "seen")
    finding_id = findings.add(app, "cfontaine", seen).id
    shared.fire(app.database, app.engine, "audit_finding", finding_id, "acknowledge", "jcarre")
    return finding_id


def test_a_field_the_next_state_requires_is_named_by_its_label(
    app: Services, browser: Browser
) -> None:
    finding_id = _finding(app)
    url = f"/records/audit_finding/{finding_id}/fire/plan_action"
    _signed(browser, "jcarre")
    version = _version(browser, url)
    before = snapshot(app.database)
    typed = {"version": version, "action_plan": "Read rates from the contract"}
    refused = browser.post(url, typed)
    assert refused.status_code == 400  # type: ignore[attr-defined]
    said = _form_error(refused.text)  # type: ignore[attr-defined]
    assert (
        "Fill in Due date (a nonconformity finding already has its corrective action&#39;s) "
        "first." in said
    )
    assert "action_due_date" not in said and "action_planned" not in said
    assert "audit_finding #" not in said
    assert ">Read rates from the contract</textarea>" in refused.text  # type: ignore[attr-defined]
    assert snapshot(app.database) == before


def test_a_step_the_person_may_not_take_is_a_403_in_words(app: Services, browser: Browser) -> None:
    nc_id = _nc(app)
    _signed(browser, "cfontaine")  # an auditor: sees every process, takes no step of ECO-02
    url = f"/records/nonconformity/{nc_id}/fire/contain"
    before = snapshot(app.database)
    said = (
        "Only the pilot or a quality correspondent of process ECO-02 Business creation "
        "and incubator may take this step; you are only an internal auditor there "
        "on 25 Nov 2026."
    )
    for answer in (browser.get(url), browser.post(url, {"version": "1", "containment": "x"})):
        assert answer.status_code == 403  # type: ignore[attr-defined]
        text = " ".join(answer.text.split())  # type: ignore[attr-defined]
        assert said in text, text
        assert "2026-11-25" not in text and "cfontaine" not in text
    assert snapshot(app.database) == before


def test_a_step_the_state_does_not_allow_names_step_and_state_by_label(
    app: Services, browser: Browser
) -> None:
    nc_id = _nc(app)
    _signed(browser, "jcarre")
    before = snapshot(app.database)
    url = f"/records/nonconformity/{nc_id}/fire/implement"
    for answer in (browser.get(url), browser.post(url, {"version": "1"})):
        assert answer.status_code == 400  # type: ignore[attr-defined]
        text = answer.text  # type: ignore[attr-defined]
        assert (
            f"“Record that its corrective actions were carried out” cannot be done on "
            f"Nonconformity #{nc_id} now: it is Detected." in text
        )
        assert "&#39;implement&#39;" not in text and "&#39;detected&#39;" not in text
    assert snapshot(app.database) == before


def test_the_engine_s_own_refusals_are_said_in_words_with_their_values(app: Services) -> None:
    """A refusal the engine raises past the form (the record moved meanwhile, roles
    changed): said in words, its values kept."""
    nc_id = _nc(app)
    with pytest.raises(InvalidTransition) as caught:
        records_form.fire(app, "nonconformity", nc_id, "close", "jcarre", {}, 1)
    assert str(caught.value) == (
        "“Close the nonconformity; update risks or the QMS if needed (clause 10.2.1 e, f)” "
        f"cannot be done on Nonconformity #{nc_id} now: it is Detected."
    )
    assert caught.value.state == "detected" and "contain" in caught.value.allowed
    assert isinstance(caught.value.__cause__, InvalidTransition)
    assert str(caught.value.__cause__).startswith("'close' is not allowed on nonconformity #")
    with pytest.raises(PermissionDenied) as denied:
        records_form.fire(
            app, "nonconformity", nc_id, "contain", "ymasson", {"containment": "x"}, 1
        )
    assert str(denied.value) == (
        "Only the pilot or a quality correspondent of process ECO-02 Business creation "
        "and incubator may take this step; you hold no role there on 25 Nov 2026."
    )


def _voice(app: Services, nc_id: int) -> refusals.Voice:
    with app.database.reading() as session:
        return refusals.voice_for(session, app, shared.record(session, "nonconformity", nc_id))


@pytest.mark.parametrize(
    ("refused", "said"),
    [
        (
            GuardFailed("x", trigger="contain", dest="contained", missing=("containment",)),
            "Fill in Correction or containment done first.",
        ),
        (
            PermissionDenied(
                "x", roles=("quality_manager",), held=(), day=date(2026, 12, 1), trigger="cancel"
            ),
            "Only the quality manager may take this step; you hold no role there on 1 Dec 2026.",
        ),
        (
            PermissionDenied(
                "x", roles=("correspondent", "pilot"), day=date(2026, 12, 1), trigger="contain"
            ),
            "Only the pilot or a quality correspondent of process ECO-02 Business creation and "
            "incubator may take this step; you hold no role there on 1 Dec 2026.",
        ),
        (
            GuardFailed(
                "x",
                trigger="plan_action",
                guard="corrective_actions_planned",
                refusal=Refusal(
                    "x",
                    "check_before_due",
                    check=date(2027, 1, 5),
                    due=date(2027, 2, 1),
                    clause="10.2.1 d",
                ),
            ),
            "The effectiveness check, on 5 Jan 2027, comes before the due date, 1 Feb 2027: "
            "effectiveness is checked once the action is done (ISO 9001, 10.2.1 d).",
        ),
        (
            GuardFailed("x", guard="custom", refusal="a plain refusal of a guard of one's own"),
            "A plain refusal of a guard of one's own",
        ),
    ],
)
def test_each_refusal_reads_from_its_values(app: Services, refused: Any, said: str) -> None:
    voice = _voice(app, _nc(app))
    assert refusals.said(refused, voice) == said
    assert str(refusals.in_words(refused, voice)) == said and str(refused) == "x"


def test_what_a_person_typed_in_a_refusal_comes_back_escaped(
    app: Services, browser: Browser
) -> None:
    nc_id = _nc(app)
    xss = '<script>alert(1)</script> "onmouseover="x'
    spec = NewAction(
        title=xss,
        process="ECO-02",
        owner="dlacroix",
        due_date=date(2026, 12, 20),
        kind="corrective",
        origin="nonconformity",
        origin_ref=str(nc_id),
        effectiveness_criteria="No wrong rate",
        effectiveness_check_date=date(2027, 3, 31),
    )
    action_id = actions.new(app, "jcarre", spec).id
    analysis = {
        "root_cause": "No check",
        "cause_category": "method",
        "similar_nonconformities": "none",
        "corrective_action_needed": True,
    }
    for trigger, inputs in (
        ("contain", {"containment": "Invoices held back"}),
        ("analyse", analysis),
        ("plan_action", {}),
    ):
        nonconformities.fire(app, nc_id, trigger, "jcarre", inputs)
    _signed(browser, "jcarre")
    text = browser.get(f"/records/nonconformity/{nc_id}/fire/implement").text  # type: ignore[attr-defined]
    said = _form_error(text)
    assert "its corrective actions are not all done (ISO 9001, 10.2.1 c)." in said
    assert f"Improvement action #{action_id}, &lt;script&gt;alert(1)&lt;/script&gt; " in said
    assert ": Proposed, owner David Lacroix, due 20 Dec 2026" in said
    assert "<script>alert(1)" not in text and '"onmouseover="x' not in text


def test_every_refusal_of_a_guard_has_its_sentence() -> None:
    """A guard's new refusal gets its sentence here too (else it reads as the CLI's)."""
    from pathlib import Path

    from qms.web.refusals_guards import SAID
    from qms.workflow import guards

    source = "".join(p.read_text() for p in Path(guards.__file__).parent.glob("*.py"))
    reasons = set(re.findall(r'Refusal\(\s*text,\s*"([a-z_]+)"', source))
    assert len(reasons) >= 20 and reasons == set(SAID)
