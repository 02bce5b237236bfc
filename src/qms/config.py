"""Settings: one typed object read from ``QMS_*`` environment variables and an optional ``.env``.

Build it once at the edge (CLI, web, scheduler) with :func:`get_settings` and pass it
down; nothing in qms reads the environment on its own.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from qms.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///var/qms.sqlite3"


class Settings(BaseSettings):
    """The effective configuration of one qms installation."""

    model_config = SettingsConfigDict(
        env_prefix="QMS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL. SQLite file by default; "
        "postgresql+psycopg://user:password@host/db in production.",
    )
    timezone: str = Field(
        "Europe/Paris", description="Time zone of the institution: dates are shown in it."
    )
    date_format: str = Field(
        "%-d %b %Y",
        description="How reports and e-mails write a date (strftime codes; the default "
        'reads "1 Dec 2026"); times follow it as HH:MM in the institution\'s time zone.',
    )
    workflows_dir: Path = Field(
        Path("workflows"), description="Folder of the process map and workflow definitions."
    )
    reports_dir: Path = Field(Path("reports"), description="Folder of the Jinja2 report templates.")
    web_host: str = Field(
        "127.0.0.1", description="Address `qms web` listens on (0.0.0.0 behind a proxy)."
    )
    web_port: int = Field(8000, ge=1, le=65535, description="Port `qms web` listens on.")
    web_workers: int = Field(1, ge=1, le=64, description="Web worker processes of `qms web`.")
    cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto",
        description=(
            "Mark the session cookie Secure: auto when the request came over HTTPS (behind a "
            "proxy, as its X-Forwarded-Proto says, from QMS_FORWARDED_ALLOW_IPS)."
        ),
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Proxies whose X-Forwarded-For and X-Forwarded-Proto headers are trusted.",
    )
    session_idle_minutes: int = Field(
        120, ge=5, le=7 * 24 * 60, description="A web session without a request ends after this."
    )
    sign_in_window_minutes: int = Field(
        15, ge=1, le=24 * 60, description="The window over which failed sign-ins are counted."
    )
    sign_in_limit_account: int = Field(
        5, ge=1, le=1000, description="Failed sign-ins per account in the window before a wait."
    )
    sign_in_limit_address: int = Field(
        30, ge=1, le=10000, description="Failed sign-ins per address in the window before a wait."
    )
    pdf_workers: int = Field(
        0,
        ge=0,
        le=16,
        description=(
            "Processes that lay a long report out at once, in parts (0: one per core, at most "
            "4; 1: in the calling process only)."
        ),
    )
    base_url: str = Field(
        "http://localhost:8000", description="Public address of qms, used in links in e-mails."
    )
    smtp_host: str | None = Field(
        None, description="SMTP server; when unset, e-mails are written to mail_dir as .eml files."
    )
    smtp_port: int = Field(587, description="SMTP port.")
    smtp_user: str | None = Field(None, description="SMTP login, if the server wants one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS.")
    mail_from: str = Field("qms@localhost", description="Sender address of every e-mail.")
    mail_dir: Path = Field(
        Path("var/mail"), description="Where e-mails go as .eml files when no SMTP server is set."
    )
    smtp_ssl: bool = Field(
        False, description="Connect with implicit TLS (SMTPS, usually port 465) instead."
    )
    trail_key_file: Path = Field(
        Path("var/trail.key"),
        description="The trail's signing keys (HMAC-SHA-256), one per line, the last one in "
        "use; created with mode 0600 on first use. Keep it outside the database and its "
        "backups: whoever holds it can sign trail rows.",
    )
    trail_seals_dir: Path = Field(
        Path("var/seals"),
        description="Where `qms trail seal` writes each seal as a JSON file, outside the "
        "database: copy it somewhere the database's writers cannot reach.",
    )
    reminders_file: Path | None = Field(
        None,
        description="Reminder rules and every schedule of the scheduler; "
        "default: reminders.yaml in workflows_dir.",
    )
    yaml_max_bytes: int = Field(
        1_048_576,
        ge=1,
        description="Largest YAML file qms reads (process map, workflows, indicators, "
        "reminders, checklists), in bytes; a larger one is refused with a message.",
    )
    yaml_max_depth: int = Field(
        32,
        ge=2,
        le=1000,
        description="Deepest nesting of lists and mappings qms reads in a YAML file.",
    )
    upload_max_bytes: int = Field(
        5 * 1024 * 1024,
        ge=1024,
        description="Largest file the web takes (an import of indicator values), in bytes; "
        "a larger one is refused, with a 413 page, before its body is read.",
    )
    outbox_lease_seconds: int = Field(
        300,
        ge=1,
        description="How long a dispatcher holds the messages it claimed; if it dies, "
        "another claims them once the lease has expired.",
    )
    outbox_batch_size: int = Field(50, ge=1, description="Messages a dispatcher claims at a time.")
    outbox_retry_seconds: int = Field(
        60,
        ge=1,
        description="Wait before the first retry of a failed send; doubled at each "
        "further failure, up to outbox_retry_max_seconds.",
    )
    outbox_retry_max_seconds: int = Field(
        3600, ge=1, description="Longest wait between two tries of a failed send."
    )

    nc_severities: str = Field(
        "major,minor",
        description="Grades of nonconformity severity, most severe first, comma-separated.",
    )
    repeat_window_months: int = Field(
        12,
        ge=1,
        description="A nonconformity on the same process with the same cause category "
        "within this many months is flagged as a repeat.",
    )

    audit_finding_types: str = Field(
        "conformity,strength,major_nonconformity:major,minor_nonconformity:minor,"
        "observation,opportunity_for_improvement",
        description="Types of audit finding, comma-separated; 'type:grade' marks a nonconformity "
        "of that grade (a grade of QMS_NC_SEVERITIES), which raises a nonconformity and a "
        "corrective action (clause 9.2.2 e).",
    )
    audit_due_days: str = Field(
        "major=30,minor=90",
        description="Days given to the corrective action of a nonconformity finding, per grade.",
    )
    audit_reaudit_months: int = Field(
        6,
        ge=1,
        description="A process with a major nonconformity or an overdue corrective action in the "
        "previous cycle is audited within this many months of the cycle's start.",
    )
    audit_closed_periods: str = Field(
        "",
        description="Periods when no audit is planned (the institution's holidays), as "
        "MM-DD..MM-DD, comma-separated, repeated every year; default none (weekends only). "
        "The example school's are in workflows/example.env.",
    )
    audit_max_per_auditor_month: int = Field(
        2, ge=1, description="Most audits one auditor leads in one month when planning."
    )

    @field_validator("audit_finding_types")
    @classmethod
    def _finding_types(cls, value: str) -> str:
        from qms.audit_policy import parse_finding_types

        parse_finding_types(value)
        return value

    @field_validator("audit_due_days")
    @classmethod
    def _due_days(cls, value: str) -> str:
        from qms.audit_policy import parse_due_days

        parse_due_days(value)
        return value

    @field_validator("audit_closed_periods")
    @classmethod
    def _closed_periods(cls, value: str) -> str:
        from qms.audit_policy import parse_closed_periods

        parse_closed_periods(value)
        return value

    review_interval_months: int = Field(
        12,
        ge=1,
        le=36,
        description="Months between two management reviews: closing one plans the next "
        "this far after it was held (clause 9.3.1).",
    )
    process_review_interval_months: int = Field(
        12,
        ge=1,
        le=36,
        description="Months between two reviews of the same process (clause 4.4: at least yearly).",
    )

    @field_validator("nc_severities")
    @classmethod
    def _severity_list(cls, value: str) -> str:
        grades = [g.strip() for g in value.split(",")]
        if not all(grades) or len(set(grades)) != len(grades):
            raise ValueError(
                f"{value!r}: give distinct grades separated by commas, e.g. major,minor"
            )
        return ",".join(grades)

    @property
    def severities(self) -> list[str]:
        return self.nc_severities.split(",")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)"
            ) from exc
        return value

    @field_validator("date_format")
    @classmethod
    def _usable_date_format(cls, value: str) -> str:
        import datetime as dt

        try:
            written = dt.date(2026, 12, 1).strftime(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a strftime format: {exc}") from exc
        if not any(c.isdigit() for c in written):
            raise ValueError(f"{value!r} writes no day or year: use e.g. %-d %b %Y or %d/%m/%Y")
        return value

    @field_validator("database_url")
    @classmethod
    def _parsable_url(cls, value: str) -> str:
        try:
            make_url(value)
        except Exception as exc:  # SQLAlchemy raises ArgumentError; any failure means the same
            raise ValueError(f"not a database URL: {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def shown(self) -> dict[str, str]:
        """The settings as text for people, with passwords masked."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value: Any = getattr(self, name)
            if isinstance(value, SecretStr):
                text = "********"
            elif name == "database_url":
                text = make_url(value).render_as_string(hide_password=True)
            else:
                text = "" if value is None else str(value)
            shown[name] = text
        return shown


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning a bad variable into a ConfigError that names it."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [
            f"QMS_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError("; ".join(lines)) from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
