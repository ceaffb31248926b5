"""A local server speaking the Telegram Bot API wire format, for tests and demos.

Production code never imports this package. The unchanged aiogram bot talks to it via
``TelegramAPIServer.from_base(server.base_url)``; tests drive the human side through
``tgemulator.client``.
"""

from .flood import FloodLimits
from .models import RecordedCall
from .server import EmulatorServer

__all__ = ["EmulatorServer", "FloodLimits", "RecordedCall"]
