"""Telling the worker that committed notifications are waiting, so they go out at once.

The worker delivers them (teamtasks/worker/delivery.py), within Telegram's limits; this process
only kicks its delivery job with their ids after the commit that wrote them. A kick that is
lost (Redis down, a crash) loses nothing: the scheduled sweep delivers every pending row. The
kicks go to the process's job broker, connected at start-up by
`teamtasks.worker.process.open_job_broker`; with none connected, only the sweep delivers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog
from taskiq import AsyncBroker
from taskiq.kicker import AsyncKicker

from teamtasks.worker.broker import DELIVER

log = structlog.stdlib.get_logger("teamtasks.outbox")


@dataclass
class _Kicks:
    broker: AsyncBroker | None = None
    in_flight: set[asyncio.Task[None]] = field(default_factory=set)


_kicks = _Kicks()


def connect(broker: AsyncBroker | None) -> None:
    """Kick the delivery job through this broker from now on (None: stop kicking)."""
    _kicks.broker = broker


def kick(ids: Sequence[int]) -> None:
    """Kick delivery of these notifications in the background (the actor's reply goes first)."""
    broker = _kicks.broker
    if not ids or broker is None:
        return
    task = asyncio.create_task(_kick(broker, list(ids)))
    _kicks.in_flight.add(task)
    task.add_done_callback(_kicks.in_flight.discard)


async def drain() -> None:
    """Wait for the kicks in progress (with the in-memory broker: the deliveries themselves)."""
    while _kicks.in_flight:
        await asyncio.gather(*_kicks.in_flight, return_exceptions=True)


async def _kick(broker: AsyncBroker, ids: list[int]) -> None:
    try:
        kicker: AsyncKicker[[list[int]], None] = AsyncKicker(DELIVER, broker, {})
        await kicker.kiq(ids)
    except Exception:
        log.exception("delivery_not_kicked", notification_ids=ids)
