"""`teamtasks demo`: the whole product in one process on the embedded defaults.

SQLite under DATA_DIR, state in memory, and, unless DEMO_LOCAL_TELEGRAM=false, the local Telegram
Bot API server with its chat page, so it runs offline with no token. Data (the database and the
local server's chats) is kept between runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

import structlog
from aiogram import Bot

from teamtasks import migrations
from teamtasks.bot import outbox
from teamtasks.bot.factory import create_bot, create_dispatcher
from teamtasks.bot.runtime import settle
from teamtasks.config import Settings
from teamtasks.db import create_engine, create_session_factory, probe
from teamtasks.web.server import uvicorn_server
from teamtasks.worker.process import open_job_broker

log = structlog.stdlib.get_logger("teamtasks.demo")

DEMO_BOT_TOKEN = "1000000001:teamtasks-local-demo-token-not-secret"
DEMO_BOT_USERNAME = "teamtasks_demo_bot"


async def run_demo(settings: Settings) -> None:
    await asyncio.to_thread(migrations.upgrade, settings.database_url)
    async with contextlib.AsyncExitStack() as stack:
        bot, banner = await _bot(settings, stack)
        engine = create_engine(settings)
        stack.push_async_callback(engine.dispose)
        await probe(engine)
        session_factory = create_session_factory(engine)
        dispatcher = create_dispatcher(settings, session_factory)
        # The worker and the scheduler, in this process (the in-memory broker).
        await stack.enter_async_context(
            open_job_broker(settings, session_factory, schedule=True, bot=bot)
        )
        web = uvicorn_server(settings, host=settings.web_host, port=settings.web_port)
        settle()

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
            stack.callback(loop.remove_signal_handler, signum)

        serving = asyncio.create_task(web.serve())
        polling = asyncio.create_task(
            dispatcher.start_polling(bot, handle_as_tasks=False, handle_signals=False)
        )
        waiting = asyncio.create_task(stop.wait())
        listening = asyncio.create_task(web.listening.wait())
        await asyncio.wait({listening, serving}, return_when=asyncio.FIRST_COMPLETED)
        if listening.done():
            print(banner, flush=True)  # noqa: T201
        listening.cancel()
        await asyncio.wait({polling, serving, waiting}, return_when=asyncio.FIRST_COMPLETED)

        log.info("demo_stopping")
        web.should_exit = True
        if not polling.done():
            await dispatcher.stop_polling()
        waiting.cancel()
        await asyncio.gather(polling, serving, waiting, return_exceptions=True)
        await outbox.drain()
    print("teamtasks demo stopped; your data is kept in", settings.data_dir)  # noqa: T201


async def _bot(settings: Settings, stack: contextlib.AsyncExitStack) -> tuple[Bot, str]:
    """The local Bot API server and a bot bound to it, or the real Telegram with BOT_TOKEN.

    Returns the bot and the line that tells the person where to talk to it.
    """
    if not settings.demo_local_telegram:
        bot = create_bot(settings)
        stack.push_async_callback(bot.session.close)
        me = await bot.get_me()
        return bot, f"teamtasks demo: talk to @{me.username} in Telegram. Ctrl-C stops it."

    from tgemulator import EmulatorServer

    emulator = EmulatorServer(
        bot_token=DEMO_BOT_TOKEN,
        bot_username=DEMO_BOT_USERNAME,
        host=settings.demo_host,
        port=settings.demo_port,
        state_path=settings.data_dir / "local-telegram" / "state.json",
    )
    await emulator.start()
    stack.push_async_callback(emulator.stop)
    local = settings.model_copy(update={"telegram_api_url": emulator.base_url})
    bot = create_bot(local, token=DEMO_BOT_TOKEN)
    stack.push_async_callback(bot.session.close)
    return bot, (
        f"teamtasks demo: open {emulator.base_url} in your browser to chat with the bot. "
        "Ctrl-C stops it."
    )
