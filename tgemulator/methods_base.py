"""What a Bot API method implementation looks like."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .core import Emulator
from .params import Params

Handler = Callable[[Emulator, Params], Awaitable[Any]]


@dataclass(frozen=True)
class Described:
    """A result Telegram answers with a ``description`` too (e.g. "Webhook was set")."""

    result: Any
    description: str
