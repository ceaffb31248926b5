"""`teamtasks check-config`: the settings in force (secrets masked) and a probe of each service."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url

from teamtasks.config import ConfigError, Settings
from teamtasks.db import create_engine, probe


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
