"""What every command shares: the settings and the database, built on first use."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

import click

from qms import migrations
from qms.clock import Clock, SystemClock, local_today
from qms.config import Settings, get_settings
from qms.db import Database

if TYPE_CHECKING:
    from qms.bootstrap import Services


class App:
    @cached_property
    def settings(self) -> Settings:
        return get_settings()

    @cached_property
    def database(self) -> Database:
        return Database(self.settings)

    @cached_property
    def clock(self) -> Clock:
        return SystemClock()

    def ready_database(self) -> Database:
        """The database, after checking its schema is at this code's revision."""
        migrations.require_current(self.database.engine)
        return self.database

    @cached_property
    def services(self) -> Services:
        """The wired application: database (checked), workflow registry and engine."""
        from qms.bootstrap import bootstrap

        return bootstrap(self.settings, self.clock, self.ready_database())

    def today(self) -> date:
        return local_today(self.clock, self.settings.zone)

    def close(self) -> None:
        """Close the database's connections, if a command opened any."""
        if "database" in self.__dict__:
            self.database.dispose()


pass_app = click.make_pass_decorator(App, ensure=True)
