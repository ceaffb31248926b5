"""Tasks in a group: `/new` (the title, `@assignee` and due date on one line, in the group's
project) and `/new` as a reply, which makes the replied message a task: its text the title
(its first line) and description, its file attached through the files flow, the task linked
back to the message; `/tasks`: the group's open tasks.

Only a member of the group's company gets here (see gate.py).
"""

from __future__ import annotations

from dataclasses import replace

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message, ReplyParameters
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.work import ListKind
from teamtasks.bot.handlers.groups.common import IN_GROUP
from teamtasks.bot.handlers.work.common import NO_PREVIEW, send
from teamtasks.bot.handlers.work.files import download, require_staged, sent_file
from teamtasks.bot.handlers.work.tasks import card_of
from teamtasks.bot.mentions import text_mentions
from teamtasks.bot.refusals import member
from teamtasks.bot.views.task_lists import TaskList, list_screen
from teamtasks.bot.views.work import notice, t
from teamtasks.models.enums import Language
from teamtasks.services import files, quick_add, task_lists, tasks
from teamtasks.services.actors import Actor
from teamtasks.services.groups import GroupLink
from teamtasks.storage import StagedObjects

DESCRIPTION_MAX = tasks.DESCRIPTION_MAX


async def new_in_group(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    language: Language,
    file_size_limit: int,
    actor: Actor | None = None,
    group: GroupLink | None = None,
    staged: StagedObjects | None = None,
) -> SendMessage:
    actor = member(actor)
    assert group is not None
    replied = message.reply_to_message
    text = command.args or ""
    if replied is None and not text.strip():
        return send(message, notice(language, "groups.new.usage"))
    ignore = (await bot.me()).username if "@" in text else None
    line = quick_add.parse(
        text,
        timezone=actor.timezone,
        ignore=ignore,
        titled=replied is None,
        mentions=text_mentions(message, text),
    )
    description = None
    source = None
    has_file = replied is not None and (replied.document is not None or bool(replied.photo))
    if replied is not None:
        body = (replied.text or replied.caption or "").strip()
        if not line.title:
            title = body.split("\n", 1)[0] or (sent_file(replied).name if has_file else "")
            if not title:
                return send(message, notice(language, "groups.new.nothing"))
            line = replace(line, title=title[: tasks.TITLE_MAX])
        description = body[:DESCRIPTION_MAX] or None
        source = (message.chat.id, replied.message_id)
    task = await quick_add.create(
        session,
        actor=actor,
        line=line,
        project_id=group.project_id,
        description=description,
        source=source,
    )
    if replied is not None and has_file:
        sent = sent_file(replied)
        await files.attach_file(
            session,
            staged=require_staged(staged),
            actor=actor,
            number=task.number,
            file_name=sent.name,
            size=sent.size,
            chunks=download(bot, message.chat.id, sent.file_id, file_size_limit),
            max_bytes=file_size_limit,
            telegram_file_id=sent.file_id,
        )
    header = t(language, "work.task.created", number=task.number)
    screen = await card_of(session, actor, language, task.number, header=header)
    return SendMessage(
        chat_id=message.chat.id,
        text=screen.text,
        reply_markup=screen.markup,
        link_preview_options=NO_PREVIEW,
        reply_parameters=ReplyParameters(
            message_id=(replied or message).message_id, allow_sending_without_reply=True
        ),
    )


async def group_tasks(
    message: Message,
    session: AsyncSession,
    language: Language,
    actor: Actor | None = None,
    group: GroupLink | None = None,
) -> SendMessage:
    """`/tasks` in a group: the open tasks of its project (of the company, without one)."""
    actor = member(actor)
    assert group is not None
    page = await task_lists.list_open_tasks(session, actor=actor, project_id=group.project_id)
    which = TaskList(
        ListKind.GROUP,
        str(group.project_id) if group.project_id is not None else "",
        group.project_name or group.company_name,
    )
    return send(message, list_screen(page, which, actor, language))


def register(router: Router) -> None:
    router.message.register(new_in_group, IN_GROUP, Command("new"))
    router.message.register(group_tasks, IN_GROUP, Command("tasks"))
