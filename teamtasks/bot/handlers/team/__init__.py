"""The team side: onboarding, companies, invites, members, language and help."""

from aiogram import Router

from teamtasks.bot.handlers.team import companies, help, invites, language, members, stale, start


def register(router: Router) -> None:
    """In matching order; `stale` last, for team buttons nothing else took."""
    for area in (start, companies, invites, members, language, help, stale):
        area.register(router)
