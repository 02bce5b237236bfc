"""Story of the CAPA demo step: the people, problems and ideas of the example year.

The problems are nonconformities the example institution ran into (each with its
process, source, severity, root cause and action plan); the ideas are improvement
actions suggested by the staff.  :mod:`qms.demo.capa` takes them through their
workflows; the tables here only say what happened, not when.
"""

from __future__ import annotations

from dataclasses import dataclass

QUALITY_MANAGER = "tbrunet"
# Effectiveness criteria and the days they name: the check is no sooner (clause 10.2.1 d).
CRITERIA = [
    ("No new occurrence over the three months after the change", 90),
    ("No similar case in the next two months of records", 60),
    ("No new occurrence over the following term", 90),
]
# How a second round strengthens an action: its title differs from the first (no duplicates).
STRONGER = [
    "{plan}, checked by the pilot each month",
    "{plan}, with a named deputy",
    "{plan}, audited by the quality office each term",
    "{plan}, in the process sheet",
]


@dataclass(frozen=True)
class Problem:
    """A nonconformity of the story, with the analysis and plan it will get."""

    process: str
    title: str
    source: str
    severity: str
    root_cause: str
    cause: str
    plan: str
    containment: str = ""  # the immediate correction, before the cause is analysed


PROBLEMS = [
    Problem(
        "TRN-04",
        "Grades of the S5 exams published three weeks late",
        "complaint",
        "minor",
        "No publication deadline in the grading procedure",
        "method",
        "Add a 15-day publication deadline and a reminder to the grading procedure",
        "Grades of the S5 exams published the same day from the signed sheets",
    ),
    Problem(
        "TRN-01",
        "Two exams scheduled in the same room at the same time",
        "incident",
        "minor",
        "Room bookings kept in two calendars",
        "method",
        "Merge the teaching and exam calendars into one booking tool",
        "Second exam moved to a free room and the students told by text message",
    ),
    Problem(
        "TRN-01",
        "Course evaluation not collected for four modules",
        "incident",
        "major",
        "Evaluation reminders sent to a mailing list that no longer exists",
        "method",
        "Send evaluation reminders from the learning platform to each class",
        "Evaluation forms sent by hand to the four modules' classes",
    ),
    Problem(
        "TRN-02",
        "Apprentice contract break not reported to the funder",
        "external_audit",
        "major",
        "No one assigned to report contract breaks",
        "people",
        "Name a contract officer and add the report to the break checklist",
        "Funder told of the break by the apprenticeship office the same week",
    ),
    Problem(
        "TRN-03",
        "Continuing-education certificates sent with wrong hours",
        "complaint",
        "minor",
        "Certificate template filled by hand",
        "method",
        "Generate certificates from the attendance records",
        "Wrong certificates recalled and reissued with the hours from the sheets",
    ),
    Problem(
        "RES-02",
        "Tensile test bench used past its calibration date",
        "incident",
        "major",
        "Calibration due dates kept in a personal spreadsheet",
        "equipment",
        "Record calibration dates in the equipment register with reminders",
        "Bench stopped, tests since the due date put on hold until recalibration",
    ),
    Problem(
        "RES-02",
        "Climate chamber drifted 3 °C during an ageing test",
        "incident",
        "minor",
        "Temperature probe not checked between campaigns",
        "equipment",
        "Add a probe check to the start-of-campaign list",
        "Ageing test stopped and the specimens set aside",
    ),
    Problem(
        "RES-03",
        "Field data of one campaign lost after a laptop failure",
        "incident",
        "major",
        "Field laptops not backed up during campaigns",
        "equipment",
        "Daily upload of field data to the research storage",
        "Remaining field notes photographed and uploaded the same evening",
    ),
    Problem(
        "RES-04",
        "Computing cluster unavailable for two days",
        "incident",
        "minor",
        "Cooling alarm not forwarded to the on-call engineer",
        "equipment",
        "Forward data-centre alarms to the on-call phone",
        "Jobs moved to the partner centre's cluster until cooling was back",
    ),
    Problem(
        "RES-01",
        "Two doctoral students past the thesis deadline without extension",
        "incident",
        "minor",
        "No follow-up of thesis durations",
        "method",
        "Review thesis durations at each doctoral committee",
        "Extension requests filed for the two students at the next committee",
    ),
    Problem(
        "ECO-01",
        "Partnership contract signed without checking laboratory capacity",
        "incident",
        "major",
        "No capacity check in the contract circuit",
        "method",
        "Add the laboratory head's sign-off to the contract circuit",
        "Contract work rescheduled with the partner to fit the laboratory's capacity",
    ),
    Problem(
        "ECO-02",
        "Incubated start-up left without an exit interview",
        "other",
        "minor",
        "Exit interview not in the incubation agreement",
        "method",
        "Add the exit interview to the incubation agreement",
        "Exit interview held by phone with the founders",
    ),
    Problem(
        "RSC-01",
        "Mandatory safety training missed by five new staff",
        "incident",
        "major",
        "Induction checklist did not include the safety training",
        "people",
        "Add safety training to the induction checklist with a deadline",
        "The five new staff booked on the next safety session",
    ),
    Problem(
        "RSC-02",
        "Supplier evaluations not done for the year (clause 8.4)",
        "external_audit",
        "major",
        "Evaluation campaign not planned",
        "method",
        "Plan the supplier evaluation campaign each January",
        "Evaluation of the ten main suppliers done within the month",
    ),
    Problem(
        "RSC-02",
        "Order placed with a supplier not on the approved list",
        "indicator_breach",
        "minor",
        "Approved list not visible in the ordering tool",
        "method",
        "Show the approved suppliers in the ordering tool",
        "Order confirmed only after the supplier was checked by purchasing",
    ),
    Problem(
        "RSC-03",
        "Backup restore test failed for the student database",
        "incident",
        "major",
        "Restore procedure out of date",
        "method",
        "Update the restore procedure and test restores each quarter",
        "Last good backup restored on a test server to prove it usable",
    ),
    Problem(
        "RSC-03",
        "Password reset requests answered after five days",
        "complaint",
        "minor",
        "Service desk understaffed in September",
        "people",
        "Add a self-service password reset",
        "Waiting password requests answered by the on-call technician",
    ),
    Problem(
        "RSC-04",
        "Fire extinguisher inspection overdue in building C",
        "external_audit",
        "major",
        "Inspection contract renewed late",
        "material",
        "Track inspection contracts in the facilities plan",
        "Extinguishers of building C inspected by the contractor within two days",
    ),
    Problem(
        "STE-03",
        "Website showed last year's admission dates",
        "complaint",
        "minor",
        "No owner for the admissions pages",
        "people",
        "Name an owner for each section of the website",
        "Admission dates corrected on the website within the hour",
    ),
    Problem(
        "STE-04",
        "Outgoing student left without a signed learning agreement",
        "incident",
        "major",
        "Departure checklist not enforced",
        "method",
        "Block the mobility grant until the learning agreement is signed",
        "Learning agreement signed remotely with the host university",
    ),
]

IDEAS = [
    ("TRN-01", "Publish the syllabus of every module on the learning platform", "improvement"),
    ("TRN-04", "Online appointment booking with student services", "improvement"),
    ("TRN-02", "Quarterly meeting with host-company tutors", "preventive"),
    ("RES-01", "Shared template for doctoral progress reports", "improvement"),
    ("RES-04", "Document the cluster's job submission rules", "preventive"),
    ("ECO-01", "Satisfaction survey after each partnership contract", "improvement"),
    ("RSC-01", "Skills matrix for technical staff", "improvement"),
    ("RSC-02", "Electronic signature for purchase orders", "improvement"),
    ("RSC-03", "Phishing awareness campaign", "preventive"),
    ("RSC-04", "Energy meters in the laboratories", "improvement"),
    ("STE-01", "Dashboard of strategic objectives for the executive committee", "improvement"),
    ("STE-02", "Peer observation between internal auditors", "preventive"),
    ("STE-03", "Accessibility check of the website", "improvement"),
    ("TRN-03", "Evening sessions for the data science certificate", "improvement"),
]
