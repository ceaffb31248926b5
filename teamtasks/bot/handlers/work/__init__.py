"""The work side: projects, tasks and their cards, lists, search, comments, audit."""

from aiogram import Router

from teamtasks.bot.handlers.work import (
    audit,
    comments,
    fallback,
    projects,
    task_card,
    task_input,
    task_lists,
    tasks,
)


def routers() -> list[Router]:
    """In the order they match; the fallback for stale buttons and non-text answers is last."""
    return [
        tasks.router(),
        task_card.router(),
        task_input.router(),
        comments.router(),
        task_lists.router(),
        projects.router(),
        audit.router(),
        fallback.router(),
    ]
