"""teamtasks: a Telegram-native task tracker for teams. One subcommand per process."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import structlog

from teamtasks.config import ConfigError, Settings, load_settings
from teamtasks.observability.logging import configure_logging

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def _bot(settings: Settings) -> None:
    settings.require_bot_token()
    from teamtasks.bot.polling import run_polling

    asyncio.run(run_polling(settings))


def _web(settings: Settings) -> None:
    from teamtasks.web.server import run_web

    asyncio.run(run_web(settings))


def _worker(settings: Settings) -> None:
    from teamtasks.worker.process import run_worker

    asyncio.run(run_worker(settings))


def _scheduler(settings: Settings) -> None:
    from teamtasks.worker.process import run_scheduler

    asyncio.run(run_scheduler(settings))


def _demo(settings: Settings) -> None:
    from teamtasks.demo import run_demo

    asyncio.run(run_demo(settings))


def _migrate(settings: Settings) -> None:
    from teamtasks import migrations

    migrations.upgrade(settings.database_url)
    print("database is at the latest migration")  # noqa: T201


def _check_config(settings: Settings) -> None:
    from teamtasks.checks import check_services, describe

    for line in describe(settings):
        print(line)  # noqa: T201
    asyncio.run(check_services(settings))
    print("configuration is valid; every configured service answered")  # noqa: T201


def _sweep_files(settings: Settings) -> None:
    from teamtasks.services.files import sweep
    from teamtasks.storage import open_storage

    async def run(session: AsyncSession) -> list[str]:
        async with open_storage(settings) as storage:
            return (await sweep(session, storage=storage)).lines()

    for line in _in_unit_of_work(settings, run):
        print(line)  # noqa: T201


def _refunds(settings: Settings) -> None:
    from teamtasks.services import owed_refunds

    async def run(session: AsyncSession) -> list[str]:
        owed = await owed_refunds.unsettled(session)
        refused = [refund for refund in owed if refund.failed_at is not None]
        lines = [owed_refunds.describe(refund) for refund in owed]
        lines.append(
            f"stars owed back: {len(owed)} refunds, {sum(r.amount for r in owed)} XTR; "
            f"refused by Telegram: {len(refused)}"
            + (" (fix the cause, then `teamtasks retry-refunds`)" if refused else "")
        )
        return lines

    for line in _in_unit_of_work(settings, run):
        print(line)  # noqa: T201


def _retry_refunds(settings: Settings) -> None:
    from teamtasks.services import owed_refunds

    async def run(session: AsyncSession) -> int:
        return await owed_refunds.retry_refused(session)

    retried = _in_unit_of_work(settings, run)
    print(f"refunds Telegram refused made due again: {retried} (the worker asks within a minute)")  # noqa: T201


def _in_unit_of_work(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one unit of work on the configured database."""
    from teamtasks.db import create_engine, create_session_factory, probe, unit_of_work

    async def run() -> T:
        engine = create_engine(settings)
        try:
            await probe(engine)
            async with unit_of_work(create_session_factory(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


COMMANDS: dict[str, tuple[Callable[[Settings], None], str]] = {
    "bot": (_bot, "run the Telegram bot in polling mode, with /healthz on HEALTH_PORT"),
    "web": (_web, "run the web service: health, metrics, webhooks (on WEB_HOST:WEB_PORT)"),
    "worker": (_worker, "run jobs from Redis: notifications, billing, reminders, maintenance"),
    "scheduler": (_scheduler, "kick the scheduled jobs (cron from SCHEDULE_*) into Redis"),
    "demo": (_demo, "run everything in one process on embedded defaults, with a local Telegram"),
    "migrate": (_migrate, "upgrade the database to the latest migration"),
    "check-config": (_check_config, "validate the settings and reach each configured service"),
    "sweep-files": (_sweep_files, "delete orphaned stored objects; report files that lost theirs"),
    "refunds": (_refunds, "list the Telegram Stars owed back and not given back yet"),
    "retry-refunds": (_retry_refunds, "ask Telegram again for the Stars refunds it refused"),
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="teamtasks", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        subparsers.add_parser(name, help=help_text)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings)
        COMMANDS[args.command][0](settings)
    except ConfigError as exc:
        print(f"teamtasks: configuration error: {exc}", file=sys.stderr)  # noqa: T201
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception:
        # Logged through the scrubbing logger, never as a bare traceback that could hold a secret.
        structlog.stdlib.get_logger("teamtasks").exception("fatal_error", command=args.command)
        raise SystemExit(1) from None
