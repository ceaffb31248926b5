"""Files on tasks: a document or photo sent for a task is attached to it; the card's Files
button lists them, each with a download link, a re-send and a deletion; `/usage`.

Which task a file is for: the task whose card (or another screen of it) the message replies
to; otherwise the task that is open, that is the one whose screen the bot last showed this
person in this chat (`OpenTaskMiddleware` keeps it in the FSM data under `open_task`, with
its company, so a switch of company forgets it). In a group, only replies to a task's screen
are taken, so the files people share there are left alone.

The file is checked before it is downloaded, streamed from the Bot API server into the store
and recorded in the update's unit of work (teamtasks/services/files.py); the store comes
from the dispatcher (`files_store`), the staged objects from the unit of work (`staged`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.enums import ChatAction, ChatType
from aiogram.exceptions import (
    AiogramError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
)
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.bot.callbacks.files import FILE_PREFIX, FileAction, FileCallback
from teamtasks.bot.callbacks.work import TaskAction, TaskCallback
from teamtasks.bot.filters import Magic
from teamtasks.bot.handlers.work.common import NO_PREVIEW, in_place, send, send_to
from teamtasks.bot.refusals import member
from teamtasks.bot.replies import Replies
from teamtasks.bot.views.files import (
    PAGE_SIZE,
    attached_screen,
    delete_prompt,
    files_screen,
    link_screen,
    usage_screen,
)
from teamtasks.bot.views.work import Screen, t
from teamtasks.config import MIB
from teamtasks.models.enums import Language
from teamtasks.services import files
from teamtasks.services.actors import Actor
from teamtasks.services.errors import InvalidInput
from teamtasks.services.files import DownloadFailed, FileTooBig, StorageUnavailable
from teamtasks.storage import ObjectStorage, StagedObjects

OPEN_TASK = "open_task"
DOWNLOAD_TIMEOUT = 600
"""Seconds a download from the Bot API server may take in all."""
CHUNK_SIZE = 256 * 1024
TASK_PREFIX = f"{TaskCallback.__prefix__}{TaskCallback.__separator__}"


class OpenTaskMiddleware(BaseMiddleware):
    """Remembers the task whose screen a handler showed: files sent next are for it."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        replies = data.get("replies")
        shown = [*replies, result] if isinstance(replies, Replies) else [result]
        numbers = [
            number
            for method in shown
            if isinstance(method, SendMessage | EditMessageText)
            and (number := task_shown_by(method.reply_markup)) is not None
        ]
        state, actor = data.get("state"), data.get("actor")
        if numbers and isinstance(state, FSMContext) and isinstance(actor, Actor):
            await state.update_data(
                {OPEN_TASK: {"company_id": actor.company_id, "number": numbers[-1]}}
            )
        return result


