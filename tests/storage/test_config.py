"""The storage settings: local by default, S3 by URL, one clear line for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from teamtasks.config import (
    TELEGRAM_DOWNLOAD_LIMIT,
    TELEGRAM_LOCAL_DOWNLOAD_LIMIT,
    ConfigError,
    load_settings,
)

NAMES = (
    "ENVIRONMENT",
    "DATABASE_URL",
    "TELEGRAM_API_URL",
    "TELEGRAM_API_LOCAL",
    "WEBHOOK_BASE_URL",
    "WEB_HOST",
    "WEB_PORT",
    "PUBLIC_WEB_URL",
    "STORAGE_URL",
    "S3_ENDPOINT_URL",
    "S3_REGION",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_CREATE_BUCKET",
    "S3_SSE",
    "FILE_LINK_SECRET",
)
PAYMENT_NAMES = ("PAYMENT_PROVIDERS", "YOOKASSA_SHOP_ID", "YOOKASSA_SECRET_KEY", "SANDBOX_SECRET")
"""Not storage settings, but production needs them set: cleaned from the environment too."""
SECRET = "a-file-link-secret-of-at-least-32-characters"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's .env or exported setting leaks into these tests."""
    monkeypatch.chdir(tmp_path)
    for name in (*NAMES, *PAYMENT_NAMES):
        monkeypatch.delenv(name, raising=False)


def _s3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_URL", "s3://teamtasks-files/")
    monkeypatch.setenv("S3_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", "very-secret-key")


def test_files_are_local_by_default() -> None:
    settings = load_settings()
    assert settings.storage_url is None
    assert settings.s3_bucket is None
    assert settings.file_link_secret is None
    assert settings.web_url == "http://127.0.0.1:8000"
    assert settings.telegram_download_limit == TELEGRAM_DOWNLOAD_LIMIT == 20 * 1024 * 1024


def test_s3_is_switched_on_by_url(monkeypatch: pytest.MonkeyPatch) -> None:
    _s3(monkeypatch)
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://minio:9000/")
    monkeypatch.setenv("S3_REGION", "ru-central1")
    monkeypatch.setenv("S3_CREATE_BUCKET", "true")
    monkeypatch.setenv("S3_SSE", "true")
    settings = load_settings()
    assert settings.s3_bucket == "teamtasks-files"
    assert settings.s3_endpoint_url == "http://minio:9000"
    assert (settings.s3_region, settings.s3_create_bucket, settings.s3_sse) == (
        "ru-central1",
        True,
        True,
    )
    assert "very-secret-key" not in repr(settings)


def test_links_use_the_public_web_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_BASE_URL", "https://hooks.example.com")
    assert load_settings().web_url == "https://hooks.example.com"
    monkeypatch.setenv("PUBLIC_WEB_URL", "https://files.example.com/")
    assert load_settings().web_url == "https://files.example.com"


def test_a_self_hosted_bot_api_in_local_mode_allows_big_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_API_URL", "http://bot-api:8081")
    monkeypatch.setenv("TELEGRAM_API_LOCAL", "true")
    assert load_settings().telegram_download_limit == TELEGRAM_LOCAL_DOWNLOAD_LIMIT


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"STORAGE_URL": "https://bucket"}, "STORAGE_URL: must be s3://BUCKET"),
        ({"STORAGE_URL": "s3://Bad_Bucket"}, "STORAGE_URL: must be s3://BUCKET"),
        ({"STORAGE_URL": "s3://ab"}, "STORAGE_URL: must be s3://BUCKET"),
        ({"S3_ENDPOINT_URL": "minio:9000"}, "S3_ENDPOINT_URL: must be an http:// or https:// URL"),
        ({"S3_REGION": "Moscow 1"}, "S3_REGION: must be a region name"),
        ({"PUBLIC_WEB_URL": "files.example.com"}, "PUBLIC_WEB_URL: must be an http://"),
        ({"FILE_LINK_SECRET": "short"}, "FILE_LINK_SECRET: must be at least 32 characters"),
        ({"S3_CREATE_BUCKET": "maybe"}, "S3_CREATE_BUCKET: "),
        ({"STORAGE_URL": "s3://teamtasks-files"}, "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY"),
        ({"TELEGRAM_API_LOCAL": "true"}, "TELEGRAM_API_LOCAL needs TELEGRAM_API_URL"),
    ],
)
def test_a_bad_storage_setting_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


def test_production_with_local_files_needs_a_link_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db/teamtasks")
    # Real payments, as production needs: YooKassa with its credentials, and Stars.
    monkeypatch.setenv("PAYMENT_PROVIDERS", "yookassa,stars")
    monkeypatch.setenv("YOOKASSA_SHOP_ID", "123456")
    monkeypatch.setenv("YOOKASSA_SECRET_KEY", "live_secret-key")
    with pytest.raises(ConfigError, match="FILE_LINK_SECRET must be set in production"):
        load_settings()
    monkeypatch.setenv("FILE_LINK_SECRET", SECRET)
    assert load_settings().file_link_secret is not None
    monkeypatch.delenv("FILE_LINK_SECRET")
    _s3(monkeypatch)
    assert load_settings().s3_bucket == "teamtasks-files"


def test_secrets_are_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    _s3(monkeypatch)
    monkeypatch.setenv("FILE_LINK_SECRET", SECRET)
    settings = load_settings()
    shown = repr(settings) + str(settings.model_dump())
    assert "very-secret-key" not in shown
    assert SECRET not in shown


def test_every_storage_setting_is_documented() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    documented = {
        line.lstrip("# ").split("=", 1)[0] for line in example.splitlines() if "=" in line
    }
    assert set(NAMES) <= documented
