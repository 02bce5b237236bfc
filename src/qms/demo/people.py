"""Who does what in the demo's story: the role holders of each process, by handle, and
the action steps they fire (an action is approved by someone other than its owner)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from qms.demo import DemoContext
from qms.models import Role
from qms.services import duties, shared
from qms.services.processmap import queries as processmap

QUALITY_MANAGER = "tbrunet"
Inputs = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


@dataclass
class People:
    """Who holds which role on each process, by handle."""

    pilots: dict[str, str]
    helpers: dict[str, list[str]]  # correspondents and contributors
    correspondents: dict[str, list[str]]

    def approver(self, process: str, owner: str) -> str | None:
        """Who approves an action of ``owner``: the pilot, else a correspondent."""
        for handle in [self.pilots[process], *self.correspondents.get(process, [])]:
            if handle != owner:
                return handle
        return None


def people(ctx: DemoContext) -> People:
    with ctx.app.database.reading() as session:
        holders = processmap.holders(session, ctx.today)
        codes = {p.id: p.code for m in processmap.tree(session) for p in m.processes}
    found = People({}, {}, {})
    for a in holders:
        code = codes.get(a.process_id or 0)
        if code is None:
            continue
        if a.role == Role.PILOT:
            found.pilots[code] = a.person.handle
        if a.role in (Role.CORRESPONDENT, Role.CONTRIBUTOR):
            found.helpers.setdefault(code, []).append(a.person.handle)
        if a.role == Role.CORRESPONDENT:
            found.correspondents.setdefault(code, []).append(a.person.handle)
    return found


def fire_action(
    ctx: DemoContext, action_id: int, trigger: str, actor: str, inputs: Inputs | None = None
) -> None:
    given = inputs() if callable(inputs) else (inputs or {})
    db, engine = ctx.app.database, ctx.app.engine
    shared.fire(db, engine, "improvement_action", action_id, trigger, actor, dict(given))


def exception(ctx: DemoContext, action_id: int, owner: str, process: str) -> None:
    """The quality manager lets the pilot who owns the action approve it (clause 5.3)."""
    reason = f"{process} has no other correspondent available to approve this action"
    duties.grant(
        ctx.app, QUALITY_MANAGER, "improvement_action", action_id, "approve", owner, reason
    )
