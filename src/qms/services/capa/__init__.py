"""Nonconformities and improvement actions (clauses 10.2, 10.3): use cases, register, figures."""
