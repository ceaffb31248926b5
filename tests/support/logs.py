"""The logging every test runs under: the product's own set-up, as `LOG_FORMAT=console`.

Without it structlog's defaults would render, and where rich is installed (a development tool
brings it) they print each frame's locals: seconds per logged failure, enough to make a test
waiting on the bot time out.
"""

from __future__ import annotations

from teamtasks.config import LogFormat, Settings
from teamtasks.observability.logging import configure_logging


def configure_test_logging() -> None:
    configure_logging(Settings(log_format=LogFormat.CONSOLE))
