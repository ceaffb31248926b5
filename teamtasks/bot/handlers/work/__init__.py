"""The work side: projects, tasks and their cards, lists, search, comments, files, audit,
export."""

from aiogram import Router

from teamtasks.bot.handlers.work import (
    audit,
    comments,
    digest,
    export,
    fallback,
    files,
    projects,
    task_card,
    task_input,
    task_lists,
    tasks,
)


def register(router: Router) -> None:
    """In the order they match; the fallback for stale buttons and non-text answers is last."""
    areas = (
        tasks,
        task_card,
        task_input,
        comments,
        files,
        task_lists,
        projects,
        audit,
        export,
        digest,
        fallback,
    )
    for area in areas:
        area.register(router)
