"""Groups: linking a group to a company, its settings, who may act there, and the commands
that work differently in a group (`/new` from a message, `/tasks` of the group).

Every handler here takes only group updates (its first filter says so), so a private update
passes each of them at the cost of one check. In a linked group the rest of the product's
handlers run as they do in private, with the sender acting in the group's company (see
teamtasks/bot/middlewares/group_chat.py).
"""

from aiogram import Router

from teamtasks.bot.handlers.groups import gate, membership, settings, tasks


def register(router: Router) -> None:
    """Telegram's news of the group first; then the gate, which answers outsiders and unlinked
    groups before any command reaches a handler that assumes a member; then the commands."""
    for area in (membership, gate, settings, tasks):
        area.register(router)
