"""Routing: every filter of the bot is checked on the event loop, never in a worker thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy.ext.asyncio import async_sessionmaker

from teamtasks.bot.factory import create_dispatcher
from teamtasks.config import Settings


def _filters(router: Router) -> Iterator[tuple[str, FilterObject]]:
    for update_type, observer in router.observers.items():
        for handler in observer.handlers:
            for event_filter in handler.filters or []:
                yield f"{router.name} {update_type} {handler.callback.__name__}", event_filter
    for sub_router in router.sub_routers:
        yield from _filters(sub_router)


def test_no_filter_is_run_in_a_thread(tmp_path: Path) -> None:
    """aiogram runs a filter that is not a coroutine (a bare State, an `F...`) via to_thread.

    Use `StateFilter(state)` and `Magic(F...)` from teamtasks.bot.filters instead.
    """
    settings = Settings(data_dir=tmp_path)
    dispatcher = create_dispatcher(settings, async_sessionmaker(), MemoryStorage())
    threaded = [where for where, event_filter in _filters(dispatcher) if not event_filter.awaitable]
    assert threaded == []
