"""The team side: onboarding, companies, invites, members, language and help."""

from aiogram import Router

from teamtasks.bot.handlers.team import companies, help, invites, language, members, stale, start


def routers() -> list[Router]:
    """In matching order; `stale` last, for team buttons nothing else took."""
    return [
        start.router(),
        companies.router(),
        invites.router(),
        members.router(),
        language.router(),
        help.router(),
        stale.router(),
    ]
