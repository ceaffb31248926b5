"""The emulator's chat page in a real browser, talking to a tiny aiogram bot.

The first test plays a person: it creates a user through the page, picks /start from the
bot's command menu, reads the bot's formatted answer, presses an inline button, sends a file
and gets it back from the bot. The second one creates a group, sees another member's message
arrive live and sends a file there. Every wait is one of Playwright's auto-waiting
expectations.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.enums import ParseMode
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from playwright.async_api import FilePayload, Locator, Page, async_playwright, expect

from tgemulator import EmulatorServer
from tgemulator.client import EmulatorClient, Group

DOCS_URL = "https://example.com/docs"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOT = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "chat_page.png"
REPORT = b"Week 47: 12 tasks done, 3 overdue.\n"
COMMANDS = [
    BotCommand(command="start", description="Start the bot"),
    BotCommand(command="tasks", description="Your open tasks"),
]


# --- the bot --------------------------------------------------------------------------------


async def on_start(message: Message) -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Mark done", callback_data="done"),
                InlineKeyboardButton(text="Open docs", url=DOCS_URL),
            ]
        ]
    )
    await message.answer(
        "<b>Welcome</b> to <i>TeamTasks</i>!\nYour task: <code>write the report</code> "
        "&lt;due Friday&gt;",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )


async def on_done(query: CallbackQuery) -> None:
    if isinstance(query.message, Message):
        docs = InlineKeyboardButton(text="Open docs", url=DOCS_URL)
        await query.message.edit_text(
            "<b>Done:</b> <s>write the report</s>",
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[docs]]),
        )
    await query.answer("Task marked as done")


async def on_document(message: Message) -> None:
    assert message.document is not None
    name = message.document.file_name or "file"
    menu = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="My tasks"), KeyboardButton(text="Settings")]],
        resize_keyboard=True,
    )
    await message.answer_document(
        message.document.file_id,
        caption=f"Got <b>{html.escape(name)}</b>, thanks",
        parse_mode=ParseMode.HTML,
        reply_markup=menu,
    )


async def on_my_tasks(message: Message) -> None:
    await message.answer("You have <b>no open tasks</b>", parse_mode=ParseMode.HTML)


def build_dispatcher(started: asyncio.Event) -> Dispatcher:
    router = Router()
    router.message.register(on_start, CommandStart())
    router.callback_query.register(on_done, F.data == "done")
    router.message.register(on_document, F.document)
    router.message.register(on_my_tasks, F.text == "My tasks")

    async def on_startup() -> None:
        started.set()

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    dispatcher.startup.register(on_startup)
    return dispatcher


# --- fixtures (``server`` and ``bot`` come from conftest.py) ----------------------------------


@pytest.fixture
async def polling_bot(bot: Bot) -> AsyncIterator[Bot]:
    """The bot with its command menu, polling the emulator until the test ends."""
    await bot.set_my_commands(COMMANDS)
    started = asyncio.Event()
    dispatcher = build_dispatcher(started)
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
    )
    await started.wait()
    yield bot
    await dispatcher.stop_polling()
    await polling


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium: Playwright cannot download its own browser here."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return str(CHROMIUM)


@pytest.fixture
async def page(chromium: str) -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1100, "height": 760})
        page = await context.new_page()
        yield page
        await context.close()
        await browser.close()


# --- the test -------------------------------------------------------------------------------


async def create_user(page: Page) -> None:
    await page.get_by_label("First name").fill("Alice")
    await page.get_by_label("Username").fill("alice")
    await page.get_by_label("Language").select_option("ru")
    await page.get_by_role("button", name="Create user").click()
    await expect(page.get_by_role("combobox", name="User", exact=True)).to_contain_text(
        "Alice (@alice)"
    )
    await expect(page.locator("#chat-title")).to_have_text("Teamtasks")
    await expect(page.locator("#chat-subtitle")).to_have_text("bot · you are Alice")


async def start_the_bot(page: Page, log: Locator) -> Locator:
    """/start from the "/" menu; the bot's HTML is rendered as formatting, its escapes as text."""
    message_box = page.get_by_label("Message", exact=True)
    menu = page.get_by_role("group", name="Bot commands")
    await message_box.fill("/")
    await expect(menu.get_by_role("button")).to_have_text(
        ["/start Start the bot", "/tasks Your open tasks"]
    )
    await message_box.fill("/st")
    await expect(menu.get_by_role("button")).to_have_text(["/start Start the bot"])
    await menu.get_by_role("button", name="/start").click()
    await expect(log.locator(".message--out .bubble__text")).to_have_text("/start")
    await expect(menu).to_be_hidden()
    await expect(message_box).to_have_value("")
    reply = log.locator(".message--from-bot")
    await expect(reply).to_have_count(1)
    text = reply.locator(".bubble__text")
    await expect(text).to_have_text(
        "Welcome to TeamTasks!\nYour task: write the report <due Friday>"
    )
    await expect(text.locator("b")).to_have_text("Welcome")
    await expect(text.locator("i")).to_have_text("TeamTasks")
    await expect(text.locator("code")).to_have_text("write the report")
    docs = reply.get_by_role("link", name="Open docs")
    await expect(docs).to_have_attribute("href", DOCS_URL)
    await expect(docs).to_have_attribute("target", "_blank")
    return reply