def task_shown_by(markup: object) -> int | None:
    """The task a message with these buttons shows (its card, a menu, its comments or files);
    None for other messages, lists of tasks included."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return None
    for row in markup.inline_keyboard:
        for item in row:
            data = item.callback_data or ""
            if data.startswith(TASK_PREFIX):
                with suppress(ValueError, TypeError):
                    pressed = TaskCallback.unpack(data)
                    if pressed.action is not TaskAction.OPEN:
                        return pressed.number
    return None


async def for_a_task(message: Message, state: FSMContext) -> bool:
    """A document or photo in a private chat where no question waits for an answer, or one
    that replies to a task's screen in a group (whatever question waits there: the reply
    says which task the file is for, and only a reply to its prompt answers a question)."""
    if message.document is None and not message.photo:
        return False
    if message.chat.type == ChatType.PRIVATE:
        return await state.get_state() is None
    replied = message.reply_to_message
    return replied is not None and task_shown_by(replied.reply_markup) is not None


async def _task_for(message: Message, state: FSMContext, actor: Actor) -> int:
    replied = message.reply_to_message
    number = task_shown_by(replied.reply_markup) if replied is not None else None
    if number is not None:
        return number
    opened = (await state.get_data()).get(OPEN_TASK)
    if isinstance(opened, dict) and opened.get("company_id") == actor.company_id:
        number = opened.get("number")
        if isinstance(number, int):
            return number
    raise InvalidInput("errors.files.no_open_task")


@dataclass(frozen=True)
class SentFile:
    """The file of a message as Telegram describes it (the size may be unknown)."""

    name: str
    size: int | None
    file_id: str


def sent_file(message: Message) -> SentFile:
    if message.document is not None:
        document = message.document
        return SentFile(document.file_name or "", document.file_size, document.file_id)
    assert message.photo
    photo = message.photo[-1]  # the largest size
    # Telegram stores photos as JPEG and gives them no name: named as its apps save them.
    name = f"photo_{message.date:%Y-%m-%d_%H-%M-%S}.jpg"
    return SentFile(name, photo.file_size, photo.file_id)


async def download(bot: Bot, chat_id: int, file_id: str, limit: int) -> AsyncGenerator[bytes, None]:
    """The file from the Bot API server, as it arrives; nothing happens until it is read.

    The chat shows "sending a file" while it is stored: that request goes beside getFile, not
    before it, so it costs the member no round trip to Telegram."""
    showing = asyncio.create_task(_show_uploading(bot, chat_id))
    try:
        path = await _file_path(bot, file_id, limit)
    except BaseException:
        showing.cancel()  # a courtesy: neither waited for nor in the way of the failure
        raise
    await showing
    url = bot.session.api.file_url(bot.token, path)
    try:
        async for chunk in bot.session.stream_content(
            url=url, timeout=DOWNLOAD_TIMEOUT, chunk_size=CHUNK_SIZE, raise_for_status=True
        ):
            yield chunk
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DownloadFailed() from exc


async def _file_path(bot: Bot, file_id: str, limit: int) -> str:
    """Where the Bot API server serves the file (getFile); its failures as the member reads
    them."""
    try:
        found = await bot.get_file(file_id)
    except TelegramBadRequest as exc:
        if "too big" in exc.message:
            raise FileTooBig(max=limit // MIB) from exc
        raise DownloadFailed() from exc
    except AiogramError as exc:  # no answer, Telegram's error, a proxy's page
        raise DownloadFailed() from exc
    if found.file_path is None:
        raise DownloadFailed()
    return found.file_path


async def _show_uploading(bot: Bot, chat_id: int) -> None:
    """A chat action is a courtesy: whatever Telegram answers, the upload goes on."""
    with suppress(AiogramError):
        await bot.send_chat_action(chat_id=chat_id, action=ChatAction.UPLOAD_DOCUMENT)


def require_staged(staged: StagedObjects | None) -> StagedObjects:
    """The unit of work's staged objects; a dispatcher built without a store has none."""
    if staged is None:
        raise StorageUnavailable()
    return staged


def _store(files_store: ObjectStorage | None) -> ObjectStorage:
    if files_store is None:
        raise StorageUnavailable()
    return files_store


async def file_sent(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    state: FSMContext,
    file_size_limit: int,
    staged: StagedObjects | None = None,
) -> SendMessage:
    actor = member(actor)
    number = await _task_for(message, state, actor)
    sent = sent_file(message)
    file = await files.attach_file(
        session,
        staged=require_staged(staged),
        actor=actor,
        number=number,
        file_name=sent.name,
        size=sent.size,
        chunks=download(bot, message.chat.id, sent.file_id, file_size_limit),
        max_bytes=file_size_limit,
        telegram_file_id=sent.file_id,
    )
    return send(message, attached_screen(file, number, language))


