"""Settling a bot process once start-up is done, so that no update pays for it later.

Two costs would otherwise land on random updates, as latency spikes:

- A full garbage collection walks every object, and start-up leaves ~260,000 that live as long
  as the process (modules, pydantic and SQLAlchemy classes): ~180 ms a walk here. Frozen, they
  are left out of every collection.
- aiogram parses each Bot API answer as `Response[<result type>]`, a pydantic generic class kept
  only weakly: after a collection drops it, the next answer builds it again (4-6 ms). Holding
  the classes of the answers every update gets keeps each built once.
"""

from __future__ import annotations

import gc
from typing import Any

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.methods.base import Response

_ANSWER_TYPES: list[Any] = []


def settle() -> None:
    """Call at the end of start-up, before the first update (`bot`, `web` and `demo` do).

    Calling it again is harmless, and cheap once the start-up objects are frozen.
    """
    if not _ANSWER_TYPES:
        for method in (SendMessage, EditMessageText, AnswerCallbackQuery):
            # As aiogram's session spells it (mypy reads a subscript as a type expression).
            _ANSWER_TYPES.append(Response[method.__returning__])  # type: ignore[name-defined]
    gc.collect()
    gc.freeze()
