"""A task's comments, one page at a time, newest first.

Budgets in UTF-16 units: 5 comments of a 64-unit name and 600 of text: under 3,600 of 4,096.
"""

from __future__ import annotations

from teamtasks.bot.callbacks.work import CommentsCallback, TaskAction, TaskCallback
from teamtasks.bot.views.task_card import comment_text
from teamtasks.bot.views.work import Screen, button, keyboard, page_range, paging_row, t
from teamtasks.models.enums import Language
from teamtasks.services.actors import Actor
from teamtasks.services.comments import CommentEntry
from teamtasks.services.paging import Page

PAGE_SIZE = 5
COMMENT_UNITS = 600


def comments_screen(
    number: int, comments: Page[CommentEntry], actor: Actor, language: Language
) -> Screen:
    """A page of the comments on task #number, with paging and a way back to the card."""
    lines = [t(language, "work.comments.title", number=number) + page_range(comments, language)]
    if comments.items:
        lines += [comment_text(entry, actor, language, COMMENT_UNITS) for entry in comments.items]
    else:
        lines.append(t(language, "work.comments.empty"))
    back = TaskCallback(number=number, action=TaskAction.CARD)
    add = TaskCallback(number=number, action=TaskAction.COMMENT)
    rows = [
        paging_row(
            comments, language, lambda offset: CommentsCallback(number=number, offset=offset)
        ),
        [
            button(t(language, "work.button.comment"), add),
            button(t(language, "work.button.to_task"), back),
        ],
    ]
    return Screen("\n\n".join(lines), keyboard(rows))
