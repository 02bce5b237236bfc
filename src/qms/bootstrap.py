"""Wiring: settings -> database, workflow registry and engine. Built once at the edge."""

from __future__ import annotations

from dataclasses import dataclass

from qms.clock import Clock, SystemClock
from qms.config import Settings
from qms.db import Database
from qms.workflow.engine import WorkflowEngine
from qms.workflow.registry import Registry


@dataclass
class Services:
    settings: Settings
    database: Database
    registry: Registry
    engine: WorkflowEngine


def bootstrap(
    settings: Settings, clock: Clock | None = None, database: Database | None = None
) -> Services:
    database = database or Database(settings)
    registry = Registry.from_folder(settings.workflows_dir)
    engine = WorkflowEngine(
        registry, clock or SystemClock(), settings.zone, settings.trail_key_file
    )
    return Services(settings, database, registry, engine)
