"""Routers, one module per area of the product.

Each module builds a fresh Router (`router()`), so any number of dispatchers can be made in one
process (the tests, the demo); `routers()` lists them in the order they match.
"""

from aiogram import Router

from teamtasks.bot.handlers import fallback, team, work


def routers() -> list[Router]:
    return [*team.routers(), *work.routers(), fallback.router()]
