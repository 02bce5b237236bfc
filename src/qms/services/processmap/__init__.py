"""The process map: the institution's processes, people and dated roles (clause 4.4)."""
