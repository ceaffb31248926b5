"""What the work side's handlers share: sending or editing a screen, reading button values,
and the questions asked in a conversation state.

A question's answer is kept in the FSM data under `work_input`, with the company it was asked
in: an answer that arrives after the user switched companies is not applied to the other one.
In a group it is kept with the id of the prompt, whose replies alone answer it (`ask_by_button`).
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import CallbackQuery, ForceReply, LinkPreviewOptions, Message

from teamtasks.bot.replies import Replies
from teamtasks.bot.views.work import Screen, group_question
from teamtasks.models.enums import Language
from teamtasks.services.actors import Actor
from teamtasks.services.errors import Conflict, InvalidInput, NotFound
from teamtasks.services.paging import Page

INPUT = "work_input"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class WorkInput(StatesGroup):
    task_title = State()
    project_name = State()
    project_rename = State()
    due = State()
    description = State()
    comment = State()


def send(message: Message, screen: Screen) -> SendMessage:
    """The screen as a new message in the chat of `message`."""
    return message.answer(screen.text, reply_markup=screen.markup, link_preview_options=NO_PREVIEW)


def edit_message(chat_id: int, message_id: int, screen: Screen) -> EditMessageText:
    return EditMessageText(
        chat_id=chat_id,
        message_id=message_id,
        text=screen.text,
        reply_markup=screen.markup,
        link_preview_options=NO_PREVIEW,
    )


def in_place(
    callback: CallbackQuery, replies: Replies, screen: Screen, toast: str | None = None
) -> AnswerCallbackQuery:
    """Show the screen in place of the pressed message, then answer the button."""
    if callback.message is not None:
        replies.add(edit_message(callback.message.chat.id, callback.message.message_id, screen))
    return callback.answer(toast)


def message_id_of(callback: CallbackQuery) -> int | None:
    """The id of the message whose button was pressed (to show it again later)."""
    return callback.message.message_id if callback.message is not None else None


def offset_of(value: str) -> int:
    """A menu page's offset from a button (garbage gets the first page)."""
    return int(value) if value.isdecimal() and len(value) <= 6 else 0


def id_or_none(value: str) -> int | None:
    """A project or member id from a button, None for "none"; forged text is refused."""
    if value == "":
        return None
    if not value.isdecimal() or len(value) > 19:
        raise InvalidInput("errors.invalid.choice")
    return int(value)


def require_page(page: Page[Any]) -> None:
    """A page past the end of a list that shrank since its buttons were sent is a stale button."""
    if not page.items and page.offset > 0:
        raise NotFound("work.stale.page")


async def ask(state: FSMContext, question: State, actor: Actor, **values: int | None) -> None:
    """Wait for the user's answer to a question about something of the actor's company."""
    await state.update_data({INPUT: {"company_id": actor.company_id, **values}})
    await state.set_state(question)


async def ask_by_button(
    callback: CallbackQuery,
    bot: Bot,
    state: FSMContext,
    replies: Replies,
    question: State,
    actor: Actor,
    language: Language,
    screen: Screen,
    **values: int | None,
) -> AnswerCallbackQuery:
    """Ask the question a button leads to in the button's chat; the card it was pressed on is
    shown again with the answer.

    In a private chat the prompt is a screen like any other. In a group the bot (in privacy
    mode) sees only commands and replies to its own messages, so the prompt mentions the
    presser and asks them, with a selective ForceReply, for a reply to it; only such a reply
    answers the question there (`answers_question`). It is sent at once rather than after the
    commit, since asking changes nothing and its id must be kept with the question. A
    ForceReply takes the place of the prompt's buttons: /cancel is left there.
    """
    card = message_id_of(callback)
    if callback.message is None or callback.message.chat.type == ChatType.PRIVATE:
        await ask(state, question, actor, card=card, **values)
        return send_to(callback, replies, screen)
    user = callback.from_user
    prompt = await bot(
        SendMessage(
            chat_id=callback.message.chat.id,
            text=group_question(screen, user.id, user.full_name, language),
            reply_markup=ForceReply(selective=True),
            link_preview_options=NO_PREVIEW,
        )
    )
    await ask(state, question, actor, card=card, prompt=prompt.message_id, **values)
    return callback.answer()


async def answers_question(message: Message, state: FSMContext) -> bool:
    """Whether the message may answer the pending question: any in a private chat; in a group
    only a reply to the question's prompt (not another message of the presser's, nor a reply
    to another message of the bot's)."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    values = (await state.get_data()).get(INPUT)
    replied = message.reply_to_message
    return (
        isinstance(values, dict)
        and replied is not None
        and values.get("prompt") == replied.message_id
    )


async def asked(state: FSMContext, actor: Actor) -> dict[str, Any]:
    """What the pending question was about; one asked in another company is dropped, refused."""
    values = (await state.get_data()).get(INPUT)
    if not isinstance(values, dict) or values.get("company_id") != actor.company_id:
        await answered(state)
        raise Conflict("work.input.other_company")
    return values


async def drop_question(
    state: FSMContext, question: State, actor: Actor, number: int
) -> dict[str, Any] | None:
    """Answer the pending question if it is this one about task #number; what it was about."""
    values = (await state.get_data()).get(INPUT)
    if (
        await state.get_state() != question.state
        or not isinstance(values, dict)
        or values.get("number") != number
        or values.get("company_id") != actor.company_id
    ):
        return None
    await answered(state)
    return values


async def answered(state: FSMContext) -> None:
    """The question is answered: leave the state, keep other data (the last search)."""
    data = await state.get_data()
    data.pop(INPUT, None)
    await state.set_data(data)
    await state.set_state(None)


def send_to(callback: CallbackQuery, replies: Replies, screen: Screen) -> AnswerCallbackQuery:
    """Send the screen as a new message in the pressed button's chat, then answer the button."""
    if callback.message is not None:
        replies.add(
            SendMessage(
                chat_id=callback.message.chat.id,
                text=screen.text,
                reply_markup=screen.markup,
                link_preview_options=NO_PREVIEW,
            )
        )
    return callback.answer()
