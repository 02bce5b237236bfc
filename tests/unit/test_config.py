from __future__ import annotations

import pytest

from qms.config import DEFAULT_DATABASE_URL, load_settings
from qms.errors import ConfigError


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("QMS_DATABASE_URL", "QMS_TIMEZONE", "QMS_SMTP_PASSWORD", "QMS_SMTP_PORT"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_an_embedded_sqlite_file_and_paris_time() -> None:
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.database_url.startswith("sqlite:///var/")
    assert settings.timezone == "Europe/Paris"
    assert settings.smtp_host is None


def test_environment_variables_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_TIMEZONE", "America/Montreal")
    monkeypatch.setenv("QMS_SMTP_PORT", "2525")
    settings = load_settings()
    assert settings.timezone == "America/Montreal"
    assert settings.smtp_port == 2525


def test_dotenv_file_is_read(tmp_path: pytest.TempPathFactory) -> None:
    (tmp_path / ".env").write_text("QMS_TIMEZONE=Asia/Tokyo\n")  # type: ignore[operator]
    assert load_settings().timezone == "Asia/Tokyo"


def test_bad_timezone_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match=r"QMS_TIMEZONE: .*unknown time zone 'Mars/Olympus'"):
        load_settings()


def test_bad_port_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_SMTP_PORT", "twenty-five")
    with pytest.raises(ConfigError, match="QMS_SMTP_PORT"):
        load_settings()


def test_shown_settings_mask_every_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_DATABASE_URL", "postgresql+psycopg://qms:s3cret@db.example/qms")
    monkeypatch.setenv("QMS_SMTP_PASSWORD", "hunter2")
    shown = load_settings().shown()
    assert "s3cret" not in shown["database_url"]
    assert shown["database_url"] == "postgresql+psycopg://qms:***@db.example/qms"
    assert shown["smtp_password"] == "********"
    assert "hunter2" not in str(shown)
