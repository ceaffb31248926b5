"""Billing in the bot: `/billing` shows the plan and its use, `/buy` sells the plans."""

from aiogram import Router

from teamtasks.bot.handlers.billing import buy, overview, stars


def register(router: Router) -> None:
    """`stars` before `buy`: it takes /buy's Stars button, which sends an invoice, not a link."""
    for area in (overview, stars, buy):
        area.register(router)