async def press_the_callback_button(page: Page, log: Locator, reply: Locator) -> None:
    """The answer is a toast; the message is edited in place, keeping its id."""
    message_id = await reply.get_attribute("data-message-id")
    await reply.get_by_role("button", name="Mark done").click()
    await expect(page.get_by_role("status")).to_contain_text("Task marked as done")
    edited = log.locator(f'[data-message-id="{message_id}"]')
    await expect(edited.locator(".bubble__text")).to_have_text("Done: write the report")
    await expect(edited.locator(".bubble__text s")).to_have_text("write the report")
    await expect(edited.locator(".edited")).to_have_text("edited")
    await expect(edited.get_by_role("button", name="Mark done")).to_have_count(0)
    await expect(edited.get_by_role("link", name="Open docs")).to_be_visible()
    await expect(log.locator(".message--from-bot")).to_have_count(1)


async def attach_and_send(page: Page, log: Locator, caption: str) -> None:
    """Send report.txt with ``caption`` (Enter in the message box) and see it in the chat."""
    await page.get_by_label("Attach a file").set_input_files(
        files=FilePayload(name="report.txt", mimeType="text/plain", buffer=REPORT)
    )
    await expect(page.locator("#attachment")).to_contain_text("report.txt")
    message_box = page.get_by_label("Message", exact=True)
    await message_box.fill(caption)
    await message_box.press("Enter")
    sent = log.locator(".message--out").filter(has=page.locator(".document"))
    await expect(sent.locator(".document__name")).to_have_text("report.txt")
    await expect(sent.locator(".bubble__text")).to_have_text(caption)
    await expect(page.locator("#attachment")).to_be_hidden()


async def send_a_file(page: Page, log: Locator, base_url: str) -> None:
    """A document with a caption; the bot sends it back, downloadable."""
    await attach_and_send(page, log, "Weekly report")
    returned = log.locator(".message--from-bot").filter(has=page.locator(".document"))
    await expect(returned.locator(".bubble__text")).to_have_text("Got report.txt, thanks")
    link = returned.get_by_role("link", name="report.txt")
    await expect(link).to_have_attribute("download", "report.txt")
    href = await link.get_attribute("href")
    assert href is not None
    download = await page.request.get(base_url + href)
    assert download.ok
    assert await download.body() == REPORT


async def press_a_reply_keyboard_button(page: Page, log: Locator) -> None:
    keyboard = page.get_by_role("group", name="Bot keyboard")
    await keyboard.get_by_role("button", name="My tasks").click()
    await expect(log.locator(".message--out .bubble__text").last).to_have_text("My tasks")
    answer = log.locator(".message--from-bot .bubble__text").last
    await expect(answer).to_have_text("You have no open tasks")
    await expect(keyboard.get_by_role("button")).to_have_text(["My tasks", "Settings"])


async def test_a_person_talks_to_the_bot_through_the_chat_page(
    server: EmulatorServer, polling_bot: Bot, page: Page
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(server.base_url)
    log = page.get_by_role("log", name="Messages")

    await create_user(page)
    reply = await start_the_bot(page, log)
    await press_the_callback_button(page, log, reply)
    await send_a_file(page, log, server.base_url)
    await press_a_reply_keyboard_button(page, log)

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT), animations="disabled")
    assert errors == []


async def create_group(page: Page, client: EmulatorClient) -> Group:
    """A group of the page's user and Boris, who was created before the page was opened."""
    await page.get_by_text("New group", exact=True).click()
    await page.get_by_label("Group title").fill("Team")
    await page.get_by_role("checkbox", name="Boris").check()
    await page.get_by_role("button", name="Create group").click()
    await expect(page.locator("#chat-title")).to_have_text("Team")
    await expect(page.locator("#chat-subtitle")).to_have_text("2 members and the bot")
    chats = (await client.request("GET", "/emulator/api/chats"))["chats"]
    return Group(client, next(c["id"] for c in chats if c.get("title") == "Team"), "Team")


async def test_a_group_in_the_chat_page(
    server: EmulatorServer, polling_bot: Bot, page: Page, client: EmulatorClient
) -> None:
    """Another member's message shows up live; a file with a command caption reaches the bot."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    boris = await client.create_user("Boris")
    await page.goto(server.base_url)
    log = page.get_by_role("log", name="Messages")
    await page.get_by_text("New user", exact=True).click()
    await create_user(page)
    group = await create_group(page, client)

    await group.send(boris, "Morning, team")
    from_boris = log.locator(".message--in").filter(has_text="Morning, team")
    await expect(from_boris.locator(".bubble__sender")).to_have_text("Boris")

    await attach_and_send(page, log, "/report for the week")
    returned = log.locator(".message--from-bot").filter(has=page.locator(".document"))
    await expect(returned.locator(".bubble__text")).to_have_text("Got report.txt, thanks")
    assert errors == []
