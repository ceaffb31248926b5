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


def register(router: Router) -> None:
    """In the order they match; the fallback for stale buttons and non-text answers is last."""
    for area in (tasks, task_card, task_input, comments, task_lists, projects, audit, fallback):
        area.register(router)
