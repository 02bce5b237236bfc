"""Internal audits (clause 9.2): the programme and its planner, audits, checklists, findings."""
