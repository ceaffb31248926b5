"""Settings: the only module that reads the environment.

Defaults are the embedded ones (SQLite under ./var, in-memory FSM, local files), so the product
runs with nothing configured; production parts are switched on by URL.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BOT_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,100}$")
WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
# Bucket names as S3 accepts them: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit.
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_REGION_RE = re.compile(r"^[a-z0-9-]{1,32}$")
SIGNING_SECRET_MIN = 32
MIB = 1024 * 1024
# What a Bot API server lets a bot download (getFile): 20 MB from api.telegram.org, 2000 MB from
# a self-hosted telegram-bot-api running with --local.
TELEGRAM_DOWNLOAD_LIMIT = 20 * MIB
TELEGRAM_LOCAL_DOWNLOAD_LIMIT = 2000 * MIB

# The providers PAYMENT_PROVIDERS may name (teamtasks/billing/registry.py builds them).
PAYMENT_PROVIDER_NAMES = ("sandbox", "yookassa", "stars")

Port = Annotated[int, Field(ge=0, le=65535)]
# A five-field cron string (minute hour day month weekday) of numbers, *, /, - and commas.
Cron = Annotated[str, Field(pattern=r"^\s*[0-9*/,-]+(\s+[0-9*/,-]+){4}\s*$")]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# Where YooKassa sends notifications from: the ranges of its official SDK (security_helper.py).
YOOKASSA_IPS = (
    "77.75.153.0/25,77.75.156.11,77.75.156.35,77.75.154.128/25,185.71.76.0/27,185.71.77.0/27,"
    "2a02:5180:0:1509::/64,2a02:5180:0:2655::/64,2a02:5180:0:1533::/64,2a02:5180:0:2669::/64"
)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and fits on one line."""


