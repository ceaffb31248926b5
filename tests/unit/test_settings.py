"""Settings: embedded defaults, production parts by URL, one clear line for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from teamtasks.config import ConfigError, Environment, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's .env or exported setting leaks into these tests."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "ENVIRONMENT",
        "BOT_TOKEN",
        "DATABASE_URL",
        "REDIS_URL",
        "TELEGRAM_API_URL",
        "WEBHOOK_SECRET",
        "WEBHOOK_BASE_URL",
        "LOG_LEVEL",
        "HEALTH_PORT",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_embedded_parts() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./var/teamtasks.db"
    assert settings.redis_url is None
    assert settings.bot_token is None
    assert settings.environment is Environment.DEVELOPMENT


def test_production_parts_are_switched_on_by_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw@db:5432/teamtasks")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    settings = load_settings()
    assert settings.database_url == "postgresql+asyncpg://app:pw@db:5432/teamtasks"
    assert settings.redis_url == "redis://cache:6379/0"


def test_settings_are_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=DEBUG\n", encoding="utf-8")
    assert load_settings().log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/app"),
        ("REDIS_URL", "http://cache:6379"),
        ("BOT_TOKEN", "not-a-token"),
        ("WEBHOOK_SECRET", "has spaces!"),
        ("HEALTH_PORT", "70000"),
        ("HEALTH_PORT", "eighty"),
        ("LOG_LEVEL", "LOUD"),
        ("DEFAULT_LANGUAGE", "de"),
        ("ENVIRONMENT", "staging"),
        ("TELEGRAM_API_URL", "ftp://files"),
        ("DATABASE_POOL_SIZE", "0"),
    ],
)
def test_a_malformed_setting_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    message = str(error.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message


def test_a_malformed_token_is_not_repeated_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "12345:short")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "short" not in str(error.value)


def test_production_refuses_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ConfigError, match="DATABASE_URL must point to PostgreSQL"):
        load_settings()


def test_a_missing_token_says_how_to_get_one() -> None:
    with pytest.raises(ConfigError, match="BOT_TOKEN is not set: create a bot with @BotFather"):
        load_settings().require_bot_token()
