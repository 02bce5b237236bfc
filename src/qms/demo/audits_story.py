"""Story of the audits demo step: what each audit is told to look at and what it finds.

The findings of an audit are about its process: built from that process's phrase bank
(:mod:`qms.demo.texts`), so no finding text is shared by two processes.
"""

from __future__ import annotations

from qms.demo.texts import BANKS, Gap
from qms.services.audits.queries import EntryRow

FOLLOW_UP_DAYS = 45  # the follow-up of an audit's findings starts this long after it
NO_NONCONFORMITY = {"STE-02"}  # the quality manager pilots it: nobody left to check its actions
CAUSES = {
    "method": "the procedure does not say who does it, nor when",
    "people": "the people concerned did not know it was their task",
    "equipment": "nothing in the equipment register flags it in time",
    "material": "the contract does not set the date, so nobody watches it",
}
Finding = tuple[str, str, str, str]  # type, title, ISO 9001 clause, evidence


def audit_details(entry: EntryRow) -> dict[str, str]:
    return {
        "objectives": f"Check that {entry.process_name} meets its requirements and "
        "reaches its objectives",
        "scope": f"{entry.process} {entry.process_name}: activities of the last twelve months",
        "criteria": "ISO 9001:2015 clauses 4 to 10\nThe process sheet and its procedures",
        "location": "Main campus",
        "auditee": "The process pilot and correspondents",
        "audit_client": "Thomas Brunet, quality manager",
    }


def root_cause(gap: Gap) -> str:
    return f"{gap.title}: {CAUSES[gap.cause]}"


def findings_for(process: str, index: int) -> list[Finding]:
    """Two findings for most audits: a nonconformity (two audits in three) and one other."""
    bank = BANKS[process]
    found: list[Finding] = []
    if index % 3 != 2 and process not in NO_NONCONFORMITY:
        kind = "major_nonconformity" if index % 4 == 0 else "minor_nonconformity"
        bad, sampled = 2 + index % 3, 8 + index % 5
        evidence = (
            f"{bad} of {sampled} {bank.records} sampled did not meet clause {bank.gap.clause}"
        )
        found.append((kind, bank.gap.title, bank.gap.clause, evidence))
    other = index % 3
    if other == 0:
        title = f"{bank.records.capitalize()} kept in two places"
        found.append(
            (
                "observation",
                title,
                "7.5.3",
                f"The shared folder and the office copies of the {bank.records} differ",
            )
        )
    elif other == 1:
        found.append(
            ("strength", bank.strength, "9.1.3", f"Seen in every one of the {bank.records} sampled")
        )
    else:
        found.append(
            (
                "opportunity_for_improvement",
                bank.idea,
                "10.3",
                f"Suggested by the people interviewed about the {bank.records}",
            )
        )
    return found