class Settings(BaseSettings):
    """Every setting of every process; `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    environment: Environment = Environment.DEVELOPMENT
    bot_token: SecretStr | None = None
    telegram_api_url: str | None = None
    database_url: str = "sqlite+aiosqlite:///./var/teamtasks.db"
    database_pool_size: Annotated[int, Field(ge=1, le=200)] = 10
    redis_url: str | None = None
    default_language: Annotated[str, Field(pattern=r"^(ru|en)$")] = "ru"
    log_level: Annotated[str, Field(pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")] = "INFO"
    log_format: LogFormat = LogFormat.JSON
    health_host: str = "127.0.0.1"
    health_port: Port = 8081
    web_host: str = "127.0.0.1"
    web_port: Port = 8000
    webhook_base_url: str | None = None
    webhook_secret: SecretStr | None = None
    data_dir: Path = Path("./var")
    demo_host: str = "127.0.0.1"
    demo_port: Port = 8080
    demo_local_telegram: bool = True
    telegram_api_local: bool = False
    public_web_url: str | None = None
    storage_url: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_create_bucket: bool = False
    s3_sse: bool = False
    file_link_secret: SecretStr | None = None
    worker_health_port: Port = 8082
    scheduler_health_port: Port = 8083
    worker_concurrency: Annotated[int, Field(ge=1, le=1000)] = 10
    job_queue: Annotated[str, Field(pattern=r"^[A-Za-z0-9:_.-]{1,100}$")] = "teamtasks:jobs"
    delivery_messages_per_second: Annotated[float, Field(gt=0, le=1000)] = 30.0
    delivery_chat_messages_per_second: Annotated[float, Field(gt=0, le=100)] = 1.0
    delivery_group_messages_per_minute: Annotated[float, Field(gt=0, le=6000)] = 20.0
    delivery_batch_size: Annotated[int, Field(ge=1, le=1000)] = 100
    delivery_lease_seconds: Annotated[int, Field(ge=1, le=3600)] = 60
    schedule_delivery: Cron = "* * * * *"
    schedule_billing: Cron = "*/5 * * * *"
    schedule_reminders: Cron = "* * * * *"
    schedule_file_sweep: Cron = "30 3 * * *"
    schedule_payments: Cron = "*/10 * * * *"
    schedule_refunds: Cron = "* * * * *"
    schedule_prune: Cron = "45 4 * * *"
    yookassa_shop_id: str | None = None
    yookassa_secret_key: SecretStr | None = None
    yookassa_api_url: str = "https://api.yookassa.ru/v3"
    yookassa_allowed_ips: str = YOOKASSA_IPS
    payment_providers: str = "sandbox"
    sandbox_secret: SecretStr | None = None
    trusted_proxies: str = ""

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value.startswith(("postgresql://", "postgres://")):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        scheme = value.split("://", 1)[0]
        if "://" not in value or scheme not in DATABASE_SCHEMES:
            raise ValueError(
                "must start with postgresql+asyncpg:// (or postgresql://) or sqlite+aiosqlite:///"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not BOT_TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("does not look like a token from @BotFather (digits:letters)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not WEBHOOK_SECRET_RE.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("telegram_api_url", "webhook_base_url", "public_web_url", "s3_endpoint_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        bucket = value.removeprefix("s3://").rstrip("/")
        if not value.startswith("s3://") or not BUCKET_RE.match(bucket):
            raise ValueError("must be s3://BUCKET (3-63 characters of a-z, 0-9, '.' and '-')")
        return f"s3://{bucket}"

    @field_validator("s3_region")
    @classmethod
    def _s3_region(cls, value: str) -> str:
        if not S3_REGION_RE.match(value):
            raise ValueError("must be a region name such as us-east-1 or ru-central1")
        return value

    @field_validator("s3_access_key_id", "s3_secret_access_key")
    @classmethod
    def _optional_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        return value

    @field_validator("file_link_secret", "sandbox_secret")
    @classmethod
    def _signing_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < SIGNING_SECRET_MIN:
            raise ValueError(f"must be at least {SIGNING_SECRET_MIN} characters long")
        return value

    @field_validator("yookassa_api_url")
    @classmethod
    def _yookassa_api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("yookassa_allowed_ips")
    @classmethod
    def _yookassa_allowed_ips(cls, value: str) -> str:
        try:
            parse_networks(value)
        except ValueError as exc:
            raise ValueError(
                f"must be addresses or CIDR ranges separated by commas ({exc})"
            ) from None
        return value

    @field_validator("yookassa_shop_id", "yookassa_secret_key")
    @classmethod
    def _yookassa_credential(cls, value: str | SecretStr | None) -> str | SecretStr | None:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        return value if text else None

    @model_validator(mode="after")
    def _yookassa_parts(self) -> Settings:
        if (self.yookassa_shop_id is None) != (self.yookassa_secret_key is None):
            raise ValueError(
                "YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY are set together or not at all"
            )
        return self

    @field_validator("payment_providers")
    @classmethod
    def _payment_providers(cls, value: str) -> str:
        names = [name.strip().lower() for name in value.split(",") if name.strip()]
        unknown = sorted(set(names) - set(PAYMENT_PROVIDER_NAMES))
        if unknown:
            raise ValueError(
                f"unknown provider {', '.join(unknown)}: choose from "
                + ", ".join(PAYMENT_PROVIDER_NAMES)
            )
        return ",".join(dict.fromkeys(names))

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        try:
            parse_networks(value)
        except ValueError as exc:
            raise ValueError(
                f"must be addresses or CIDR ranges separated by commas ({exc})"
            ) from None
        return value

    @model_validator(mode="after")
    def _storage_parts(self) -> Settings:
        if self.storage_url is not None and (
            self.s3_access_key_id is None or self.s3_secret_access_key is None
        ):
            raise ValueError(
                "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set with STORAGE_URL"
            )
        if self.telegram_api_local and self.telegram_api_url is None:
            raise ValueError(
                "TELEGRAM_API_LOCAL needs TELEGRAM_API_URL: only a self-hosted Bot API server "
                "runs in local mode"
            )
        return self

    @model_validator(mode="after")
    def _production_parts(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            if not self.database_url.startswith("postgresql"):
                raise ValueError("DATABASE_URL must point to PostgreSQL in production")
            if self.webhook_base_url and self.webhook_secret is None:
                raise ValueError("WEBHOOK_SECRET must be set when WEBHOOK_BASE_URL is set")
            if self.storage_url is None and self.file_link_secret is None:
                raise ValueError(
                    "FILE_LINK_SECRET must be set in production when files are stored locally "
                    "(STORAGE_URL unset)"
                )
            if "sandbox" in self.enabled_payment_providers:
                raise ValueError(
                    "PAYMENT_PROVIDERS must not include sandbox in production: its pay page "
                    "gives plans away"
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def s3_bucket(self) -> str | None:
        """The bucket of STORAGE_URL, or None when files are stored locally."""
        return self.storage_url.removeprefix("s3://") if self.storage_url else None

    @property
    def web_url(self) -> str:
        """Where people's browsers reach `teamtasks web` (the local store's download links)."""
        return (
            self.public_web_url
            or self.webhook_base_url
            or f"http://{self.web_host}:{self.web_port}"
        )

    @property
    def enabled_payment_providers(self) -> tuple[str, ...]:
        """PAYMENT_PROVIDERS as names, in the order the bot offers them; with `stars` added
        when the bot sells on Telegram, which requires digital goods to be payable in Stars."""
        names = tuple(name for name in self.payment_providers.split(",") if name)
        if self.sells_on_telegram and "stars" not in names:
            return (*names, "stars")
        return names

    @property
    def sells_on_telegram(self) -> bool:
        """In production, and whenever the bot talks to api.telegram.org itself; only a bot on
        another Bot API server (the local one of the demo and the tests) may go without Stars."""
        return self.environment is Environment.PRODUCTION or (
            self.bot_token is not None and self.telegram_api_url is None
        )

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        """TRUSTED_PROXIES as networks: the only peers whose X-Forwarded-For is believed."""
        return parse_networks(self.trusted_proxies)

    @property
    def telegram_download_limit(self) -> int:
        """The largest file, in bytes, the bot can download from its Bot API server."""
        if self.telegram_api_local:
            return TELEGRAM_LOCAL_DOWNLOAD_LIMIT
        return TELEGRAM_DOWNLOAD_LIMIT

    @property
    def yookassa_enabled(self) -> bool:
        return self.yookassa_shop_id is not None and self.yookassa_secret_key is not None

    @property
    def yookassa_networks(self) -> tuple[IPNetwork, ...]:
        """The addresses YooKassa's notifications may come from (YOOKASSA_ALLOWED_IPS)."""
        return parse_networks(self.yookassa_allowed_ips)

    def require_yookassa(self) -> tuple[str, str]:
        """The shop id and secret key, or a ConfigError that says where to find them."""
        if self.yookassa_shop_id is None or self.yookassa_secret_key is None:
            raise ConfigError(
                "YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY are not set: find them in YooKassa's "
                "dashboard (Integration, API keys)"
            )
        return self.yookassa_shop_id, self.yookassa_secret_key.get_secret_value()

    def require_bot_token(self) -> str:
        """The token, or a ConfigError that says how to get one."""
        if self.bot_token is None:
            raise ConfigError("BOT_TOKEN is not set: create a bot with @BotFather and set it")
        return self.bot_token.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, turning validation errors into one clear line each."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def parse_networks(value: str) -> tuple[IPNetwork, ...]:
    """A comma-separated list of addresses and CIDR ranges; ValueError names a bad one."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def describe_validation_error(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        name = "_".join(str(part) for part in error["loc"]).upper() or "settings"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {message}" if name != "settings" else message)
    return "; ".join(lines)
