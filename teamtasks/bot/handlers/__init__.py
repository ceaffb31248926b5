"""Handlers, one module per area of the product, each registering its own into a router.

`routers()` builds fresh routers on every call, so any number of dispatchers can be made in one
process (the tests, the demo).
"""

from aiogram import Router

from teamtasks.bot.handlers import billing, fallback, groups, team, work


def routers() -> list[Router]:
    """The product's router, with every area's handlers in matching order; then `fallback`.

    One router rather than one per area: aiogram visits routers one after another for every
    update, copying its context at each, and across fifteen of them that walk cost more than
    the filters it checks. Within one router the first handler whose filters pass takes the
    update, as across routers, with one difference no handler of ours relies on: a handler that
    returns UNHANDLED does not let the handlers after it try.

    Groups come first: each of their handlers takes only a group's updates (a private one
    fails its first filter), and in a group their gate answers outsiders and unlinked groups
    before a command reaches a handler that assumes a member; `/new` and `/tasks` there mean
    the group's. Billing comes next, before the rest: a Stars `successful_payment` must settle
    whatever conversation the payer is in, and team's answer to a non-text message in its
    conversations would take it.
    """
    product = Router(name="teamtasks")
    groups.register(product)
    billing.register(product)
    team.register(product)
    work.register(product)
    return [product, fallback.router()]
