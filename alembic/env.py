"""Alembic environment: runs on a connection handed over by qms, or on QMS_DATABASE_URL."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection

from qms.config import get_settings
from qms.db import build_engine
from qms.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Migrations name plain SQLAlchemy types, so they never import qms's code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = build_engine(url)
    try:
        with engine.connect() as conn:
            run_on(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("qms migrations run online only: use `qms db upgrade`")
run_online()
