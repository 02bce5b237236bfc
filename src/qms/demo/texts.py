"""The demo's phrase bank, per process: what its records are, what an auditor finds there.

Texts of the demo are combined from these per record (a process's records, a problem, a
date, a count), so that no two processes share a finding or a nonconformity word for word.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Gap:
    """A nonconformity an auditor can find on a process: its title, clause and cause."""

    title: str
    clause: str
    cause: str
    containment: str
    plan: str


@dataclass(frozen=True)
class Bank:
    records: str  # what the process keeps, plural: "grade sheets"
    gap: Gap
    strength: str
    idea: str


BANKS: dict[str, Bank] = {
    "STE-01": Bank(
        "executive committee minutes",
        Gap(
            "Strategic objectives of the year not broken down into process targets",
            "6.2",
            "method",
            "Targets of the year listed with each pilot at the next committee",
            "Break each strategic objective down into process targets every July",
        ),
        "Objectives of the contract with the ministry followed at every committee",
        "Publish the objectives dashboard to every pilot",
    ),
    "STE-02": Bank(
        "improvement action files",
        Gap(
            "Improvement register not reviewed since the spring",
            "10.3",
            "method",
            "Register reviewed by the quality office the same week",
            "Review the improvement register at each quality committee",
        ),
        "Quality committee minutes complete and on time",
        "Show the action register at every process review",
    ),
    "STE-03": Bank(
        "web page change requests",
        Gap(
            "Published pages changed without the owner's validation",
            "7.5.2",
            "people",
            "Pages restored to their last validated version",
            "Require the page owner's validation in the web publishing tool",
        ),
        "Press releases checked by two readers before release",
        "Keep a calendar of the admission pages to update",
    ),
    "STE-04": Bank(
        "mobility files",
        Gap(
            "Learning agreements of outgoing students signed after departure",
            "8.5.1",
            "method",
            "Missing agreements signed remotely within the week",
            "Check every learning agreement at the pre-departure meeting",
        ),
        "Welcome desk for incoming students praised in the survey",
        "Send partner universities one yearly report on exchanges",
    ),
    "TRN-01": Bank(
        "module syllabi",
        Gap(
            "Syllabi of the third year not updated after the programme change",
            "8.3.6",
            "method",
            "Updated syllabi posted for the modules starting next",
            "Tie each syllabus update to the programme change approval",
        ),
        "Teaching teams meet each semester on the evaluation results",
        "Share the module evaluation results with the students",
    ),
    "TRN-02": Bank(
        "apprenticeship contracts",
        Gap(
            "Tutor visit reports missing for host companies",
            "8.5.1",
            "people",
            "Missing visits booked with the host companies",
            "Plan the tutor visits in the apprentice's calendar at signing",
        ),
        "Host-company tutors trained before the first period",
        "Give apprentices one page on their rights at signing",
    ),
    "TRN-03": Bank(
        "training attendance sheets",
        Gap(
            "Attendance sheets of evening sessions not signed by the trainer",
            "7.5.3",
            "method",
            "Trainers asked to sign the open sheets",
            "Collect attendance on the learning platform at each session",
        ),
        "Trainee satisfaction collected for every session",
        "Offer a short follow-up call three months after each course",
    ),
    "TRN-04": Bank(
        "grade sheets",
        Gap(
            "Jury decisions published before the jury minutes were signed",
            "8.6",
            "method",
            "Publication held until the minutes were signed",
            "Publish jury decisions only from signed minutes",
        ),
        "Admission interviews scored on one shared grid",
        "Send newly admitted students a checklist before the start",
    ),
    "RES-01": Bank(
        "doctoral committee reports",
        Gap(
            "Yearly doctoral committee not held for third-year candidates",
            "8.5.1",
            "method",
            "Committees convened for the candidates concerned",
            "Schedule every doctoral committee at the start of the year",
        ),
        "Thesis charters signed by every candidate sampled",
        "Give second-year candidates a mid-thesis seminar",
    ),
    "RES-02": Bank(
        "test bench logbooks",
        Gap(
            "Load cell of the press used without a valid verification",
            "7.1.5",
            "equipment",
            "Press taken out of use until verified",
            "Block bookings of equipment past its verification date",
        ),
        "Test reports traced to their specimens and calibration",
        "Share the bench booking calendar with partner laboratories",
    ),
    "RES-03": Bank(
        "field campaign records",
        Gap(
            "Sample chain of custody incomplete for the river campaign",
            "8.5.2",
            "people",
            "Samples set aside until their origin was confirmed",
            "Add a custody sheet to every sample box",
        ),
        "Risk assessment done before every field campaign",
        "Publish the campaign data sets in the open repository",
    ),
    "RES-04": Bank(
        "cluster job accounts",
        Gap(
            "Accounts of departed researchers still active on the cluster",
            "7.1.3",
            "method",
            "Accounts of departed researchers closed the same day",
            "Close cluster accounts from the departure checklist",
        ),
        "Cluster incidents logged with their resolution time",
        "Publish monthly cluster usage per team",
    ),
    "ECO-01": Bank(
        "partnership contracts",
        Gap(
            "Contract review not recorded before signature",
            "8.2.3",
            "method",
            "Reviews of the contracts signed this term recorded afterwards",
            "Record the contract review in the signature circuit",
        ),
        "Partners' satisfaction collected at contract end",
        "Offer partners one yearly open day in the laboratories",
    ),
    "ECO-02": Bank(
        "incubation agreements",
        Gap(
            "Start-up progress reviews not held at six months",
            "9.1.1",
            "method",
            "Overdue progress reviews booked with the founders",
            "Book the six-month review when the agreement is signed",
        ),
        "Mentors matched to start-ups within two weeks",
        "Build an alumni network of incubated founders",
    ),
    "RSC-01": Bank(
        "training records of staff",
        Gap(
            "Competence of new laboratory technicians not assessed",
            "7.2",
            "people",
            "Technicians paired with a senior until assessed",
            "Assess each technician's competence before the end of the trial period",
        ),
        "Yearly interviews held for every staff member sampled",
        "Offer a mentoring scheme to new lecturers",
    ),
    "RSC-02": Bank(
        "purchase orders",
        Gap(
            "Supplier re-evaluation not done for critical suppliers",
            "8.4.1",
            "method",
            "Critical suppliers re-evaluated the same month",
            "Re-evaluate critical suppliers each year from the purchasing plan",
        ),
        "Purchase approvals traced in the finance system",
        "Group small orders into framework contracts",
    ),
    "RSC-03": Bank(
        "service desk tickets",
        Gap(
            "Change to the student database made without an approved request",
            "8.5.6",
            "method",
            "Change reviewed and approved after the fact",
            "Deploy database changes only from an approved change request",
        ),
        "Backups monitored every day with alerts",
        "Publish the service desk response times",
    ),
    "RSC-04": Bank(
        "maintenance work orders",
        Gap(
            "Periodic inspection of the lifts overdue in building A",
            "7.1.3",
            "material",
            "Lifts inspected by the contractor within the week",
            "Track statutory inspections in the maintenance planner",
        ),
        "Safety walk-rounds held every term",
        "Meter the energy use of each building",
    ),
}


def records_of(process: str) -> str:
    bank = BANKS.get(process)
    return bank.records if bank else f"{process} records"
