"""Adding a test's own router to the bot's dispatcher, ahead of the catch-all fallback."""

from __future__ import annotations

from aiogram import Dispatcher, Router


def include_test_router(dispatcher: Dispatcher, router: Router) -> None:
    """Include `router` so it matches before the product's last router, which answers anything."""
    dispatcher.include_router(router)
    routers = dispatcher.sub_routers
    fallback = next(index for index, sub in enumerate(routers) if sub.name == "fallback")
    routers.insert(fallback, routers.pop())
