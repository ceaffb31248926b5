"""`teamtasks check-config`: the settings in force (secrets masked) and a probe of each service."""

from __future__ import annotations

from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url

from teamtasks.config import ConfigError, Settings
from teamtasks.db import create_engine, probe
from teamtasks.storage import StorageUnavailableError, open_storage


def describe(settings: Settings) -> list[str]:
    def masked(value: object) -> str:
        return "set" if value is not None else "not set"

    database = make_url(settings.database_url).render_as_string(hide_password=True)
    return [
        f"ENVIRONMENT={settings.environment.value}",
        f"DATABASE_URL={database}",
        f"REDIS_URL={settings.redis_url or 'not set (in-memory state)'}",
        f"TELEGRAM_API_URL={settings.telegram_api_url or 'not set (api.telegram.org)'}",
        f"BOT_TOKEN={masked(settings.bot_token)}",
        f"WEBHOOK_SECRET={masked(settings.webhook_secret)}",
        *_describe_storage(settings, masked),
        *_describe_payments(settings, masked),
    ]


def _describe_storage(settings: Settings, masked: Callable[[object], str]) -> list[str]:
    if settings.storage_url is None:
        return [
            f"STORAGE_URL=not set (files under {settings.data_dir / 'files'})",
            f"FILE_LINK_SECRET={masked(settings.file_link_secret)}",
            f"PUBLIC_WEB_URL={settings.web_url} (download links point here)",
        ]
    return [
        f"STORAGE_URL={settings.storage_url}",
        f"S3_ENDPOINT_URL={settings.s3_endpoint_url or 'not set (AWS)'}",
        f"S3_REGION={settings.s3_region}",
        f"S3_ACCESS_KEY_ID={masked(settings.s3_access_key_id)}",
        f"S3_SECRET_ACCESS_KEY={masked(settings.s3_secret_access_key)}",
        f"S3_CREATE_BUCKET={str(settings.s3_create_bucket).lower()}",
        f"S3_SSE={str(settings.s3_sse).lower()}",
    ]


def _describe_payments(settings: Settings, masked: Callable[[object], str]) -> list[str]:
    offered = ", ".join(settings.enabled_payment_providers) or "none"
    return [
        f"PAYMENT_PROVIDERS={settings.payment_providers or 'not set'} (/buy offers: {offered})",
        f"SANDBOX_SECRET={masked(settings.sandbox_secret)}",
        f"YOOKASSA_SHOP_ID={settings.yookassa_shop_id or 'not set'}",
        f"YOOKASSA_SECRET_KEY={masked(settings.yookassa_secret_key)}",
        f"YOOKASSA_API_URL={settings.yookassa_api_url}",
    ]


async def check_services(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        await probe(engine)
    finally:
        await engine.dispose()
    if settings.redis_url:
        redis = Redis.from_url(settings.redis_url)
        try:
            await redis.ping()
        except (RedisError, OSError) as exc:
            raise ConfigError(f"REDIS_URL: cannot connect: {exc}") from None
        finally:
            await redis.aclose()
    # Opening the store checks it (and creates the bucket when S3_CREATE_BUCKET allows).
    async with open_storage(settings) as store:
        try:
            await store.ready()
        except StorageUnavailableError as exc:
            setting = "STORAGE_URL" if settings.storage_url else "DATA_DIR"
            raise ConfigError(f"{setting}: the file store does not answer: {exc}") from None
