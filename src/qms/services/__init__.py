"""Use cases: one module per capability. The CLI and the web call these, never the ORM."""
