"""Alembic, wrapped: the schema exists only through these migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, text

from qms.errors import MigrationError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    ini = PROJECT_ROOT / "alembic.ini"
    if not ini.is_file():
        raise MigrationError(f"alembic.ini not found at {ini}: run qms from its source checkout")
    return Config(str(ini))


def _run(engine: Engine, action: Any, *args: Any) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, *args)


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, command.downgrade, revision)


def head_revision(engine: Engine | None = None) -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def drift(engine: Engine, metadata: MetaData | None = None) -> list[str]:
    """Differences between the models and the database's schema, one line each."""
    if metadata is None:
        from qms.models import Base

        metadata = Base.metadata
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return [_describe(diff) for diff in compare_metadata(context, metadata)]


def _describe(diff: Any) -> str:
    if isinstance(diff, list):  # column modifications come grouped
        return "; ".join(_describe(item) for item in diff)
    kind, *rest = diff
    names = [getattr(item, "name", None) or str(item) for item in rest if item is not None]
    return f"{kind}: {', '.join(str(n) for n in names)}"


def check(engine: Engine) -> list[str]:
    """Every reason the database does not match this code; empty when all is well."""
    problems: list[str] = []
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        problems.append(f"database is at revision {current or 'none'}, code expects {head}")
        return problems
    problems.extend(
        f"models and migrations differ ({line}): write a migration" for line in drift(engine)
    )
    problems.extend(
        f"the append-only trigger {name} is missing or disabled (ISO 9001 clause 7.5.3): "
        "the trail could be changed behind qms's back; find out who removed it, and run "
        "`qms trail verify` to see whether anything was changed since"
        for name in missing_triggers(engine)
    )
    return problems


def missing_triggers(engine: Engine) -> list[str]:
    """The trail's append-only triggers that the database does not have."""
    from qms.models import TRAIL_TRIGGERS

    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if engine.dialect.name == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
    )
    with engine.connect() as connection:
        present = {row[0] for row in connection.execute(text(query))}
    return [name for name in TRAIL_TRIGGERS.get(engine.dialect.name, ()) if name not in present]


def require_current(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not at the code's revision."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise MigrationError(
            f"the database is at revision {current or 'none (empty)'}, this code needs {head}: "
            "run `qms db upgrade`"
        )
