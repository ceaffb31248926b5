"""JSON logs through structlog, for our code and for the libraries' stdlib loggers alike.

Secrets (the bot token, the webhook secret, the payment providers' keys) are scrubbed from
every rendered line, whatever printed them: an aiohttp error quoting a URL must not leak the
token into the logs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from teamtasks.config import LogFormat, Settings

REDACTED = "[REDACTED]"


class _Scrubbing:
    """Wraps a renderer and replaces every known secret in its output."""

    def __init__(self, renderer: Processor, secrets: Iterable[str]) -> None:
        self._renderer = renderer
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, logger: WrappedLogger, name: str, event_dict: EventDict) -> str:
        rendered = self._renderer(logger, name, event_dict)
        text = rendered if isinstance(rendered, str) else str(rendered)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def secrets_of(settings: Settings) -> list[str]:
    values = [
        settings.bot_token,
        settings.webhook_secret,
        settings.yookassa_secret_key,
        settings.sandbox_secret,
        settings.s3_secret_access_key,
        settings.file_link_secret,
    ]
    return [value.get_secret_value() for value in values if value is not None]


def configure_logging(
    settings: Settings, *, extra_secrets: Iterable[str] = (), stream: TextIO | None = None
) -> None:
    """Route structlog and stdlib logging to one stream, one JSON object per line."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor
    if settings.log_format is LogFormat.JSON:
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        # Plain tracebacks: structlog would use rich's where rich is installed, which prints
        # every frame's locals (secrets among them) and takes seconds, the event loop blocked.
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _Scrubbing(renderer, [*secrets_of(settings), *extra_secrets]),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # aiogram.event repeats our own update_handled line; alembic's plugin set-up is chatter.
    for noisy in (
        "aiosqlite",
        "asyncio",
        "sqlalchemy.engine",
        "aiogram.event",
        "alembic.runtime.plugins",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
