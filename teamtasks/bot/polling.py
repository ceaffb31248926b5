"""`teamtasks bot`: the dispatcher in polling mode, with /healthz and /metrics on their own port."""

from __future__ import annotations

import structlog

from teamtasks.bot.factory import create_bot, create_dispatcher
from teamtasks.bot.runtime import settle
from teamtasks.config import Settings
from teamtasks.db import create_engine, create_session_factory, probe
from teamtasks.observability.metrics import DATABASE_POOLS
from teamtasks.observability.probe_server import ProbeServer
from teamtasks.worker.process import open_job_broker

log = structlog.stdlib.get_logger("teamtasks.bot")


async def run_polling(settings: Settings) -> None:
    """Poll until SIGINT/SIGTERM.

    Updates are handled one at a time (`handle_as_tasks=False`), so the offset that confirms an
    update to Telegram moves only after the update was handled: a crash loses nothing.
    """
    bot = create_bot(settings)
    engine = create_engine(settings)
    probe_server = ProbeServer(settings.health_host, settings.health_port)
    try:
        await probe(engine)
        session_factory = create_session_factory(engine)
        DATABASE_POOLS.watch(engine)
        dispatcher = create_dispatcher(settings, session_factory)
        # Without Redis the jobs (delivery of notifications, the schedule) run in this process.
        async with open_job_broker(settings, session_factory, schedule=settings.redis_url is None):
            await probe_server.start()
            settle()
            log.info("bot_starting", health_port=probe_server.port)
            await bot.delete_webhook(drop_pending_updates=False)
            await dispatcher.start_polling(
                bot,
                handle_as_tasks=False,
                allowed_updates=dispatcher.resolve_used_update_types(),
                close_bot_session=False,
            )
    finally:
        await probe_server.stop()
        await bot.session.close()
        await engine.dispose()
        log.info("bot_stopped")