async def show_files(
    callback: CallbackQuery,
    callback_data: FileCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    screen = await _files_of(session, actor, language, callback_data.number, callback_data.offset)
    return in_place(callback, replies, screen)


async def _files_of(
    session: AsyncSession, actor: Actor, language: Language, number: int, offset: int
) -> Screen:
    page = await files.list_files(
        session, actor=actor, number=number, limit=PAGE_SIZE, offset=offset
    )
    if not page.items and page.offset > 0:
        # The list shrank since its buttons were sent: its first page instead.
        page = await files.list_files(session, actor=actor, number=number, limit=PAGE_SIZE)
    return files_screen(number, page, actor, language)


def _pressed_in_group(callback: CallbackQuery) -> bool:
    """The button is on a message in a group: what it fetches goes to the presser privately."""
    return callback.message is not None and callback.message.chat.type != ChatType.PRIVATE


def _start_the_bot(callback: CallbackQuery, language: Language) -> AnswerCallbackQuery:
    """The bot may not write to the presser first: they are asked to start it."""
    return callback.answer(t(language, "files.private.start_bot"), show_alert=True)


async def send_link(
    callback: CallbackQuery,
    callback_data: FileCallback,
    bot: Bot,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
    files_store: ObjectStorage | None = None,
) -> AnswerCallbackQuery:
    """The link, in the button's chat; pressed in a group, in the presser's private chat, for
    only the company's members may have it (the group has others too).

    In a group it is sent at once rather than after the commit: issuing a link changes
    nothing, and the answer to the button depends on whether the presser could get it.
    """
    actor = member(actor)
    link = await files.download_link(
        session, storage=_store(files_store), actor=actor, file_id=callback_data.file_id
    )
    screen = link_screen(link, actor, language)
    if not _pressed_in_group(callback):
        return send_to(callback, replies, screen)
    try:
        await bot(
            SendMessage(
                chat_id=callback.from_user.id,
                text=screen.text,
                reply_markup=screen.markup,
                link_preview_options=NO_PREVIEW,
            )
        )
    except TelegramForbiddenError:
        return _start_the_bot(callback, language)
    return callback.answer(t(language, "files.toast.sent_privately"))


async def send_again(
    callback: CallbackQuery,
    callback_data: FileCallback,
    bot: Bot,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
) -> AnswerCallbackQuery:
    """Send the file again by its Telegram file_id (no download, no size limit): into the
    button's chat, or pressed in a group, into the presser's private chat (see `send_link`).

    Sent at once rather than after the commit: this changes nothing, and the answer to the
    button depends on whether Telegram took it.
    """
    actor = member(actor)
    file = await files.get_file(session, actor=actor, file_id=callback_data.file_id)
    in_group = _pressed_in_group(callback)
    chat_id = (
        callback.message.chat.id
        if callback.message is not None and not in_group
        else callback.from_user.id
    )
    image = file.content_type.startswith("image/")
    try:
        sent = file.telegram_file_id is not None and await _resend(
            bot, chat_id, file.telegram_file_id, image
        )
    except TelegramForbiddenError:
        return _start_the_bot(callback, language)
    if not sent:
        return callback.answer(t(language, "files.send.failed"), show_alert=True)
    return callback.answer(
        t(language, "files.toast.sent_privately" if in_group else "files.toast.sent")
    )


async def _resend(bot: Bot, chat_id: int, file_id: str, image: bool) -> bool:
    """A photo's file_id is sent as a photo, any other as a document; which one it is, only
    Telegram knows, so an image is tried as a photo first. TelegramForbiddenError: the bot
    may not write to this chat."""
    methods: list[TelegramMethod[Message]] = [SendDocument(chat_id=chat_id, document=file_id)]
    if image:
        methods.insert(0, SendPhoto(chat_id=chat_id, photo=file_id))
    for method in methods:
        try:
            await bot(method)
        except TelegramBadRequest:
            continue
        except TelegramForbiddenError:
            raise
        except TelegramAPIError:
            return False
        return True
    return False


async def ask_delete(
    callback: CallbackQuery,
    callback_data: FileCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
) -> AnswerCallbackQuery:
    actor = member(actor)
    file = await files.get_deletable_file(session, actor=actor, file_id=callback_data.file_id)
    screen = delete_prompt(file, callback_data.number, callback_data.offset, language)
    return in_place(callback, replies, screen)


async def delete(
    callback: CallbackQuery,
    callback_data: FileCallback,
    session: AsyncSession,
    actor: Actor | None,
    language: Language,
    replies: Replies,
    staged: StagedObjects | None = None,
) -> AnswerCallbackQuery:
    actor = member(actor)
    await files.delete_file(
        session, staged=require_staged(staged), actor=actor, file_id=callback_data.file_id
    )
    screen = await _files_of(session, actor, language, callback_data.number, callback_data.offset)
    return in_place(callback, replies, screen, t(language, "files.toast.deleted"))


async def usage(
    message: Message, session: AsyncSession, actor: Actor | None, language: Language
) -> SendMessage:
    """`/usage`: the company's file storage, used and allowed."""
    used = await files.storage_used(session, actor=member(actor))
    return send(message, usage_screen(used, language))


async def stale_file_button(callback: CallbackQuery, language: Language) -> AnswerCallbackQuery:
    return callback.answer(t(language, "work.stale.button"), show_alert=True)


def register(router: Router) -> None:
    opened = OpenTaskMiddleware()
    router.message.middleware(opened)
    router.callback_query.middleware(opened)
    router.message.register(usage, Command("usage"))
    router.message.register(file_sent, for_a_task)
    handlers: dict[FileAction, Callable[..., Awaitable[AnswerCallbackQuery]]] = {
        FileAction.LIST: show_files,
        FileAction.LINK: send_link,
        FileAction.SEND: send_again,
        FileAction.DELETE_ASK: ask_delete,
        FileAction.DELETE: delete,
    }
    for action, handler in handlers.items():
        router.callback_query.register(handler, FileCallback.filter(F.action == action))
    router.callback_query.register(stale_file_button, Magic(F.data.startswith(FILE_PREFIX)))
